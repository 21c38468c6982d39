// Off-policy (offline) LSTD Q-learning from a data set of rollouts, as mpcrl's
// LstdQLearningAgent.train_offpolicy: for each recorded transition, Q(s, a) and V(s') under the
// current parameters give the TD error; updates follow every `updateEvery` transitions; every
// `evaluation.every` rollouts the greedy policy is evaluated on the plant for `evaluation.episodes`
// episodes (their mean cost is reported as `eval_cost`). One "episode" of this trainer is one pass
// over one recorded rollout.

import type { LearnableMpc } from "../mpc/types.js";
import type { Plant } from "../plants/types.js";
import type { Rollout } from "./dataset.js";
import { allFinite } from "../linalg/dense.js";
import { isSolved } from "./monitors.js";
import { createOptimizer, type Optimizer, type OptimizerState } from "./optimizers.js";
import type { QLearningConfig } from "./q_learning.js";
import { Replay, type ReplayState } from "./replay.js";
import { RolloutBase } from "./rollout.js";
import { SafeUpdater } from "./safety.js";
import { episodeSeed, type StepRecord } from "./types.js";

export interface OfflineConfig extends QLearningConfig {
  readonly evaluation?: { readonly every: number; readonly episodes: number; readonly steps: number };
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
    this.safety = new SafeUpdater(n, {
      lower: mpc.thetaLower,
      upper: mpc.thetaUpper,
      maxRelativeChange: oConfig.safety?.maxRelativeChange ?? Infinity,
      minTrustRadius: oConfig.safety?.minTrustRadius ?? 0.1,
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
    this.monitor.startEpisode();
    this.mpc.resetWarmStart();
    this.rollout = this.data[episode % this.data.length];
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
    const ev = this.oConfig.evaluation;
    if (ev && ev.every > 0 && (this.episode + 1) % ev.every === 0) {
      this.evalCost = this.evaluate(ev.episodes, ev.steps);
      this.evaluations.push({ episode: this.episode, cost: this.evalCost });
    }
    return super.endEpisode();
  }

  protected override episodeExtra(): Record<string, number> | undefined {
    return Number.isNaN(this.evalCost) ? undefined : { eval_cost: this.evalCost };
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
    };
  }

  protected restoreExtra(extra: Record<string, unknown>): void {
    this.optimizer.setState(extra.optimizer as OptimizerState);
    this.replay.setState(extra.replay as ReplayState);
    this.sinceUpdate = extra.sinceUpdate as number;
    this.evaluations.splice(0, this.evaluations.length, ...(extra.evaluations as { episode: number; cost: number }[]));
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
