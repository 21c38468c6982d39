// Residuals, duality gap and infeasibility certificates of an ADMM iterate (Stellato et al.
// 2020, sections 3.3-3.4; the duality gap test of OSQP 1.x). Iterates are in the scaled space;
// the norms used for termination are of the unscaled quantities. No allocation.

import type { Csc } from "../sparse/csc.js";
import { cscMatTVec as mulAt, cscMatVec as mulA, cscSymUpperMatVec as mulSym } from "../sparse/ops.js";
import { mulAAndAt } from "./kernels.js";
import type { Scaling } from "./scaling.js";
import { DIVISION_TOL, INFEAS_STRICT } from "./settings.js";

/** The scaled problem the iterations run on, with the raw bounds (for the certificates). */
export interface ScaledQp {
  readonly n: number;
  readonly m: number;
  readonly P: Csc; // c D P D (upper triangle)
  readonly A: Csc; // E A D
  readonly q: Float64Array; // c D q
  readonly l: Float64Array; // E l
  readonly u: Float64Array; // E u
  readonly lRaw: Float64Array;
  readonly uRaw: Float64Array;
  readonly scaling: Scaling;
}

/** Work vectors: Ax, Px, A'y (m, n, n) and the last step dx, dy (n, m). */
export interface ResidualWork {
  readonly Ax: Float64Array;
  readonly Px: Float64Array;
  readonly Aty: Float64Array;
  readonly dx: Float64Array;
  readonly dy: Float64Array;
}

export function newResidualWork(n: number, m: number): ResidualWork {
  return { Ax: new Float64Array(m), Px: new Float64Array(n), Aty: new Float64Array(n), dx: new Float64Array(n), dy: new Float64Array(m) };
}

/** Residual norms of one iterate, unscaled (for termination) and scaled (for adaptive rho). */
export interface Residuals {
  prim: number; // ||A x - z||
  dual: number; // ||P x + q + A'y||
  epsPrimScale: number; // max(||Ax||, ||z||)
  epsDualScale: number; // max(||Px||, ||A'y||, ||q||)
  primScaled: number;
  dualScaled: number;
  primNormScaled: number;
  dualNormScaled: number;
  /** duality gap x'Px + q'x + SC(y) and its tolerance scale max(|x'Px|, |q'x|, |SC(y)|) */
  gap: number;
  gapScale: number;
}

export function newResiduals(): Residuals {
  return { prim: 0, dual: 0, epsPrimScale: 0, epsDualScale: 0, primScaled: 0, dualScaled: 0, primNormScaled: 0, dualNormScaled: 0, gap: 0, gapScale: 0 };
}

export function computeResiduals(d: ScaledQp, x: Float64Array, z: Float64Array, y: Float64Array, w: ResidualWork, res: Residuals): void {
  const { n, m, q, l, u } = d;
  const { Dinv, Einv, cinv } = d.scaling;
  const { Ax, Px, Aty } = w;
  // one pass over A for A x and A' y; the gap's sums ride along in the norm loops (same order)
  mulAAndAt(d.A, x, Ax, y, Aty);
  mulSym(d.P, x, Px);
  let prim = 0, primS = 0, nAx = 0, nz = 0, nAxS = 0, nzS = 0, sup = 0;
  for (let i = 0; i < m; i++) {
    const axi = Ax[i], zi = z[i];
    const r = axi - zi;
    const e = Einv[i];
    prim = Math.max(prim, Math.abs(e * r));
    primS = Math.max(primS, Math.abs(r));
    nAx = Math.max(nAx, Math.abs(e * axi));
    nz = Math.max(nz, Math.abs(e * zi));
    nAxS = Math.max(nAxS, Math.abs(axi));
    nzS = Math.max(nzS, Math.abs(zi));
    const yi = y[i];
    if (yi > 0) {
      if (u[i] !== Infinity) sup += u[i] * yi;
    } else if (yi < 0) {
      if (l[i] !== -Infinity) sup += l[i] * yi;
    }
  }
  let dual = 0, dualS = 0, nPx = 0, nAty = 0, nq = 0, nPxS = 0, nAtyS = 0, nqS = 0, quad = 0, lin = 0;
  for (let j = 0; j < n; j++) {
    const pxj = Px[j], qj = q[j], atyj = Aty[j], xj = x[j];
    const r = pxj + qj + atyj;
    const s = Dinv[j] * cinv;
    dual = Math.max(dual, Math.abs(s * r));
    dualS = Math.max(dualS, Math.abs(r));
    nPx = Math.max(nPx, Math.abs(s * pxj));
    nAty = Math.max(nAty, Math.abs(s * atyj));
    nq = Math.max(nq, Math.abs(s * qj));
    nPxS = Math.max(nPxS, Math.abs(pxj));
    nAtyS = Math.max(nAtyS, Math.abs(atyj));
    nqS = Math.max(nqS, Math.abs(qj));
    quad += pxj * xj;
    lin += qj * xj;
  }
  res.prim = prim;
  res.dual = dual;
  res.epsPrimScale = Math.max(nAx, nz);
  res.epsDualScale = Math.max(nPx, nAty, nq);
  res.primScaled = primS;
  res.dualScaled = dualS;
  res.primNormScaled = Math.max(nAxS, nzS);
  res.dualNormScaled = Math.max(nPxS, nAtyS, nqS);
  // duality gap (OSQP 1.x): primal minus dual objective = x'Px + q'x + SC(y), where
  // SC(y) = u'max(y, 0) + l'min(y, 0) is the support function of [l, u]; y is projected onto
  // the polar of the recession cone, so an infinite bound never meets a multiplier
  res.gap = (quad + lin + sup) * cinv;
  res.gapScale = Math.max(Math.abs(quad), Math.abs(lin), Math.abs(sup)) * cinv;
}

