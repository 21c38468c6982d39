// Off-policy (offline) LSTD Q-learning from a data set of rollouts, as mpcrl's
// LstdQLearningAgent.train_offpolicy: for each recorded transition, Q(s, a) and V(s') under the
// current parameters give the TD error; updates follow every `updateEvery` transitions; every
// `evaluation.every` rollouts the greedy policy is evaluated on the plant for `evaluation.episodes`
// episodes (their mean cost is reported as `eval_cost`). One "episode" of this trainer is one pass
// over one recorded rollout.
//
// Conservative mode (`guard: model`, the default of `algorithm offline_q`): plain off-policy
// Q-learning from data of one behaviour policy ends far worse than that policy (mpcrl's
// q_learning_offpolicy: ~398 vs ~101 per 100-step rollout), because the TD fixed point is
// evaluated on actions the data never took (extrapolation error: Fujimoto, Meger & Precup, "Off-policy
// deep reinforcement learning without exploration", ICML 2019; Levine, Kumar, Tucker & Fu, "Offline
// reinforcement learning: tutorial, review, and perspectives", 2020). Three safeguards:
//  1. Support (trust region around the behaviour parameters theta_b): every parameter stays in
//     |theta_i - theta_b,i| <= support * max(|theta_b,i|, 0.1) (intersected with its declared box),
//     the parameter-space analogue of behaviour-regularized / trust-region policy updates
//     (Schulman et al., TRPO, ICML 2015; Kumar et al., BEAR, NeurIPS 2019).
//  2. An off-policy estimate of the policy's cost that does not trust the MPC's own prediction:
//     V_theta(s0) is the MPC's cost-to-go under ITS model, which under model mismatch is no
//     estimate of the true cost (the behaviour MPC of Gros & Zanon predicts ~0 violations and gets
//     many). Instead the dynamics are identified from the data set (sysid.ts: least squares on
//     (s, a, s'), "identification for control", Ljung 1999, Gevers 2005) and the candidate policy is
//     simulated in closed loop on the identified model from the data's initial states, with each
//     rollout's own residual sequence replayed as the disturbance (an empirical, common-random-
//     numbers model-based estimate in the spirit of MOPO/MBPO-style model-based offline
//     evaluation: Yu et al., NeurIPS 2020; Paduraru, "Off-policy evaluation in Markov decision
//     processes", 2012, ch. 5). Costs are the plant's declared stage cost L(s, a) evaluated at the
//     simulated states (the task's objective is known, its dynamics are not); for a plant without
//     an evaluable cost, a quadratic cost model fitted to the recorded costs.
//  3. A guard (safe policy improvement, Thomas, Theocharous & Ghavamzadeh, "High confidence
//     policy improvement", ICML 2015; Laroche, Trichelair & Tachet des Combes, SPIBB, ICML 2019):
//     at the end of every pass the candidate parameters are accepted only when their estimate is
//     at most the incumbent's, which is at most the behaviour policy's on the same simulation;
//     otherwise the learner returns to the incumbent. Candidates are the TD (Q-learning) iterate
//     and an antithetic pair of random steps around the incumbent inside the support (a guarded
//     random search on the identified model, Rastrigin-style (1+lambda) with step adaptation), so
//     the method improves where the model says so and never moves where it says it is worse.

import type { LearnableMpc } from "../mpc/types.js";
import { plantStepFailure } from "../plants/failure.js";
import type { Plant } from "../plants/types.js";
import type { Rollout } from "./dataset.js";
import { allFinite } from "../linalg/dense.js";
import { isSolved } from "./monitors.js";
import { createOptimizer, type Optimizer, type OptimizerState } from "./optimizers.js";
import type { QLearningConfig } from "./q_learning.js";
import { Replay, type ReplayState } from "./replay.js";
import { RolloutBase } from "./rollout.js";
import { SafeUpdater } from "./safety.js";
import { identifyAffine, fitQuadraticCost, predict, type AffineModel } from "./sysid.js";
import { episodeSeed, type StepRecord } from "./types.js";

