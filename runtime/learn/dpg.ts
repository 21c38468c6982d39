// Deterministic policy gradient with a compatible linear critic (LSTD), following mpcrl 1.4's
// LstdDpgAgent (Gros & Zanon 2020, section V; Silver et al. 2014):
//   per step: a = pi(s) + e (exploration), the plant steps, and the transition
//     (s, e, L, s', dpi/dtheta(s)) joins the current rollout;
//   per rollout of R steps (states s_0..s_R, features Phi = monomials of degree <= 2):
//     value weights  v: solve (D' Phi Phi' D + rho I) v = -D' Phi Phi' L,  D = gamma Phi_next - Phi
//     critic weights w: with Psi_t = dpi/dtheta_t' e_t,  A = Psi'Psi,  b = Psi'(L + D v),
//                       solve (A'A + rho I) w = A'b
//     gradient       dJ/dtheta = sum_t dpi/dtheta_t' dpi/dtheta_t w,  then an optimizer step
//   (mpcrl averages v over the replay sample; here the sample is the latest rollout).
// The sensitivity is taken at the unperturbed optimum (Cai et al.), as mpcrl does.
// The critic's cost L is the plant's stage cost, its constraint-violation penalty included.
//
// Margin-shaped exploration (`exploration_margin d`, default 0: off, mpcrl's behaviour): the
// perturbation e = a - pi(s) is scaled by clamp(m / d, 0.25, 1), m the smallest distance of the
// MPC's predicted first state x_1 to the plant's state bounds (negative when x_1 is outside). Near a
// bound the explored action then stays close to the MPC's, which already backs off from it, as in
// safe exploration for MPC-based RL (Zanon & Gros, "Safe reinforcement learning using robust MPC",
// IEEE TAC 66(8), 2021: exploration restricted so the constraints keep holding; Gros, Zanon &
// Bemporad, "Safe reinforcement learning via projection on a safe set", IFAC 2020). The scale is
// a function of the state, so the behaviour policy stays deterministic given s and the noise, and
// the compatible critic regresses on the perturbation actually applied; the floor 0.25 keeps it
// conditioned (Psi_t = dpi/dtheta_t' e_t -> 0 would make w, and the step, blow up).
// Its effect on the Gros & Zanon DPG example is in docs/training.md (DPG). Part of the effect is a
// larger step near the bounds (w scales as 1/|e|).

import type { LearnableMpc } from "../mpc/types.js";
import type { Plant } from "../plants/types.js";
import { choleskyShifted as cholesky, cholSolve, luSolve } from "../linalg/dense.js";
import { quadraticFeatureCount, quadraticFeatures } from "./linalg.js";
import { isSolved } from "./monitors.js";
import { createOptimizer, type Optimizer, type OptimizerSpec, type OptimizerState } from "./optimizers.js";
import { RolloutBase, type RolloutConfig } from "./rollout.js";
import { SafeUpdater } from "./safety.js";
import { IdentificationGuard } from "./identify_guard.js";
import type { StepRecord } from "./types.js";

export interface DpgConfig extends RolloutConfig {
  readonly discount?: number;
  readonly optimizer: OptimizerSpec;
  /** Steps per rollout (an update follows each rollout); 0: one rollout per episode. */
  readonly rolloutLength: number;
  readonly regularization?: number;
  readonly maxRelativeChange?: number;
  /** Margin-shaped exploration distance (see the header); 0 or absent: off. */
  readonly explorationMargin?: number;
  /** The plant's state bounds the margin is measured to (null: unbounded). */
  readonly stateLower?: readonly (number | null)[];
  readonly stateUpper?: readonly (number | null)[];
  /** Identification for control after this many transitions (identify_guard.ts); 0 or absent: off. */
  readonly identifyAfter?: number;
}

/** Smallest scale of the margin-shaped exploration. */
export const EXPLORATION_MARGIN_FLOOR = 0.25;

