// Second-order LSTD Q-learning with the MPC as Q-function (Gros & Zanon 2020; Esfahani et al.
// 2021), following mpcrl 1.4's LstdQLearningAgent.train_one_episode step for step:
//   a_t was computed by V(s_t) at the previous step (with theta before the last update);
//   Q(s_t, a_t) and dQ/dtheta are computed, the plant steps, V(s_{t+1}) gives a_{t+1};
//   the TD error is  delta = L(s_t, a_t) + gamma V(s_{t+1}) - Q(s_t, a_t);
//   the transition (dQ, delta) is stored; every `updateEvery` steps a replay sample gives
//   g = -mean(delta dQ), H = mean(dQ dQ') and the optimizer proposes an update, which the safety
//   layer projects into bounds and the trust region (or rejects).
// Differences from mpcrl: the Hessian is always the gradient outer-product approximation (mpcrl's
// "approx" adds -delta d2L/dtheta2, which is zero when theta enters the QP linearly, as in the
// Gros & Zanon benchmark); updates that produce NaN or an infeasible MPC are rejected instead of
// raising.

import type { LearnableMpc } from "../mpc/types.js";
import type { Plant } from "../plants/types.js";
import { allFinite, sameValues } from "../linalg/dense.js";
import { isSolved } from "./monitors.js";
import { createOptimizer, type Optimizer, type OptimizerSpec, type OptimizerState } from "./optimizers.js";
import { Replay, type ReplayState } from "./replay.js";
import { RolloutBase, type RolloutConfig } from "./rollout.js";
import { SafeUpdater } from "./safety.js";
import { REJECTION_SEPARATOR, type StepRecord } from "./types.js";
import { IdentificationGuard } from "./identify_guard.js";

/**
 * Statuses that condemn the parameters (the MPC has no solution, or is not a convex QP); a solver
 * that merely stopped early (max_iterations, solved_inaccurate, time_limit) does not.
 */
export function unsolvable(status: string): boolean {
  return status === "primal_infeasible" || status === "dual_infeasible" || status === "non_convex" || status === "invalid_input";
}

export interface SafetySettings {
  /** Maximum relative change of each parameter per update (mpcrl's max_percentage_update). */
  readonly maxRelativeChange?: number;
  /** Absolute floor of the trust radius (mpcrl: 0.1). */
  readonly minTrustRadius?: number;
  /**
   * Reject an update that makes the MPC fail at the state it meets next. "eager" (default) solves
   * V at the new state with the candidate parameters before accepting (one extra solve per update)
   * and rejects the candidate when that solve is not exact while the current parameters' solve at
   * the same state was (where the controller allows it, `qCheckSuffices`, the next step's own
   * Q(s', a') first, reused by that step: no extra solve; V when it is not exact); "lazy" checks with
   * the next step's Q solve, which is needed anyway, and reverts to the previous parameters if it
   * reports an infeasible or non-convex QP (the update was applied for one step); false never checks.
   */
  readonly checkFeasibility?: "lazy" | "eager" | false;
  /**
   * After this many consecutive steps whose action came from the fallback (the MPC failed), the
   * parameters return to the last ones under which a step solved, and the restore is logged as a
   * rejection (reason "restored"). Default 3; 0 never restores.
   */
  readonly restoreAfterFailures?: number;
}

export interface QLearningConfig extends RolloutConfig {
  readonly discount?: number;
  readonly optimizer: OptimizerSpec;
  readonly updateEvery?: number;
  readonly updateUnit?: "steps" | "episodes";
  readonly replay?: { readonly size: number; readonly sample: number; readonly includeLatest?: boolean };
  readonly safety?: SafetySettings;
  /** Lower/upper bounds of theta (default: the controller's). */
  readonly thetaLower?: Float64Array;
  readonly thetaUpper?: Float64Array;
  /**
   * Identification for control (identify.ts): after this many transitions, fit the controller's
   * model parameters to them and bound its back-offs below by the remaining prediction error
   * (0 or absent: off). Needs a linear controller (LearnableMpc.linearStructure).
   */
  readonly identifyAfter?: number;
}

