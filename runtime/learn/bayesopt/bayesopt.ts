// Bayesian optimization of MPC parameters over their boxes: each evaluation runs one episode with
// fixed parameters and scores its total cost; a GP (Matern 5/2, marginal-likelihood fit) models
// the score; the next candidate maximizes log expected improvement over a Latin hypercube of
// candidates refined by local perturbation. The first evaluation is the initial parameters, the
// next `initialDesign - 1` a Latin hypercube. With `commonNoise` (default) every evaluation replays
// the same episode seed, so candidates are compared on the same disturbances.
// Unbounded tuned parameters get the box theta0 +- max(0.5 |theta0|, 0.1); a bound of magnitude
// >= 1e20 is no bound here (no admissible parameter is that large: mpc/bounds.ts `tooLargeTheta`),
// and the search box never reaches 1e20.

import { THETA_MAGNITUDE_MAX, thetaMagnitudeOk } from "../../mpc/bounds.js";
import type { LearnableMpc } from "../../mpc/types.js";
import type { Plant } from "../../plants/types.js";
import { RolloutBase, type RolloutConfig } from "../rollout.js";
import { episodeSeed, type StepRecord } from "../types.js";
import { maximizeAcquisition } from "./acquisition.js";
import { GaussianProcess } from "./gp.js";
import { latinHypercube } from "./lhs.js";

export interface BayesOptConfig extends RolloutConfig {
  /** Indices of theta to tune (default: all). */
  readonly indices?: readonly number[];
  readonly initialDesign?: number;
  readonly commonNoise?: boolean;
  readonly candidates?: number;
}

export class BayesOpt extends RolloutBase {
  readonly algorithm = "bayesopt";
  readonly indices: number[];
  readonly lo: number[];
  readonly hi: number[];
  readonly X: number[][] = [];
  readonly y: number[] = [];
  private readonly theta0: Float64Array;
  private bestIndex = -1;
  private design: number[][] = [];
  private current: number[] = [];

  constructor(mpc: LearnableMpc, plant: Plant, readonly bConfig: BayesOptConfig) {
    super(mpc, plant, bConfig);
    this.theta0 = mpc.getTheta();
    this.indices = [...(bConfig.indices ?? Array.from({ length: mpc.nTheta }, (_, i) => i))];
    if (this.indices.length === 0) throw new Error("Bayesian optimization needs at least one parameter to tune");
    const within = (v: number): number => Math.min(Math.max(v, -THETA_MAGNITUDE_MAX), THETA_MAGNITUDE_MAX);
    this.lo = this.indices.map((i) => within(thetaMagnitudeOk(mpc.thetaLower[i]) ? mpc.thetaLower[i] : this.theta0[i] - Math.max(0.5 * Math.abs(this.theta0[i]), 0.1)));
    this.hi = this.indices.map((i) => within(thetaMagnitudeOk(mpc.thetaUpper[i]) ? mpc.thetaUpper[i] : this.theta0[i] + Math.max(0.5 * Math.abs(this.theta0[i]), 0.1)));
  }

  private toUnit(theta: ArrayLike<number>): number[] {
    return this.indices.map((i, k) => (this.hi[k] > this.lo[k] ? (theta[i] - this.lo[k]) / (this.hi[k] - this.lo[k]) : 0.5));
  }

  private fromUnit(u: readonly number[]): Float64Array {
    const th = this.theta0.slice();
    // lo + u (hi - lo) can round past hi at u = 1: clamp exactly to the declared box
    const { thetaLower, thetaUpper } = this.mpc;
    // (and below 1e20 in magnitude, where lo + u (hi - lo) rounds past a search box reaching near it)
    this.indices.forEach((i, k) => (th[i] = Math.min(Math.max(this.lo[k] + u[k] * (this.hi[k] - this.lo[k]), thetaLower[i], -THETA_MAGNITUDE_MAX), thetaUpper[i], THETA_MAGNITUDE_MAX)));
    return th;
  }

