// `mpcrl study spec.mpcrl [--workers N] [--out DIR [--force]] [--resume DIR] [--queue redis://host:port]
//  [--json]`: run every trial of the spec's `study` (docs/studies.md) on a pool of worker threads (all
// cores by default) or, with --queue, on BullMQ workers (`mpcrl worker`) anywhere; show progress;
// write the study folder (study.json, study.jsonl, study.csv, study.html, best-params.json).
// Exit codes: 0 every trial completed, 1 errors in the spec or failed trials, 2 bad usage, files or
// an unreachable Redis, 130 stopped by Ctrl-C (the folder is consistent; --resume DIR continues).

import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import { join } from "node:path";
import { configFromSettings, expandStudy, proposeRound, type ExpandedStudy, type StudyConfig } from "../compiler/study.js";
import { renderDiagnostics } from "../language/index.js";
import { sameSpec } from "../runtime/run/spec.js";
import { aggregate, ranking, settingText, spread } from "../runtime/study/aggregate.js";
import { studyProblem } from "../runtime/study/check.js";
import type { TrialOutcome, TrialRecord } from "../runtime/study/types.js";
import { cannotReadMessage, printJson, raiseExitCode, useColor } from "./io.js";
import { checkStudyDir, claimStudyDir, StudyFolder, studyMeta, trialId, type StudyDirClaim, type StudyMeta, type TrialInfo } from "./study_folder.js";
import { TrialPool } from "./study_pool.js";
import { StudyProgress } from "./study_progress.js";
import type { TrialJob } from "./study_trial.js";
import { defaultRunDir } from "./train.js";
import { CliError, parsePositiveInt, specRecordOf } from "./train_setup.js";

export interface StudyFlags {
  workers?: string;
  out?: string;
  force?: boolean;
  resume?: string;
  queue?: string;
  queueName?: string;
  json?: boolean;
  color?: boolean;
}

/** Runs trials somewhere and reports each outcome; resolves when all are reported or it was stopped. */
export interface TrialExecutor {
  run(trials: readonly TrialInfo[], finished: (t: TrialInfo, outcome: TrialOutcome, wallTime: number, host: string) => void, stopped: () => boolean): Promise<void>;
  /** Trials running now (as far as this process knows). */
  running(): number;
  close(): Promise<void>;
}

/** The spec's study, or a CliError (1 with rendered diagnostics; 1 when the spec has no study or
 *  one that cannot run as asked: a repeated configuration, a seed not exact in a double). */
export function loadStudy(specPath: string, text: string, color: boolean | undefined): ExpandedStudy {
  const { diagnostics, study, hasStudy } = expandStudy(text);
  if (diagnostics.some((d) => d.severity === "error")) throw new CliError(renderDiagnostics(text, diagnostics, specPath, { color: useColor(color, process.stderr) }), 1);
  if (!study) {
    throw new CliError(hasStudy ? `${specPath}: the study could not be expanded` : `${specPath}: the train block has no \`study { ... }\` (see docs/studies.md); \`mpcrl train --seeds\` runs one configuration`, 1);
  }
  const problem = studyProblem(study.plan.axes, study.configs, study.plan.seeds);
  if (problem !== null) throw new CliError(`${specPath}: ${problem}`, 1);
  return study;
}

/** The configurations of a study: the expansion's, then those of `meta`'s trials beyond it (proposed by Bayesian optimization), rebuilt from their settings. */
export function studyConfigs(text: string, study: ExpandedStudy, trials: readonly TrialInfo[]): StudyConfig[] {
  const configs: StudyConfig[] = [...study.configs];
  for (const t of trials) if (t.config >= configs.length) configs[t.config] = configFromSettings(text, study.plan, t.config, t.settings);
  return configs;
}

export function trialJob(meta: StudyMeta, configs: readonly StudyConfig[], specPath: string, t: TrialInfo): TrialJob {
  return { id: t.id, specPath, source: configs[t.config].source, seed: t.seed, evaluation: meta.evaluation };
}

/** Per configuration: the median evaluation cost over its completed seeds (NaN without any). */
function objectives(configs: readonly StudyConfig[], trials: readonly TrialInfo[], records: Map<string, TrialRecord>): { settings: StudyConfig["settings"]; objective: number }[] {
  const costs = new Map<number, number[]>();
  for (const t of trials) {
    const r = records.get(t.id);
    if (r?.status === "completed" && r.evaluation.cost !== null) costs.set(t.config, [...(costs.get(t.config) ?? []), r.evaluation.cost]);
  }
  return configs.map((c) => ({ settings: c.settings, objective: spread(costs.get(c.index) ?? []).median ?? NaN }));
}

