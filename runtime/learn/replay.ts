// Experience replay for Q-learning: a ring buffer of (dQ/dtheta, TD error) pairs. A sample gives
// the mean loss gradient g = -mean(td_i dQ_i) and the approximate Hessian H = mean(dQ_i dQ_i')
// (mpcrl's LSTD Q-learning with hessian_type "approx" when d2L/dtheta2 vanishes, as it does when
// theta enters the QP's data linearly). Storage is preallocated; sampling draws without
// replacement from the "replay" stream, always including the latest transition when asked.

import type { Rng } from "../rng.js";

export interface ReplayState {
  readonly size: number;
  readonly head: number;
  readonly dQ: number[];
  readonly td: number[];
}

export class Replay {
  private readonly dQ: Float64Array;
  private readonly td: Float64Array;
  private readonly picks: Int32Array;
  private count = 0;
  private head = 0; // next write position

  constructor(
    readonly n: number,
    readonly capacity: number,
    readonly sampleSize: number,
    readonly includeLatest = true,
  ) {
    this.dQ = new Float64Array(n * capacity);
    this.td = new Float64Array(capacity);
    this.picks = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(dQ: ArrayLike<number>, td: number): void {
    const off = this.head * this.n;
    for (let i = 0; i < this.n; i++) this.dQ[off + i] = dQ[i];
    this.td[this.head] = td;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Writes the sample's mean gradient (and approximate Hessian if given). Returns the sample size. */
  sample(rng: Rng, grad: Float64Array, hessian: Float64Array | null): number {
    const k = Math.min(this.sampleSize, this.count);
    if (k === 0) return 0;
    const picks = this.picks;
    // positions of the stored items, newest first
    for (let j = 0; j < this.count; j++) picks[j] = (this.head - 1 - j + 2 * this.capacity) % this.capacity;
    if (k < this.count) {
      // partial Fisher-Yates; keep index 0 (the latest) in place when includeLatest
      const start = this.includeLatest ? 1 : 0;
      for (let j = start; j < k; j++) {
        const r = j + rng.int(this.count - j);
        const t = picks[j];
        picks[j] = picks[r];
        picks[r] = t;
      }
    }
    const n = this.n;
    grad.fill(0);
    if (hessian) hessian.fill(0);
    for (let s = 0; s < k; s++) {
      const p = picks[s];
      const off = p * n;
      const td = this.td[p];
      for (let i = 0; i < n; i++) {
        const gi = this.dQ[off + i];
        grad[i] -= td * gi;
        if (hessian) for (let j = 0; j < n; j++) hessian[i * n + j] += gi * this.dQ[off + j];
      }
    }
    const inv = 1 / k;
    for (let i = 0; i < n; i++) grad[i] *= inv;
    if (hessian) for (let i = 0; i < n * n; i++) hessian[i] *= inv;
    return k;
  }

  getState(): ReplayState {
    return { size: this.count, head: this.head, dQ: Array.from(this.dQ), td: Array.from(this.td) };
  }

  setState(s: ReplayState): void {
    this.count = s.size;
    this.head = s.head;
    this.dQ.set(s.dQ);
    this.td.set(s.td);
  }
}
