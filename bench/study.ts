// `npm run bench:study [-- spec.mpcrl [K]]`: trials per minute of a study (default: the 12 short trials
// of cli/test/fixtures/study_tiny.mpcrl) run sequentially in this process, on the local pool with
// 1 and all cores' worker threads, and through a BullMQ queue on a redis-server started here (one
// worker, 1 thread: the queue's overhead per trial against the 1-thread pool; skipped without
// redis-server). K: only the first K trials. The pool's times include starting its threads (one module load per thread).

import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, loadavg } from "node:os";
import { loadStudy, trialJob } from "../cli/study.js";
import { studyMeta, type TrialInfo } from "../cli/study_folder.js";
import { TrialPool } from "../cli/study_pool.js";
import { runTrial } from "../cli/study_trial.js";

const specPath = process.argv[2] ?? "cli/test/fixtures/study_tiny.mpcrl";
const text = readFileSync(specPath, "utf8");
const study = loadStudy(specPath, text, false);
const all = studyMeta(specPath, text, study);
const limit = process.argv[3] !== undefined ? Number(process.argv[3]) : all.trials.length;
const meta = { ...all, trials: all.trials.slice(0, limit) };
const job = (t: TrialInfo) => trialJob(meta, study.configs, specPath, t);
const n = meta.trials.length;
const rows: [string, number][] = [];
const report = (what: string, seconds: number): void => {
  rows.push([what, seconds]);
  console.log(`${what.padEnd(34)} ${seconds.toFixed(2).padStart(8)} s  ${((n / seconds) * 60).toFixed(1).padStart(7)} trials/min`);
};
console.log(`${n} trials of ${specPath}; ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

let t0 = performance.now();
for (const t of meta.trials) await runTrial(job(t));
report("sequential (this process)", (performance.now() - t0) / 1000);

for (const size of [...new Set([1, availableParallelism()])]) {
  const pool = new TrialPool(size);
  t0 = performance.now();
  await Promise.all(meta.trials.map((t) => pool.run(job(t))));
  report(`local pool, ${size} thread(s)`, (performance.now() - t0) / 1000);
  await pool.close();
}

if (spawnSync("redis-server", ["--version"]).status !== 0) {
  console.log("queue: skipped (no redis-server)");
} else {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  try {
    const url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 50 && spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout?.trim() !== "PONG"; i++) await new Promise((r) => setTimeout(r, 100));
    const { QueueExecutor, startWorker } = await import("../cli/study_queue.js");
    const byId = new Map(meta.trials.map((t) => [t.id, t]));
    const worker = await startWorker({ url, concurrency: 1, lockMs: 30_000, specHash: meta.specHash, trialJob: (d) => job(byId.get(d.id)!), log: () => undefined });
    const ex = await QueueExecutor.connect(url, undefined, meta);
    t0 = performance.now();
    let done = 0;
    await ex.run(meta.trials, () => void done++, () => false);
    const q = (performance.now() - t0) / 1000;
    report("queue (BullMQ), 1 worker x 1 thread", q);
    await ex.close();
    await worker.close(false);
    const pool1 = rows.find((r) => r[0] === "local pool, 1 thread(s)")![1];
    console.log(`queue overhead per trial (vs the 1-thread pool): ${(((q - pool1) / n) * 1000).toFixed(0)} ms (${done} results collected by polling every 300 ms)`);
  } finally {
    redis.kill("SIGTERM");
  }
}
process.exit(0);
