// Studies on a BullMQ queue (docs/studies.md, "Distributed"). Node only; loaded only with --queue
// and by `mpcrl worker`. The study enqueues one job per pending trial, its job id the trial id, so a
// trial is never queued twice and a finished one is never run again (re-adding an existing id is a
// no-op: a resumed study collects results computed while it was away). Workers run trials on their
// thread pool (the event loop stays free to renew job locks); a worker that dies stops renewing, and
// BullMQ's stalled-job check hands its trial to another worker. A worker started with another
// version of the spec refuses the job (spec hash): it goes back to the queue, delayed, for others.

import { hostname } from "node:os";
import { DelayedError, Job, Queue, UnrecoverableError, Worker, type ConnectionOptions } from "bullmq";
import { Redis } from "ioredis";
import type { TrialOutcome } from "../runtime/study/types.js";
import type { TrialExecutor } from "./study.js";
import type { StudyMeta, TrialInfo } from "./study_folder.js";
import { TrialPool } from "./study_pool.js";
import type { TrialJob } from "./study_trial.js";
import { CliError } from "./train_setup.js";

export const DEFAULT_QUEUE_NAME = "mpcrl-study";
const ATTEMPTS = 3;

/** What a job carries: the trial's identity and settings; the worker builds the trial from its own spec. */
export interface TrialJobData {
  readonly specHash: string;
  readonly spec: string;
  readonly id: string;
  readonly trial: number;
  readonly config: number;
  readonly seed: number;
  readonly settings: TrialInfo["settings"];
}

/** What a job returns: the trial's outcome and where/how long it ran. */
export interface TrialJobResult {
  readonly outcome: TrialOutcome;
  readonly wallTime: number;
  readonly host: string;
}

/** Connection options from a redis:// URL (host, port, db, user, password; rediss:// uses TLS). */
export function connectionOf(url: string): { host: string; port: number; db?: number; username?: string; password?: string; tls?: object } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CliError(`--queue expects a Redis URL like redis://host:6379, got '${url}'`, 2);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new CliError(`--queue expects a redis:// or rediss:// URL, got '${url}'`, 2);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new CliError(`--queue: '${u.pathname.slice(1)}' is not a database number`, 2);
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    ...(db !== undefined ? { db } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
  };
}

