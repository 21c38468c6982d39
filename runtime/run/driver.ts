// Runs a trainer over episodes and steps, writing the run folder as it goes. Stopping (a flag the
// caller sets, e.g. on SIGINT) ends the current step, writes a checkpoint and returns "stopped";
// `resume` continues from the folder's checkpoint, truncating files to their checkpointed sizes,
// so that a resumed run leaves the same files as an uninterrupted one.

import { existsSync, readFileSync, statSync } from "node:fs";
import { firstMissingFolder, removeMadeFolders } from "./folders.js";
import { join } from "node:path";
import type { ParamLayout } from "../mpc/types.js";
import type { QpTemplate } from "../mpc/template.js";
import type { EpisodeRecord, EpisodicTrainer, StepRecord, TrainerCheckpoint } from "../learn/types.js";
import { controllerStateBounds } from "./controller_bounds.js";
import { formatParamsJson, paramLayoutJson, thetaNames, thetaToJson } from "./params.js";
import { isSpecRecord, resumeSpecCheck, type SpecRecord } from "./spec.js";
import { summarizeRun, type RunSummary } from "./summary.js";
import { LINE_FILES, RunWriter, type LineFile } from "./writer.js";

export interface RunSettings {
  readonly algorithm: string;
  readonly episodes: number;
  readonly steps: number;
  readonly seed: number;
  readonly spec?: string;
  readonly stateNames?: readonly string[];
  readonly inputNames?: readonly string[];
  readonly stateLower?: readonly number[];
  readonly stateUpper?: readonly number[];
  readonly inputLower?: readonly number[];
  readonly inputUpper?: readonly number[];
  readonly [key: string]: unknown;
}

export interface Progress {
  readonly episode: number;
  readonly episodes: number;
  readonly step: number;
  readonly steps: number;
  readonly t: number;
  readonly totalSteps: number;
  readonly recentCost: number;
  readonly recentAbsTd: number;
  readonly violations: number;
  readonly elapsed: number;
}

export interface RunOptions {
  readonly dir: string;
  readonly trainer: EpisodicTrainer;
  readonly layout: readonly ParamLayout[];
  readonly settings: RunSettings;
  readonly resume?: boolean;
  readonly shouldStop?: () => boolean;
  readonly onProgress?: (p: Progress) => void;
  /** Call onProgress every this many steps (default 50). */
  readonly progressEvery?: number;
  /** Also checkpoint every this many steps (default 1000; episode ends always checkpoint). */
  readonly checkpointEvery?: number;
  /** First episode to run (default 0): a worker evaluating a slice of the episodes starts there. */
  readonly firstEpisode?: number;
  /** Writes report.html from the finished folder (injected to keep the driver independent of it). */
  readonly report?: (dir: string) => void;
  /**
   * The controller's QP template, to record its effective state bounds (learned back-offs) with each
   * parameter update. Absent: taken from the trainer's `mpc.template` when it has one.
   */
  readonly template?: QpTemplate;
  /**
   * What identifies the spec (runtime/run/spec.ts): recorded in every checkpoint; on `resume`, a
   * checkpoint that records another spec is refused (CheckpointError). One that records none (an
   * older version's) is resumed: the caller says so (`resumeSpecCheck` gives the note).
   */
  readonly spec?: SpecRecord;
  /** The spec's path as the user gave it, for the refusal's message (default `settings.spec`). */
  readonly specPath?: string;
}

/** Optional trainer hook: figures of the update made since the last call (e.g. DPG's gradient norm), then cleared. */
type UpdateInfoSource = { takeUpdateInfo?: () => Record<string, number> | undefined };

export interface RunResult {
  readonly status: "completed" | "stopped";
  readonly summary: RunSummary;
}

export interface DriverCheckpoint {
  readonly version: 1;
  readonly settings: RunSettings;
  readonly trainer: TrainerCheckpoint;
  readonly episode: number;
  readonly inEpisode: boolean;
  readonly sizes: Record<string, number>;
  readonly elapsed: number;
  /** The spec the run was started with (absent in checkpoints of older versions). */
  readonly spec?: SpecRecord;
}

