// A spec-independent linear plant:  s+ = A s + B a + c + E e,  e from a DisturbanceSource,
// stage cost  0.5 s'Qs + 0.5 a'Ra + wl' max(0, lb - s) + wu' max(0, s - ub)  at the pre-step state
// (the Gros & Zanon benchmark's cost with Q = I, R = 0.5, wl = wu = 0.5 w), and violations
// counted against the state box.

import { Rng } from "../rng.js";
import type { DisturbanceSource } from "./disturbance.js";
import type { Plant, PlantStep } from "./types.js";

export interface LinearPlantConfig {
  /** nx x nx row-major. */
  readonly A: ArrayLike<number>;
  /** nx x nu row-major. */
  readonly B: ArrayLike<number>;
  readonly c?: ArrayLike<number>;
  /** nx x nd row-major (default: identity, nd = nx). */
  readonly E?: ArrayLike<number>;
  readonly disturbance?: DisturbanceSource;
  readonly initialState: ArrayLike<number>;
  readonly Q: ArrayLike<number>;
  readonly R: ArrayLike<number>;
  readonly stateLower?: ArrayLike<number>;
  readonly stateUpper?: ArrayLike<number>;
  readonly penaltyLower?: ArrayLike<number>;
  readonly penaltyUpper?: ArrayLike<number>;
  /** Episode length (truncation); Infinity for none. */
  readonly episodeLength?: number;
}

export class LinearPlant implements Plant {
  readonly nx: number;
  readonly nu: number;
  private readonly nd: number;
  private readonly s: Float64Array;
  private readonly e: Float64Array;
  private rng = new Rng(0, "noise");
  private k = 0;

  constructor(readonly config: LinearPlantConfig) {
    this.nx = config.initialState.length;
    this.nu = config.B.length / this.nx;
    if (config.A.length !== this.nx * this.nx) throw new Error("A must be nx x nx");
    if (!Number.isInteger(this.nu)) throw new Error("B must be nx x nu");
    this.nd = config.disturbance?.size ?? 0;
    if (config.E && config.E.length !== this.nx * this.nd) throw new Error("E must be nx x nd");
    if (!config.E && this.nd !== 0 && this.nd !== this.nx) throw new Error("without E the disturbance must have nx entries");
    this.s = new Float64Array(this.nx);
    this.e = new Float64Array(this.nd);
  }

  reset(seed: number): Float64Array {
    this.rng = new Rng(seed, "noise");
    this.k = 0;
    this.s.set(this.config.initialState);
    return this.s.slice();
  }

  step(action: ArrayLike<number>): PlantStep {
    const { A, B, c, E, Q, R, stateLower: lb, stateUpper: ub, penaltyLower: wl, penaltyUpper: wu } = this.config;
    const nx = this.nx;
    const nu = this.nu;
    const s = this.s;
    let cost = 0;
    let violations = 0;
    for (let i = 0; i < nx; i++) {
      let qs = 0;
      for (let j = 0; j < nx; j++) qs += Q[i * nx + j] * s[j];
      cost += 0.5 * s[i] * qs;
      if (lb && s[i] < lb[i]) {
        violations++;
        cost += (wl ? wl[i] : 0) * (lb[i] - s[i]);
      }
      if (ub && s[i] > ub[i]) {
        violations++;
        cost += (wu ? wu[i] : 0) * (s[i] - ub[i]);
      }
    }
    for (let i = 0; i < nu; i++) {
      let ra = 0;
      for (let j = 0; j < nu; j++) ra += R[i * nu + j] * action[j];
      cost += 0.5 * action[i] * ra;
    }
    if (this.config.disturbance) this.config.disturbance.sample(this.k, this.rng, this.e);
    const next = new Float64Array(nx);
    for (let i = 0; i < nx; i++) {
      let v = c ? c[i] : 0;
      for (let j = 0; j < nx; j++) v += A[i * nx + j] * s[j];
      for (let j = 0; j < nu; j++) v += B[i * nu + j] * action[j];
      if (this.nd > 0) {
        if (E) for (let j = 0; j < this.nd; j++) v += E[i * this.nd + j] * this.e[j];
        else v += this.e[i];
      }
      next[i] = v;
    }
    s.set(next);
    this.k++;
    const len = this.config.episodeLength ?? Infinity;
    return {
      observation: next,
      cost,
      terminated: false,
      truncated: this.k >= len,
      info: { violations, disturbance: this.nd > 0 ? this.e.slice() : undefined },
    };
  }
}
