// The episode machinery every learner shares: plant resets with per-episode seeds, the MPC policy
// with exploration, monitors, action logs for deterministic resume, and checkpoints.
// A subclass decides what happens around each step (TD errors, gradients, updates).
//
// prev(u) at stage 0 is a runtime value (mpc.previousInputs): every MPC call gets the input applied
// at the plant step before the call's state (the explored, clipped action; before the first step of
// an episode the value given in config.runtime, else the slot's declared default, 0 unless declared).
// So a rate limit |u_0 - prev(u)| <= r holds between consecutive applied inputs of the MPC.

import type { ActResult, LearnableMpc, RuntimeValues } from "../mpc/types.js";
import { ThetaBoxError } from "../mpc/bounds.js";
import { plantStepFailure } from "../plants/failure.js";
import type { Plant, PlantStep } from "../plants/types.js";
import { RngStreams } from "../rng.js";
import { Exploration, type ExplorationSpec } from "./exploration.js";
import { Monitor, countActiveSlacks, isSolved } from "./monitors.js";
import {
  episodeSeed,
  newStepRecord,
  rejectionEvents,
  type EpisodeRecord,
  type EpisodicTrainer,
  type StepRecord,
  type TrainerCheckpoint,
} from "./types.js";

export interface RolloutConfig {
  readonly seed: number;
  readonly exploration?: ExplorationSpec;
  /** Input box used to clip explored actions (defaults to +-Infinity). */
  readonly inputLower?: ArrayLike<number>;
  readonly inputUpper?: ArrayLike<number>;
  /** Runtime values passed to every MPC call. */
  readonly runtime?: RuntimeValues;
}

export abstract class RolloutBase implements EpisodicTrainer {
  abstract readonly algorithm: string;
  readonly record: StepRecord;
  readonly streams: RngStreams;
  readonly monitor = new Monitor();
  readonly exploration: Exploration;
  protected readonly s: Float64Array;
  protected readonly a: Float64Array;
  protected theta: Float64Array;
  protected episode = 0;
  protected stepInEpisode = 0;
  protected globalStep = 0;
  protected episodeCost = 0;
  protected episodeAbsTd = 0;
  protected episodeTdCount = 0;
  /** Facts about the solve that produced the current action (kept for the step that applies it). */
  protected actSlacks = 0;
  protected actFallback = false;
  protected actFailed = false;
  private nextSlacks = 0;
  private nextFallback = false;
  private nextFailed = false;
  private actionLog: Float64Array;
  /** Runtime values of every MPC call: config.runtime plus the prev(u) slots (their buffers in `prevSlots`). */
  private readonly runtimeValues: Record<string, number | ArrayLike<number>>;
  private readonly runtimeWithGradient: Record<string, number | ArrayLike<number>>;
  private readonly prevSlots: readonly { readonly offset: number; readonly size: number; readonly buf: Float64Array; readonly initial: Float64Array }[];

  constructor(
    readonly mpc: LearnableMpc,
    readonly plant: Plant,
    readonly config: RolloutConfig,
  ) {
    if (plant.nx !== mpc.nx || plant.nu !== mpc.nu) {
      throw new Error(
        `the plant has ${plant.nx} states and ${plant.nu} inputs but the controller has ${mpc.nx} and ${mpc.nu}`,
      );
    }
    this.streams = new RngStreams(config.seed);
    this.record = newStepRecord(mpc.nx, mpc.nu);
    this.s = new Float64Array(mpc.nx);
    this.a = new Float64Array(mpc.nu);
    this.theta = mpc.getTheta();
    const lo = new Float64Array(mpc.nu).fill(-Infinity);
    const hi = new Float64Array(mpc.nu).fill(Infinity);
    if (config.inputLower) lo.set(config.inputLower);
    if (config.inputUpper) hi.set(config.inputUpper);
    this.exploration = new Exploration(config.exploration ?? { kind: "none" }, mpc.nu, this.streams.get("exploration"), lo, hi);
    this.actionLog = new Float64Array(mpc.nu * 1024);
    this.runtimeValues = { ...(config.runtime ?? {}) };
    const slots: { offset: number; size: number; buf: Float64Array; initial: Float64Array }[] = [];
    for (const p of mpc.previousInputs ?? []) {
      const given = config.runtime?.[p.name];
      const initial = Float64Array.from(given === undefined ? p.initial : typeof given === "number" ? [given] : Array.from(given));
      if (initial.length !== p.size) throw new RangeError(`runtime value ${p.name} must have ${p.size} entries, got ${initial.length}`);
      const buf = Float64Array.from(initial);
      slots.push({ offset: p.offset, size: p.size, buf, initial });
      this.runtimeValues[p.name] = buf;
    }
    this.prevSlots = slots;
    // gradient exploration perturbs the cost through the runtime value u0_gradient on the explored
    // solves only: every other call (Q(s, a), V for the TD target, an unperturbed step) passes it
    // as zero, since a controller keeps a runtime value that a call does not give
    if (config.exploration?.kind === "gradient" && this.runtimeValues.u0_gradient === undefined) this.runtimeValues.u0_gradient = new Float64Array(mpc.nu);
    this.runtimeWithGradient = { ...this.runtimeValues };
  }