  /** The next point to evaluate (unit coordinates). */
  private propose(): number[] {
    const n = this.X.length;
    const d = this.indices.length;
    const init = Math.max(1, this.bConfig.initialDesign ?? 8);
    if (n === 0) return this.toUnit(this.theta0).map((v) => Math.min(1, Math.max(0, v)));
    if (n < init) {
      if (this.design.length === 0) this.design = latinHypercube(init - 1, d, this.streams.get("bayesopt"));
      return this.design[n - 1];
    }
    const gp = new GaussianProcess(d);
    gp.fit(this.X, this.y);
    return maximizeAcquisition(gp, Math.min(...this.y), this.X, this.bConfig.candidates ?? 512, this.streams.get("bayesopt"));
  }

  override beginEpisode(episode: number): void {
    this.current = this.propose();
    this.theta = this.fromUnit(this.current);
    this.mpc.setTheta(this.theta);
    const common = this.bConfig.commonNoise ?? true;
    // reuse the base machinery with the evaluation's seed
    super.beginEpisode(common ? 0 : episode);
    this.episode = episode;
  }

  step(): StepRecord {
    const st = this.plantStep();
    this.s.set(st.observation);
    this.policy(this.s, this.a); // the next action (its solve is recorded with the next step)
    this.finishStep(false);
    return this.record;
  }

  override endEpisode() {
    this.X.push(this.current.slice());
    this.y.push(this.episodeCost);
    if (this.bestIndex < 0 || this.episodeCost < this.y[this.bestIndex]) this.bestIndex = this.y.length - 1;
    this.theta = this.fromUnit(this.X[this.bestIndex]);
    this.mpc.setTheta(this.theta);
    return super.endEpisode();
  }

  protected override episodeExtra(): Record<string, number> {
    // for the run log: which phase proposed this evaluation and the tuned entries it evaluated (theta_<index>)
    const extra: Record<string, number> = { objective: this.episodeCost, best: this.y[this.bestIndex] };
    extra.initial_design = this.X.length <= Math.max(1, this.bConfig.initialDesign ?? 8) ? 1 : 0;
    const evaluated = this.fromUnit(this.X[this.X.length - 1]);
    for (const i of this.indices) extra[`theta_${i}`] = evaluated[i];
    return extra;
  }

  /** The best parameters found so far (the initial ones before any evaluation). */
  override getTheta(): Float64Array {
    return this.bestIndex < 0 ? this.theta0.slice() : this.fromUnit(this.X[this.bestIndex]);
  }

  get bestObjective(): number {
    return this.bestIndex < 0 ? NaN : this.y[this.bestIndex];
  }

  protected extraState(): Record<string, unknown> {
    return { X: this.X, y: this.y, bestIndex: this.bestIndex, design: this.design, current: this.current };
  }

  protected restoreExtra(extra: Record<string, unknown>): void {
    this.X.splice(0, this.X.length, ...(extra.X as number[][]));
    this.y.splice(0, this.y.length, ...(extra.y as number[]));
    this.bestIndex = extra.bestIndex as number;
    this.design = extra.design as number[][];
    this.current = extra.current as number[];
  }

  override restore(cp: Parameters<RolloutBase["restore"]>[0]): void {
    const common = this.bConfig.commonNoise ?? true;
    // the base class replays the plant with the episode's seed; evaluations use seed episode 0
    super.restore(common ? { ...cp, episode: 0 } : cp);
    this.episode = cp.episode;
    if (cp.step > 0) {
      this.theta = this.fromUnit(this.current);
      this.mpc.setTheta(this.theta);
    }
  }

  /** The plant seed used by evaluations (for reproducing the best episode). */
  evaluationSeed(episode: number): number {
    return episodeSeed(this.config.seed, (this.bConfig.commonNoise ?? true) ? 0 : episode);
  }
}
