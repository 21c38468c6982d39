// Ruiz equilibration of the KKT matrix with cost scaling, as OSQP does (Stellato et al. 2020,
// section 5.1; osqp/src/scaling.c): P <- c D P D, q <- c D q, A <- E A D, l,u <- E l, E u.

import type { Csc } from "../sparse/csc.js";
import { MAX_SCALING, MIN_SCALING } from "./settings.js";

export interface Scaling {
  readonly D: Float64Array;
  readonly Dinv: Float64Array;
  readonly E: Float64Array;
  readonly Einv: Float64Array;
  c: number;
  cinv: number;
  /** work vectors of computeScaling */
  readonly dWork: Float64Array;
  readonly eWork: Float64Array;
  readonly pWork: Float64Array;
}

export function newScaling(n: number, m: number): Scaling {
  return {
    D: new Float64Array(n).fill(1),
    Dinv: new Float64Array(n).fill(1),
    E: new Float64Array(m).fill(1),
    Einv: new Float64Array(m).fill(1),
    c: 1,
    cinv: 1,
    dWork: new Float64Array(n),
    eWork: new Float64Array(m),
    pWork: new Float64Array(n),
  };
}

function limit(v: number): number {
  return v < MIN_SCALING ? 1 : v > MAX_SCALING ? MAX_SCALING : v;
}

/**
 * Computes the scaling from raw P (upper), A and q, and writes the scaled values of P and A
 * (same patterns) into pOut/aOut and the scaled q into qOut.
 *
 * Two passes over P and A per iteration (OSQP's loop makes four over P): the column norms of P
 * for the cost scaling are taken while P is scaled, and the cost factor of one iteration is applied
 * to P in the next iteration's norm pass (or after the last). Every entry undergoes the same
 * products in the same order as in OSQP's loop, so the results are the same to the bit.
 */
export function computeScaling(
  P: Csc,
  A: Csc,
  q: Float64Array,
  iterations: number,
  s: Scaling,
  pOut: Float64Array,
  aOut: Float64Array,
  qOut: Float64Array,
): void {
  const n = P.cols;
  const m = A.rows;
  const Pp = P.colPtr, Pi = P.rowIdx, Ap = A.colPtr, Ai = A.rowIdx;
  const D = s.D, E = s.E;
  const nnzP = Pp[n];
  pOut.set(P.values.subarray(0, nnzP));
  aOut.set(A.values.subarray(0, Ap[n]));
  qOut.set(q);
  D.fill(1);
  E.fill(1);
  s.c = 1;
  const dTemp = s.dWork;
  const eTemp = s.eWork;
  const pNorm = s.pWork;
  let cPending = 1; // cost factor not yet applied to P (x * 1 === x)
  for (let it = 0; it < iterations; it++) {
    // infinity norms of the KKT columns: [P; A] for the first n, A' for the last m
    dTemp.fill(0);
    eTemp.fill(0);
    for (let j = 0; j < n; j++) {
      for (let p = Pp[j], end = Pp[j + 1]; p < end; p++) {
        const x = pOut[p] * cPending;
        pOut[p] = x;
        const v = Math.abs(x);
        const i = Pi[p];
        if (v > dTemp[j]) dTemp[j] = v;
        if (v > dTemp[i]) dTemp[i] = v;
      }
      for (let p = Ap[j], end = Ap[j + 1]; p < end; p++) {
        const v = Math.abs(aOut[p]);
        const i = Ai[p];
        if (v > dTemp[j]) dTemp[j] = v;
        if (v > eTemp[i]) eTemp[i] = v;
      }
    }
    for (let j = 0; j < n; j++) dTemp[j] = 1 / Math.sqrt(limit(dTemp[j]));
    for (let i = 0; i < m; i++) eTemp[i] = 1 / Math.sqrt(limit(eTemp[i]));
    // scale, and the column norms of the scaled P (for the cost scaling)
    pNorm.fill(0);
    for (let j = 0; j < n; j++) {
      const dj = dTemp[j];
      D[j] *= dj;
      qOut[j] *= dj;
      for (let p = Pp[j], end = Pp[j + 1]; p < end; p++) {
        const i = Pi[p];
        const x = pOut[p] * (dTemp[i] * dj);
        pOut[p] = x;
        const v = Math.abs(x);
        if (v > pNorm[j]) pNorm[j] = v;
        if (v > pNorm[i]) pNorm[i] = v;
      }
      for (let p = Ap[j], end = Ap[j + 1]; p < end; p++) aOut[p] *= eTemp[Ai[p]] * dj;
    }
    for (let i = 0; i < m; i++) E[i] *= eTemp[i];
    // cost scaling: c = 1 / max(mean column norm of P, ||q||_inf)
    let mean = 0;
    for (let j = 0; j < n; j++) mean += pNorm[j];
    mean = n > 0 ? mean / n : 0;
    let qNorm = 0;
    for (let j = 0; j < n; j++) qNorm = Math.max(qNorm, Math.abs(qOut[j]));
    const cTemp = 1 / limit(Math.max(mean, limit(qNorm)));
    cPending = cTemp;
    for (let j = 0; j < n; j++) qOut[j] *= cTemp;
    s.c *= cTemp;
  }
  if (cPending !== 1) for (let p = 0; p < nnzP; p++) pOut[p] *= cPending;
  for (let j = 0; j < n; j++) s.Dinv[j] = 1 / D[j];
  for (let i = 0; i < m; i++) s.Einv[i] = 1 / E[i];
  s.cinv = 1 / s.c;
}
