// Derivatives of a converged multiple-shooting NLP (sqp.ts) w.r.t. the parameters theta.
//  - Value and action-value gradients (Q-learning; Gros & Zanon 2020, "Data-driven economic NMPC
//    using reinforcement learning", IEEE TAC 65(2):636-648, eq. (13)): at a KKT point (z*, y*)
//    satisfying LICQ and strict complementarity, dV/dtheta = d L(z*, y*, theta)/d theta (the
//    envelope theorem; Fiacco 1983, Thm 3.4.1): sum_k gamma^k d(|r_k|^2 + g_k)/dtheta + y'dc/dtheta,
//    with dc/dtheta = -dF_k/dtheta on the dynamics rows, dh_k/dtheta, dc_k/dtheta on the path rows
//    and dh_N/dtheta, dc_N/dtheta on the terminal rows (hard and soft).
//  - Policy sensitivity du_0/dtheta (deterministic policy gradient; Gros & Zanon 2020 eq. (17);
//    Fiacco 1983, Thm 3.2.2; Buskens & Maurer 2001): differentiate the KKT conditions of the
//    converged NLP with the EXACT Lagrangian Hessian W = grad^2_zz L on the active set,
//      [W, J_A'; J_A, 0] [dz; dy_A] = -[grad^2_z,theta L; dc_A/dtheta],
//    solved by the repository's QpSensitivity (runtime/qp/sensitivity.ts) on the QP
//      min 0.5 d'W d + grad f'd  s.t.  lc - c <= J d <= uc - c,
//    whose solution at the converged point is d = 0 with multipliers y*: a forward direction per
//    theta_j with dq = grad^2_z,theta_j L and dl = du = -dc/dtheta_j gives dz = dz*/dtheta_j.
//    The system is solved in the SQP's scaled variables z = D z~ (sqp.colScale) and equilibrated
//    rows (E: P~ = D P D, A~ = E A D, q~ = D q, y~ = y / E, dq~ = D dq, dl~ = E dl, dz = D dz~),
//    so a model in physical units is not declared singular for its units.
// Statuses, never wrong numbers: "not_converged" when the SQP did not reach its KKT tolerance,
// "not_differentiable" at weakly active or linearly dependent constraints or a singular KKT
// matrix (QpSensitivity's classification), or when the model lacks the second derivatives.

import { QpSensitivity } from "../qp/sensitivity.js";
import type { QpProblem } from "../qp/types.js";
import { equilibrateRows, nlpConverged, type MultipleShootingSqp } from "./sqp.js";

export type NlpSensitivityStatus = "ok" | "not_converged" | "not_differentiable";

export interface PolicyJacobian {
  readonly status: NlpSensitivityStatus;
  /** du_0/dtheta, nu x nTheta row-major (zeros unless status is "ok"). */
  readonly jacobian: Float64Array;
  readonly message?: string;
}

/**
 * dL/dtheta at the last linearization of `sqp` (its iterate z, y; call after a "solved" solve).
 * Writes nTheta entries into out.
 */
