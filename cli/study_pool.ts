// A pool of worker threads that run study trials (study_thread.ts): at most `size` at once, each
// thread reused for the next trial. A thread that dies fails its trial (the error is recorded) and is
// replaced. `close()` terminates the threads (their running trials are dropped: not recorded).

import { Worker } from "node:worker_threads";
import type { TrialOutcome } from "../runtime/study/types.js";
import type { TrialJob } from "./study_trial.js";

function threadEntry(): URL {
  const self = import.meta.url;
  const isTs = self.endsWith(".ts");
  const url = new URL(isTs ? "./study_thread.ts" : "./study_thread.js", self);
  if (!isTs) return url;
  // from sources: register tsx's loader in the thread first
  return new URL(
    "data:text/javascript," + encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))}; register(); await import(${JSON.stringify(url.href)});`),
  );
}

interface Slot {
  worker: Worker;
  busy?: { job: TrialJob; resolve: (o: TrialOutcome) => void };
}

export class TrialPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: { job: TrialJob; resolve: (o: TrialOutcome) => void; onStart?: () => void }[] = [];
  private closed = false;

  constructor(readonly size: number) {}

  get running(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  /** Runs the trial when a thread is free (`onStart` then); resolves with its outcome. */
  run(job: TrialJob, onStart?: () => void): Promise<TrialOutcome> {
    return new Promise((resolve) => {
      this.waiting.push({ job, resolve, ...(onStart ? { onStart } : {}) });
      this.dispatch();
    });
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(threadEntry()) };
    slot.worker.on("message", (m: { id: string; outcome: TrialOutcome }) => {
      const b = slot.busy;
      slot.busy = undefined;
      if (b && b.job.id === m.id) b.resolve(m.outcome);
      this.dispatch();
    });
    const die = (why: string): void => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const b = slot.busy;
      slot.busy = undefined;
      if (b && !this.closed) b.resolve({ status: "failed", error: `the trial's thread ${why}` });
      this.dispatch();
    };
    slot.worker.on("error", (err) => die(`failed: ${err instanceof Error ? err.message : String(err)}`));
    slot.worker.on("exit", (code) => die(`exited with code ${code}`));
    slot.worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private dispatch(): void {
    if (this.closed) return;
    while (this.waiting.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const next = this.waiting.shift()!;
      slot.busy = next;
      next.onStart?.();
      slot.worker.ref();
      slot.worker.postMessage(next.job);
    }
    for (const s of this.slots) if (!s.busy) s.worker.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
