// One training (or evaluation) run in one process or worker: prepare, build (runtime/learn/factory.ts), run, report.

import { writeReport } from "../runtime/report/html.js";
import { runTraining, type Progress, type RunResult } from "../runtime/run/driver.js";
import { writeRunVerdict } from "../runtime/run/verdict.js";
import { verdictProtocol, type EvaluationProtocol, type Verdict, type VerdictRequest } from "../runtime/learn/verdict.js";
import { jsonToTheta } from "../runtime/run/params.js";
import { episodeSteps, trainingEpisodes } from "../runtime/learn/factory.js";
import type { EpisodicTrainer } from "../runtime/learn/types.js";
import type { Plant } from "../runtime/plants/types.js";
import { PlantRuntimeError } from "../runtime/plants/module.js";
import { CliError, parsePositiveInt, prepare, specRecordOf, trainerFor, type CommonFlags, type Setup } from "./train_setup.js";

export interface RunJob {
  readonly specPath: string;
  readonly flags: CommonFlags;
  readonly seed: number;
  readonly dir: string;
  readonly resume: boolean;
  readonly learn: boolean;
  /** Parameters to start from (eval): JSON object by name. */
  readonly params?: unknown;
  /** Only these episodes [first, end) (parallel evaluation); no report is written. */
  readonly episodeRange?: readonly [number, number];
  /** The spec's text, when it is not the file's (a study's trial). */
  readonly source?: string;
  /** Training only: after a completed run, evaluate theta0 and the learned parameters on held-out
   *  episodes and write verdict.json (runtime/run/verdict.ts); absent: no verdict (`--no-eval`). */
  readonly verdict?: VerdictRequest;
}

export type JobResult = RunResult & { readonly verdict?: Verdict };

/** Everything a run needs before it writes a file: the spec, the controller with `--params`, the plant and the trainer. */
export interface BuiltJob {
  readonly setup: Setup;
  readonly mpc: ReturnType<Setup["createController"]>;
  readonly plant: Plant;
  readonly trainer: EpisodicTrainer;
}

/**
 * Builds the job's spec, controller (with `--params`), plant and trainer, or throws a CliError:
 * every check of the inputs that can fail does so here, before the run folder is touched (so
 * `--out DIR --force` deletes the old run only once the new one is known to start).
 */
export async function buildJob(job: RunJob): Promise<BuiltJob> {
  const setup = await prepare(job.specPath, { ...job.flags, seed: String(job.seed) }, job.source);
  const mpc = setup.createController();
  if (job.params !== undefined) {
    try {
      mpc.setTheta(jsonToTheta(mpc.params, job.params, mpc.getTheta()));
    } catch (err) {
      throw new CliError(`--params: ${err instanceof Error ? err.message : String(err)}`, 2);
    }
  }
  const plant = await setup.createPlant();
  if (plant.nx !== mpc.nx || plant.nu !== mpc.nu) {
    // exit 1 messages are printed as they are (rendered diagnostics): this one names its file like them
    throw new CliError(`${job.flags.plant ?? job.specPath}: the plant has ${plant.nx} states and ${plant.nu} inputs but the controller has ${mpc.nx} and ${mpc.nu}`, 1);
  }
  // (a --plant module whose reset() or step() throws or answers wrongly fails at the run's first
  // episode: the run then removes what it made and an old run it replaced is put back, RunDirClaim;
  // no trial reset here, which would advance a stateful module or leave an extra instance open)
  const trainer = trainerFor(setup, mpc, plant, job.seed, job.learn);
  return { setup, mpc, plant, trainer };
}

/** Runs `f`; a --plant module that fails while running (PlantRuntimeError) becomes a one-line CliError (exit 2), not an internal error. */
async function plantCall<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof PlantRuntimeError) throw new CliError(`--plant: ${err.message}`, 2);
    throw err;
  }
}

/** `beforeRun`: called once the job is built, just before the first file is written (e.g. claiming `--out`). */
export async function runJob(
  job: RunJob,
  onProgress?: (p: Progress) => void,
  shouldStop?: () => boolean,
  onVerdictStart?: (p: EvaluationProtocol) => void,
  beforeRun?: () => void,
): Promise<JobResult> {
  return plantCall(() => runBuiltJob(job, onProgress, shouldStop, onVerdictStart, beforeRun));
}

async function runBuiltJob(
  job: RunJob,
  onProgress?: (p: Progress) => void,
  shouldStop?: () => boolean,
  onVerdictStart?: (p: EvaluationProtocol) => void,
  beforeRun?: () => void,
): Promise<JobResult> {
  const { setup, mpc, trainer } = await buildJob(job);
  const episodesFlag = parsePositiveInt(job.flags.episodes, "--episodes");
  const settings = {
    ...setup.settings,
    seed: job.seed,
    episodes: job.episodeRange ? job.episodeRange[1] : trainingEpisodes(setup.spec, trainer, episodesFlag),
    steps: episodeSteps(setup.spec, trainer),
    mode: job.learn ? "train" : "eval",
    ...(job.learn ? {} : { algorithm: `eval (${setup.spec.algorithm} spec)` }),
  };
  const wantVerdict = job.verdict !== undefined && job.learn && !job.episodeRange;
  const report = job.episodeRange ? undefined : writeReport;
  beforeRun?.();
  const result = await runTraining({
    dir: job.dir,
    trainer,
    layout: mpc.params,
    settings,
    resume: job.resume,
    shouldStop,
    onProgress,
    progressEvery: 25,
    firstEpisode: job.episodeRange?.[0],
    report: wantVerdict ? undefined : report,
    // a training's checkpoints record its spec: --resume refuses the run under an edited one
    ...(job.learn ? { spec: specRecordOf(job.specPath, setup.source), specPath: job.specPath } : {}),
  });
  if (!wantVerdict) return result;
  if (result.status !== "completed") {
    writeReport(job.dir);
    return result;
  }
  const { protocol, notes } = verdictProtocol(job.verdict!, settings.steps, job.seed);
  if (job.flags.disturbance !== undefined) {
    notes.push(`--disturbance: the held-out episodes replay the recorded disturbance that training saw (from its first step), so they are not held out; the verdict compares the parameters on that sequence`);
  }
  onVerdictStart?.(protocol);
  const verdict = await writeRunVerdict({
    dir: job.dir,
    settings: result.summary.settings,
    protocol,
    thetaInitial: setup.createController().getTheta(), // theta0: the spec's initial values
    thetaLearned: trainer.getTheta(),
    controller: () => setup.createController(),
    plant: () => setup.createPlant(),
    inputLower: setup.inputLower,
    inputUpper: setup.inputUpper,
    notes,
  });
  writeReport(job.dir);
  return { ...result, verdict };
}