export class Dpg extends RolloutBase {
  readonly algorithm = "dpg";
  readonly optimizer: Optimizer;
  readonly safety: SafeUpdater;
  private readonly nf: number;
  private readonly n: number;
  private readonly discount: number;
  private readonly reg: number;
  // rollout storage (grown as needed)
  private S: Float64Array; // (R+1) x nx states
  private E: Float64Array; // R x nu exploration
  private L: Float64Array; // R costs
  private J: Float64Array; // R x nu x nTheta sensitivities
  private len = 0;
  private readonly pi: Float64Array;
  private readonly grad: Float64Array;
  lastGradient: Float64Array;
  rolloutCosts: number[] = [];
  /** Learning indicators of the latest update, for the run log (read and cleared by takeUpdateInfo). */
  private updateInfo: Record<string, number> | undefined;
  readonly identification: IdentificationGuard | undefined;

  constructor(mpc: LearnableMpc, plant: Plant, readonly dConfig: DpgConfig) {
    super(mpc, plant, dConfig);
    if (!dConfig.exploration || dConfig.exploration.kind === "none") throw new Error("DPG needs exploration");
    this.n = mpc.nTheta;
    this.nf = quadraticFeatureCount(mpc.nx);
    this.discount = dConfig.discount ?? mpc.discount;
    this.reg = dConfig.regularization ?? 1e-6;
    this.optimizer = createOptimizer(this.n, dConfig.optimizer);
    // the safety layer's boxes are copies: identification tightens them
    const lower = Float64Array.from(mpc.thetaLower);
    const upper = Float64Array.from(mpc.thetaUpper);
    if ((dConfig.identifyAfter ?? 0) > 0) this.identification = new IdentificationGuard(mpc, dConfig.identifyAfter ?? 0, lower, upper);
    this.safety = new SafeUpdater(this.n, {
      lower,
      upper,
      maxRelativeChange: dConfig.maxRelativeChange ?? Infinity,
      minTrustRadius: 0.1,
      params: mpc.params,
    });
    const R = Math.max(1, dConfig.rolloutLength || 128);
    this.S = new Float64Array((R + 1) * mpc.nx);
    this.E = new Float64Array(R * mpc.nu);
    this.L = new Float64Array(R);
    this.J = new Float64Array(R * mpc.nu * this.n);
    this.pi = new Float64Array(mpc.nu);
    this.grad = new Float64Array(this.n);
    this.lastGradient = new Float64Array(this.n);
  }

  private ensure(R: number): void {
    if (this.L.length >= R) return;
    const grow = (a: Float64Array, per: number) => {
      const b = new Float64Array(2 * R * per + per);
      b.set(a);
      return b;
    };
    this.S = grow(this.S, this.mpc.nx);
    this.E = grow(this.E, this.mpc.nu);
    this.L = grow(this.L, 1);
    this.J = grow(this.J, this.mpc.nu * this.n);
  }

  protected override onBeginEpisode(): void {
    this.len = 0;
  }

  step(): StepRecord {
    const { nx, nu } = this.mpc;
    const n = this.n;
    // pi(s) and its sensitivity at the unperturbed optimum, then the explored action
    const sens = this.mpc.policySensitivity(this.s, this.runtime);
    const act = this.policy(this.s, this.a);
    this.promoteAct();
    this.pi.set(act.u);
    this.shapeExploration(act.x);
    this.filterExploration(act.x);
    const st = this.plantStep();
    const ok = sens.ok && isSolved(act.status) && !act.fallback;
    // a plant step with a non-finite state or cost (the episode stops) never enters the rollout
    const plantOk = this.record.failure === undefined;
    if (ok && plantOk) {
      this.ensure(this.len + 1);
      const k = this.len;
      this.S.set(this.s, k * nx);
      for (let i = 0; i < nu; i++) this.E[k * nu + i] = this.a[i] - this.pi[i];
      this.L[k] = st.cost;
      this.J.set(sens.jacobian.subarray(0, nu * n), k * nu * n);
      this.S.set(st.observation, (k + 1) * nx);
      this.len++;
    }
    const guard = plantOk ? this.identification?.observe(this.s, this.a, st.observation, this.theta, (cand) => this.acceptAt(cand, st.observation)) : undefined;
    if (guard?.note !== undefined) this.record.note = guard.note;
    // the rollout so far was explored with the old parameters: start a new one
    if (guard?.changed === true) this.len = 0;
    this.s.set(st.observation);
    // A failed solve skips the transition (as mpcrl does); the rollout goes on.
    const R = this.dConfig.rolloutLength;
    if (R > 0 && this.len >= R) this.consolidate();
    this.finishStep(!ok);
    return this.record;
  }

