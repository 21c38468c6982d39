// The study folder (docs/studies.md): study.json (what the study is: spec hash, configurations,
// trials with their ids), spec.mpcrl (the spec's text when it started), study.jsonl (one line per
// finished trial, appended as results arrive, rewritten in trial order at the end), study.csv,
// study.html and best-params.json. Trial ids are hashes of the spec text, the settings and the seed.

import { createHash } from "node:crypto";
import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ExpandedStudy } from "../compiler/study.js";
import { aggregate, ranking, settingText } from "../runtime/study/aggregate.js";
import { studyReportHtml } from "../runtime/study/report.js";
import type { StudySettingValue, TrialRecord } from "../runtime/study/types.js";
import { isRunEntry, outDirEntries } from "./train.js";
import { removeMadeFolders, setAside } from "../runtime/run/folders.js";
import { CliError } from "./train_setup.js";

export const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

export interface TrialInfo {
  readonly id: string;
  readonly trial: number;
  readonly config: number;
  readonly seed: number;
  readonly settings: Readonly<Record<string, StudySettingValue>>;
}

export interface StudyMeta {
  readonly version: 1;
  /** The spec's path as given (files it names, e.g. data sets, are relative to it). */
  readonly spec: string;
  readonly specHash: string;
  readonly created: string;
  readonly axes: readonly string[];
  readonly seeds: readonly number[];
  readonly evaluation: { readonly episodes: number; readonly steps?: number; readonly seed: number };
  readonly configs: number;
  readonly trials: readonly TrialInfo[];
}

export function trialId(specHash: string, settings: Readonly<Record<string, StudySettingValue>>, seed: number): string {
  return sha256(`${specHash}\n${JSON.stringify(settings)}\n${seed}`).slice(0, 16);
}

export function studyMeta(specPath: string, text: string, study: ExpandedStudy): StudyMeta {
  const specHash = sha256(text);
  const trials = study.trials.map((t, i) => {
    const settings = study.configs[t.config].settings;
    return { id: trialId(specHash, settings, t.seed), trial: i, config: t.config, seed: t.seed, settings };
  });
  return {
    version: 1,
    spec: specPath,
    specHash,
    created: new Date().toISOString(),
    axes: study.plan.axes.map((a) => a.label),
    seeds: [...study.plan.seeds],
    evaluation: study.plan.evaluation,
    configs: study.configs.length,
    trials,
  };
}

export class StudyFolder {
  constructor(readonly dir: string) {}

  get jsonl(): string {
    return join(this.dir, "study.jsonl");
  }

  writeMeta(meta: StudyMeta, text: string): void {
    writeFileSync(join(this.dir, "spec.mpcrl"), text);
    writeFileSync(join(this.dir, "study.json"), JSON.stringify(meta, null, 1) + "\n");
  }

  /** study.json, its structure checked; an Error naming what is wrong when it is damaged or of another version. */
  readMeta(): StudyMeta {
    const path = join(this.dir, "study.json");
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new Error(`'${path}' is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const bad = (why: string): never => {
      throw new Error(`'${path}' is not a study of this version: ${why}`);
    };
    if (json === null || typeof json !== "object" || Array.isArray(json)) return bad("it does not hold a JSON object");
    const m = json as Record<string, unknown>;
    if (m.version !== 1) bad(`\`version\` is ${JSON.stringify(m.version) ?? "missing"}, expected 1`);
    if (typeof m.spec !== "string" || typeof m.specHash !== "string") bad("no `spec` and `specHash` strings");
    if (!Array.isArray(m.seeds) || !m.seeds.every((x) => Number.isSafeInteger(x))) bad("`seeds` is not an array of integers");
    if (m.evaluation === null || typeof m.evaluation !== "object") bad("no `evaluation` object");
    const trialOk = (t: unknown): boolean => {
      const o = t as Record<string, unknown> | null;
      return o !== null && typeof o === "object" && typeof o.id === "string" && Number.isSafeInteger(o.trial) && Number.isSafeInteger(o.config) && Number.isSafeInteger(o.seed) && o.settings !== null && typeof o.settings === "object";
    };
    if (!Array.isArray(m.trials) || !m.trials.every(trialOk)) bad("`trials` is not an array of trials ({ id, trial, config, seed, settings })");
    return json as StudyMeta;
  }

  readSpec(): string {
    return readFileSync(join(this.dir, "spec.mpcrl"), "utf8");
  }

  /** The recorded trials by id (a completed record wins over a failed one; a torn last line is ignored). */
  readRecords(): Map<string, TrialRecord> {
    const out = new Map<string, TrialRecord>();
    if (!existsSync(this.jsonl)) return out;
    for (const line of readFileSync(this.jsonl, "utf8").split("\n")) {
      if (!line.trim()) continue;
      let r: TrialRecord;
      try {
        r = JSON.parse(line) as TrialRecord;
      } catch {
        continue; // a line cut by a crash: that trial runs again
      }
      const prior = out.get(r.id);
      if (!prior || prior.status !== "completed") out.set(r.id, r);
    }
    return out;
  }

  append(r: TrialRecord): void {
    appendFileSync(this.jsonl, JSON.stringify(r) + "\n");
  }