const fmt = (v: number): string => (Number.isNaN(v) ? "" : String(v));

function stepJson(r: StepRecord, info?: Record<string, number>): string {
  return JSON.stringify({
    type: "step",
    t: r.t,
    episode: r.episode,
    step: r.step,
    state: Array.from(r.state),
    action: Array.from(r.action),
    cost: r.cost,
    td_error: Number.isNaN(r.tdError) ? null : r.tdError,
    violations: r.violations,
    active_slacks: r.activeSlacks,
    solver_failure: r.solverFailure,
    fallback: r.fallback,
    updated: r.updated,
    rejected: r.rejected,
    ...(r.note !== undefined ? { note: r.note } : {}),
    ...(r.failure !== undefined ? { failure: r.failure } : {}),
    ...info,
  });
}

function stepCsv(r: StepRecord): string {
  return [
    r.t,
    r.episode,
    r.step,
    r.cost,
    fmt(r.tdError),
    r.violations,
    r.activeSlacks,
    r.solverFailure ? 1 : 0,
    r.fallback ? 1 : 0,
    r.updated ? 1 : 0,
    r.rejected === null ? 0 : 1,
    ...Array.from(r.state),
    ...Array.from(r.action),
  ].join(",");
}

function csvHeader(nx: number, nu: number): string {
  const cols = ["t", "episode", "step", "cost", "td_error", "violations", "active_slacks", "solver_failure", "fallback", "updated", "rejected"];
  for (let i = 0; i < nx; i++) cols.push(`s${i}`);
  for (let i = 0; i < nu; i++) cols.push(`a${i}`);
  return cols.join(",");
}

function episodeJson(e: EpisodeRecord, info?: Record<string, number>): string {
  return JSON.stringify({
    type: "episode",
    episode: e.episode,
    steps: e.steps,
    cost: e.cost,
    mean_abs_td_error: Number.isNaN(e.meanAbsTdError) ? null : e.meanAbsTdError,
    violation_steps: e.totals.violationSteps,
    active_slack_steps: e.totals.activeSlackSteps,
    solver_failures: e.totals.solverFailures,
    fallbacks: e.totals.fallbacks,
    rejected_updates: e.totals.rejectedUpdates,
    ...(e.totals.plantFailures > 0 ? { plant_failures: e.totals.plantFailures } : {}),
    ...(e.extra ?? {}),
    ...info,
  });
}

/** A checkpoint that is malformed or is not of the run being resumed: a user error (nothing is written then). */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isCount = (v: unknown, min: number): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= min;

/**
 * The checkpoint in `json` (the content of `path`), its structure checked: a CheckpointError
 * naming the first field that is missing or of the wrong kind (numbers must be finite; counts,
 * sizes and seeds non-negative integers), so a damaged file is refused, not half-used.
 */
export function parseCheckpoint(json: unknown, path: string): DriverCheckpoint {
  const bad = (why: string): never => {
    throw new CheckpointError(`'${path}' is not a checkpoint of this version: ${why}`);
  };
  if (!isObject(json)) return bad("it does not hold a JSON object");
  if (json.version !== 1) bad(`\`version\` is ${JSON.stringify(json.version) ?? "missing"}, expected 1`);
  const { settings, trainer, sizes } = json;
  if (!isObject(settings)) return bad("no `settings` object");
  if (!isObject(trainer)) return bad("no `trainer` object");
  if (!isObject(sizes)) return bad("no `sizes` object");
  if (typeof trainer.algorithm !== "string") bad("`trainer.algorithm` is not a string");
  if (!Array.isArray(trainer.theta) || !trainer.theta.every((v) => typeof v === "number" && Number.isFinite(v))) bad("`trainer.theta` is not an array of finite numbers");
  if (!isCount(json.episode, 0)) bad("`episode` is not a non-negative integer");
  if (typeof json.inEpisode !== "boolean") bad("`inEpisode` is not true or false");
  if (typeof json.elapsed !== "number" || !Number.isFinite(json.elapsed)) bad("`elapsed` is not a finite number");
  for (const [k, v] of Object.entries(sizes)) if (!isCount(v, 0)) bad(`\`sizes.${k}\` is not a non-negative integer`);
  for (const k of ["episodes", "steps"]) if (!isCount(settings[k], 1)) bad(`\`settings.${k}\` is ${JSON.stringify(settings[k]) ?? "missing"}, not a positive integer`);
  if (!isCount(settings.seed, 0)) bad(`\`settings.seed\` is ${JSON.stringify(settings.seed) ?? "missing"}, not a non-negative integer`);
  for (const k of ["disturbance", "plant"]) if (settings[k] !== undefined && typeof settings[k] !== "string") bad(`\`settings.${k}\` is not a string`);
  if (json.spec !== undefined && !isSpecRecord(json.spec)) bad("`spec` is not a spec's fingerprint (file, sha256, canonicalSha256)");
  return json as unknown as DriverCheckpoint;
}