export function lagrangianThetaGradient(sqp: MultipleShootingSqp, out: Float64Array): Float64Array {
  const { model, nx, nu, N, nTheta, nh, ns, y } = sqp;
  sqp.linearizeTheta();
  out.fill(0);
  for (let k = 0; k <= N; k++) {
    const g = sqp.gamma[k];
    const res = k < N ? model.residual : model.terminalResidual;
    const ro = k < N ? sqp.resOut[k] : sqp.resN;
    if (res) for (let i = 0; i < res.size; i++) for (let j = 0; j < nTheta; j++) out[j] += 2 * g * ro.value[i] * ro.jtheta[i * nTheta + j];
    const gen = k < N ? model.general : model.terminalGeneral;
    if (gen) {
      const go = k < N ? sqp.genOut[k] : sqp.genN;
      for (let j = 0; j < nTheta; j++) out[j] += g * go.gtheta[j];
    }
    if (k < N) {
      const ft = sqp.integ[k].out.ftheta;
      for (let i = 0; i < nx; i++) {
        const yi = y[sqp.rowDyn + k * nx + i];
        for (let j = 0; j < nTheta; j++) out[j] -= yi * ft[i * nTheta + j];
      }
      if (model.constraint) {
        const co = sqp.conOut[k];
        for (let i = 0; i < nh; i++) for (let j = 0; j < nTheta; j++) out[j] += y[sqp.rowHard + k * nh + i] * co.jtheta[i * nTheta + j];
      }
      if (model.softConstraint) {
        const so = sqp.softOut[k];
        for (let i = 0; i < ns; i++) for (let j = 0; j < nTheta; j++) out[j] += y[sqp.rowSoft + k * ns + i] * so.jtheta[i * nTheta + j];
        // a weight that moves with theta: d(gamma^k l2 w eps^2)/dtheta
        if (model.softConstraint.weight) slackWeightGradient(g, model.softConstraint.l2, sqp.softW[k].jtheta, so.value, ns, nTheta, out);
      }
    } else {
      if (model.terminalConstraint) for (let i = 0; i < sqp.nhN; i++) for (let j = 0; j < nTheta; j++) out[j] += y[sqp.rowHardN + i] * sqp.conN.jtheta[i * nTheta + j];
      if (model.terminalSoftConstraint) {
        for (let i = 0; i < sqp.nsN; i++) for (let j = 0; j < nTheta; j++) out[j] += y[sqp.rowSoftN + i] * sqp.softN.jtheta[i * nTheta + j];
        if (model.terminalSoftConstraint.weight) slackWeightGradient(g, model.terminalSoftConstraint.l2, sqp.softWN.jtheta, sqp.softN.value, sqp.nsN, nTheta, out);
      }
    }
  }
  void nu;
  return out;
}

/**
 * Adds gamma^k sum_i l2_i eps_i^2 dw_i/dtheta (SoftConstraint.weight) to out, with eps_i the least
 * slack of the row, max(0, c_i): the optimal one wherever w_i > 0, and at w_i = 0 (the slack then
 * costs nothing and the QP may leave any larger one) the limit from w_i > 0, the one-sided derivative.
 */
function slackWeightGradient(g: number, l2: Float64Array, jw: Float64Array, c: Float64Array, size: number, nTheta: number, out: Float64Array): void {
  for (let i = 0; i < size; i++) {
    const e = Math.max(0, c[i]);
    const f = g * l2[i] * e * e;
    if (f === 0) continue;
    for (let j = 0; j < nTheta; j++) out[j] += f * jw[i * nTheta + j];
  }
}

/**
 * Adds the cross derivative d^2 L / d eps_i d theta = 2 gamma^k l2_i eps_i dw_i/dtheta of one stage's
 * slacks (variables v0..v0+size-1 of z, SoftConstraint.weight) to lzt (nTheta columns of length n).
 */
function slackWeightCross(g: number, l2: Float64Array, jw: Float64Array, z: Float64Array, v0: number, size: number, nTheta: number, n: number, lzt: Float64Array): void {
  for (let i = 0; i < size; i++) {
    const c = g * 2 * l2[i] * z[v0 + i];
    if (c === 0) continue;
    for (let j = 0; j < nTheta; j++) lzt[j * n + v0 + i] += c * jw[i * nTheta + j];
  }
}

/** du_0/dtheta from the KKT system of the converged NLP with the exact Lagrangian Hessian. */
export class NlpSensitivity {
  private readonly sqp: MultipleShootingSqp;
  private readonly problem: QpProblem;
  private readonly zero: Float64Array;
  private readonly blk: Float64Array;
  /** grad^2_{z theta} L, column j at j*n. */
  private readonly lzt: Float64Array;
  /** -dc/dtheta (bounds' derivative), column j at j*m. */
  private readonly dbt: Float64Array;
  private sens: QpSensitivity | undefined;
  /** Column scaling (the SQP's) and the factors of P's (D_i D_j) and A's (D_j) values. */
  private readonly D: Float64Array;
  private readonly pFac: Float64Array | undefined;
  private readonly aFac: Float64Array | undefined;
  private readonly aRef: ArrayLike<number>;
  private readonly E: Float64Array;
  private readonly yS: Float64Array;
  private readonly dbS: Float64Array;

