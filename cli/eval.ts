// `mpcrl eval spec.mpcrl --params params.json [--episodes N] [--steps N] [--seed N | --seeds 1..8]
//  [--out DIR [--force]] [--disturbance FILE] [--plant module.ts] [--json]`: run the controller with
// fixed parameters (no learning) and report the same figures and report as `train` (`--json`: the
// summary as one JSON record). `--out` never overwrites a run folder unless `--force` is given.

import type { Command } from "commander";
import { FileReadError, raiseExitCode, readJsonFile } from "./io.js";
import { ProgressReporter } from "./progress.js";
import { checkRunDir, claimRunDir, defaultRunDir, printMulti, printSummary, withClaim } from "./train.js";
import { runSeeds } from "./train_multi.js";
import { buildJob, runJob } from "./train_run.js";
import { availableParallelism } from "node:os";
import { evalEpisodesInParallel } from "./eval_parallel.js";
import { CliError, parsePositiveInt, parseSeed, parseSeeds, prepare, type CommonFlags } from "./train_setup.js";

export interface EvalFlags extends CommonFlags {
  params?: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

export async function runEval(specPath: string, flags: EvalFlags): Promise<void> {
  try {
    let params: unknown;
    if (flags.params !== undefined) {
      try {
        params = readJsonFile(flags.params, "the parameters file");
      } catch (err) {
        if (err instanceof FileReadError) throw new CliError(err.message, 2);
        throw err;
      }
    }
    const dir = flags.out ?? defaultRunDir(specPath, "-eval");
    const seeds = parseSeeds(flags.seeds);
    if (seeds && flags.seed !== undefined) throw new CliError("use either --seed or --seeds, not both", 2);
    const setup = await prepare(specPath, flags);
    for (const n of setup.notes) process.stderr.write(`mpcrl eval: note: ${n}\n`);
    // refused at once if it holds a run (without --force); claimed (created, or an old run replaced)
    // only once every input is checked
    checkRunDir(dir, flags.force, "eval");
    if (seeds) {
      // the workers build the same job with other seeds: a refused --params, plant or controller
      // fails here, before the folder exists (it was left behind empty when a worker refused it)
      await buildJob({ specPath, flags, seed: seeds[0], dir, resume: false, learn: false, params });
      const m = await withClaim(
        () => claimRunDir(dir, flags.force, "eval"),
        (claimNow) => {
          claimNow();
          return runSeeds({ specPath, flags, resume: false, learn: false, params }, seeds, dir, (l) => process.stderr.write(l + "\n"));
        },
      );
      printMulti(m, dir, "evaluation", flags.json);
      return;
    }
    const seed = parseSeed(flags.seed) ?? setup.spec.seed;
    const episodes = parsePositiveInt(flags.episodes, "--episodes") ?? setup.spec.episodes;
    if (episodes > 1 && availableParallelism() > 1 && flags.plant === undefined) {
      // independent episodes: split over worker threads, merged into one folder; the job (with
      // --params and the plant) is built here first, so a worker cannot refuse it after the claim
      const { mpc } = await buildJob({ specPath, flags, seed, dir, resume: false, learn: false, params });
      const settings = { ...setup.settings, seed, steps: setup.spec.steps, mode: "eval", algorithm: `eval (${setup.spec.algorithm} spec)` };
      const s = await withClaim(
        () => claimRunDir(dir, flags.force, "eval"),
        (claimNow) => {
          claimNow();
          process.stderr.write(`evaluating ${episodes} episodes on ${Math.min(episodes, availableParallelism())} worker threads\n`);
          return evalEpisodesInParallel({ specPath, flags, seed, resume: false, learn: false, params }, episodes, dir, mpc.params, mpc.getTheta(), settings);
        },
      );
      printSummary(s, dir, "evaluation", flags.json);
      return;
    }
    const progress = new ProgressReporter(process.stderr);
    const r = await withClaim(
      () => claimRunDir(dir, flags.force, "eval"),
      (claimNow) => runJob({ specPath, flags, seed, dir, resume: false, learn: false, params }, (p) => progress.update(p), undefined, undefined, claimNow),
    );
    progress.done();
    printSummary(r.summary, dir, "evaluation", flags.json);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(err.exitCode === 1 ? err.message.replace(/\n?$/, "\n") : `mpcrl eval: ${err.message}\n`);
      raiseExitCode(err.exitCode);
      return;
    }
    throw err;
  }
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("run the controller of a spec with fixed parameters (no learning) and report")
    .argument("<spec>", "the .mpcrl spec")
    .option("--params <file>", "parameters JSON (e.g. a run's params.json; default: the spec's initial values)")
    .option("--episodes <n>", "number of episodes")
    .option("--steps <n>", "steps per episode")
    .option("--seed <n>", "seed")
    .option("--seeds <range>", "several seeds in parallel workers, e.g. 1..8")
    .option("--out <dir>", "run folder (default runs/<spec>-eval-<timestamp>); an existing run there is not overwritten")
    .option("--force", "with --out: overwrite the run already in that folder")
    .option("--disturbance <file>", "replay a recorded disturbance")
    .option("--plant <module>", "a TypeScript plant module instead of the spec's plant")
    .option("--json", "print the run's summary as one JSON record (times in seconds: wallTimeSeconds)")
    .option("--no-color", "disable colors in diagnostics")
    .action((spec: string, flags: EvalFlags) => runEval(spec, flags));
}