class LocalExecutor implements TrialExecutor {
  private readonly pool: TrialPool;
  constructor(
    size: number,
    private readonly job: (t: TrialInfo) => TrialJob,
  ) {
    this.pool = new TrialPool(size);
  }
  async run(trials: readonly TrialInfo[], finished: Parameters<TrialExecutor["run"]>[1], stopped: () => boolean): Promise<void> {
    const host = hostname();
    let onStop: () => void = () => {};
    const stop = new Promise<void>((r) => (onStop = r));
    const timer = setInterval(() => stopped() && onStop(), 100);
    const all = Promise.all(
      trials.map(async (t) => {
        const job = this.job(t);
        let t0 = performance.now();
        const outcome = await this.pool.run(job, () => (t0 = performance.now()));
        if (!stopped()) finished(t, outcome, (performance.now() - t0) / 1000, host);
      }),
    );
    try {
      await Promise.race([all, stop]);
    } finally {
      clearInterval(timer);
    }
  }
  running(): number {
    return this.pool.running;
  }
  close(): Promise<void> {
    return this.pool.close();
  }
}

function describe(t: TrialInfo): string {
  const s = Object.entries(t.settings).map(([k, v]) => `${k}=${settingText(v)}`);
  return `${s.length ? s.join(" ") + " " : ""}seed ${t.seed}`;
}

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? "none" : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(5))));

