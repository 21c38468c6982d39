// `mpcrl eval spec.mpcrl --params params.json [--episodes N] [--steps N] [--seed N | --seeds 1..8]
//  [--out DIR] [--disturbance FILE] [--plant module.ts]`: run the controller with fixed parameters
// (no learning) and report the same figures and report as `train`.

import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { raiseExitCode } from "./io.js";
import { ProgressReporter } from "./progress.js";
import { defaultRunDir, printMulti, printSummary } from "./train.js";
import { runSeeds } from "./train_multi.js";
import { runJob } from "./train_run.js";
import { availableParallelism } from "node:os";
import { jsonToTheta } from "../runtime/run/params.js";
import { evalEpisodesInParallel } from "./eval_parallel.js";
import { CliError, parsePositiveInt, parseSeed, parseSeeds, prepare, type CommonFlags } from "./train_setup.js";

export interface EvalFlags extends CommonFlags {
  params?: string;
  out?: string;
}

export async function runEval(specPath: string, flags: EvalFlags): Promise<void> {
  try {
    let params: unknown;
    if (flags.params !== undefined) {
      let text: string;
      try {
        text = readFileSync(flags.params, "utf8");
      } catch {
        throw new CliError(`cannot read the parameters file '${flags.params}'`, 2);
      }
      try {
        params = JSON.parse(text);
      } catch {
        throw new CliError(`'${flags.params}' is not valid JSON`, 2);
      }
    }
    const dir = flags.out ?? defaultRunDir(specPath, "-eval");
    const seeds = parseSeeds(flags.seeds);
    if (seeds && flags.seed !== undefined) throw new CliError("use either --seed or --seeds, not both", 2);
    const setup = await prepare(specPath, flags);
    if (seeds) {
      const m = await runSeeds({ specPath, flags, resume: false, learn: false, params }, seeds, dir, (l) => process.stderr.write(l + "\n"));
      printMulti(m, dir);
      return;
    }
    const seed = parseSeed(flags.seed) ?? setup.spec.seed;
    const episodes = parsePositiveInt(flags.episodes, "--episodes") ?? setup.spec.episodes;
    if (episodes > 1 && availableParallelism() > 1 && flags.plant === undefined) {
      // independent episodes: split over worker threads, merged into one folder
      const mpc = setup.createController();
      if (params !== undefined) {
        try {
          mpc.setTheta(jsonToTheta(mpc.params, params, mpc.getTheta()));
        } catch (err) {
          throw new CliError(`--params: ${err instanceof Error ? err.message : String(err)}`, 2);
        }
      }
      const settings = { ...setup.settings, seed, steps: setup.spec.steps, mode: "eval", algorithm: `eval (${setup.spec.algorithm} spec)` };
      process.stderr.write(`evaluating ${episodes} episodes on ${Math.min(episodes, availableParallelism())} worker threads\n`);
      const s = await evalEpisodesInParallel({ specPath, flags, seed, resume: false, learn: false, params }, episodes, dir, mpc.params, mpc.getTheta(), settings);
      printSummary(s, dir, "evaluation");
      return;
    }
    const progress = new ProgressReporter(process.stderr);
    const r = await runJob({ specPath, flags, seed, dir, resume: false, learn: false, params }, (p) => progress.update(p));
    progress.done();
    printSummary(r.summary, dir, "evaluation");
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
    .option("--out <dir>", "run folder (default runs/<spec>-eval-<timestamp>)")
    .option("--disturbance <file>", "replay a recorded disturbance")
    .option("--plant <module>", "a TypeScript plant module instead of the spec's plant")
    .option("--no-color", "disable colors in diagnostics")
    .action((spec: string, flags: EvalFlags) => runEval(spec, flags));
}