export class QLearning extends RolloutBase {
  readonly algorithm = "q_learning";
  readonly optimizer: Optimizer;
  readonly replay: Replay;
  readonly safety: SafeUpdater;
  private readonly grad: Float64Array;
  private readonly hessian: Float64Array | null;
  private readonly discount: number;
  private readonly updateEvery: number;
  private readonly perEpisode: boolean;
  private readonly sNext: Float64Array;
  private readonly aNext: Float64Array;
  private sinceUpdate = 0;
  private readonly check: "lazy" | "eager" | false;
  private readonly prevTheta: Float64Array;
  /** An accepted update not yet confirmed by a successful solve (lazy feasibility check). */
  private pending = false;
  /** Parameters of the last step whose action the MPC solved, and the current run of fallbacks. */
  private readonly lastGood: Float64Array;
  private failStreak = 0;
  private readonly restoreAfter: number;
  /** Whether V at the next state solved exactly with the current parameters (eager check's baseline). */
  private vExact = false;
  /** The safety layer's boxes (copies: identification tightens them). */
  private readonly boxLower: Float64Array;
  private readonly boxUpper: Float64Array;
  readonly identification: IdentificationGuard | undefined;

  constructor(mpc: LearnableMpc, plant: Plant, readonly qConfig: QLearningConfig) {
    super(mpc, plant, qConfig);
    const n = mpc.nTheta;
    this.optimizer = createOptimizer(n, qConfig.optimizer);
    const rp = qConfig.replay ?? { size: 1, sample: 1 };
    this.replay = new Replay(n, Math.max(1, rp.size), Math.max(1, rp.sample), rp.includeLatest ?? true);
    this.grad = new Float64Array(n);
    this.hessian = this.optimizer.order === 2 ? new Float64Array(n * n) : null;
    this.discount = qConfig.discount ?? mpc.discount;
    this.updateEvery = Math.max(1, qConfig.updateEvery ?? 1);
    this.perEpisode = qConfig.updateUnit === "episodes";
    this.sNext = new Float64Array(mpc.nx);
    this.aNext = new Float64Array(mpc.nu);
    const sf = qConfig.safety ?? {};
    this.check = sf.checkFeasibility ?? "eager";
    this.prevTheta = new Float64Array(n);
    this.lastGood = Float64Array.from(mpc.getTheta());
    this.restoreAfter = Math.max(0, sf.restoreAfterFailures ?? 3);
    const validator =
      this.check !== "eager"
        ? undefined
        : (cand: Float64Array): string | null => {
            // The MPC must stay solvable at the state it meets next with the candidate parameters:
            // an infeasible or non-convex QP always rejects; a solve that is not exact rejects when
            // the current parameters solved exactly there (the failure is the update's doing)
            // When the controller solves Q from scratch (long discounted horizons: the interior-point
            // method answers) and Q solvable implies V solvable at the candidate (`qCheckSuffices`),
            // the next step's own first QP, Q(s_{t+1}, a_{t+1}), is checked first: when it solves
            // exactly the candidate passes and the next step reuses that solve (the controller keys
            // its last solve by theta's values). When it does not while the current parameters
            // solve it exactly, the candidate is rejected (the next step's solve would fail);
            // otherwise V at that state decides, as always (a_{t+1}, explored or a fallback, may
            // break a hard first-stage row whatever the parameters). With warm starts that work, V
            // is checked: its solve is the warm start of the next V (Q checked there made V walk
            // from other parameters: Q-learning at N = 160 about 3x slower per step).
            this.mpc.setTheta(cand);
            if (this.mpc.qCheckSuffices?.(this.aNext) === true) {
              const q = this.mpc.qvalue(this.sNext, this.aNext, this.runtime);
              if (q.status === "solved") {
                this.mpc.setTheta(this.theta);
                return null;
              }
              this.mpc.setTheta(this.theta);
              if (this.mpc.qvalue(this.sNext, this.aNext, this.runtime).status === "solved") {
                return `the next step's solve fails with the new parameters (${q.status}) but solves with the current ones`;
              }
              this.mpc.setTheta(cand);
            }
            const v = this.mpc.value(this.sNext, this.runtime);
            this.mpc.setTheta(this.theta);
            if (unsolvable(v.status)) return `the MPC is ${v.status} at the next state with the new parameters`;
            if (this.vExact && v.status !== "solved") return `the MPC fails at the next state with the new parameters (${v.status}) but solves with the current ones`;
            return null;
          };
    this.boxLower = Float64Array.from(qConfig.thetaLower ?? mpc.thetaLower);
    this.boxUpper = Float64Array.from(qConfig.thetaUpper ?? mpc.thetaUpper);
    const after = qConfig.identifyAfter ?? 0;
    if (after > 0) this.identification = new IdentificationGuard(mpc, after, this.boxLower, this.boxUpper);
    this.safety = new SafeUpdater(
      n,
      {
        lower: this.boxLower,
        upper: this.boxUpper,
        maxRelativeChange: sf.maxRelativeChange ?? Infinity,
        minTrustRadius: sf.minTrustRadius ?? 0.1,
        params: mpc.params,
      },
      validator,
    );
  }

