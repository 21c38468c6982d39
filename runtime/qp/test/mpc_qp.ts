// The 2-state MPC QP of the interior-point tests and bench/ipm.ts (one construction for both).

import type { QpProblem } from "../types.js";
import { cscFromTriplets } from "../../sparse/ops.js";

/**
 * The Gros & Zanon-style 2-state, 1-input MPC QP in multiple-shooting form, z = [x_0..x_N,
 * u_0..u_{N-1}(, one slack per stage)], cost sum_k gamma^k (0.5 |x_k - x_ref|^2 + 0.25 u_k^2)
 * with x_ref = (1.2, 0) outside the state box (so x_1 <= 1 is active along the horizon), x_0
 * pinned by equality rows (-x_0 = -x0), dynamics as equality rows, |u| <= 1, 0 <= x1 <= 1 and
 * -1 <= x2 <= 1 for k = 1..N, hard or softened (x + s >= lb, x - s <= ub, s >= 0, cost 100 gamma^k s),
 * and one row with both bounds infinite.
 */
export function mpcQp(N: number, x0: readonly [number, number], opts: { soft?: boolean; gamma?: number } = {}): QpProblem {
  const soft = opts.soft ?? false;
  const gamma = opts.gamma ?? 1;
  const nx = 2;
  const n = nx * (N + 1) + N + (soft ? N : 0);
  const xi = (k: number, i: number): number => nx * k + i;
  const ui = (k: number): number => nx * (N + 1) + k;
  const si = (k: number): number => nx * (N + 1) + N + (k - 1);
  const Pi: number[] = [], Pj: number[] = [], Pv: number[] = [];
  const q = new Float64Array(n);
  const xref = [1.2, 0];
  for (let k = 0; k <= N; k++) {
    const w = gamma ** k;
    for (let i = 0; i < nx; i++) {
      Pi.push(xi(k, i));
      Pj.push(xi(k, i));
      Pv.push(w);
      q[xi(k, i)] = -w * xref[i];
    }
    if (k < N) {
      Pi.push(ui(k));
      Pj.push(ui(k));
      Pv.push(0.5 * w);
    }
    if (soft && k >= 1) q[si(k)] = 100 * w;
  }
  const Ai: number[] = [], Aj: number[] = [], Av: number[] = [], l: number[] = [], u: number[] = [];
  let r = 0;
  const entry = (row: number, col: number, v: number): void => {
    Ai.push(row);
    Aj.push(col);
    Av.push(v);
  };
  const Ad = [[0.9, 0.35], [0, 1.1]];
  const Bd = [0.0813, 0.2];
  for (let i = 0; i < nx; i++, r++) {
    entry(r, xi(0, i), -1);
    l.push(-x0[i]);
    u.push(-x0[i]);
  }
  for (let k = 0; k < N; k++) {
    for (let i = 0; i < nx; i++, r++) {
      for (let j = 0; j < nx; j++) if (Ad[i][j] !== 0) entry(r, xi(k, j), Ad[i][j]);
      entry(r, ui(k), Bd[i]);
      entry(r, xi(k + 1, i), -1);
      l.push(0);
      u.push(0);
    }
  }
  for (let k = 0; k < N; k++, r++) {
    entry(r, ui(k), 1);
    l.push(-1);
    u.push(1);
  }
  const lb = [0, -1], ub = [1, 1];
  for (let k = 1; k <= N; k++) {
    for (let i = 0; i < nx; i++) {
      entry(r, xi(k, i), 1);
      if (soft) {
        entry(r, si(k), 1);
        l.push(lb[i]);
        u.push(Infinity);
        r++;
        entry(r, xi(k, i), 1);
        entry(r, si(k), -1);
        l.push(-Infinity);
        u.push(ub[i]);
      } else {
        l.push(lb[i]);
        u.push(ub[i]);
      }
      r++;
    }
    if (soft) {
      entry(r, si(k), 1);
      l.push(0);
      u.push(Infinity);
      r++;
    }
  }
  entry(r, ui(0), 1);
  l.push(-Infinity);
  u.push(Infinity);
  r++;
  return { n, m: r, P: cscFromTriplets(n, n, Pi, Pj, Pv), q, A: cscFromTriplets(r, n, Ai, Aj, Av), l: Float64Array.from(l), u: Float64Array.from(u) };
}