/**
 * Null when the checkpoint belongs to a run of `settings` (the spec being resumed): the same
 * controller, algorithm, parameters (names and layout), states and inputs; otherwise how they
 * differ. A checkpoint of another spec would otherwise be restored into the wrong parameters.
 */
export function checkpointMismatch(cp: Pick<DriverCheckpoint, "settings">, settings: RunSettings): string | null {
  const was = cp.settings as Record<string, unknown>;
  const now = settings as Record<string, unknown>;
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  for (const k of ["controller", "algorithm"]) {
    if (was[k] !== undefined && now[k] !== undefined && was[k] !== now[k]) return `the checkpoint's ${k} is ${JSON.stringify(was[k])}, the spec's is ${JSON.stringify(now[k])}`;
  }
  for (const k of ["thetaNames", "stateNames", "inputNames"]) {
    if (was[k] !== undefined && now[k] !== undefined && !same(was[k], now[k])) {
      const what = k === "thetaNames" ? "learnable parameters" : k === "stateNames" ? "states" : "inputs";
      return `the checkpoint's ${what} are ${(was[k] as unknown[]).join(", ")}; the spec's are ${(now[k] as unknown[]).join(", ")}`;
    }
  }
  if (Array.isArray(was.paramLayout) && Array.isArray(now.paramLayout)) {
    const key = (l: unknown[]): string => JSON.stringify(l.map((p) => { const q = p as Record<string, unknown>; return [q.name, q.structure, q.shape, q.offset, q.size]; }));
    if (key(was.paramLayout) !== key(now.paramLayout)) return "the checkpoint's learnable parameters have other shapes or structures than the spec's";
  }
  return null;
}

/**
 * Throws CheckpointError when the checkpoint in `dir` is not of the run being resumed: another
 * controller, algorithm or parameter layout (`checkpointMismatch`, against `settings`), or, when
 * `spec` is given, a spec that is not the one the run started with (runtime/run/spec.ts). Returns
 * the note to show when the checkpoint records no spec (an older version's: resumed, not refused).
 */
export function checkResume(cp: DriverCheckpoint, settings: RunSettings, dir: string, spec?: { readonly record: SpecRecord; readonly path: string }): string | undefined {
  const mismatch = checkpointMismatch(cp, settings);
  if (mismatch !== null) throw new CheckpointError(`the checkpoint in ${dir} is not of this spec's run: ${mismatch}`);
  const cut = truncatedRunFile(cp, dir);
  if (cut !== null) throw new CheckpointError(`--resume: ${cut}`);
  if (spec === undefined) return undefined;
  const check = resumeSpecCheck(cp.spec, spec.record, spec.path, dir);
  if (!check.ok) throw new CheckpointError(`--resume: ${check.message}`);
  return check.note;
}

/**
 * Null when every line file of the run holds at least the bytes its checkpoint recorded; else
 * which does not. A resume truncates a longer file to that size (steps after the checkpoint), but
 * a shorter or missing one lost steps the checkpoint counts: resumed, the run ended "completed"
 * with a summary of the remaining lines only (0 steps, J = 0 over a deleted metrics.jsonl),
 * written over the true one.
 */
