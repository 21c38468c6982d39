// `mpcrl train spec.mpcrl [--episodes N] [--steps N] [--seed N] [--seeds 1..8] [--out DIR [--force]]
//  [--resume DIR] [--disturbance FILE] [--plant module.ts] [--eval-episodes N] [--eval-steps N]
//  [--eval-seed N] [--no-eval] [--json]`: compile the spec in process, run its `train` block against
// its plant, show progress on stderr, write the run folder (metrics, params, checkpoint, summary,
// report.html), then (unless --no-eval) the verdict: theta0 and the learned parameters on the same
// held-out episodes (verdict.json, runtime/run/verdict.ts), and print a summary with the verdict
// line (`--json`: the summary and the verdict as one JSON record). `--out` never overwrites a run folder unless `--force` is given. Ctrl-C stops cleanly
// with a checkpoint (`--resume DIR` continues). Exit codes: 0 done, 1 errors in the spec, 2 bad
// usage or files, 130 stopped by Ctrl-C (checkpoint written).

import type { Command } from "commander";
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { ThetaBoxError } from "../runtime/mpc/bounds.js";
import type { RunSummary } from "../runtime/run/summary.js";
import { comparisonLines, diagnosticsLines, type Verdict } from "../runtime/learn/verdict.js";
import { runDiagnostics } from "../runtime/run/verdict.js";
import { CheckpointError, checkResume, parseCheckpoint, type DriverCheckpoint } from "../runtime/run/driver.js";
import { FileReadError, folderPathProblem, printJson, raiseExitCode, readErrorReason, readJsonFile } from "./io.js";
import { setAside } from "../runtime/run/folders.js";
import { ProgressReporter } from "./progress.js";
import { runSeeds, type MultiSummary } from "./train_multi.js";
import { buildJob, runJob } from "./train_run.js";
import type { VerdictRequest } from "../runtime/learn/verdict.js";
import { CliError, parsePositiveInt, parseSeed, parseSeeds, prepare, specRecordOf, type CommonFlags } from "./train_setup.js";

export interface TrainFlags extends CommonFlags {
  out?: string;
  resume?: string;
  force?: boolean;
  json?: boolean;
  /** false with --no-eval. */
  eval?: boolean;
  evalEpisodes?: string;
  evalSteps?: string;
  evalSeed?: string;
}

/** The verdict's request from the flags (undefined: --no-eval). */
export function verdictRequest(flags: TrainFlags): VerdictRequest | undefined {
  const episodes = parsePositiveInt(flags.evalEpisodes, "--eval-episodes");
  const steps = parsePositiveInt(flags.evalSteps, "--eval-steps");
  const seed = parseSeed(flags.evalSeed, "--eval-seed");
  if (flags.eval === false) {
    if (episodes !== undefined || steps !== undefined || seed !== undefined) throw new CliError("--no-eval skips the verdict: drop --eval-episodes/--eval-steps/--eval-seed", 2);
    return undefined;
  }
  return { ...(episodes !== undefined ? { episodes } : {}), ...(steps !== undefined ? { steps } : {}), ...(seed !== undefined ? { seed } : {}) };
}

/** The verdict block of the text summary: the verdict line, the comparison, the diagnostics, the hints. */
export function printVerdict(v: Verdict, dir: string): void {
  const out = process.stdout;
  out.write(`verdict: ${v.line}\n`);
  const pad = (k: string) => k.padEnd(21);
  for (const [k, t] of [...comparisonLines(v), ...diagnosticsLines(v.diagnostics)]) out.write(`  ${pad(k)} ${t}\n`);
  for (const h of v.hints) out.write(`  hint: ${h.text}\n`);
  for (const n of v.notes) out.write(`  note: ${n}\n`);
  out.write(`  ${pad("verdict file")} ${join(dir, "verdict.json")}\n`);
}