  step(): StepRecord {
    const mpc = this.mpc;
    // Q(s_t, a_t) sees prev(u) = a_{t-1}; after plantStep, V(s_{t+1}) sees a_t
    const runtime = this.runtime;
    let q = mpc.gradQvalue(this.s, this.a, runtime);
    let reverted: string | null = null;
    if (this.pending && unsolvable(q.status)) {
      // The last update made the MPC unsolvable here: reject it and restore the parameters.
      reverted = `the MPC is ${q.status} at the current state with the new parameters; update reverted`;
      this.safety.rejections.push({ update: this.safety.updates, reason: "validator", message: reverted });
      this.theta.set(this.prevTheta);
      mpc.setTheta(this.theta);
      q = mpc.gradQvalue(this.s, this.a, runtime);
    }
    this.pending = false;
    const st = this.plantStep();
    const r = this.record;
    r.rejected = reverted;
    this.sNext.set(st.observation);
    // a plant step with a non-finite state or cost (the episode stops) is no transition to identify from
    const guard = r.failure === undefined ? this.identification?.observe(r.state, r.action, this.sNext, this.theta, (cand) => this.acceptAtNext(cand)) : undefined;
    if (guard?.note !== undefined) r.note = guard.note;
    if (guard?.identified === true) this.lastGood.set(this.theta);
    const identified = guard?.changed === true;
    // a failed plant step (non-finite next state or cost) ends the episode: V(s_{t+1}) is refused
    // as invalid input, which says nothing about the parameters, so it neither counts toward a
    // restore nor feeds an update (whose eager check at s_{t+1} would blame the new parameters)
    const plantFailed = r.failure !== undefined;
    const v = this.policy(this.sNext, this.aNext);
    const vOk = isSolved(v.status) && !v.fallback;
    this.vExact = v.status === "solved" && !v.fallback;
    let restored = false;
    if (this.restoreAfter > 0 && !plantFailed) {
      if (v.fallback) this.failStreak++;
      else {
        this.failStreak = 0;
        this.lastGood.set(this.theta);
      }
      if (this.failStreak >= this.restoreAfter && !sameValues(this.theta, this.lastGood)) {
        // the controller keeps failing: back to the parameters of its last solved step
        const message = `the MPC failed ${this.failStreak} steps in a row; parameters restored to those of the last solved step`;
        this.safety.rejections.push({ update: this.safety.updates, reason: "restored", message });
        this.theta.set(this.lastGood);
        mpc.setTheta(this.theta);
        this.pending = false;
        this.failStreak = 0;
        r.rejected = r.rejected === null ? message : `${r.rejected}${REJECTION_SEPARATOR}${message}`;
        restored = true;
      } else if (this.failStreak >= this.restoreAfter) {
        // the parameters are those the controller last solved with: the failures are the state's
        this.failStreak = 0;
      }
    }
    if (q.ok && vOk) {
      r.tdError = st.cost + this.discount * v.value - q.value;
      // a non-finite TD error or gradient never enters the replay buffer
      if (Number.isFinite(r.tdError) && allFinite(q.grad)) this.replay.push(q.grad, r.tdError);
    }
    this.sinceUpdate++;
    // no update in the step that restored or identified the parameters (the next one may update again)
    if (!this.perEpisode && this.sinceUpdate >= this.updateEvery && !restored && !identified && !plantFailed) this.update();
    this.finishStep(!q.ok);
    this.s.set(this.sNext);
    this.a.set(this.aNext);
    return r;
  }

