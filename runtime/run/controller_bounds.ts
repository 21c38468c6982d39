// The controller's effective state bounds at given parameters, read off its QP: every constraint
// row (other than the x_0 pins) whose only entry outside the slack columns is on one state x_k[i]
// bounds that state, a x_k[i] in [l, u], i.e. x_k[i] in [l/a, u/a] (flipped when a < 0); soft rows
// are read with their slack at 0. Rows on the same state are intersected. This is generic (it needs
// no knowledge of which learnables are back-offs): with `x_lb + [0, -1] <= x <= [1, 1] + x_ub` the
// result is the declared bound moved by the learned back-off. Runtime values take their defaults.

import type { QpTemplate } from "../mpc/template.js";
import { dataLayout } from "../mpc/template.js";

export interface StateBounds {
  /** The prediction stage the bounds apply to (the first one, k >= 1, that has any). */
  readonly stage: number;
  /** Per state; null where the controller does not bound it (or the bound is beyond 1e19). */
  readonly lower: (number | null)[];
  readonly upper: (number | null)[];
}

/** Effective bounds on the predicted states x_k (k = 1 .. N) at theta; undefined when no row bounds a single state. */
export function controllerStateBounds(t: QpTemplate, theta: ArrayLike<number>): StateBounds | undefined {
  const dl = dataLayout(t);
  const data = new Float64Array(dl.length);
  const runtime = new Float64Array(t.nRuntime);
  for (const r of t.runtime) runtime.set(r.defaultValue.subarray(0, r.size), r.offset);
  t.fill(Float64Array.from(theta), runtime, data);
  const pinned = new Set(Array.from(t.x0Rows));
  // per row: the single non-slack column (-1: none yet, -2: more than one)
  const col = new Int32Array(t.m).fill(-1);
  const coef = new Float64Array(t.m);
  const { colPtr, rowIdx } = t.A;
  for (let c = 0; c < t.A.cols; c++) {
    const isSlack = c >= t.slackOffset && c < t.slackOffset + t.nSlack;
    if (isSlack) continue;
    for (let k = colPtr[c]; k < colPtr[c + 1]; k++) {
      const r = rowIdx[k];
      const a = data[dl.A + k];
      if (a === 0) continue;
      col[r] = col[r] === -1 ? c : -2;
      coef[r] = a;
    }
  }
  const N = t.horizon;
  const nx = t.nx;
  const lo: number[] = new Array<number>((N + 1) * nx).fill(-Infinity);
  const hi: number[] = new Array<number>((N + 1) * nx).fill(Infinity);
  const BIG = 1e19;
  for (let r = 0; r < t.m; r++) {
    const c = col[r];
    if (c < 0 || pinned.has(r)) continue;
    const s = c - t.stateOffset;
    if (s < nx || s >= (N + 1) * nx) continue; // inputs, x_0
    const a = coef[r];
    let l = data[dl.l + r] / a;
    let u = data[dl.u + r] / a;
    if (a < 0) [l, u] = [u, l];
    if (l > -BIG) lo[s] = Math.max(lo[s], l);
    if (u < BIG) hi[s] = Math.min(hi[s], u);
  }
  for (let k = 1; k <= N; k++) {
    const l = lo.slice(k * nx, (k + 1) * nx);
    const u = hi.slice(k * nx, (k + 1) * nx);
    if (l.some(Number.isFinite) || u.some(Number.isFinite)) {
      const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);
      return { stage: k, lower: l.map(fin), upper: u.map(fin) };
    }
  }
  return undefined;
}