/** A fresh folder under runs/ named after the spec and the time (a suffix if it exists already). */
export function defaultRunDir(specPath: string, kind = ""): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  const base = join("runs", `${basename(specPath).replace(/\.mpcrl$/, "")}${kind}-${stamp}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

/** What a run (or a multi-seed run) writes into its folder. */
const RUN_FILES = ["metrics.jsonl", "metrics.csv", "params.json", "params-history.jsonl", "checkpoint.json", "summary.json", "verdict.json", "report.html"];
export const isRunEntry = (name: string): boolean => RUN_FILES.includes(name) || /^seed-\d+$/.test(name) || /^\.part-\d+$/.test(name);
/** A run's file, or the temporary file of its atomic write (`checkpoint.json.tmp`, left by a crash). */
const isRunFile = (name: string): boolean => RUN_FILES.includes(name) || (name.endsWith(".tmp") && RUN_FILES.includes(name.slice(0, -4)));

/**
 * Whether the entry `name` of `dir`, named like a run's, is what a run writes: a run file is a
 * regular file, a `seed-N` or `.part-N` entry a folder (not a link) holding only run files. What
 * merely carries such a name (a user's own `seed-3` folder of notes) is never deleted by `--force`.
 */
function isRunOutput(dir: string, name: string): boolean {
  try {
    const st = lstatSync(join(dir, name));
    if (RUN_FILES.includes(name)) return st.isFile();
    return st.isDirectory() && readdirSync(join(dir, name)).every(isRunFile);
  } catch {
    return false;
  }
}

/** A claimed `--out` folder: `settle` after the run, whatever its outcome. */
export interface RunDirClaim {
  /** The new run wrote its files: the old run it replaces is deleted; it wrote none (it failed
   *  before its first step: a plant module that throws at once): the old run is put back. */
  settle(): void;
}

/**
 * Claims `dir` for a new run once every input is checked: an old run there (replaced with
 * `--force`) is moved aside into a hidden folder of `dir`, not deleted, until `settle` sees whether
 * the new run exists. A run that fails at its first step no longer loses the old one (review: a
 * `--plant` whose step() throws, with --force, left the folder empty); after a crash the old run is
 * still in `dir/.replaced-*`.
 */
export function claimRunDir(dir: string, force: boolean | undefined, command: "train" | "eval"): RunDirClaim {
  const old = setAside(dir, checkRunDir(dir, force, command));
  return {
    settle: () => {
      let current: string[] = [];
      try {
        current = readdirSync(dir).filter(isRunEntry);
      } catch {
        // the folder is gone: nothing to compare with, the old run goes back
      }
      if (current.length === 0) old.restore();
      else old.drop();
    },
  };
}

/**
 * The entries of `--out DIR` ([] when it does not exist yet), or a CliError (exit 2) when it cannot
 * be a folder: an empty name, a file, a path under a file, an unreadable folder.
 */
export function outDirEntries(dir: string): string[] {
  if (dir.trim() === "") throw new CliError("--out needs a folder name, got ''", 2);
  try {
    return readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return [];
    if (code === "ENOTDIR") throw new CliError(`--out '${dir}': ${folderPathProblem(dir) ?? "it is a file, not a folder"}`, 2);
    throw new CliError(`cannot use --out '${dir}': ${readErrorReason(err)}`, 2);
  }
}

/** Runs `work` on a claimed folder and settles the claim however it ends. */
export async function withClaim<T>(claim: () => RunDirClaim, work: (claimNow: () => void) => Promise<T>): Promise<T> {
  let held: RunDirClaim | undefined;
  try {
    return await work(() => {
      held = claim();
    });
  } finally {
    held?.settle();
  }
}

/**
 * The checks of `claimRunDir` without deleting anything: throws the same CliError (a file, a run
 * without `force`), else returns the run's entries that `claimRunDir` would delete. Commands call
 * it first, to fail fast, and claim the folder only once every input has been checked.
 */
export function checkRunDir(dir: string, force: boolean | undefined, command: "train" | "eval"): string[] {
  const entries = outDirEntries(dir);
  const run = entries.filter(isRunEntry);
  if (run.length === 0) return [];
  // --force replaces a run, never what mpcrl did not write: refused, with or without it
  const foreign = run.find((name) => !isRunOutput(dir, name));
  if (foreign !== undefined) {
    throw new CliError(
      `--out '${dir}' holds '${foreign}', which is not a file or folder of a run (${RUN_FILES.includes(foreign) ? "not a regular file" : "a link, a file, or a folder with other files"}): ` +
        `--force replaces only a run's own files; move it or choose another folder`,
      2,
    );
  }
  if (!force) {
    const resume = command === "train" ? `, --resume ${dir} to continue it,` : "";
    throw new CliError(
      `--out '${dir}' already holds a run (${run.slice(0, 3).join(", ")}${run.length > 3 ? ", ..." : ""}): ` +
        `choose another folder${resume} or add --force to overwrite it`,
      2,
    );
  }
  return run;
}

