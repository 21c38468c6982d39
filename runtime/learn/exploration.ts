// Exploration strategies, each drawing from its own named random stream. They perturb the MPC's
// action in place (and clip it into the input box), except "gradient", which returns a
// perturbation of the first-stage input gradient for controllers that accept the runtime value
// `u0_gradient` (the MPC then stays optimal for a perturbed cost, so the action stays feasible).

import type { Rng } from "../rng.js";
import { Schedule, type ScheduleSpec } from "./schedules.js";

export type ExplorationSpec =
  | { readonly kind: "none" }
  | { readonly kind: "epsilon_greedy"; readonly epsilon: ScheduleSpec | number; readonly strength: number }
  | { readonly kind: "additive"; readonly distribution: "normal" | "uniform"; readonly scale: ScheduleSpec | number }
  | {
      readonly kind: "ornstein_uhlenbeck";
      readonly mean: number;
      readonly sigma: number;
      readonly theta: number;
      readonly dt?: number;
    }
  | { readonly kind: "gradient"; readonly scale: ScheduleSpec | number };

export interface ExplorationState {
  readonly count: number;
  readonly ou: number[];
}

function sched(v: ScheduleSpec | number): Schedule {
  return new Schedule(typeof v === "number" ? { kind: "constant", value: v } : v);
}

export class Exploration {
  private readonly schedule: Schedule;
  private readonly ou: Float64Array;
  readonly gradient: Float64Array;

  constructor(
    readonly spec: ExplorationSpec,
    readonly nu: number,
    private readonly rng: Rng,
    readonly lower: Float64Array,
    readonly upper: Float64Array,
  ) {
    this.ou = new Float64Array(nu);
    this.gradient = new Float64Array(nu);
    const s = spec;
    this.schedule =
      s.kind === "epsilon_greedy" ? sched(s.epsilon) : s.kind === "additive" || s.kind === "gradient" ? sched(s.scale) : sched(0);
  }

  get enabled(): boolean {
    return this.spec.kind !== "none";
  }

  /** Fills `gradient` with a first-stage gradient perturbation; returns false if this strategy does not use one. */
  gradientPerturbation(): boolean {
    if (this.spec.kind !== "gradient") return false;
    const scale = this.schedule.value;
    for (let i = 0; i < this.nu; i++) this.gradient[i] = this.rng.normal(0, scale);
    return true;
  }

  /** Perturbs u in place and clips it to the input box. */
  perturb(u: Float64Array): void {
    const s = this.spec;
    switch (s.kind) {
      case "none":
      case "gradient":
        return;
      case "epsilon_greedy": {
        if (this.rng.next() < this.schedule.value) {
          for (let i = 0; i < this.nu; i++) u[i] += this.rng.uniform(-s.strength, s.strength);
        }
        break;
      }
      case "additive": {
        const scale = this.schedule.value;
        for (let i = 0; i < this.nu; i++) {
          u[i] += s.distribution === "normal" ? this.rng.normal(0, scale) : this.rng.uniform(-scale, scale);
        }
        break;
      }
      case "ornstein_uhlenbeck": {
        // x <- x + theta (mean - x) dt + sigma sqrt(dt) N(0, 1)
        const dt = s.dt ?? 1;
        for (let i = 0; i < this.nu; i++) {
          this.ou[i] += s.theta * (s.mean - this.ou[i]) * dt + s.sigma * Math.sqrt(dt) * this.rng.normal();
          u[i] += this.ou[i];
        }
        break;
      }
    }
    for (let i = 0; i < this.nu; i++) u[i] = Math.min(Math.max(u[i], this.lower[i]), this.upper[i]);
  }

  /** Decays schedules (called once per episode). */
  stepSchedule(): void {
    this.schedule.step();
  }

  resetEpisode(): void {
    this.ou.fill(0);
  }

  getState(): ExplorationState {
    return { count: this.schedule.count, ou: Array.from(this.ou) };
  }

  setState(s: ExplorationState): void {
    this.schedule.count = s.count;
    this.ou.set(s.ou);
  }
}