  /** The runtime values for an MPC call at the current state (prev(u) = the last applied input). */
  protected get runtime(): RuntimeValues {
    return this.runtimeValues;
  }

  /** Sets prev(u) to the applied input `u` (length nu), or to the initial value when `u` is null. */
  protected setPreviousInput(u: ArrayLike<number> | null): void {
    for (const p of this.prevSlots) {
      if (u === null) p.buf.set(p.initial);
      else for (let i = 0; i < p.size; i++) p.buf[i] = u[p.offset + i];
    }
  }

  getTheta(): Float64Array {
    return this.theta.slice();
  }

  /** The policy: MPC action at state, with exploration; writes the action into `out`. */
  protected policy(state: Float64Array, out: Float64Array): ActResult {
    let runtime: RuntimeValues = this.runtimeValues;
    if (this.exploration.gradientPerturbation()) {
      this.runtimeWithGradient.u0_gradient = this.exploration.gradient;
      runtime = this.runtimeWithGradient;
    }
    const act = this.mpc.act(state, runtime);
    out.set(act.u);
    this.exploration.perturb(out);
    // The action is applied at the next plant step; its solve's facts are recorded then.
    this.nextSlacks = countActiveSlacks(act.slack);
    this.nextFallback = act.fallback;
    this.nextFailed = !isSolved(act.status);
    return act;
  }

  beginEpisode(episode: number): void {
    this.episode = episode;
    this.stepInEpisode = 0;
    this.episodeCost = 0;
    this.episodeAbsTd = 0;
    this.episodeTdCount = 0;
    this.monitor.startEpisode();
    this.exploration.resetEpisode();
    this.mpc.resetWarmStart();
    this.s.set(this.plant.reset(episodeSeed(this.config.seed, episode)));
    this.setPreviousInput(null);
    this.onBeginEpisode();
  }

  /** Computes the first action of an episode (subclasses may also compute V(s0)). */
  protected onBeginEpisode(): void {
    this.policy(this.s, this.a);
    this.promoteAct();
  }

  protected promoteAct(): void {
    this.actSlacks = this.nextSlacks;
    this.actFallback = this.nextFallback;
    this.actFailed = this.nextFailed;
  }

  protected logAction(u: Float64Array): void {
    const nu = this.mpc.nu;
    const need = (this.stepInEpisode + 1) * nu;
    if (need > this.actionLog.length) {
      const grown = new Float64Array(this.actionLog.length * 2);
      grown.set(this.actionLog);
      this.actionLog = grown;
    }
    this.actionLog.set(u, this.stepInEpisode * nu);
  }

  /**
   * Why the plant step cannot be used, or null: a non-finite entry of the pre-step state (a reset
   * or an earlier step), of the stage cost or of the next state. Such a step is never summed away:
   * plantStep stops the episode there, makes its cost NaN and records the reason.
   */
  private plantFailure(st: PlantStep): string | null {
    const s = this.s;
    for (let i = 0; i < s.length; i++) if (!Number.isFinite(s[i])) return `the plant's state[${i}] is ${s[i]} before the step`;
    return plantStepFailure(st);
  }

  /** Applies the current action to the plant and fills the shared parts of the record. A step whose
   *  state or cost is not finite ends the episode (`done`, `failure`, episode cost NaN). */
  protected plantStep(): PlantStep {
    const r = this.record;
    r.episode = this.episode;
    r.step = this.stepInEpisode;
    r.t = this.globalStep;
    r.state.set(this.s);
    r.action.set(this.a);
    this.logAction(this.a);
    const st = this.plant.step(this.a);
    // the MPC calls at the next state see this input as prev(u)
    this.setPreviousInput(this.a);
    r.cost = st.cost;
    r.violations = st.info.violations;
    r.tdError = NaN;
    r.updated = false;
    r.rejected = null;
    r.note = undefined;
    r.done = st.terminated || st.truncated;
    this.episodeCost += st.cost;
    const failed = this.plantFailure(st);
    if (failed === null) r.failure = undefined;
    else {
      r.failure = `${failed} at step ${this.stepInEpisode} of episode ${this.episode}: the episode stops (a closed loop outside the plant's domain has no cost)`;
      r.done = true;
      this.episodeCost = NaN;
    }
    return st;
  }