/** The flags `--resume` takes from the checkpoint: one given with another value is refused, not ignored. */
export function resumeConflicts(flags: TrainFlags, st: { seed: number; episodes: number; steps: number; disturbance?: string }): string | null {
  const given: [string, number | undefined, number][] = [
    ["--seed", parseSeed(flags.seed), st.seed],
    ["--episodes", parsePositiveInt(flags.episodes, "--episodes"), st.episodes],
    ["--steps", parsePositiveInt(flags.steps, "--steps"), st.steps],
  ];
  for (const [flag, v, was] of given) if (v !== undefined && v !== was) return `--resume continues the run with its own ${flag} ${was}: drop ${flag} ${v}`;
  const recorded = st.disturbance !== undefined && st.disturbance !== "random (seeded)" ? st.disturbance : undefined;
  if (flags.disturbance !== undefined && flags.disturbance !== recorded) {
    return `--resume continues the run with its own disturbance (${recorded ?? "random (seeded)"}): drop --disturbance ${flags.disturbance}`;
  }
  return null;
}

/** The JSON form of a run summary (`--json`): times carry their unit in the name. */
export function summaryJson(s: RunSummary, dir: string): Record<string, unknown> {
  const { wallTime, ...rest } = s;
  return { ...rest, wallTimeSeconds: wallTime, runFolder: dir, report: join(dir, "report.html") };
}

export function multiSummaryJson(m: MultiSummary, dir: string): Record<string, unknown> {
  return { ...m, runFolder: dir };
}

const fmt = (v: number | null | undefined, digits = 4): string => (v === null || v === undefined ? "none" : Number.isInteger(v) ? String(v) : v.toFixed(digits));

