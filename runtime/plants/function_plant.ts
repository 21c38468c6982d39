// A plant from user functions: the initial state and the step are plain TypeScript functions,
// given the plant's seeded random streams ("init", "noise") so episodes are reproducible.

import { describeValue, isVector } from "../mpc/arguments.js";
import { Rng } from "../rng.js";
import type { DisturbanceSource } from "./disturbance.js";
import type { Plant, PlantStep } from "./types.js";

export interface FunctionPlantStep {
  readonly next: ArrayLike<number>;
  readonly cost: number;
  readonly violations?: number;
  readonly terminated?: boolean;
}

export interface FunctionPlantConfig {
  readonly nx: number;
  readonly nu: number;
  readonly initial: (rng: Rng) => ArrayLike<number>;
  /** One step from state s with action a; `disturbance` is this step's draw (empty without a source). */
  readonly step: (s: Float64Array, a: ArrayLike<number>, disturbance: Float64Array, rng: Rng) => FunctionPlantStep;
  readonly disturbance?: DisturbanceSource;
  readonly episodeLength?: number;
}

export class FunctionPlant implements Plant {
  readonly nx: number;
  readonly nu: number;
  private readonly s: Float64Array;
  private readonly e: Float64Array;
  private noise = new Rng(0, "noise");
  private k = 0;

  constructor(readonly config: FunctionPlantConfig) {
    this.nx = config.nx;
    this.nu = config.nu;
    const len = config.episodeLength;
    if (len !== undefined && !(len === Infinity || (Number.isInteger(len) && len >= 1))) throw new RangeError(`the plant's episodeLength must be an integer >= 1 (or Infinity), got ${describeValue(len)}`);
    this.s = new Float64Array(config.nx);
    this.e = new Float64Array(config.disturbance?.size ?? 0);
  }

  reset(seed: number): Float64Array {
    if (typeof seed !== "number") throw new TypeError(`the plant's seed must be an integer, got ${describeValue(seed)}`);
    if (!Number.isInteger(seed)) throw new RangeError(`the plant's seed must be an integer, got ${seed}`);
    this.noise = new Rng(seed, "noise");
    this.k = 0;
    const s0 = this.config.initial(new Rng(seed, "init"));
    if (s0.length !== this.nx) throw new Error(`the plant's initial state has ${s0.length} entries, expected ${this.nx}`);
    this.s.set(s0);
    return this.s.slice();
  }

  step(action: ArrayLike<number>): PlantStep {
    // refused before the disturbance is drawn: a refused step changes nothing (state, step count, noise stream)
    if (!isVector(action)) throw new TypeError(`the plant's action must be an array of ${this.nu} numbers, got ${describeValue(action)}`);
    if (action.length !== this.nu) throw new RangeError(`the plant expects ${this.nu} inputs, got ${action.length}`);
    for (let i = 0; i < action.length; i++) {
      if (!Number.isFinite(action[i])) throw new RangeError(`the plant's action[${i}] is ${typeof action[i] === "number" ? action[i] : describeValue(action[i])}, not a finite number`);
    }
    if (this.config.disturbance) this.config.disturbance.sample(this.k, this.noise, this.e);
    const out = this.config.step(this.s, action, this.e, this.noise);
    if (out.next.length !== this.nx) throw new Error(`the plant's step returned ${out.next.length} states, expected ${this.nx}`);
    this.s.set(out.next);
    this.k++;
    return {
      observation: this.s.slice(),
      cost: out.cost,
      terminated: out.terminated ?? false,
      truncated: this.k >= (this.config.episodeLength ?? Infinity),
      info: { violations: out.violations ?? 0, disturbance: this.e.length > 0 ? this.e.slice() : undefined },
    };
  }
}