  private filterM: Float64Array | undefined;
  private filterLo: Float64Array | undefined;
  private filterHi: Float64Array | undefined;

  /**
   * With identification on and done: a one-step safety filter on the exploration (the predictive
   * safety filter of Wabersich & Zeilinger 2018, "Linear model predictive safety certification for
   * learning-based control", CDC, restricted to the first step): the perturbation d = a - pi(s) is
   * scaled by the largest alpha in [0, 1] such that the identified model's next state
   * x_1 + alpha B d stays inside the stage-1 bounds the MPC plans with (back-offs included), where
   * x_1 is the MPC's own predicted first state. A plan already outside them gets no exploration.
   */
  private filterExploration(x: Float64Array): void {
    const guard = this.identification;
    if (!guard || guard.online.result?.ok !== true) return;
    const st = guard.online.structure;
    const { nx, nu } = this.mpc;
    if (x.length < 2 * nx) return;
    const w = nx + nu + 1;
    const nb = st.bounds.length;
    this.filterM ??= new Float64Array(nx * w);
    this.filterLo ??= new Float64Array(nb);
    this.filterHi ??= new Float64Array(nb);
    const M = this.filterM;
    if (!st.dynamics(this.theta, M)) return;
    st.stateBounds(this.theta, this.filterLo, this.filterHi);
    let alpha = 1;
    for (let k = 0; k < nb; k++) {
      const i = st.bounds[k].state;
      let bd = 0;
      for (let j = 0; j < nu; j++) bd += M[i * w + nx + j] * (this.a[j] - this.pi[j]);
      const xi = x[nx + i];
      const lo = this.filterLo[k];
      const hi = this.filterHi[k];
      if (bd < 0 && Number.isFinite(lo)) alpha = Math.min(alpha, Math.max(0, (xi - lo) / -bd));
      if (bd > 0 && Number.isFinite(hi)) alpha = Math.min(alpha, Math.max(0, (hi - xi) / bd));
    }
    if (alpha < 1) for (let j = 0; j < nu; j++) this.a[j] = this.pi[j] + alpha * (this.a[j] - this.pi[j]);
  }

  /** Sets a candidate from identification when the MPC solves at the state met next with it (null), else restores (why not). */
  private acceptAt(cand: Float64Array, next: Float64Array): string | null {
    this.mpc.setTheta(cand);
    const v = this.mpc.value(next, this.runtime);
    if (v.status === "solved") return null;
    this.mpc.setTheta(this.theta);
    return `the MPC is ${v.status} at the next state with these parameters`;
  }

  /** Margin-shaped exploration: scales a - pi by clamp(m / d, floor, 1) (see the header). */
  private shapeExploration(x: Float64Array): void {
    const d = this.dConfig.explorationMargin ?? 0;
    const { nx, nu } = this.mpc;
    if (!(d > 0) || x.length < 2 * nx) return;
    const lo = this.dConfig.stateLower;
    const hi = this.dConfig.stateUpper;
    let m = Infinity;
    for (let i = 0; i < nx; i++) {
      const xi = x[nx + i];
      const l = lo?.[i];
      const h = hi?.[i];
      if (l !== null && l !== undefined && Number.isFinite(l)) m = Math.min(m, xi - l);
      if (h !== null && h !== undefined && Number.isFinite(h)) m = Math.min(m, h - xi);
    }
    if (!(m < d) && !Number.isNaN(m)) return;
    const scale = Number.isNaN(m) ? 1 : Math.max(EXPLORATION_MARGIN_FLOOR, m / d);
    for (let i = 0; i < nu; i++) this.a[i] = this.pi[i] + scale * (this.a[i] - this.pi[i]);
  }

