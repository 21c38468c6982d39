// worker_threads entry of the study pool (study_pool.ts): runs trials one after another as the
// parent sends them, and posts each outcome back. A failing trial is an outcome, not a crash.

import { parentPort } from "node:worker_threads";
import { runTrial, type TrialJob } from "./study_trial.js";

parentPort?.on("message", (job: TrialJob) => {
  runTrial(job).then(
    (outcome) => parentPort?.postMessage({ id: job.id, outcome }),
    (err: unknown) => parentPort?.postMessage({ id: job.id, outcome: { status: "failed", error: err instanceof Error ? err.message : String(err) } }),
  );
});