export interface OfflineGuardConfig {
  /** "model": the conservative method above; "none": plain off-policy Q-learning (mpcrl's train_offpolicy). */
  readonly kind: "model" | "none";
  /** Half-width of the support box around theta_b, relative to max(|theta_b,i|, 0.1). */
  readonly support: number;
  /** Rollouts of the data set (the first ones) simulated by the off-policy estimate. */
  readonly estimateRollouts: number;
  /** Antithetic pairs of random candidates per pass (0: only the TD iterate is a candidate). */
  readonly searchPairs: number;
  /** The stage cost L(s, a) at any state (the plant's declared cost); absent: a fitted quadratic. */
  readonly stageCost?: (s: Float64Array, a: Float64Array) => number;
  /** The behaviour parameters (the data set's recorded theta); absent: the controller's initial theta. */
  readonly behaviourTheta?: ArrayLike<number>;
}

export const DEFAULT_GUARD: OfflineGuardConfig = { kind: "model", support: 0.5, estimateRollouts: 10, searchPairs: 1 };

export interface OfflineConfig extends QLearningConfig {
  readonly evaluation?: { readonly every: number; readonly episodes: number; readonly steps: number };
  readonly guard?: OfflineGuardConfig;
}

/** The guard's state after a pass (the episode line's off-policy fields). */
export interface GuardRecord {
  readonly behaviour: number;
  readonly incumbent: number;
  readonly candidate: number;
  readonly accepted: boolean;
  readonly step: number;
}

/** Off-policy estimate of a policy's cost per rollout: closed-loop simulation on an identified
 *  affine model from the data's initial states with each rollout's residuals replayed. */
export class ModelEstimate {
  readonly model: AffineModel;
  readonly cost: (s: Float64Array, a: Float64Array) => number;
  readonly rollouts: number;
  private readonly s0: Float64Array[];
  private readonly res: (readonly Float64Array[])[];

  constructor(
    data: readonly Rollout[],
    nx: number,
    nu: number,
    rollouts: number,
    stageCost?: (s: Float64Array, a: Float64Array) => number,
  ) {
    this.model = identifyAffine(data, nx, nu);
    this.cost = stageCost ?? fitQuadraticCost(data);
    const idx = data.flatMap((r, i) => (r.length > 0 ? [i] : [])).slice(0, Math.max(1, rollouts));
    this.s0 = idx.map((i) => Float64Array.from(data[i][0].s));
    this.res = idx.map((i) => this.model.residuals[i]);
    this.rollouts = idx.length;
  }

  /** Mean simulated cost per rollout of `policy` (called with the state and the previous input, null at the start). */
  evaluate(policy: (s: Float64Array, prev: Float64Array | null) => Float64Array, onRolloutStart?: () => void): number {
    const nx = this.model.nx;
    let total = 0;
    const next = new Float64Array(nx);
    for (let r = 0; r < this.s0.length; r++) {
      onRolloutStart?.();
      const s = Float64Array.from(this.s0[r]);
      let prev: Float64Array | null = null;
      for (const e of this.res[r]) {
        const a: Float64Array = Float64Array.from(policy(s, prev));
        total += this.cost(s, a);
        predict(this.model, s, a, next);
        for (let i = 0; i < nx; i++) s[i] = next[i] + e[i];
        prev = a;
        if (!Number.isFinite(total) || !s.every(Number.isFinite)) return Infinity;
      }
    }
    return total / this.s0.length;
  }
}

export class OfflineQLearning extends RolloutBase {
  readonly algorithm = "offline_q_learning";
  readonly optimizer: Optimizer;
  readonly replay: Replay;
  readonly safety: SafeUpdater;
  private readonly grad: Float64Array;
  private readonly hessian: Float64Array | null;
  private readonly discount: number;
  private readonly updateEvery: number;
  private sinceUpdate = 0;
  private rollout: Rollout = [];
  private evalCost = NaN;
  readonly evaluations: { episode: number; cost: number }[] = [];
  readonly guard: OfflineGuardConfig;
  /** The off-policy estimate (guard "model"), built lazily at the first pass. */
  estimate: ModelEstimate | undefined;
  /** Behaviour parameters, their support box, the incumbent (the parameters the guard accepted last). */
  readonly thetaB: Float64Array;
  readonly supportLower: Float64Array;
  readonly supportUpper: Float64Array;
  private incumbent: Float64Array;
  private jB = NaN;
  private jInc = NaN;
  /** Random-search step, as a fraction of the support half-width. */
  private searchStep = 0.25;
  private lastGuard: GuardRecord | undefined;
  readonly guardLog: GuardRecord[] = [];

