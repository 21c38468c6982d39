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
  };
}

function limit(v: number): number {
  return v < MIN_SCALING ? 1 : v > MAX_SCALING ? MAX_SCALING : v;
}

/**
 * Computes the scaling from raw P (upper), A and q, and writes the scaled values of P and A
 * (same patterns) into pOut/aOut and the scaled q into qOut.
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
  // locals for the loops (setup time: ten passes over P and A)
  const Pp = P.colPtr, Pi = P.rowIdx, Ap = A.colPtr, Ai = A.rowIdx;
  const D = s.D, E = s.E;
  pOut.set(P.values.subarray(0, Pp[n]));
  aOut.set(A.values.subarray(0, Ap[n]));
  qOut.set(q);
  D.fill(1);
  E.fill(1);
  s.c = 1;
  const dTemp = s.dWork;
  const eTemp = s.eWork;
  for (let it = 0; it < iterations; it++) {
    // infinity norms of the KKT columns: [P; A] for the first n, A' for the last m
    dTemp.fill(0);
    eTemp.fill(0);
    for (let j = 0; j < n; j++) {
      for (let p = Pp[j], end = Pp[j + 1]; p < end; p++) {
        const v = Math.abs(pOut[p]);
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
    for (let j = 0; j < n; j++) {
      D[j] *= dTemp[j];
      qOut[j] *= dTemp[j];
      for (let p = Pp[j], end = Pp[j + 1]; p < end; p++) pOut[p] *= dTemp[Pi[p]] * dTemp[j];
      for (let p = Ap[j], end = Ap[j + 1]; p < end; p++) aOut[p] *= eTemp[Ai[p]] * dTemp[j];
    }
    for (let i = 0; i < m; i++) E[i] *= eTemp[i];
    // cost scaling: c = 1 / max(mean column norm of P, ||q||_inf)
    dTemp.fill(0);
    for (let j = 0; j < n; j++) {
      for (let p = Pp[j], end = Pp[j + 1]; p < end; p++) {
        const v = Math.abs(pOut[p]);
        const i = Pi[p];
        if (v > dTemp[j]) dTemp[j] = v;
        if (v > dTemp[i]) dTemp[i] = v;
      }
    }
    let mean = 0;
    for (let j = 0; j < n; j++) mean += dTemp[j];
    mean = n > 0 ? mean / n : 0;
    let qNorm = 0;
    for (let j = 0; j < n; j++) qNorm = Math.max(qNorm, Math.abs(qOut[j]));
    const cTemp = 1 / limit(Math.max(mean, limit(qNorm)));
    for (let p = 0; p < pOut.length; p++) pOut[p] *= cTemp;
    for (let j = 0; j < n; j++) qOut[j] *= cTemp;
    s.c *= cTemp;
  }
  for (let j = 0; j < n; j++) s.Dinv[j] = 1 / D[j];
  for (let i = 0; i < m; i++) s.Einv[i] = 1 / E[i];
  s.cinv = 1 / s.c;
}
