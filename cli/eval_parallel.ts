// Parallel evaluation episodes: without learning, episodes are independent (each resets the plant
// with its own seed and the controller's warm start), so `mpcrl eval --episodes N` splits them
// over worker threads (one per core) and merges the parts into one run folder whose files equal
// a sequential run's (runtime/run/merge.ts renumbers the global steps in episode order).

import { availableParallelism } from "node:os";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeReport } from "../runtime/report/html.js";
import { mergeMetricsParts } from "../runtime/run/merge.js";
import { summarizeRun, type RunSummary } from "../runtime/run/summary.js";
import type { ParamLayout } from "../runtime/mpc/types.js";
import { spawnJob, type WorkerReply } from "./train_multi.js";
import { firstMissingFolder, removeMadeFolders } from "../runtime/run/folders.js";
import type { RunJob } from "./train_run.js";
import { CliError } from "./train_setup.js";

export async function evalEpisodesInParallel(
  job: Omit<RunJob, "dir" | "episodeRange">,
  episodes: number,
  dir: string,
  layout: readonly ParamLayout[],
  theta: ArrayLike<number>,
  settings: Record<string, unknown>,
): Promise<RunSummary> {
  const t0 = performance.now();
  const workers = Math.max(1, Math.min(availableParallelism(), episodes));
  const per = Math.ceil(episodes / workers);
  const parts: { dir: string; range: [number, number] }[] = [];
  for (let w = 0; w < workers; w++) {
    const range: [number, number] = [w * per, Math.min(episodes, (w + 1) * per)];
    if (range[0] < range[1]) parts.push({ dir: join(dir, `.part-${w}`), range });
  }
  // the parts' writers make the folder; a failed part leaves neither its half-written part folders
  // (scratch of the merge, no run) nor a folder this call made
  const madeFrom = firstMissingFolder(dir);
  const replies = await Promise.all(parts.map((p) => spawnJob({ ...job, dir: p.dir, episodeRange: p.range }).catch((err: unknown): WorkerReply => ({ ok: false, seed: job.seed, message: err instanceof Error ? err.message : String(err), exitCode: 2 }))));
  const failed = replies.find((r): r is Extract<WorkerReply, { ok: false }> => !r.ok);
  if (failed !== undefined) {
    for (const p of parts) rmSync(p.dir, { recursive: true, force: true });
    removeMadeFolders(dir, madeFrom);
    throw new CliError(failed.message, failed.exitCode);
  }
  // merge: step lines renumbered, episode lines kept, in episode order (runtime/run/merge.ts)
  const merged = mergeMetricsParts(parts.map((p) => ({ jsonl: readFileSync(join(p.dir, "metrics.jsonl"), "utf8"), csv: readFileSync(join(p.dir, "metrics.csv"), "utf8") })));
  writeFileSync(join(dir, "metrics.jsonl"), merged.jsonl);
  writeFileSync(join(dir, "metrics.csv"), merged.csv);
  writeFileSync(join(dir, "params-history.jsonl"), readFileSync(join(parts[0].dir, "params-history.jsonl"), "utf8"));
  writeFileSync(join(dir, "params.json"), readFileSync(join(parts[0].dir, "params.json"), "utf8"));
  for (const p of parts) rmSync(p.dir, { recursive: true, force: true });
  const summary = summarizeRun(dir, { ...settings, episodes, workers: parts.length }, layout, theta, "completed", (performance.now() - t0) / 1000);
  writeFileSync(join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  writeReport(dir);
  return summary;
}