  override endEpisode() {
    if (this.len > 1) this.consolidate();
    this.len = 0;
    return super.endEpisode();
  }

  /** LSTD critic and policy gradient over the stored rollout, then an optimizer step. */
  private consolidate(): void {
    const N = this.len;
    this.len = 0;
    if (N < 2) return;
    const { nx, nu } = this.mpc;
    const n = this.n;
    const nf = this.nf;
    const g = this.discount;
    const Phi = new Float64Array((N + 1) * nf);
    const f = new Float64Array(nf);
    for (let t = 0; t <= N; t++) Phi.set(quadraticFeatures(this.S.subarray(t * nx, (t + 1) * nx), f), t * nf);
    // D = gamma Phi_next - Phi (N x nf)
    const D = new Float64Array(N * nf);
    for (let t = 0; t < N; t++) for (let j = 0; j < nf; j++) D[t * nf + j] = g * Phi[(t + 1) * nf + j] - Phi[t * nf + j];
    // G = Phi Phi' (N x N) with Phi the first N rows; M = D' G (nf x N)
    const M = new Float64Array(nf * N);
    const G = new Float64Array(N);
    for (let t = 0; t < N; t++) {
      for (let r = 0; r < N; r++) {
        let s = 0;
        for (let j = 0; j < nf; j++) s += Phi[t * nf + j] * Phi[r * nf + j];
        G[r] = s;
      }
      // M[:, t] = sum_r D[r, :]' G[r, t]  (G symmetric)
      for (let j = 0; j < nf; j++) {
        let s = 0;
        for (let r = 0; r < N; r++) s += D[r * nf + j] * G[r];
        M[j * N + t] = s;
      }
    }
    const Av = new Float64Array(nf * nf);
    const bv = new Float64Array(nf);
    for (let i = 0; i < nf; i++) {
      for (let j = 0; j < nf; j++) {
        let s = i === j ? this.reg : 0;
        for (let t = 0; t < N; t++) s += M[i * N + t] * D[t * nf + j];
        Av[i * nf + j] = s;
      }
      let s = 0;
      for (let t = 0; t < N; t++) s += M[i * N + t] * this.L[t];
      bv[i] = -s;
    }
    if (!luSolve(Av, bv, nf)) return;
    const v = bv;
    // Psi_t = J_t' e_t (n), A = Psi'Psi, b = Psi'(L + D v)
    const Psi = new Float64Array(N * n);
    const target = new Float64Array(N);
    for (let t = 0; t < N; t++) {
      for (let p = 0; p < n; p++) {
        let s = 0;
        for (let i = 0; i < nu; i++) s += this.J[(t * nu + i) * n + p] * this.E[t * nu + i];
        Psi[t * n + p] = s;
      }
      let dv = 0;
      for (let j = 0; j < nf; j++) dv += D[t * nf + j] * v[j];
      target[t] = this.L[t] + dv;
    }
    const A = new Float64Array(n * n);
    const b = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      for (let q = 0; q <= p; q++) {
        let s = 0;
        for (let t = 0; t < N; t++) s += Psi[t * n + p] * Psi[t * n + q];
        A[p * n + q] = s;
        A[q * n + p] = s;
      }
      let s = 0;
      for (let t = 0; t < N; t++) s += Psi[t * n + p] * target[t];
      b[p] = s;
    }
    // (A'A + rho I) w = A'b  (A symmetric)
    const AA = new Float64Array(n * n);
    const Ab = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) {
        let s = p === q ? this.reg : 0;
        for (let r = 0; r < n; r++) s += A[r * n + p] * A[r * n + q];
        AA[p * n + q] = s;
      }
      let s = 0;
      for (let r = 0; r < n; r++) s += A[r * n + p] * b[r];
      Ab[p] = s;
    }
    const Lf = new Float64Array(n * n);
    if (!cholesky(AA, n, 0, Lf)) return;
    const w = cholSolve(Lf, n, Ab, new Float64Array(n));
    // critic fit: RMS of Psi_t' w - target_t (target_t = L_t + D_t v, the TD error of the value fit)
    let fitSq = 0;
    let tdSq = 0;
    for (let t = 0; t < N; t++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += Psi[t * n + p] * w[p];
      fitSq += (s - target[t]) ** 2;
      tdSq += target[t] ** 2;
    }
    // dJ/dtheta = sum_t J_t' J_t w
    this.grad.fill(0);
    const Jw = new Float64Array(nu);
    for (let t = 0; t < N; t++) {
      for (let i = 0; i < nu; i++) {
        let s = 0;
        for (let p = 0; p < n; p++) s += this.J[(t * nu + i) * n + p] * w[p];
        Jw[i] = s;
      }
      for (let p = 0; p < n; p++) {
        let s = 0;
        for (let i = 0; i < nu; i++) s += this.J[(t * nu + i) * n + p] * Jw[i];
        this.grad[p] += s;
      }
    }
    this.lastGradient.set(this.grad);
    let gn = 0;
    for (let p = 0; p < n; p++) gn += this.grad[p] ** 2;
    this.updateInfo = { policy_gradient_norm: Math.sqrt(gn), critic_rmse: Math.sqrt(fitSq / N), td_rms: Math.sqrt(tdSq / N), rollout_steps: N };
    let rc = 0;
    for (let t = 0; t < N; t++) rc += this.L[t];
    this.rolloutCosts.push(rc);
    const r = this.record;
    r.updated = true;
    const model = this.optimizer.model(this.theta, this.grad, null);
    const out = this.safety.apply(this.theta, model);
    if (out.accepted) {
      this.optimizer.commit(this.safety.delta);
      this.mpc.setTheta(this.theta);
    } else {
      r.rejected = out.message ?? "rejected";
    }
  }

  /** The latest update's policy-gradient norm, critic RMS error and TD RMS (once; undefined if none since the last call). */
  takeUpdateInfo(): Record<string, number> | undefined {
    const info = this.updateInfo;
    this.updateInfo = undefined;
    return info;
  }

  protected extraState(): Record<string, unknown> {
    const { nx, nu } = this.mpc;
    const n = this.n;
    return {
      optimizer: this.optimizer.getState(),
      len: this.len,
      S: Array.from(this.S.subarray(0, (this.len + 1) * nx)),
      E: Array.from(this.E.subarray(0, this.len * nu)),
      L: Array.from(this.L.subarray(0, this.len)),
      J: Array.from(this.J.subarray(0, this.len * nu * n)),
      rolloutCosts: this.rolloutCosts,
      ...(this.identification ? { identification: this.identification.getState() } : {}),
    };
  }

  protected restoreExtra(extra: Record<string, unknown>): void {
    this.optimizer.setState(extra.optimizer as OptimizerState);
    const len = extra.len as number;
    this.ensure(len + 1);
    this.S.set(extra.S as number[]);
    this.E.set(extra.E as number[]);
    this.L.set(extra.L as number[]);
    this.J.set(extra.J as number[]);
    this.rolloutCosts = [...(extra.rolloutCosts as number[])];
    if (this.identification && extra.identification !== undefined) {
      this.identification.setState(extra.identification as ReturnType<IdentificationGuard["getState"]>);
    }
    this.restoredLen = len;
  }
  private restoredLen = -1;

  override restore(cp: Parameters<RolloutBase["restore"]>[0]): void {
    super.restore(cp);
    // the base class replays the plant; the rollout buffer comes from the checkpoint
    if (this.restoredLen >= 0) this.len = this.restoredLen;
  }
}