  /** Rewrites study.jsonl in trial order (atomically), then study.csv, study.html and best-params.json. */
  finish(meta: StudyMeta, records: Map<string, TrialRecord>, wallTime?: number): TrialRecord[] {
    const order = new Map(meta.trials.map((t) => [t.id, t.trial]));
    const list = [...records.values()].filter((r) => order.has(r.id)).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    const tmp = this.jsonl + ".tmp";
    writeFileSync(tmp, list.map((r) => JSON.stringify(r) + "\n").join(""));
    renameSync(tmp, this.jsonl);
    writeFileSync(join(this.dir, "study.csv"), studyCsv(meta, list));
    writeFileSync(
      join(this.dir, "study.html"),
      studyReportHtml(list, { spec: meta.spec, specHash: meta.specHash, totalTrials: meta.trials.length, evaluation: meta.evaluation, ...(wallTime !== undefined ? { wallTime } : {}) }),
    );
    const best = ranking(aggregate(list)).find((c) => c.rank === 1);
    if (best?.best) writeFileSync(join(this.dir, "best-params.json"), JSON.stringify(best.best.params, null, 2) + "\n");
    return list;
  }
}

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? "" : typeof v === "string" ? v : typeof v === "number" ? String(v) : settingText(v as StudySettingValue);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function studyCsv(meta: StudyMeta, list: readonly TrialRecord[]): string {
  const head = ["id", "trial", "config", "seed", "status", ...meta.axes, "final_J", "final_violating_steps", "eval_cost", "eval_violations", "wall_time", "host", "error"];
  const rows = list.map((r) => [
    r.id,
    r.trial,
    r.config,
    r.seed,
    r.status,
    ...meta.axes.map((a) => r.settings[a]),
    r.status === "completed" ? r.final.J : null,
    r.status === "completed" ? r.final.violatingSteps : null,
    r.status === "completed" ? r.evaluation.cost : null,
    r.status === "completed" ? r.evaluation.violations : null,
    r.wallTime,
    r.host,
    r.status === "failed" ? r.error : null,
  ]);
  return [head, ...rows].map((row) => row.map(csvCell).join(",")).join("\n") + "\n";
}

/** What a study writes into its folder (and the temporary file of its atomic rewrite). */
export const STUDY_FILES = ["study.json", "spec.mpcrl", "study.jsonl", "study.jsonl.tmp", "study.csv", "study.html", "best-params.json"];

/**
 * The checks of `--out DIR` for a new study, deleting nothing: a folder holding a training run is
 * refused (with or without `force`: a study needs its own folder); one holding a study needs
 * `force`; a non-empty one without a study needs `force`, and even then is refused when it holds
 * a file named like a study's (a `spec.mpcrl` of the user's: `--force` replaces only a study).
 * Returns the old study's entries that `claimStudyDir` moves aside.
 */
export function checkStudyDir(dir: string, force: boolean | undefined): string[] {
  const entries = outDirEntries(dir);
  const run = entries.filter(isRunEntry);
  if (run.length > 0) throw new CliError(`--out '${dir}' holds a training run (${run.slice(0, 3).join(", ")}${run.length > 3 ? ", ..." : ""}): a study needs its own folder, choose another (--force replaces only a study)`, 2);
  const ours = entries.filter((n) => STUDY_FILES.includes(n));
  if (!entries.includes("study.json")) {
    if (entries.length > 0 && !force) throw new CliError(`--out '${dir}' is not empty: choose another folder or add --force`, 2);
    if (ours.length > 0) throw new CliError(`--out '${dir}' holds '${ours[0]}' but no study.json: not a study's file, so --force does not replace it; move it or choose another folder`, 2);
    return [];
  }
  if (!force) throw new CliError(`--out '${dir}' already holds a study: --resume ${dir} continues it, --force starts over`, 2);
  const foreign = ours.find((n) => {
    try {
      return !lstatSync(join(dir, n)).isFile();
    } catch {
      return true;
    }
  });
  if (foreign !== undefined) throw new CliError(`--out '${dir}' holds '${foreign}', which is not a study's file (not a regular file): move it or choose another folder`, 2);
  return ours;
}

/** A claimed study folder: `settle` once the study has ended, however it ended. */
export interface StudyDirClaim {
  /** The new study recorded a trial (or `keepEmpty`: its queued jobs belong to it): the old study
   *  it replaces is deleted ("kept"); it recorded none (it failed or was stopped before its first
   *  trial): its files go, the old study is put back ("restored") or the folders it created are
   *  removed ("removed"). */
  settle(keepEmpty: boolean): "kept" | "restored" | "removed";
}

/**
 * Claims `dir` for a new study once every input is checked: an old study there (`--force`) is
 * moved into a hidden folder of `dir` until `settle` sees whether the new study recorded a trial;
 * a new folder is created (parents included) and removed again by `settle` when it holds nothing.
 */
export function claimStudyDir(dir: string, force: boolean | undefined): StudyDirClaim {
  const names = checkStudyDir(dir, force);
  const created = mkdirSync(dir, { recursive: true });
  const old = setAside(dir, names);
  return {
    settle: (keepEmpty) => {
      if (keepEmpty || new StudyFolder(dir).readRecords().size > 0) {
        old.drop();
        return "kept";
      }
      for (const name of STUDY_FILES) rmSync(join(dir, name), { force: true });
      if (names.length > 0) {
        old.restore();
        return "restored";
      }
      removeMadeFolders(dir, created);
      return "removed";
    },
  };
}