  override endEpisode() {
    if (this.perEpisode) {
      // Episode-based updates count episodes, not steps.
      this.episodesSinceUpdate++;
      // after a failed plant step there is no finite state to validate the update at: it waits for
      // the next episode's end
      if (this.episodesSinceUpdate >= this.updateEvery && this.record.failure === undefined) {
        this.episodesSinceUpdate = 0;
        // the state met next is the next episode's initial state, not known here: the eager check
        // still refuses an infeasible or non-convex QP at the last state, but does not compare
        // exactness there; and the last step's own rejection (already counted) is not counted again
        this.vExact = false;
        this.record.rejected = null;
        this.record.updated = false;
        this.update();
        this.episodeUpdated = this.record.updated;
        if (this.record.rejected !== null) this.monitor.rejected();
      }
    }
    const out = super.endEpisode();
    this.episodeUpdated = false;
    return out;
  }
  private episodesSinceUpdate = 0;
  /** Whether an update was attempted at this episode's end (`update every n episodes`): the last
   *  step's record is already written, so the episode line carries it (`updated: 1`). */
  private episodeUpdated = false;

  protected override episodeExtra(): Record<string, number> | undefined {
    return this.episodeUpdated ? { updated: 1 } : undefined;
  }

  /**
   * Applies a candidate from identification for control (identify_guard.ts) when the MPC solves at
   * the next state with it, and recomputes the next action with it (V(s_{t+1}) gave a_{t+1} with the
   * old parameters); otherwise restores both. Null when accepted, else why not.
   */
  private acceptAtNext(cand: Float64Array): string | null {
    this.mpc.setTheta(cand);
    const v = this.policy(this.sNext, this.aNext);
    if (isSolved(v.status) && !v.fallback) return null;
    this.mpc.setTheta(this.theta);
    this.policy(this.sNext, this.aNext);
    return v.fallback ? "the MPC falls back at the next state with these parameters" : `the MPC is ${v.status} at the next state with these parameters`;
  }

  private update(): void {
    this.sinceUpdate = 0;
    const r = this.record;
    if (this.replay.sample(this.streams.get("replay"), this.grad, this.hessian) === 0) return;
    r.updated = true;
    const model = this.optimizer.model(this.theta, this.grad, this.hessian);
    this.prevTheta.set(this.theta);
    const out = this.safety.apply(this.theta, model);
    if (out.accepted) {
      this.optimizer.commit(this.safety.delta);
      this.mpc.setTheta(this.theta);
      this.pending = this.check === "lazy";
    } else {
      // a step that reverted the last update (lazy check) reports both: the revert and this rejection
      const message = out.message ?? out.reason ?? "rejected";
      r.rejected = r.rejected === null ? message : `${r.rejected}${REJECTION_SEPARATOR}${message}`;
    }
  }

  protected extraState(): Record<string, unknown> {
    return {
      optimizer: this.optimizer.getState(),
      replay: this.replay.getState(),
      sinceUpdate: this.sinceUpdate,
      episodesSinceUpdate: this.episodesSinceUpdate,
      safetyUpdates: this.safety.updates,
      pending: this.pending,
      prevTheta: Array.from(this.prevTheta),
      lastGood: Array.from(this.lastGood),
      failStreak: this.failStreak,
      vExact: this.vExact,
      ...(this.identification ? { identification: this.identification.getState() } : {}),
    };
  }

  protected restoreExtra(extra: Record<string, unknown>): void {
    this.optimizer.setState(extra.optimizer as OptimizerState);
    this.replay.setState(extra.replay as ReplayState);
    this.sinceUpdate = extra.sinceUpdate as number;
    this.episodesSinceUpdate = extra.episodesSinceUpdate as number;
    this.safety.updates = extra.safetyUpdates as number;
    this.pending = extra.pending as boolean;
    this.prevTheta.set(extra.prevTheta as number[]);
    // checkpoints written before these fields existed: start from the restored parameters
    this.lastGood.set(Array.isArray(extra.lastGood) ? (extra.lastGood as number[]) : this.theta);
    this.failStreak = typeof extra.failStreak === "number" ? extra.failStreak : 0;
    this.vExact = extra.vExact === true;
    if (this.identification && extra.identification !== undefined) {
      this.identification.setState(extra.identification as ReturnType<IdentificationGuard["getState"]>);
    }
  }
}
