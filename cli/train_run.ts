// One training (or evaluation) run in one process or worker: prepare, build (runtime/learn/factory.ts), run, report.

import { writeReport } from "../runtime/report/html.js";
import { runTraining, type Progress, type RunResult } from "../runtime/run/driver.js";
import { jsonToTheta } from "../runtime/run/params.js";
import { episodeSteps, trainingEpisodes } from "../runtime/learn/factory.js";
import { CliError, parsePositiveInt, prepare, trainerFor, type CommonFlags } from "./train_setup.js";

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
}

export async function runJob(job: RunJob, onProgress?: (p: Progress) => void, shouldStop?: () => boolean): Promise<RunResult> {
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
    throw new CliError(`the plant has ${plant.nx} states and ${plant.nu} inputs but the controller has ${mpc.nx} and ${mpc.nu}`, 1);
  }
  const trainer = trainerFor(setup, mpc, plant, job.seed, job.learn);
  const episodesFlag = parsePositiveInt(job.flags.episodes, "--episodes");
  const settings = {
    ...setup.settings,
    seed: job.seed,
    episodes: job.episodeRange ? job.episodeRange[1] : trainingEpisodes(setup.spec, trainer, episodesFlag),
    steps: episodeSteps(setup.spec, trainer),
    mode: job.learn ? "train" : "eval",
    ...(job.learn ? {} : { algorithm: `eval (${setup.spec.algorithm} spec)` }),
  };
  return runTraining({
    dir: job.dir,
    trainer,
    layout: mpc.params,
    settings,
    resume: job.resume,
    shouldStop,
    onProgress,
    progressEvery: 25,
    firstEpisode: job.episodeRange?.[0],
    report: job.episodeRange ? undefined : writeReport,
  });
}
