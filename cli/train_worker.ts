// worker_threads entry for multi-seed runs: runs one job and posts its summary (or error) back.

import { parentPort, workerData } from "node:worker_threads";
import { runJob, type RunJob } from "./train_run.js";
import { CliError } from "./train_setup.js";

const job = workerData as RunJob;
try {
  const result = await runJob(job);
  parentPort?.postMessage({ ok: true, seed: job.seed, dir: job.dir, summary: result.summary, ...(result.verdict ? { verdict: result.verdict } : {}) });
} catch (err) {
  parentPort?.postMessage({
    ok: false,
    seed: job.seed,
    message: err instanceof Error ? err.message : String(err),
    exitCode: err instanceof CliError ? err.exitCode : 2,
  });
}