export function printSummary(s: RunSummary, dir: string, what: string, json = false): void {
  // a run without a total cost (the plant failed, or a stage cost was not finite) is a failure
  if (Number.isNaN(s.J)) raiseExitCode(1);
  if (json) return printJson({ kind: what, ...summaryJson(s, dir) });
  const out = process.stdout;
  out.write(`${what} ${s.status}: ${s.episodes} episode(s), ${s.steps} steps in ${s.wallTime.toFixed(2)} s (${Math.round(s.stepsPerSecond)} steps/s)\n`);
  const failures = s.plantFailures ?? [];
  // a run whose plant left its domain (or whose stage cost was not finite) has no total cost
  out.write(`  total cost J          ${Number.isNaN(s.J) ? `not a number (${failures.length > 0 ? "the plant failed, below" : "a stage cost was not finite: metrics.jsonl"})` : fmt(s.J)}\n`);
  if (s.episodeCosts.length > 1) out.write(`  cost per episode      first ${fmt(s.episodeCosts[0])}, last ${fmt(s.episodeCosts[s.episodeCosts.length - 1])}\n`);
  out.write(`  violating steps       ${s.violatingSteps} (per 500 steps: ${s.violationsPer500.join(", ")})\n`);
  out.write(`  last violating step   ${fmt(s.lastViolatingStep)}\n`);
  if (s.meanAbsTdFirst100 !== null) out.write(`  mean |TD error|       first 100: ${fmt(s.meanAbsTdFirst100)}, last 100: ${fmt(s.meanAbsTdLast100)}\n`);
  out.write(`  solver failures       ${s.solverFailures}, fallbacks ${s.fallbacks}, rejected updates ${s.rejectedUpdates}\n`);
  if (failures.length > 0) {
    out.write(`  plant failures        ${failures.length} episode(s) stopped; step ${failures[0].t}: ${failures[0].message}\n`);
    if (failures.length > 1) out.write(`  (${failures.length - 1} more in metrics.jsonl, field "failure")\n`);
  }
  // events the learner logged (identification, re-tightened back-offs): the first and how many
  if (s.notes.length > 0) {
    out.write(`  step ${s.notes[0].t}: ${s.notes[0].note}\n`);
    if (s.notes.length > 1) out.write(`  (${s.notes.length - 1} more note(s) in metrics.jsonl, field "note")\n`);
  }
  if (s.offPolicy) {
    const o = s.offPolicy;
    const f = (v: number | null) => (v === null ? "-" : Number.isFinite(v) ? v.toPrecision(4) : String(v));
    out.write(`  off-policy estimate   behaviour ${f(o.behaviourEstimate)}, learned ${f(o.finalEstimate)} per rollout (identified model); guard accepted ${o.guardAccepted}, rejected ${o.guardRejected} pass(es)\n`);
    if (o.lastEvalCost !== null) out.write(`  last evaluation       eval_cost ${f(o.lastEvalCost)} on the plant, estimate ${f(o.estimateAtLastEval)}\n`);
  }
  out.write(`  run folder            ${dir}\n  report                ${join(dir, "report.html")}\n`);
}

export function printMulti(m: MultiSummary, dir: string, what: string, json = false): void {
  if (json) return printJson({ kind: what, ...multiSummaryJson(m, dir) });
  const out = process.stdout;
  out.write(`${m.seeds.length} seeds in ${m.wallTimeSeconds.toFixed(2)} s\n`);
  out.write(`  J                     median ${fmt(m.J.median)}, range [${fmt(m.J.min)}, ${fmt(m.J.max)}]\n`);
  out.write(`  last violating step   median ${fmt(m.lastViolatingStep.median)}, range [${fmt(m.lastViolatingStep.min)}, ${fmt(m.lastViolatingStep.max)}]\n`);
  out.write(`  violating steps       median ${fmt(m.violatingSteps.median)}, range [${fmt(m.violatingSteps.min)}, ${fmt(m.violatingSteps.max)}]\n`);
  if (m.verdicts) {
    const v = m.verdicts;
    out.write(`verdicts: learning helped in ${v.helped} of ${m.seeds.length} seeds, no significant difference in ${v.no_difference}, worse in ${v.worse}${v.inconclusive > 0 ? `, inconclusive in ${v.inconclusive}` : ""} (each seed's verdict.json)\n`);
  }
  out.write(`  run folder            ${dir} (seed-*/report.html)\n`);
}