/** Fails fast (CliError, exit 2) when Redis cannot be reached: no retry loop, no hang. */
export async function probeRedis(url: string, timeoutMs = 3000): Promise<void> {
  const c = connectionOf(url);
  const r = new Redis({ ...c, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let first: Error | undefined;
  r.on("error", (err: Error) => (first ??= err));
  try {
    await Promise.race([
      r.connect().then(() => r.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs).unref()),
    ]);
  } catch (err) {
    const e = first ?? err;
    const msg = e instanceof Error ? e.message : String(e);
    throw new CliError(`cannot reach Redis at ${url}: ${msg.replace(/^connect /, "")}`, 2);
  } finally {
    r.disconnect();
  }
}

/** A BullMQ connection: fails requests instead of queueing them forever while Redis is down. */
function bullConnection(url: string): ConnectionOptions {
  return { ...connectionOf(url), maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(200 * times, 2000) };
}

/** How long a study waits for a Redis that stopped answering before it gives up (exit 2). */
export const DEFAULT_REDIS_GRACE_MS = 30_000;

export class QueueExecutor implements TrialExecutor {
  private active = 0;
  /** When Redis last answered; since when it has not (undefined: it answers). */
  private lostSince: number | undefined;
  private lastError = "";
  private constructor(
    private readonly queue: Queue,
    private readonly url: string,
    private readonly meta: StudyMeta,
    private readonly log: (line: string) => void,
    private readonly graceMs: number,
  ) {}

  /** `meta`: the study (its spec hash and path go into every job); `log`: a line once trials are queued;
   *  `graceMs`: how long Redis may stop answering mid-study before `run` fails (a CliError, exit 2). */
  static async connect(url: string, name: string | undefined, meta: StudyMeta, log: (line: string) => void = () => undefined, graceMs = DEFAULT_REDIS_GRACE_MS): Promise<QueueExecutor> {
    await probeRedis(url);
    const queue = new Queue(name ?? DEFAULT_QUEUE_NAME, { connection: bullConnection(url) });
    const ex = new QueueExecutor(queue, url, meta, log, graceMs);
    queue.on("error", (err: Error) => (ex.lastError = err.message));
    return ex;
  }

  /**
   * A Redis request that must answer within the grace period: BullMQ's connection queues requests
   * while it reconnects, so a Redis gone away would otherwise hang the study without a word. Says
   * once that Redis is not answering, retries, and gives up with a CliError once the grace period
   * is over (the trials collected so far are recorded: --resume collects the rest).
   */
  private async ask<T>(request: () => Promise<T>): Promise<T> {
    for (;;) {
      const waitMs = this.lostSince === undefined ? this.graceMs : Math.max(0, this.lostSince + this.graceMs - Date.now());
      let timer: NodeJS.Timeout | undefined;
      try {
        const answer = await Promise.race([
          request(),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(this.graceMs / 1000)} s`)), Math.min(waitMs, 5000)))),
        ]);
        if (this.lostSince !== undefined) this.log(`Redis at ${this.url} answers again`);
        this.lostSince = undefined;
        return answer;
      } catch (err) {
        const why = this.lastError || (err instanceof Error ? err.message : String(err));
        if (this.lostSince === undefined) {
          this.lostSince = Date.now();
          this.log(`Redis at ${this.url} does not answer (${why}): waiting up to ${Math.round(this.graceMs / 1000)} s`);
        }
        if (Date.now() - this.lostSince >= this.graceMs) {
          throw new CliError(`lost Redis at ${this.url}: no answer for ${Math.round(this.graceMs / 1000)} s (${why}); the trials collected so far are recorded and the queued jobs stay in Redis: resume once it is back`, 2);
        }
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        clearTimeout(timer);
      }
    }
  }

  running(): number {
    return this.active;
  }

  async run(trials: readonly TrialInfo[], finished: Parameters<TrialExecutor["run"]>[1], stopped: () => boolean): Promise<void> {
    const pending = new Map<string, TrialInfo>();
    for (const t of trials) {
      pending.set(t.id, t);
      const data: TrialJobData = { specHash: this.meta.specHash, spec: this.meta.spec, id: t.id, trial: t.trial, config: t.config, seed: t.seed, settings: t.settings };
      await this.ask(() => this.queue.add("trial", data, { jobId: t.id, attempts: ATTEMPTS, backoff: { type: "fixed", delay: 1000 }, removeOnComplete: false, removeOnFail: false }));
      // a job that failed for good in an earlier session runs again
      const job = await this.ask(() => Job.fromId<TrialJobData, TrialJobResult>(this.queue, t.id));
      if (job && (await this.ask(() => job.getState())) === "failed") await this.ask(() => job.retry("failed"));
    }
    this.log(`enqueued ${trials.length} trials on the queue ${this.queue.name} (finished ones are collected, not run again)`);
    while (pending.size > 0 && !stopped()) {
      let active = 0;
      for (const [id, t] of [...pending]) {
        if (stopped()) break;
        const job = await this.ask(() => Job.fromId<TrialJobData, TrialJobResult>(this.queue, id));
        if (!job) {
          // removed from Redis by someone: enqueue it again
          const data: TrialJobData = { specHash: this.meta.specHash, spec: this.meta.spec, id: t.id, trial: t.trial, config: t.config, seed: t.seed, settings: t.settings };
          await this.ask(() => this.queue.add("trial", data, { jobId: t.id, attempts: ATTEMPTS, backoff: { type: "fixed", delay: 1000 }, removeOnComplete: false, removeOnFail: false }));
          continue;
        }
        const state = await this.ask(() => job.getState());
        if (state === "completed" && job.returnvalue) {
          pending.delete(id);
          finished(t, job.returnvalue.outcome, job.returnvalue.wallTime, job.returnvalue.host);
        } else if (state === "failed") {
          pending.delete(id);
          finished(t, { status: "failed", error: `the job failed ${job.attemptsMade} time(s): ${job.failedReason}` }, 0, "");
        } else if (state === "active") active++;
      }
      this.active = active;
      if (pending.size > 0 && !stopped()) await new Promise((r) => setTimeout(r, 300));
    }
  }

  async close(): Promise<void> {
    // with Redis gone, closing would wait for it: give up after a second
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue.close().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    await this.queue.disconnect().catch(() => undefined);
  }
}

export interface WorkerOptions {
  readonly url: string;
  readonly name?: string;
  readonly concurrency: number;
  /** Job lock (ms): a worker that stops renewing it for this long is stalled and its trial retried. */
  readonly lockMs: number;
  readonly specHash: string;
  /** The trial job of a job of this spec (undefined: its id is not its settings' and seed's). */
  readonly trialJob: (data: TrialJobData) => TrialJob | undefined;
  readonly log: (line: string) => void;
}

/** A BullMQ worker running this spec's trials on `concurrency` threads; resolves with a closer. */
export async function startWorker(o: WorkerOptions): Promise<{ close(force: boolean): Promise<void> }> {
  await probeRedis(o.url);
  const pool = new TrialPool(o.concurrency);
  const host = hostname();
  const refusedHashes = new Set<string>();
  const worker = new Worker<TrialJobData, TrialJobResult>(
    o.name ?? DEFAULT_QUEUE_NAME,
    async (job, token) => {
      const d = job.data;
      if (d.specHash !== o.specHash) {
        if (!refusedHashes.has(d.specHash)) {
          refusedHashes.add(d.specHash);
          o.log(`refusing trials of another spec version (${d.spec}, hash ${d.specHash.slice(0, 12)}; this worker's is ${o.specHash.slice(0, 12)}): they stay queued for other workers`);
        }
        await job.moveToDelayed(Date.now() + 2000, token);
        throw new DelayedError();
      }
      const tj = o.trialJob(d);
      if (!tj) throw new UnrecoverableError(`trial ${d.id} is not the trial of its settings and seed in this spec`);
      o.log(`start ${d.id} (trial ${d.trial + 1}, config ${d.config}, seed ${d.seed}, attempt ${job.attemptsMade + 1})`);
      const t0 = performance.now();
      const outcome = await pool.run(tj);
      const wallTime = (performance.now() - t0) / 1000;
      o.log(`done ${d.id} ${outcome.status} in ${wallTime.toFixed(1)} s`);
      return { outcome, wallTime, host };
    },
    {
      connection: bullConnection(o.url),
      concurrency: o.concurrency,
      lockDuration: o.lockMs,
      stalledInterval: Math.max(500, Math.floor(o.lockMs / 2)),
      maxStalledCount: 3,
    },
  );
  worker.on("error", (err) => o.log(`queue error: ${err.message}`));
  await worker.waitUntilReady();
  return {
    close: async (force: boolean) => {
      await worker.close(force);
      await pool.close();
    },
  };
}
