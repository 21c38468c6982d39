// Multi-seed runs on worker threads (one job per seed, at most one worker per core), and the
// aggregate of their summaries: median and range of J and of the last violating step.

import { availableParallelism } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { RunSummary } from "../runtime/run/summary.js";
import { firstMissingFolder, removeMadeFolders } from "../runtime/run/folders.js";
import type { Verdict } from "../runtime/learn/verdict.js";
import type { RunJob } from "./train_run.js";
import { CliError } from "./train_setup.js";

export type WorkerReply =
  | { ok: true; seed: number; dir: string; summary: RunSummary; verdict?: Verdict }
  | { ok: false; seed: number; message: string; exitCode: 1 | 2 };

export function spawnJob(job: RunJob): Promise<WorkerReply> {
  const self = import.meta.url;
  const isTs = self.endsWith(".ts");
  const url = new URL(isTs ? "./train_worker.ts" : "./train_worker.js", self);
  // Run from sources (tsx): a tiny ESM bootstrap registers tsx's loader in the worker first (a
  // --plant module needs none: runtime/plants/module.ts bundles it with esbuild)
  const entry = isTs
    ? new URL(
        "data:text/javascript," +
          encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))}; register(); await import(${JSON.stringify(url.href)});`),
      )
    : url;
  return new Promise((resolvePromise, reject) => {
    const w = new Worker(entry, { workerData: job });
    let replied = false;
    w.on("message", (m: WorkerReply) => {
      replied = true;
      resolvePromise(m);
    });
    w.on("error", reject);
    w.on("exit", (code) => {
      if (!replied) reject(new Error(`the worker for seed ${job.seed} exited with code ${code}`));
    });
  });
}

export interface Stats {
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly values: (number | null)[];
}

export function stats(values: (number | null)[]): Stats {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  const median = v.length === 0 ? null : v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return { median, min: v[0] ?? null, max: v[v.length - 1] ?? null, values };
}

export interface MultiSummary {
  readonly seeds: number[];
  readonly J: Stats;
  readonly lastViolatingStep: Stats;
  readonly violatingSteps: Stats;
  /** Wall time of all seeds together, in seconds. */
  readonly wallTimeSeconds: number;
  readonly runs: { seed: number; dir: string; J: number; lastViolatingStep: number | null; verdict?: string; outcome?: Verdict["outcome"] }[];
  /** Training with the verdict: how many seeds' verdicts had each outcome (each seed's verdict.json has the rest). */
  readonly verdicts?: Record<Verdict["outcome"], number>;
}

function countOutcomes(outcomes: (Verdict["outcome"] | undefined)[]): Record<Verdict["outcome"], number> {
  const c = { helped: 0, no_difference: 0, worse: 0, inconclusive: 0 };
  for (const o of outcomes) if (o !== undefined) c[o]++;
  return c;
}

export async function runSeeds(
  base: Omit<RunJob, "seed" | "dir">,
  seeds: readonly number[],
  outDir: string,
  log: (line: string) => void,
): Promise<MultiSummary> {
  // the folder is made by the first seed's run (its writer) or for summary.json; a job every worker
  // refuses (a bad --params or plant) leaves no empty folder behind
  const madeFrom = firstMissingFolder(outDir);
  const t0 = performance.now();
  const pool = Math.max(1, Math.min(availableParallelism(), seeds.length));
  const results: { seed: number; dir: string; summary: RunSummary; verdict?: Verdict }[] = [];
  let next = 0;
  let failure: CliError | null = null;
  const worker = async (): Promise<void> => {
    while (next < seeds.length && failure === null) {
      const seed = seeds[next++];
      const dir = join(outDir, `seed-${seed}`);
      // a worker that dies without a reply is this seed's failure, reported like a refused job
      const r = await spawnJob({ ...base, seed, dir }).catch((err: unknown): WorkerReply => ({ ok: false, seed, message: err instanceof Error ? err.message : String(err), exitCode: 2 }));
      if (!r.ok) {
        failure = new CliError(`seed ${seed}: ${r.message}`, r.exitCode);
        return;
      }
      log(`seed ${seed}: J = ${r.summary.J.toFixed(4)}, last violating step ${r.summary.lastViolatingStep ?? "none"}, ${r.summary.wallTime.toFixed(2)} s${r.verdict ? `; ${r.verdict.line}` : ""}`);
      results.push({ seed, dir: r.dir, summary: r.summary, ...(r.verdict ? { verdict: r.verdict } : {}) });
    }
  };
  await Promise.all(Array.from({ length: pool }, worker));
  if (failure) {
    // a seed's folder that holds anything is kept (completed seeds, a failed run's files)
    removeMadeFolders(outDir, madeFrom);
    throw failure;
  }
  results.sort((a, b) => a.seed - b.seed);
  const summary: MultiSummary = {
    seeds: results.map((r) => r.seed),
    J: stats(results.map((r) => r.summary.J)),
    lastViolatingStep: stats(results.map((r) => r.summary.lastViolatingStep)),
    violatingSteps: stats(results.map((r) => r.summary.violatingSteps)),
    wallTimeSeconds: (performance.now() - t0) / 1000,
    runs: results.map((r) => ({
      seed: r.seed,
      dir: r.dir,
      J: r.summary.J,
      lastViolatingStep: r.summary.lastViolatingStep,
      ...(r.verdict ? { verdict: r.verdict.line, outcome: r.verdict.outcome } : {}),
    })),
    ...(base.verdict && base.learn ? { verdicts: countOutcomes(results.map((r) => r.verdict?.outcome)) } : {}),
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  return summary;
}