  constructor(
    mpc: LearnableMpc,
    plant: Plant,
    readonly data: readonly Rollout[],
    readonly oConfig: OfflineConfig,
  ) {
    super(mpc, plant, oConfig);
    const n = mpc.nTheta;
    this.optimizer = createOptimizer(n, oConfig.optimizer);
    const rp = oConfig.replay ?? { size: 1, sample: 1 };
    this.replay = new Replay(n, Math.max(1, rp.size), Math.max(1, rp.sample));
    this.grad = new Float64Array(n);
    this.hessian = this.optimizer.order === 2 ? new Float64Array(n * n) : null;
    this.discount = oConfig.discount ?? mpc.discount;
    this.updateEvery = Math.max(1, oConfig.updateEvery ?? 1);
    this.guard = oConfig.guard ?? { ...DEFAULT_GUARD, kind: "none" };
    this.thetaB = Float64Array.from(this.guard.behaviourTheta ?? mpc.getTheta());
    if (this.thetaB.length !== n) throw new Error(`the behaviour parameters have ${this.thetaB.length} entries, the controller ${n}`);
    this.supportLower = Float64Array.from(mpc.thetaLower);
    this.supportUpper = Float64Array.from(mpc.thetaUpper);
    if (this.guard.kind === "model") {
      for (let i = 0; i < n; i++) {
        const h = this.guard.support * Math.max(Math.abs(this.thetaB[i]), 0.1);
        this.supportLower[i] = Math.max(mpc.thetaLower[i], this.thetaB[i] - h);
        this.supportUpper[i] = Math.min(mpc.thetaUpper[i], this.thetaB[i] + h);
      }
      // start inside the support (at theta_b when the data set recorded other parameters)
      if (this.guard.behaviourTheta !== undefined) this.theta.set(this.thetaB);
      for (let i = 0; i < n; i++) this.theta[i] = Math.min(this.supportUpper[i], Math.max(this.supportLower[i], this.theta[i]));
      mpc.setTheta(this.theta);
    }
    this.incumbent = Float64Array.from(this.theta);
    this.safety = new SafeUpdater(n, {
      lower: this.supportLower,
      upper: this.supportUpper,
      maxRelativeChange: oConfig.safety?.maxRelativeChange ?? Infinity,
      minTrustRadius: oConfig.safety?.minTrustRadius ?? 0.1,
      params: mpc.params,
    });
  }

  override beginEpisode(episode: number): void {
    if (this.data.length === 0) throw new Error("the data set has no rollouts");
    this.episode = episode;
    this.stepInEpisode = 0;
    this.episodeCost = 0;
    this.episodeAbsTd = 0;
    this.episodeTdCount = 0;
    this.evalCost = NaN;
    this.lastGuard = undefined;
    if (this.guard.kind === "model" && this.estimate === undefined) this.initGuard();
    this.monitor.startEpisode();
    this.mpc.resetWarmStart();
    this.rollout = this.data[episode % this.data.length];
  }

  /** Identifies the model and scores the behaviour parameters and the starting point. */
  private initGuard(): void {
    this.estimate = new ModelEstimate(this.data, this.mpc.nx, this.mpc.nu, this.guard.estimateRollouts, this.guard.stageCost);
    this.jB = this.estimateCost(this.thetaB);
    this.jInc = this.jB;
    this.incumbent.set(this.thetaB);
    if (this.theta.some((v, i) => v !== this.thetaB[i])) {
      const j0 = this.estimateCost(this.theta);
      if (j0 <= this.jB) {
        this.jInc = j0;
        this.incumbent.set(this.theta);
      }
    }
    this.theta.set(this.incumbent);
    this.mpc.setTheta(this.theta);
  }