export function truncatedRunFile(cp: DriverCheckpoint, dir: string): string | null {
  for (const f of LINE_FILES) {
    const want = cp.sizes[f] ?? 0;
    let size = 0;
    try {
      size = statSync(join(dir, f)).size;
    } catch {
      // missing: 0 bytes
    }
    if (size < want) {
      return `'${join(dir, f)}' holds ${size} bytes but the checkpoint counts ${want}: the run's records were cut or deleted since, so it cannot be continued; restore the file, or start a new run (--out NEWDIR)`;
    }
  }
  return null;
}

export function readCheckpoint(dir: string): DriverCheckpoint {
  const path = join(dir, "checkpoint.json");
  if (!existsSync(path)) throw new CheckpointError(`${dir} has no checkpoint.json to resume from`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new CheckpointError(`'${path}' is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseCheckpoint(json, path);
}

/** Lets signal handlers and I/O callbacks run (the step loop is otherwise synchronous). */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runTraining(opts: RunOptions): Promise<RunResult> {
  const { trainer } = opts;
  const settings: RunSettings = { thetaNames: thetaNames(opts.layout), paramLayout: paramLayoutJson(opts.layout), ...opts.settings };
  // the controller's QP template (a nonlinear controller's template has no QP: no state bounds then)
  const found = opts.template ?? (trainer as { mpc?: { template?: QpTemplate | object } }).mpc?.template;
  const template = found !== undefined && "P" in found ? (found as QpTemplate) : undefined;
  const updateInfo = (): Record<string, number> | undefined => (trainer as UpdateInfoSource).takeUpdateInfo?.();
  /** A params-history.jsonl line: the parameters in their declared shapes, theta, the controller's state bounds. */
  const historyLine = (t: number, ep: number, theta: Float64Array): string => {
    const b = template ? controllerStateBounds(template, theta) : undefined;
    const bounds = b ? { state_lb: b.lower, state_ub: b.upper, bounds_stage: b.stage } : {};
    return JSON.stringify({ t, episode: ep, params: thetaToJson(opts.layout, theta), theta: Array.from(theta), ...bounds });
  };
  const t0 = performance.now();
  let episode = opts.firstEpisode ?? 0;
  let inEpisode = false;
  let elapsedBefore = 0;
  let writer: RunWriter;
  const madeFrom = firstMissingFolder(opts.dir);
  if (opts.resume) {
    const cp = readCheckpoint(opts.dir);
    checkResume(cp, settings, opts.dir, opts.spec !== undefined ? { record: opts.spec, path: opts.specPath ?? String(settings.spec ?? "the spec") } : undefined);
    trainer.restore(cp.trainer);
    writer = new RunWriter(opts.dir, cp.sizes);
    episode = cp.episode;
    inEpisode = cp.inEpisode;
    elapsedBefore = cp.elapsed;
  } else {
    writer = new RunWriter(opts.dir);
    writer.line("metrics.csv", csvHeader(trainer.record.state.length, trainer.record.action.length));
    writer.line("params-history.jsonl", historyLine(-1, 0, trainer.getTheta()));
  }
  const elapsed = (): number => elapsedBefore + (performance.now() - t0) / 1000;
  const checkpoint = (ep: number, mid: boolean): void => {
    const tc = trainer.checkpoint();
    const cp: DriverCheckpoint = {
      version: 1,
      settings,
      trainer: mid ? tc : { ...tc, episode: ep, step: 0, episodeActions: [] },
      episode: ep,
      inEpisode: mid,
      sizes: writer.sizes(),
      elapsed: elapsed(),
      ...(opts.spec !== undefined ? { spec: opts.spec } : {}),
    };
    writer.json("checkpoint.json", cp);
    writer.text("params.json", formatParamsJson(thetaToJson(opts.layout, trainer.getTheta())));
  };
  const every = opts.progressEvery ?? 50;
  const cpEvery = opts.checkpointEvery ?? 1000;
  const totalSteps = settings.episodes * settings.steps;
  let recentCost = 0;
  let recentTd = 0;
  let recentTdN = 0;
  let recentN = 0;
  let stopped = false;
  const line = (f: LineFile, s: string) => writer.line(f, s);
  let lastYield = performance.now();
  let lastTheta = JSON.stringify(Array.from(trainer.getTheta()));
  /** Appends theta to params-history.jsonl when it changed since the last line. */
  const writeHistory = (t: number, ep: number): void => {
    const th = trainer.getTheta();
    const theta = JSON.stringify(Array.from(th));
    if (theta === lastTheta) return;
    lastTheta = theta;
    line("params-history.jsonl", historyLine(t, ep, th));
  };

  let stepsWritten = 0;
  try {
    outer: for (; episode < settings.episodes; episode++) {
      // a resumed mid-episode run continues after the checkpointed step
      if (!inEpisode) trainer.beginEpisode(episode);
      let step = inEpisode ? trainer.stepsInEpisode : 0;
      inEpisode = false;
      for (; step < settings.steps; step++) {
        const r = trainer.step();
        line("metrics.jsonl", stepJson(r, r.updated ? updateInfo() : undefined));
        line("metrics.csv", stepCsv(r));
        stepsWritten++;
        // theta changes with an accepted update, and also with a revert or restore (a rejection that
        // may come with an accepted update in the same step) and an identification (a note):
        // writeHistory writes a line only when theta changed
        if (r.updated || r.rejected !== null || r.note !== undefined) writeHistory(r.t, r.episode);
        recentCost += r.cost;
        recentN++;
        if (!Number.isNaN(r.tdError)) {
          recentTd += Math.abs(r.tdError);
          recentTdN++;
        }
        if (opts.onProgress && (r.t + 1) % every === 0) {
          opts.onProgress({
            episode,
            episodes: settings.episodes,
            step: step + 1,
            steps: settings.steps,
            t: r.t + 1,
            totalSteps,
            recentCost: recentCost / Math.max(1, recentN),
            recentAbsTd: recentTdN > 0 ? recentTd / recentTdN : NaN,
            violations: trainer.monitor.run.violationSteps,
            elapsed: elapsed(),
          });
          recentCost = recentTd = recentN = recentTdN = 0;
        }
        if (r.done) break;
        if (opts.shouldStop && performance.now() - lastYield > 20) {
          await yieldToEventLoop(); // at most every 20 ms, so Ctrl-C is seen promptly
          lastYield = performance.now();
        }
        if (opts.shouldStop?.() && step + 1 < settings.steps) {
          checkpoint(episode, true);
          stopped = true;
          break outer;
        }
        if ((r.t + 1) % cpEvery === 0 && step + 1 < settings.steps) checkpoint(episode, true);
      }
      const er = trainer.endEpisode();
      line("metrics.jsonl", episodeJson(er, updateInfo()));
      writeHistory(trainer.record.t, episode); // updates made at the episode's end (per-episode learners)
      checkpoint(episode + 1, false);
      if (opts.shouldStop?.() && episode + 1 < settings.episodes) {
        stopped = true;
        break;
      }
    }
    if (!stopped) checkpoint(settings.episodes, false);
  } catch (err) {
    // the run failed (a plant module that throws, a plant that answers wrongly): the steps before
    // stay on disk, flushed; a fresh run that failed before its first step was refused, not run,
    // and leaves nothing (neither its empty files nor a folder it made)
    if (opts.resume || stepsWritten > 0) writer.close();
    else {
      writer.discard();
      removeMadeFolders(opts.dir, madeFrom);
    }
    throw err;
  }
  writer.close();
  const summary = summarizeRun(opts.dir, settings, opts.layout, trainer.getTheta(), stopped ? "stopped" : "completed", elapsed());
  writer.json("summary.json", summary);
  if (opts.report) opts.report(opts.dir);
  return { status: stopped ? "stopped" : "completed", summary };
}
