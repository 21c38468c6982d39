// `mpcrl worker spec.mpcrl --queue redis://host:6379 [--concurrency N] [--queue-name NAME]`: run the
// trials that `mpcrl study spec.mpcrl --queue ...` enqueued, on N worker threads (default: all
// cores), until Ctrl-C (the first lets running trials finish; a second quits at once, and BullMQ
// hands those trials to other workers). The worker runs trials of its own spec only (the spec hash):
// others' trials are left for other workers. Exit codes: 0 stopped, 1 errors in the spec, 2 bad
// usage or an unreachable Redis.

import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { cannotReadMessage, raiseExitCode } from "./io.js";
import { configFromSettings } from "../compiler/study.js";
import { loadStudy } from "./study.js";
import { studyMeta, trialId } from "./study_folder.js";
import { CliError, parsePositiveInt } from "./train_setup.js";

export interface WorkerFlags {
  queue?: string;
  queueName?: string;
  concurrency?: string;
  lockMs?: string;
  color?: boolean;
}

export async function runWorker(specPath: string | undefined, flags: WorkerFlags): Promise<void> {
  try {
    if (specPath === undefined) throw new CliError("missing the spec file: mpcrl worker spec.mpcrl --queue redis://host:6379", 2);
    if (flags.queue === undefined) throw new CliError("missing --queue redis://host:6379 (the queue `mpcrl study --queue` fills)", 2);
    const concurrency = parsePositiveInt(flags.concurrency, "--concurrency") ?? availableParallelism();
    const lockMs = parsePositiveInt(flags.lockMs, "--lock-ms") ?? 30_000;
    let text: string;
    try {
      text = readFileSync(specPath, "utf8");
    } catch (err) {
      throw new CliError(cannotReadMessage(specPath, err, "the spec"), 2);
    }
    const study = loadStudy(specPath, text, flags.color);
    const meta = studyMeta(specPath, text, study);
    const log = (l: string): void => void process.stderr.write(`[worker ${process.pid}] ${l}\n`);
    const { startWorker } = await import("./study_queue.js");
    const w = await startWorker({
      url: flags.queue,
      ...(flags.queueName ? { name: flags.queueName } : {}),
      concurrency,
      lockMs,
      specHash: meta.specHash,
      // the configuration from the job's settings (Bayesian optimization proposes configurations
      // the expansion does not list), checked against the trial id
      trialJob: (d) => {
        const config = d.config < study.configs.length ? study.configs[d.config] : configFromSettings(text, study.plan, d.config, d.settings);
        if (trialId(meta.specHash, config.settings, d.seed) !== d.id) return undefined;
        return { id: d.id, specPath, source: config.source, seed: d.seed, evaluation: meta.evaluation };
      },
      log,
    });
    log(`ready: the study of ${specPath} (hash ${meta.specHash.slice(0, 12)}), ${concurrency} thread(s), queue ${flags.queue}`);
    await new Promise<void>((resolve) => {
      let closing = false;
      const stop = (): void => {
        if (closing) {
          log("quitting now: running trials go back to the queue when their locks expire");
          process.exit(130);
        }
        closing = true;
        log("finishing the running trials (Ctrl-C again to quit at once)");
        void w.close(false).then(resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    log("stopped");
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(err.exitCode === 1 && err.message.includes("\n") ? err.message.replace(/\n?$/, "\n") : `mpcrl worker: ${err.message}\n`);
      raiseExitCode(err.exitCode);
      return;
    }
    throw err;
  }
}

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description("run the trials of a study enqueued with `mpcrl study --queue` (BullMQ on Redis), until Ctrl-C")
    .argument("[spec]", "the study's .mpcrl spec (the same version as the study's: its hash is checked)")
    .option("--queue <url>", "the Redis URL of the queue, e.g. redis://host:6379")
    .option("--queue-name <name>", "the queue's name (default mpcrl-study)")
    .option("--concurrency <n>", "trials at once, one worker thread each (default: all cores)")
    .option("--lock-ms <ms>", "job lock in ms: a worker silent this long is presumed dead and its trial retried (default 30000)")
    .option("--no-color", "disable colors in diagnostics")
    .action((spec: string | undefined, flags: WorkerFlags) => runWorker(spec, flags));
}