  /** The off-policy estimate of the cost per rollout at `theta` (the controller's theta is restored). */
  estimateCost(theta: ArrayLike<number>): number {
    const est = this.estimate;
    if (!est) return NaN;
    const keep = this.mpc.getTheta();
    let j: number;
    try {
      this.mpc.setTheta(theta);
      j = est.evaluate(
        (s, prev) => {
          this.setPreviousInput(prev);
          return this.mpc.act(s, this.runtime).u;
        },
        () => this.mpc.resetWarmStart(),
      );
    } catch {
      j = Infinity;
    }
    this.mpc.setTheta(keep);
    this.mpc.resetWarmStart();
    return j;
  }

  /** The guard at the end of a pass: the TD iterate and the random candidates against the incumbent. */
  private guardStep(): void {
    const n = this.theta.length;
    const rng = this.streams.get("offline_search");
    const cands: Float64Array[] = [Float64Array.from(this.theta)];
    for (let p = 0; p < this.guard.searchPairs; p++) {
      const plus = new Float64Array(n);
      const minus = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const h = 0.5 * (this.supportUpper[i] - this.supportLower[i]);
        const d = (rng.next() < 0.5 ? -1 : 1) * this.searchStep * (Number.isFinite(h) ? h : 0.1);
        plus[i] = Math.min(this.supportUpper[i], Math.max(this.supportLower[i], this.incumbent[i] + d));
        minus[i] = Math.min(this.supportUpper[i], Math.max(this.supportLower[i], this.incumbent[i] - d));
      }
      cands.push(plus, minus);
    }
    let best = -1;
    let bestJ = this.jInc;
    let tdJ = NaN;
    cands.forEach((c, k) => {
      if (c.every((v, i) => v === this.incumbent[i])) {
        if (k === 0) tdJ = this.jInc;
        return;
      }
      const j = this.estimateCost(c);
      if (k === 0) tdJ = j;
      // never accept an estimate above the incumbent's (itself at most the behaviour policy's)
      // (no finite estimate of the behaviour policy: nothing can be shown better, nothing is accepted)
      if (Number.isFinite(j) && Number.isFinite(this.jB) && j < bestJ && j <= this.jB) {
        best = k;
        bestJ = j;
      }
    });
    const accepted = best >= 0;
    if (accepted) {
      this.incumbent.set(cands[best]);
      this.jInc = bestJ;
      if (best > 0) this.searchStep = Math.min(1, this.searchStep * 1.5);
    } else if (this.guard.searchPairs > 0) this.searchStep = Math.max(1e-3, this.searchStep * 0.7);
    this.theta.set(this.incumbent);
    this.mpc.setTheta(this.theta);
    this.mpc.resetWarmStart();
    this.lastGuard = { behaviour: this.jB, incumbent: this.jInc, candidate: tdJ, accepted, step: this.searchStep };
    this.guardLog.push(this.lastGuard);
  }

  step(): StepRecord {
    const r = this.record;
    const tr = this.rollout[this.stepInEpisode];
    r.episode = this.episode;
    r.step = this.stepInEpisode;
    r.t = this.globalStep;
    r.state.set(tr.s);
    r.action.set(tr.a);
    r.cost = tr.cost;
    r.violations = tr.violations;
    r.tdError = NaN;
    r.updated = false;
    r.rejected = null;
    r.done = this.stepInEpisode + 1 >= this.rollout.length;
    this.episodeCost += tr.cost;
    // prev(u): the input applied before tr.s (the previous transition's, or the initial value), then tr.a
    this.setPreviousInput(this.stepInEpisode > 0 ? this.rollout[this.stepInEpisode - 1].a : null);
    const q = this.mpc.gradQvalue(tr.s, tr.a, this.runtime);
    this.setPreviousInput(tr.a);
    const v = this.mpc.value(tr.sNext, this.runtime);
    const ok = q.ok && v.ok && isSolved(v.status);
    if (ok) {
      r.tdError = tr.cost + this.discount * v.value - q.value;
      if (Number.isFinite(r.tdError) && allFinite(q.grad)) this.replay.push(q.grad, r.tdError);
    }
    if (++this.sinceUpdate >= this.updateEvery) {
      this.sinceUpdate = 0;
      if (this.replay.sample(this.streams.get("replay"), this.grad, this.hessian) > 0) {
        r.updated = true;
        const out = this.safety.apply(this.theta, this.optimizer.model(this.theta, this.grad, this.hessian));
        if (out.accepted) {
          this.optimizer.commit(this.safety.delta);
          this.mpc.setTheta(this.theta);
        } else r.rejected = out.message ?? "rejected";
      }
    }
    this.actFailed = !ok;
    this.actFallback = false;
    this.actSlacks = 0;
    this.finishStep(false);
    return r;
  }

  override endEpisode() {
    if (this.guard.kind === "model") this.guardStep();
    const ev = this.oConfig.evaluation;
    if (ev && ev.every > 0 && (this.episode + 1) % ev.every === 0) {
      this.evalCost = this.evaluate(ev.episodes, ev.steps);
      this.evaluations.push({ episode: this.episode, cost: this.evalCost });
    }
    return super.endEpisode();
  }

  protected override episodeExtra(): Record<string, number> | undefined {
    const out: Record<string, number> = {};
    if (!Number.isNaN(this.evalCost)) out.eval_cost = this.evalCost;
    const g = this.lastGuard;
    if (g) {
      out.ope_estimate = g.incumbent;
      out.ope_behaviour = g.behaviour;
      out.ope_candidate = g.candidate;
      out.guard_accepted = g.accepted ? 1 : 0;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }

  /** Mean cost of the greedy policy over `episodes` fresh episodes (no learning, no exploration). */
  evaluate(episodes: number, steps: number): number {
    let total = 0;
    for (let e = 0; e < episodes; e++) {
      this.mpc.resetWarmStart();
      let s = this.plant.reset(episodeSeed(this.config.seed + 0x5eed, this.evaluations.length * episodes + e));
      this.setPreviousInput(null);
      for (let k = 0; k < steps; k++) {
        const act = this.mpc.act(s, this.runtime);
        const st = this.plant.step(act.u);
        this.setPreviousInput(act.u);
        total += st.cost;
        s = st.observation;
        // a plant that left its domain (non-finite state or cost): no evaluation cost (NaN), never
        // the sum of the steps before
        if (plantStepFailure(st) !== null) return NaN;
        if (st.terminated || st.truncated) break;
      }
    }
    return total / Math.max(1, episodes);
  }

  protected extraState(): Record<string, unknown> {
    return {
      optimizer: this.optimizer.getState(),
      replay: this.replay.getState(),
      sinceUpdate: this.sinceUpdate,
      evaluations: this.evaluations,
      guard: { incumbent: Array.from(this.incumbent), jB: this.jB, jInc: this.jInc, searchStep: this.searchStep, log: this.guardLog },
    };
  }

  protected restoreExtra(extra: Record<string, unknown>): void {
    this.optimizer.setState(extra.optimizer as OptimizerState);
    this.replay.setState(extra.replay as ReplayState);
    this.sinceUpdate = extra.sinceUpdate as number;
    this.evaluations.splice(0, this.evaluations.length, ...(extra.evaluations as { episode: number; cost: number }[]));
    const g = extra.guard as { incumbent: number[]; jB: number | null; jInc: number | null; searchStep: number; log: GuardRecord[] } | undefined;
    if (g && this.guard.kind === "model") {
      if (this.estimate === undefined) this.estimate = new ModelEstimate(this.data, this.mpc.nx, this.mpc.nu, this.guard.estimateRollouts, this.guard.stageCost);
      this.incumbent = Float64Array.from(g.incumbent);
      this.jB = g.jB ?? Infinity;
      this.jInc = g.jInc ?? Infinity;
      this.searchStep = g.searchStep;
      this.guardLog.splice(0, this.guardLog.length, ...g.log);
    }
  }

  override restore(cp: Parameters<RolloutBase["restore"]>[0]): void {
    // No plant replay is needed: the data set is the environment. Restore at the checkpointed transition.
    super.restore({ ...cp, step: 0, episodeActions: [] });
    if (cp.step > 0) {
      this.rollout = this.data[cp.episode % this.data.length];
      this.stepInEpisode = cp.step;
    }
  }
}