  constructor(sqp: MultipleShootingSqp) {
    this.sqp = sqp;
    const { n, m, nTheta, nx, nu } = sqp;
    const src = sqp.qp;
    this.problem = {
      n,
      m,
      P: { ...src.P, values: new Float64Array(src.P.values.length) },
      q: new Float64Array(n),
      A: sqp.colScale.some((v) => v !== 1) ? { ...src.A, values: new Float64Array(src.A.values.length) } : src.A,
      l: new Float64Array(m),
      u: new Float64Array(m),
    };
    this.zero = new Float64Array(n);
    this.D = sqp.colScale;
    this.aRef = src.A.values;
    this.E = new Float64Array(m).fill(1);
    this.yS = new Float64Array(m);
    this.dbS = new Float64Array(m);
    if (this.problem.A !== src.A) {
      const D = this.D;
      const P = this.problem.P;
      const A = src.A;
      this.pFac = new Float64Array(P.values.length);
      for (let j = 0; j < n; j++) for (let p = P.colPtr[j]; p < P.colPtr[j + 1]; p++) this.pFac[p] = D[P.rowIdx[p]] * D[j];
      this.aFac = new Float64Array(A.values.length);
      for (let j = 0; j < n; j++) for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) this.aFac[p] = D[j];
    }
    const nv = nx + nu + nTheta;
    this.blk = new Float64Array(nv * nv);
    this.lzt = new Float64Array(n * nTheta);
    this.dbt = new Float64Array(m * nTheta);
  }

  /** Jacobian du_0/dtheta at the sqp's current (converged) point. */
  policyJacobian(out?: Float64Array): PolicyJacobian {
    const sqp = this.sqp;
    const { n, m, nx, nu, N, nTheta, nh, ns, model } = sqp;
    const jac = out ?? new Float64Array(nu * nTheta);
    jac.fill(0);
    if (!nlpConverged(sqp.stats.status)) return { status: "not_converged", jacobian: jac, message: `the SQP status is ${sqp.stats.status}` };
    if (!model.dynamicsHessian) return { status: "not_differentiable", jacobian: jac, message: "the model has no dynamicsHessian (needed for the exact Lagrangian Hessian)" };
    sqp.linearizeTheta();
    const prob = this.problem;
    const Pv = prob.P.values as Float64Array;
    Pv.fill(0);
    this.lzt.fill(0);
    this.dbt.fill(0);
    const { blk, lzt, dbt } = this;
    const Pmap = sqp;
    for (let k = 0; k <= N; k++) {
      const nuk = k < N ? nu : 0;
      const nxu = nx + nuk;
      const nv = nxu + nTheta;
      sqp.stageHessian(k, true, blk);
      const map = k < N ? Pmap.pStage[k] : Pmap.pTerm;
      const glob = (a: number): number => (a < nx ? sqp.xOff(k) + a : sqp.uOff(k) + a - nx);
      for (let a = 0; a < nxu; a++) {
        for (let b = a; b < nxu; b++) Pv[map[a * nxu + b]] += blk[a * nv + b];
        for (let j = 0; j < nTheta; j++) lzt[j * n + glob(a)] += blk[a * nv + nxu + j];
      }
    }
    // the slacks' curvature (their L2 weights at this point) and, where a weight moves with theta,
    // the cross derivative d^2 L / d eps d theta = 2 gamma^k l2 eps dw/dtheta
    const l2e = sqp.l2Eff;
    if (model.softConstraint) {
      const { l2, weight } = model.softConstraint;
      for (let k = 0; k < N; k++) {
        for (let i = 0; i < ns; i++) Pv[Pmap.pSlack[k * ns + i]] += sqp.gamma[k] * 2 * l2e[k * ns + i];
        if (weight) slackWeightCross(sqp.gamma[k], l2, sqp.softW[k].jtheta, sqp.z, sqp.sOff(k), ns, nTheta, n, lzt);
      }
    }
    if (model.terminalSoftConstraint) {
      const { l2, weight } = model.terminalSoftConstraint;
      for (let i = 0; i < sqp.nsN; i++) Pv[Pmap.pSlack[N * ns + i]] += sqp.gamma[N] * 2 * l2e[N * ns + i];
      if (weight) slackWeightCross(sqp.gamma[N], l2, sqp.softWN.jtheta, sqp.z, sqp.sOff(N), sqp.nsN, nTheta, n, lzt);
    }
    // -dc/dtheta per row
    for (let k = 0; k < N; k++) {
      const ft = sqp.integ[k].out.ftheta;
      for (let i = 0; i < nx; i++) for (let j = 0; j < nTheta; j++) dbt[j * m + sqp.rowDyn + k * nx + i] = ft[i * nTheta + j];
      if (model.constraint) {
        const co = sqp.conOut[k];
        for (let i = 0; i < nh; i++) for (let j = 0; j < nTheta; j++) dbt[j * m + sqp.rowHard + k * nh + i] = -co.jtheta[i * nTheta + j];
      }
      if (model.softConstraint) {
        const so = sqp.softOut[k];
        for (let i = 0; i < ns; i++) for (let j = 0; j < nTheta; j++) dbt[j * m + sqp.rowSoft + k * ns + i] = -so.jtheta[i * nTheta + j];
      }
    }
    if (model.terminalConstraint) {
      for (let i = 0; i < sqp.nhN; i++) for (let j = 0; j < nTheta; j++) dbt[j * m + sqp.rowHardN + i] = -sqp.conN.jtheta[i * nTheta + j];
    }
    if (model.terminalSoftConstraint) {
      for (let i = 0; i < sqp.nsN; i++) for (let j = 0; j < nTheta; j++) dbt[j * m + sqp.rowSoftN + i] = -sqp.softN.jtheta[i * nTheta + j];
    }
    (prob.q as Float64Array).set(sqp.grad);
    if (this.pFac !== undefined && this.aFac !== undefined) {
      const { D, pFac, aFac } = this;
      const Av = prob.A.values as Float64Array;
      for (let p = 0; p < Pv.length; p++) Pv[p] *= pFac[p];
      for (let p = 0; p < Av.length; p++) Av[p] = this.aRef[p] * aFac[p];
      equilibrateRows(prob.A, Av, this.E);
      const q = prob.q as Float64Array;
      for (let i = 0; i < n; i++) q[i] *= D[i];
      for (let j = 0; j < nTheta; j++) for (let i = 0; i < n; i++) lzt[j * n + i] *= D[i];
    }
    const { E, yS, dbS } = this; // E = 1 without the scaling
    for (let r = 0; r < m; r++) {
      (prob.l as Float64Array)[r] = (sqp.lc[r] - sqp.c[r]) * E[r];
      (prob.u as Float64Array)[r] = (sqp.uc[r] - sqp.c[r]) * E[r];
      yS[r] = sqp.y[r] / E[r];
    }
    if (this.sens === undefined) this.sens = new QpSensitivity(prob, this.zero, yS, { optimalityTol: 1e-5 });
    else this.sens.update(prob, this.zero, yS);
    const sens = this.sens;
    if (sens.status !== "ok") return { status: "not_differentiable", jacobian: jac, message: `KKT system: ${sens.status}${sens.message ? ` (${sens.message})` : ""}` };
    for (let j = 0; j < nTheta; j++) {
      const dq = lzt.subarray(j * n, (j + 1) * n);
      const db = dbt.subarray(j * m, (j + 1) * m);
      for (let r = 0; r < m; r++) dbS[r] = db[r] * E[r];
      const { dz } = sens.forward({ dq, dl: dbS, du: dbS });
      for (let i = 0; i < nu; i++) jac[i * nTheta + j] = dz[sqp.uOff(0) + i] * this.D[sqp.uOff(0) + i];
    }
    return { status: "ok", jacobian: jac };
  }
}