export async function runStudy(specArg: string | undefined, flags: StudyFlags): Promise<void> {
  let executor: TrialExecutor | undefined;
  let claim: StudyDirClaim | undefined;
  /** The --resume command of this study's folder once its trials may be on the queue. */
  let resumeCommand: string | undefined;
  try {
    const workers = parsePositiveInt(flags.workers, "--workers") ?? availableParallelism();
    // an unreachable Redis: exit 2 at once, before the folder is touched
    if (flags.queue !== undefined) await (await import("./study_queue.js")).probeRedis(flags.queue);
    let dir: string;
    let text: string;
    let specPath: string;
    let meta: StudyMeta;
    if (flags.resume !== undefined) {
      if (flags.out !== undefined || flags.force) throw new CliError("--resume continues the study in its own folder: drop --out/--force", 2);
      dir = flags.resume;
      if (!existsSync(join(dir, "study.json")) || !existsSync(join(dir, "spec.mpcrl"))) throw new CliError(`--resume: '${dir}' holds no study (study.json, spec.mpcrl)`, 2);
      const folder = new StudyFolder(dir);
      try {
        meta = folder.readMeta();
        text = folder.readSpec();
      } catch (err) {
        throw new CliError(`--resume: ${err instanceof Error ? err.message : String(err)}`, 2);
      }
      specPath = specArg ?? meta.spec;
      if (specArg !== undefined) {
        let now: string;
        try {
          now = readFileSync(specArg, "utf8");
        } catch (err) {
          throw new CliError(cannotReadMessage(specArg, err, "the spec"), 2);
        }
        // the rule of `train --resume` (runtime/run/spec.ts): edits of whitespace and comments are no
        // change; the trials run the study's copy either way
        if (!sameSpec(specRecordOf(specArg, text), specRecordOf(specArg, now))) {
          throw new CliError(`--resume: '${specArg}' changed since the study started (its trials would differ): start a new study, or resume without the spec argument to use the study's copy`, 2);
        }
      }
    } else {
      if (specArg === undefined) throw new CliError("missing the spec file: mpcrl study spec.mpcrl", 2);
      specPath = specArg;
      try {
        text = readFileSync(specArg, "utf8");
      } catch (err) {
        throw new CliError(cannotReadMessage(specArg, err, "the spec"), 2);
      }
      dir = flags.out ?? defaultRunDir(specArg, "-study");
      checkStudyDir(dir, flags.force);
      meta = undefined as unknown as StudyMeta;
    }
    const study = loadStudy(specPath, text, flags.color);
    const folder = new StudyFolder(dir);
    if (flags.resume === undefined) {
      meta = studyMeta(specPath, text, study);
      // an old study (--force) is moved aside, and put back if this one records no trial
      claim = claimStudyDir(dir, flags.force);
      folder.writeMeta(meta, text);
    }
    const records = folder.readRecords();
    const configs = studyConfigs(text, study, meta.trials);
    const search = study.plan.search;
    const initialConfigs = study.configs.length;
    const roundsDone = (): number => (search ? Math.round((configs.length - initialConfigs) / search.batch) : 0);
    const expectedTrials = (): number => meta.trials.length + (search ? (search.rounds - roundsDone()) * search.batch * meta.seeds.length : 0);
    const pendingNow = (): TrialInfo[] => meta.trials.filter((t) => records.get(t.id)?.status !== "completed");
    const alreadyDone = meta.trials.length - pendingNow().length;
    const log = (l: string): void => void process.stderr.write(l + "\n");
    log(
      `study of ${specPath}: ${search ? `${initialConfigs} + ${search.rounds} x ${search.batch} (Bayesian optimization)` : meta.configs} configuration(s) x ${meta.seeds.length} seed(s) = ${expectedTrials()} trials` +
        `${alreadyDone ? `, ${alreadyDone} already done` : ""}; ${flags.queue ? `queue ${flags.queue}` : `${Math.min(workers, Math.max(1, pendingNow().length))} worker thread(s)`}; folder ${dir}`,
    );
    const job = (t: TrialInfo): TrialJob => trialJob(meta, configs, specPath, t);
    let progress: StudyProgress | undefined;
    const ex: TrialExecutor =
      flags.queue !== undefined ? await (await import("./study_queue.js")).QueueExecutor.connect(flags.queue, flags.queueName, meta, (l) => progress?.log(l)) : new LocalExecutor(workers, job);
    executor = ex;
    if (flags.queue !== undefined) resumeCommand = `mpcrl study --resume ${dir} --queue ${flags.queue}${flags.queueName ? ` --queue-name ${flags.queueName}` : ""}`;
    const bar = new StudyProgress(expectedTrials(), alreadyDone);
    progress = bar;
    let stop = false;
    let stopAt = 0;
    const onSigint = (): void => {
      if (stop && Date.now() - stopAt > 1000) process.exit(130);
      if (stop) return;
      stop = true;
      stopAt = Date.now();
      progress.log(
        flags.queue
          ? "\nmpcrl study: stopping; queued trials stay queued and workers keep running them (--resume collects them)"
          : "\nmpcrl study: stopping; running trials are dropped and run again on --resume",
      );
    };
    process.on("SIGINT", onSigint);
    const t0 = performance.now();
    let trialIndex = new Map(meta.trials.map((t) => [t.id, t]));
    const redraw = setInterval(() => {
      progress.running = executor?.running() ?? 0;
      progress.draw();
    }, 1000);
    try {
      progress.draw();
      const ran = new Set<string>();
      for (;;) {
      const pending = pendingNow().filter((t) => !ran.has(t.id));
      for (const t of pending) ran.add(t.id);
      if (pending.length > 0) await ex.run(
        pending,
        (t, outcome, wallTime, host) => {
          const info = trialIndex.get(t.id)!;
          const rec = { id: info.id, trial: info.trial, config: info.config, settings: info.settings, seed: info.seed, ...outcome, wallTime, host } as TrialRecord;
          if (records.get(rec.id)?.status === "completed") return; // reported twice (a retried job): recorded once
          records.set(rec.id, rec);
          folder.append(rec);
          progress.finished(outcome.status === "completed");
          progress.running = executor?.running() ?? 0;
          progress.log(
            outcome.status === "completed"
              ? `trial ${info.trial + 1}/${expectedTrials()} ${info.id} (${describe(info)}): eval cost ${fmt(outcome.evaluation.cost)}, violations ${fmt(outcome.evaluation.violations)}, J ${fmt(outcome.final.J)}, ${wallTime.toFixed(1)} s on ${host}`
              : `trial ${info.trial + 1}/${expectedTrials()} ${info.id} (${describe(info)}) FAILED: ${outcome.error.split("\n")[0]}`,
          );
        },
        () => stop,
      );
      if (stop || !search || roundsDone() >= search.rounds) break;
      // the next round of Bayesian optimization, from every configuration's median evaluation cost
      const round = roundsDone() + 1;
      const next = proposeRound(text, study.plan, objectives(configs, meta.trials, records), round, configs.length);
      configs.push(...next);
      const added = next.flatMap((c) => meta.seeds.map((seed) => ({ config: c.index, seed, settings: c.settings })));
      meta = {
        ...meta,
        configs: configs.length,
        trials: [...meta.trials, ...added.map((t, i) => ({ id: trialId(meta.specHash, t.settings, t.seed), trial: meta.trials.length + i, config: t.config, seed: t.seed, settings: t.settings }))],
      };
      folder.writeMeta(meta, text);
      trialIndex = new Map(meta.trials.map((t) => [t.id, t]));
      progress.log(`round ${round}/${search.rounds} of Bayesian optimization: ${next.map((c) => Object.entries(c.settings).map(([k, v]) => `${k}=${settingText(v)}`).join(" ")).join("; ")}`);
      }
    } finally {
      clearInterval(redraw);
      process.off("SIGINT", onSigint);
      progress.end();
      executor = undefined;
      await ex.close();
    }
    const list = folder.finish(meta, records, (performance.now() - t0) / 1000);
    // nothing recorded (stopped before the first trial): the folder is as it was, unless queued jobs
    // belong to it (a --resume collects them)
    const settled = claim?.settle(flags.queue !== undefined);
    claim = undefined;
    const stats = ranking(aggregate(list));
    const completed = list.filter((r) => r.status === "completed").length;
    const failed = list.filter((r) => r.status === "failed").length;
    const missing = meta.trials.length - completed - failed;
    if (flags.json) {
      printJson({ kind: "study", folder: dir, trials: meta.trials.length, completed, failed, missing, ranking: stats.map((c) => ({ rank: c.rank ?? null, config: c.config, settings: c.settings, evalCost: c.evalCost, evalViolations: c.evalViolations, finalJ: c.finalJ, completed: c.completed, failed: c.failed, evalEpisodes: meta.evaluation.episodes })) });
    } else {
      const out = process.stdout;
      out.write(`study ${stop ? "stopped" : "done"}: ${completed}/${meta.trials.length} trials completed, ${failed} failed${missing ? `, ${missing} not run` : ""}\n`);
      for (const c of stats.slice(0, 5)) {
        if (c.rank === undefined) continue;
        const s = Object.entries(c.settings).map(([k, v]) => `${k} = ${settingText(v)}`).join(", ") || "(as written)";
        out.write(`  #${c.rank} config ${c.config}: ${s}: eval cost median ${fmt(c.evalCost.median)} [${fmt(c.evalCost.min)}, ${fmt(c.evalCost.max)}], violations median ${fmt(c.evalViolations.median)} [${fmt(c.evalViolations.min)}, ${fmt(c.evalViolations.max)}] (${c.evalCost.n} seed(s) x ${meta.evaluation.episodes} held-out episode(s)${c.evalCost.n < c.completed ? `; ${c.completed - c.evalCost.n} seed(s) without a finite cost` : ""})\n`);
      }
      if (settled === "restored") out.write(`  nothing recorded: the study it replaced is back in ${dir}\n`);
      else if (settled === "removed") out.write(`  nothing recorded: ${dir} is as it was\n`);
      else out.write(`  study folder          ${dir}\n  report                ${join(dir, "study.html")}\n`);
      if ((stop || missing) && (settled === undefined || settled === "kept")) out.write(`  resume with           mpcrl study --resume ${dir}${flags.queue ? ` --queue ${flags.queue}` : ""}${flags.queueName ? ` --queue-name ${flags.queueName}` : ""}\n`);
    }
    if (stop) process.exitCode = 130;
    else if (failed > 0) raiseExitCode(1);
  } catch (err) {
    if (executor) await executor.close().catch(() => undefined);
    // failed: the trials it finished are kept (--resume); if none, the folder is as it was, unless
    // its trials are queued (a --resume collects them)
    const settled = claim?.settle(resumeCommand !== undefined);
    if (err instanceof CliError) {
      const hint = resumeCommand !== undefined && settled !== "restored" && settled !== "removed" ? ` (${resumeCommand})` : "";
      process.stderr.write(err.exitCode === 1 && err.message.includes("\n") ? err.message.replace(/\n?$/, "\n") : `mpcrl study: ${err.message}${hint}\n`);
      raiseExitCode(err.exitCode);
      return;
    }
    throw err;
  }
}

export function registerStudy(program: Command): void {
  program
    .command("study")
    .description("run every trial of the spec's study (grid/random settings x seeds) and rank the configurations; writes a study folder with study.html")
    .argument("[spec]", "the .mpcrl spec whose train block holds a `study { ... }`")
    .option("--workers <n>", "worker threads of the local pool (default: all cores)")
    .option("--out <dir>", "study folder (default runs/<spec>-study-<timestamp>)")
    .option("--force", "with --out: start over in a folder that holds a study")
    .option("--resume <dir>", "continue the study in this folder: completed trials are kept, the others run")
    .option("--queue <url>", "enqueue the trials on a BullMQ queue at this Redis URL (redis://host:6379) for `mpcrl worker`s")
    .option("--queue-name <name>", "the queue's name (default mpcrl-study)")
    .option("--json", "print the ranking as one JSON record")
    .option("--no-color", "disable colors in diagnostics")
    .action((spec: string | undefined, flags: StudyFlags) => runStudy(spec, flags));
}