/**
 * dy = y - yPrev certifies primal infeasibility: A'dy = 0 and u'dy+ + l'dy- < 0 (unscaled,
 * normalized). Leaves the projected step in w.dy (scaled; the certificate is E dy / ||E dy||).
 */
export function isPrimalInfeasible(d: ScaledQp, y: Float64Array, yPrev: Float64Array, w: ResidualWork, eps: number): boolean {
  const { n, m, lRaw, uRaw, scaling } = d;
  const { dy, Aty } = w;
  let norm = 0;
  for (let i = 0; i < m; i++) {
    let v = y[i] - yPrev[i];
    // project onto the polar of the recession cone of [l, u]
    if (uRaw[i] === Infinity && v > 0) v = 0;
    if (lRaw[i] === -Infinity && v < 0) v = 0;
    dy[i] = v;
    norm = Math.max(norm, Math.abs(scaling.E[i] * v));
  }
  if (norm <= DIVISION_TOL) return false;
  let lhs = 0;
  for (let i = 0; i < m; i++) {
    const v = (scaling.E[i] * dy[i]) / norm;
    if (v > 0) lhs += uRaw[i] * v;
    else if (v < 0) lhs += lRaw[i] * v;
  }
  if (!(lhs < -eps)) return false;
  // ||A' dy|| (unscaled: D^-1 As' dy) must vanish to eps * INFEAS_STRICT (see settings.ts)
  mulAt(d.A, dy, Aty);
  let atNorm = 0;
  for (let j = 0; j < n; j++) atNorm = Math.max(atNorm, Math.abs(scaling.Dinv[j] * Aty[j]));
  return atNorm / norm < eps * INFEAS_STRICT;
}

/**
 * dx = x - xPrev certifies dual infeasibility (unboundedness): q'dx < 0, P dx = 0 and A dx in
 * the recession cone of [l, u] (unscaled, normalized). Leaves the step in w.dx (scaled).
 */
export function isDualInfeasible(d: ScaledQp, x: Float64Array, xPrev: Float64Array, w: ResidualWork, eps: number): boolean {
  const { n, m, lRaw, uRaw, scaling } = d;
  const { dx, Px, Ax } = w;
  let norm = 0;
  for (let j = 0; j < n; j++) {
    dx[j] = x[j] - xPrev[j];
    norm = Math.max(norm, Math.abs(scaling.D[j] * dx[j]));
  }
  if (norm <= DIVISION_TOL) return false;
  let qdx = 0;
  for (let j = 0; j < n; j++) qdx += d.q[j] * dx[j];
  if (!((qdx * scaling.cinv) / norm < -eps)) return false;
  const epsStrict = eps * INFEAS_STRICT;
  mulSym(d.P, dx, Px);
  for (let j = 0; j < n; j++) if (Math.abs(scaling.Dinv[j] * Px[j] * scaling.cinv) / norm >= epsStrict) return false;
  mulA(d.A, dx, Ax);
  for (let i = 0; i < m; i++) {
    const a = (scaling.Einv[i] * Ax[i]) / norm;
    if (uRaw[i] !== Infinity && a > epsStrict) return false;
    if (lRaw[i] !== -Infinity && a < -epsStrict) return false;
  }
  return true;
}