  /**
   * Monitors and counters after a step. Call before the next action is computed: the record
   * describes the solve that produced the applied action, plus `extraFailure` (e.g. a failed Q solve).
   */
  protected finishStep(extraFailure: boolean): void {
    const r = this.record;
    r.solverFailure = extraFailure || this.actFailed;
    r.fallback = this.actFallback;
    r.activeSlacks = this.actSlacks;
    this.monitor.record(this.globalStep, r.violations, r.activeSlacks, r.fallback, r.solverFailure);
    if (r.failure !== undefined) this.monitor.plantFailed();
    if (!Number.isNaN(r.tdError)) {
      this.episodeAbsTd += Math.abs(r.tdError);
      this.episodeTdCount++;
    }
    for (let i = rejectionEvents(r.rejected).length; i > 0; i--) this.monitor.rejected();
    this.promoteAct();
    this.stepInEpisode++;
    this.globalStep++;
  }

  abstract step(): StepRecord;

  endEpisode(): EpisodeRecord {
    this.exploration.stepSchedule();
    return {
      episode: this.episode,
      steps: this.stepInEpisode,
      cost: this.episodeCost,
      meanAbsTdError: this.episodeTdCount > 0 ? this.episodeAbsTd / this.episodeTdCount : NaN,
      totals: { ...this.monitor.episode },
      extra: this.episodeExtra(),
    };
  }

  protected episodeExtra(): Record<string, number> | undefined {
    return undefined;
  }

  protected abstract extraState(): Record<string, unknown>;
  protected abstract restoreExtra(extra: Record<string, unknown>): void;

  checkpoint(): TrainerCheckpoint {
    const nu = this.mpc.nu;
    const actions: number[][] = [];
    for (let k = 0; k < this.stepInEpisode; k++) actions.push(Array.from(this.actionLog.subarray(k * nu, (k + 1) * nu)));
    return {
      algorithm: this.algorithm,
      theta: Array.from(this.theta),
      episode: this.episode,
      step: this.stepInEpisode,
      globalStep: this.globalStep,
      episodeActions: actions,
      rng: this.streams.getStates(),
      extra: {
        ...this.extraState(),
        exploration: this.exploration.getState(),
        monitorRun: this.monitor.run,
        monitorEpisode: this.monitor.episode,
        episodeCost: this.episodeCost,
        episodeAbsTd: this.episodeAbsTd,
        episodeTdCount: this.episodeTdCount,
        currentAction: Array.from(this.a),
        actInfo: [this.actSlacks, this.actFallback ? 1 : 0, this.actFailed ? 1 : 0],
      },
    };
  }

  restore(cp: TrainerCheckpoint): void {
    if (cp.algorithm !== this.algorithm) {
      throw new Error(`the checkpoint is from a ${cp.algorithm} run, not ${this.algorithm}`);
    }
    this.theta = Float64Array.from(cp.theta);
    try {
      this.mpc.setTheta(this.theta);
    } catch (err) {
      // the checker's proofs cover the parameter boxes only: a checkpoint outside them is refused
      throw new ThetaBoxError(`the checkpoint's parameters are refused: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.episode = cp.episode;
    this.globalStep = cp.globalStep;
    const ex = cp.extra;
    this.restoreExtra(ex);
    if (cp.step > 0) {
      // Re-simulate the plant through the recorded actions (same seed, so the same noise).
      this.mpc.resetWarmStart();
      this.s.set(this.plant.reset(episodeSeed(this.config.seed, cp.episode)));
      this.setPreviousInput(null);
      this.stepInEpisode = 0;
      for (const u of cp.episodeActions) {
        this.a.set(u);
        this.logAction(this.a);
        this.s.set(this.plant.step(this.a).observation);
        this.setPreviousInput(this.a);
        this.stepInEpisode++;
      }
      this.a.set(ex.currentAction as number[]);
      const info = ex.actInfo as number[];
      this.actSlacks = info[0];
      this.actFallback = info[1] === 1;
      this.actFailed = info[2] === 1;
    } else {
      this.stepInEpisode = 0;
    }
    this.streams.setStates(cp.rng);
    this.exploration.setState(ex.exploration as never);
    Object.assign(this.monitor.run, ex.monitorRun as object);
    Object.assign(this.monitor.episode, ex.monitorEpisode as object);
    this.episodeCost = ex.episodeCost as number;
    this.episodeAbsTd = ex.episodeAbsTd as number;
    this.episodeTdCount = ex.episodeTdCount as number;
  }

  /** True when a mid-episode checkpoint was restored (the driver then continues that episode). */
  get midEpisode(): boolean {
    return this.stepInEpisode > 0;
  }

  get stepsInEpisode(): number {
    return this.stepInEpisode;
  }

  get currentEpisode(): number {
    return this.episode;
  }
}