export async function runTrain(specPath: string | undefined, flags: TrainFlags): Promise<void> {
  try {
    let spec = specPath;
    let resume = false;
    let dir: string;
    let checkpoint: DriverCheckpoint | undefined;
    if (flags.resume !== undefined) {
      if (flags.out !== undefined) throw new CliError("--resume continues the run in its own folder: drop --out", 2);
      const cpPath = join(flags.resume, "checkpoint.json");
      if (!existsSync(cpPath)) throw new CliError(`--resume: '${flags.resume}' has no checkpoint.json`, 2);
      let cp: DriverCheckpoint;
      try {
        // its structure checked here: a damaged checkpoint is refused before anything runs
        cp = parseCheckpoint(readJsonFile(cpPath, "the checkpoint"), cpPath);
      } catch (err) {
        if (err instanceof FileReadError || err instanceof CheckpointError) throw new CliError(err.message, 2);
        throw err;
      }
      checkpoint = cp;
      resume = true;
      dir = flags.resume;
      if (spec === undefined) throw new CliError("--resume needs the spec file too: mpcrl train spec.mpcrl --resume DIR", 2);
      // the run continues with its own settings (episodes, steps, seed, plant, disturbance)
      const st = cp.settings as { seed: number; episodes: number; steps: number; disturbance?: string; plant?: string };
      const conflict = resumeConflicts(flags, st);
      if (conflict !== null) throw new CliError(conflict, 2);
      flags = {
        ...flags,
        seed: String(st.seed),
        episodes: String(st.episodes),
        steps: String(st.steps),
        ...(st.disturbance !== undefined && st.disturbance !== "random (seeded)" ? { disturbance: st.disturbance } : {}),
        ...(st.plant !== undefined && flags.plant === undefined && /\.[cm]?[jt]s$/.test(st.plant) ? { plant: st.plant } : {}),
      };
    } else dir = flags.out ?? defaultRunDir(spec ?? "run");
    if (spec === undefined) throw new CliError("missing the spec file: mpcrl train spec.mpcrl", 2);
    if (flags.force && resume) throw new CliError("--force starts over and --resume continues: give one of them", 2);
    const seeds = parseSeeds(flags.seeds);
    if (seeds && flags.seed !== undefined && !resume) throw new CliError("use either --seed or --seeds, not both", 2);
    if (seeds && resume) throw new CliError("--resume continues one run; it cannot be combined with --seeds", 2);
    if (seeds) {
      // fail fast on spec errors before starting workers
      for (const n of (await prepare(spec, flags)).notes) process.stderr.write(`mpcrl train: note: ${n}\n`);
      const replaces = checkRunDir(dir, flags.force, "train").length > 0;
      const verdict = verdictRequest(flags);
      // every input checked (plant, trainer) before an old run is replaced
      if (replaces) await buildJob({ specPath: spec, flags, seed: seeds[0], dir: join(dir, `seed-${seeds[0]}`), resume: false, learn: true });
      const m = await withClaim(
        () => claimRunDir(dir, flags.force, "train"),
        (claimNow) => {
          claimNow();
          return runSeeds({ specPath: spec, flags, resume: false, learn: true, ...(verdict ? { verdict } : {}) }, seeds, dir, (l) => process.stderr.write(l + "\n"));
        },
      );
      printMulti(m, dir, "training", flags.json);
      return;
    }
    const verdict = verdictRequest(flags);
    const setup = await prepare(spec, flags);
    for (const n of setup.notes) process.stderr.write(`mpcrl train: note: ${n}\n`);
    // refused at once if it holds a run (without --force); replaced only once the run is built
    if (!resume) checkRunDir(dir, flags.force, "train");
    if (checkpoint !== undefined) {
      // another spec's checkpoint, or this spec edited since the run started: refused before the
      // run is built (the driver checks again); a checkpoint that records no spec: resumed, said so
      const note = checkResume(checkpoint, setup.settings, dir, { record: specRecordOf(spec, setup.source), path: spec });
      if (note !== undefined) process.stderr.write(`mpcrl train: note: ${note}\n`);
    }
    const seed = parseSeed(flags.seed) ?? setup.spec.seed;
    let stop = false;
    let stopAt = 0;
    const onSigint = () => {
      // a second Ctrl-C aborts without a checkpoint (one relayed twice within 1 s counts once)
      if (stop && Date.now() - stopAt > 1000) process.exit(130);
      if (stop) return;
      stop = true;
      stopAt = Date.now();
      process.stderr.write("\nmpcrl train: stopping after this step (Ctrl-C again to abort without a checkpoint)\n");
    };
    process.on("SIGINT", onSigint);
    const progress = new ProgressReporter(process.stderr);
    try {
      const result = await withClaim(
        () => claimRunDir(dir, flags.force, "train"),
        (claimNow) =>
          runJob(
            { specPath: spec, flags, seed, dir, resume, learn: true, ...(verdict ? { verdict } : {}) },
            (p) => progress.update(p),
            () => stop,
            (p) => {
              progress.done();
              process.stderr.write(`verdict: evaluating the initial and the learned parameters on ${p.episodes} held-out episode(s) of ${p.steps} steps (seed ${p.seed})\n`);
            },
            resume ? undefined : claimNow,
          ),
      );
      progress.done();
      if (flags.json) printJson({ kind: "training", ...summaryJson(result.summary, dir), ...(result.verdict ? { verdict: result.verdict, verdictFile: join(dir, "verdict.json") } : {}) });
      else {
        printSummary(result.summary, dir, "training");
        if (result.verdict) printVerdict(result.verdict, dir);
        else if (result.status === "completed") {
          // --no-eval: the diagnostics and their hints from the run's own numbers, nothing written
          process.stdout.write("verdict: none (--no-eval: the held-out evaluation was skipped)\n");
          const d = runDiagnostics(dir, result.summary.settings);
          for (const [k, t] of diagnosticsLines(d.diagnostics)) process.stdout.write(`  ${k.padEnd(21)} ${t}\n`);
          for (const h of d.hints) process.stdout.write(`  hint: ${h.text}\n`);
        } else process.stdout.write("verdict: none (the run was stopped; a completed run, or its resumption, ends with one)\n");
      }
      if (result.status === "stopped") {
        (flags.json ? process.stderr : process.stdout).write(`  resume with           mpcrl train ${spec} --resume ${dir}\n`);
        process.exitCode = 130;
      }
    } finally {
      process.off("SIGINT", onSigint);
    }
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(err.exitCode === 1 ? err.message.replace(/\n?$/, "\n") : `mpcrl train: ${err.message}\n`);
      raiseExitCode(err.exitCode);
      return;
    }
    if (err instanceof CheckpointError) {
      // a checkpoint of another spec's run: refused before anything is written
      process.stderr.write(`mpcrl train: ${err.message}\n`);
      raiseExitCode(2);
      return;
    }
    if (err instanceof ThetaBoxError) {
      // A checkpoint (or a learnable's initial value) outside its boxes: refused, never clamped.
      process.stderr.write(`mpcrl train: ${err.message}\n`);
      raiseExitCode(2);
      return;
    }
    throw err;
  }
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train the controller of a spec on its plant; writes a run folder with metrics, parameters and report.html")
    .argument("[spec]", "the .mpcrl spec with controller, plant and train blocks")
    .option("--episodes <n>", "number of episodes (overrides the spec)")
    .option("--steps <n>", "steps per episode (overrides the spec)")
    .option("--seed <n>", "seed of every random stream (overrides the spec)")
    .option("--seeds <range>", "several seeds in parallel workers, e.g. 1..8 or 1,3,5")
    .option("--out <dir>", "run folder (default runs/<spec>-<timestamp>); an existing run there is not overwritten")
    .option("--force", "with --out: overwrite the run already in that folder")
    .option("--resume <dir>", "continue the run in this folder from its checkpoint")
    .option("--disturbance <file>", "replay a recorded disturbance (JSON rows, or CSV)")
    .option("--plant <module>", "a TypeScript plant module (see docs/plants.md) instead of the spec's plant")
    .option("--eval-episodes <n>", "held-out episodes of the final verdict (default 10)")
    .option("--eval-steps <n>", "steps per held-out episode (default the training's steps per episode, at most 1000)")
    .option("--eval-seed <n>", "seed of the held-out episodes (default 1000; 1001 when training with seed 1000)")
    .option("--no-eval", "skip the final verdict (initial vs learned parameters on held-out episodes)")
    .option("--json", "print the run's summary (and verdict) as one JSON record (times in seconds: wallTimeSeconds)")
    .option("--no-color", "disable colors in diagnostics")
    .action((spec: string | undefined, flags: TrainFlags) => runTrain(spec, flags));
}
