// The training settings of a `train` block as plain data, and their one interpretation into a typed
// `TrainSpec` over one table of defaults (`defaultTrainSpec`). The compiler (compiler/lower/train.ts)
// turns the block's AST into SettingData (keys, numbers, bare words, calls with named arguments) and
// calls `interpretTrainSettings` once; `compileToModule`, the emitted module's `trainConfig`, the
// CLI and the trainer factory (factory.ts) all use that TrainSpec, so this interpreter stays
// independent of the language front end. Unknown keys and bad values are reported with the
// setting's location (`at`) so the caller can point at it.

import type { ExplorationSpec } from "./exploration.js";
import type { OptimizerSpec } from "./optimizers.js";
import type { ScheduleSpec } from "./schedules.js";
import { DEFAULT_FIRST_INPUT_BOUNDS } from "../mpc/controller.js";

export type SettingArg =
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "word"; readonly value: string }
  | { readonly kind: "call"; readonly name: string; readonly positional: readonly SettingArg[]; readonly named: Readonly<Record<string, SettingArg>> };

export interface SettingData {
  readonly key: string;
  readonly args: readonly SettingArg[];
  readonly block?: readonly SettingData[];
  /** Opaque location for error messages (e.g. a span). */
  readonly at?: unknown;
}

export type Algorithm = "q_learning" | "dpg" | "bayesopt" | "offline_q";

export interface TrainSpec {
  readonly algorithm: Algorithm;
  readonly optimizer: OptimizerSpec;
  readonly hessian: "approximate" | "none";
  readonly updateEvery: number;
  readonly updateUnit: "steps" | "episodes";
  readonly replay: { readonly size: number; readonly sample: number };
  readonly exploration: ExplorationSpec;
  readonly firstInputBounds: "removed" | "kept";
  /** Max relative change per update (mpcrl's max_percentage_update); Infinity: none. */
  readonly trustRegion: number;
  readonly episodes: number;
  readonly steps: number;
  readonly seed: number;
  /** Evaluate the greedy policy every `every` episodes on `episodes` episodes (0: never). */
  readonly evaluation: { readonly every: number; readonly episodes: number };
  /** Bayesian optimization: size of the initial design (the initial parameters, then a Latin hypercube). */
  readonly initialDesign: number;
  /** DPG: steps per rollout (0: one rollout per episode). */
  readonly rolloutLength: number;
  /** DPG: margin-shaped exploration (runtime/learn/dpg.ts): the perturbation is scaled by
   *  clamp(m / explorationMargin, 0.25, 1), m the distance of the MPC's predicted first state to the
   *  plant's state bounds; 0 (default): off, mpcrl's unshaped exploration. */
  readonly explorationMargin: number;
  /** Q-learning: identification for control after this many transitions (runtime/learn/identify.ts); 0 (default): off. */
  readonly identify: number;
  /** Offline: the data set's name (`name.jsonl` next to the spec). */
  readonly dataset?: string;
  /** Offline: the guard. "model": updates are accepted only when an off-policy estimate on a model
   *  identified from the data set says they cost at most the behaviour policy (runtime/learn/offline.ts);
   *  "none": plain off-policy Q-learning (mpcrl's train_offpolicy). */
  readonly guard: "model" | "none";
  /** Offline: half-width of the support box around the behaviour parameters, relative to max(|theta_b,i|, 0.1) (guard "model"). */
  readonly support: number;
  /** Fallback when the MPC fails: the shifted plan, or a constant safe input. */
  readonly fallback?: { readonly kind: "shift" } | { readonly kind: "safe"; readonly input: readonly number[] };
  /** Learning-rate schedule applied to the optimizer's rate. */
  readonly schedule?: ScheduleSpec;
}

export class SettingError extends Error {
  constructor(
    message: string,
    readonly at?: unknown,
  ) {
    super(message);
  }
}

export const defaultTrainSpec: TrainSpec = {
  algorithm: "q_learning",
  optimizer: { kind: "newton", lr: 5e-2 },
  hessian: "approximate",
  updateEvery: 1,
  updateUnit: "steps",
  replay: { size: 1, sample: 1 },
  exploration: { kind: "none" },
  firstInputBounds: DEFAULT_FIRST_INPUT_BOUNDS,
  trustRegion: Infinity,
  episodes: 1,
  steps: 100,
  seed: 0,
  evaluation: { every: 0, episodes: 0 },
  initialDesign: 8,
  rolloutLength: 0,
  explorationMargin: 0,
  identify: 0,
  guard: "model",
  support: 0.5,
};

function num(a: SettingArg | undefined, s: SettingData, what: string): number {
  if (a?.kind === "number") return a.value;
  throw new SettingError(`\`${s.key}\` expects a number for ${what}`, s.at);
}

function word(a: SettingArg | undefined, s: SettingData, allowed: readonly string[]): string {
  if (a?.kind === "word" && allowed.includes(a.value)) return a.value;
  throw new SettingError(`\`${s.key}\` expects one of ${allowed.map((w) => `\`${w}\``).join(", ")}`, s.at);
}

function posInt(a: SettingArg | undefined, s: SettingData, what: string): number {
  const v = num(a, s, what);
  if (!Number.isInteger(v) || v < 1) throw new SettingError(`\`${s.key}\`: ${what} must be a positive integer`, s.at);
  return v;
}

function named(c: Extract<SettingArg, { kind: "call" }>, s: SettingData, allowed: readonly string[]): Record<string, SettingArg> {
  for (const k of Object.keys(c.named)) {
    if (!allowed.includes(k)) {
      throw new SettingError(`\`${c.name}\` has no argument \`${k}\` (it takes ${allowed.map((w) => `\`${w}\``).join(", ")})`, s.at);
    }
  }
  return { ...c.named };
}

function schedule(a: SettingArg | undefined, s: SettingData, what: string): ScheduleSpec | number {
  if (a?.kind === "number") return a.value;
  if (a?.kind === "call") {
    const n = named(a, s, ["value", "factor", "end", "steps"]);
    if (a.name === "exponential") return { kind: "exponential", value: num(n.value, s, "value"), factor: num(n.factor, s, "factor") };
    if (a.name === "linear") return { kind: "linear", value: num(n.value, s, "value"), end: num(n.end, s, "end"), steps: num(n.steps, s, "steps") };
  }
  throw new SettingError(`\`${s.key}\` expects a number or exponential(value=, factor=) / linear(value=, end=, steps=) for ${what}`, s.at);
}

function optimizer(s: SettingData): OptimizerSpec {
  const a = s.args[0];
  if (a?.kind !== "call" && a?.kind !== "word") throw new SettingError("`optimizer` expects newton(lr = ...), sgd(lr = ..., momentum = ...) or adam(lr = ...)", s.at);
  const name = a.kind === "call" ? a.name : a.value;
  const args = a.kind === "call" ? a : { kind: "call" as const, name, positional: [], named: {} };
  switch (name) {
    case "newton": {
      const n = named(args, s, ["lr"]);
      return { kind: "newton", lr: n.lr ? schedule(n.lr, s, "lr") : 5e-2 };
    }
    case "sgd":
    case "gradient_descent": {
      const n = named(args, s, ["lr", "momentum", "weight_decay"]);
      return {
        kind: "sgd",
        lr: n.lr ? schedule(n.lr, s, "lr") : 1e-3,
        momentum: n.momentum ? num(n.momentum, s, "momentum") : 0,
        weightDecay: n.weight_decay ? num(n.weight_decay, s, "weight_decay") : 0,
      };
    }
    case "adam": {
      const n = named(args, s, ["lr", "beta1", "beta2"]);
      return {
        kind: "adam",
        lr: n.lr ? schedule(n.lr, s, "lr") : 1e-3,
        beta1: n.beta1 ? num(n.beta1, s, "beta1") : 0.9,
        beta2: n.beta2 ? num(n.beta2, s, "beta2") : 0.999,
      };
    }
    default:
      throw new SettingError(`unknown optimizer \`${name}\` (newton, sgd, adam)`, s.at);
  }
}

function exploration(s: SettingData): ExplorationSpec {
  const a = s.args[0];
  const name = a?.kind === "call" ? a.name : a?.kind === "word" ? a.value : "";
  const args = a?.kind === "call" ? a : { kind: "call" as const, name, positional: [], named: {} };
  switch (name) {
    case "none":
      return { kind: "none" };
    case "epsilon_greedy": {
      const n = named(args, s, ["epsilon", "strength", "decay"]);
      const eps = n.epsilon ? num(n.epsilon, s, "epsilon") : 0.1;
      return {
        kind: "epsilon_greedy",
        epsilon: n.decay ? { kind: "exponential", value: eps, factor: num(n.decay, s, "decay") } : eps,
        strength: n.strength ? num(n.strength, s, "strength") : 1,
      };
    }
    case "additive": {
      const n = named(args, s, ["sigma", "scale", "distribution"]);
      const dist = n.distribution ? word(n.distribution, s, ["normal", "uniform"]) : "normal";
      const scale = n.sigma ?? n.scale;
      return { kind: "additive", distribution: dist as "normal" | "uniform", scale: scale ? schedule(scale, s, "sigma") : 0.1 };
    }
    case "ou":
    case "ornstein_uhlenbeck": {
      const n = named(args, s, ["mean", "sigma", "theta", "dt"]);
      return {
        kind: "ornstein_uhlenbeck",
        mean: n.mean ? num(n.mean, s, "mean") : 0,
        sigma: n.sigma ? num(n.sigma, s, "sigma") : 0.05,
        theta: n.theta ? num(n.theta, s, "theta") : 0.15,
        dt: n.dt ? num(n.dt, s, "dt") : 1,
      };
    }
    case "gradient": {
      const n = named(args, s, ["sigma", "scale"]);
      const scale = n.sigma ?? n.scale;
      return { kind: "gradient", scale: scale ? schedule(scale, s, "sigma") : 0.1 };
    }
    default:
      throw new SettingError("`exploration` expects none, epsilon_greedy(...), additive(...), ou(...) or gradient(...)", s.at);
  }
}

/** What the rest of the spec implies for training, beyond the train block's own settings. */
export interface SpecDerived {
  /** The plant's declared `episode` length: the steps per episode unless `steps` is given. */
  readonly plantEpisode?: number;
}

/** Interprets a train block's settings over the defaults (`defaultTrainSpec`, then what the spec
 *  derives: `steps` defaults to the plant's `episode`). The one place settings become a TrainSpec. */
export function interpretTrainSettings(settings: readonly SettingData[], derived: SpecDerived = {}): TrainSpec {
  const out: { -readonly [K in keyof TrainSpec]: TrainSpec[K] } = { ...defaultTrainSpec };
  if (derived.plantEpisode !== undefined) out.steps = derived.plantEpisode;
  let hessianAt: unknown;
  const apply = (s: SettingData): void => {
    switch (s.key) {
      case "algorithm": {
        const alg = word(s.args[0], s, ["q_learning", "dpg", "bayesopt", "offline_q", "offline_q_learning"]);
        out.algorithm = (alg === "offline_q_learning" ? "offline_q" : alg) as Algorithm;
        if (out.algorithm === "dpg") out.optimizer = { kind: "sgd", lr: 1e-6 };
        for (const inner of s.block ?? []) apply(inner);
        return;
      }
      case "optimizer":
        out.optimizer = optimizer(s);
        return;
      case "hessian": {
        // "full" needs d2L/dtheta2, which the controller interface does not expose: the
        // approximation (exact when theta enters the QP data linearly) is used instead.
        const h = word(s.args[0], s, ["approximate", "full", "none"]);
        hessianAt = s.at;
        out.hessian = h === "none" ? "none" : "approximate";
        return;
      }
      case "update": {
        // update every N steps|episodes
        if (s.args[0]?.kind !== "word" || s.args[0].value !== "every") throw new SettingError("write `update every N steps` (or `episodes`)", s.at);
        out.updateEvery = posInt(s.args[1], s, "the update period");
        out.updateUnit = s.args[2] ? (word(s.args[2], s, ["steps", "step", "episodes", "episode"]).startsWith("step") ? "steps" : "episodes") : "steps";
        return;
      }
      case "replay": {
        // replay size N sample M
        let size = out.replay.size;
        let sample = out.replay.sample;
        for (let i = 0; i < s.args.length; i += 2) {
          const k = word(s.args[i], s, ["size", "sample"]);
          const v = posInt(s.args[i + 1], s, k);
          if (k === "size") size = v;
          else sample = v;
        }
        if (sample > size) throw new SettingError("`replay`: the sample cannot be larger than the size", s.at);
        out.replay = { size, sample };
        return;
      }
      case "exploration":
        out.exploration = exploration(s);
        return;
      case "first_input_bounds":
        out.firstInputBounds = word(s.args[0], s, ["removed", "kept"]) as "removed" | "kept";
        return;
      case "trust_region":
        out.trustRegion = num(s.args[0], s, "the maximum relative change");
        return;
      case "episodes":
        out.episodes = posInt(s.args[0], s, "the number of episodes");
        return;
      case "steps":
        out.steps = posInt(s.args[0], s, "the number of steps");
        return;
      case "seed":
        out.seed = num(s.args[0], s, "the seed");
        return;
      case "evaluate":
      case "evaluation": {
        // evaluation every N episodes M
        if (s.args[0]?.kind !== "word" || s.args[0].value !== "every") throw new SettingError("write `evaluation every N episodes M`", s.at);
        const last = s.args[s.args.length - 1];
        out.evaluation = { every: posInt(s.args[1], s, "the period"), episodes: s.args.length >= 3 && last.kind === "number" ? posInt(last, s, "the episodes") : 1 };
        return;
      }
      case "rollout_length":
        out.rolloutLength = posInt(s.args[0], s, "the rollout length");
        return;
      case "exploration_margin": {
        const v = num(s.args[0], s, "the margin");
        if (!(v >= 0)) throw new SettingError("`exploration_margin` must be non-negative", s.at);
        out.explorationMargin = v;
        return;
      }
      case "identify":
        out.identify = posInt(s.args[0], s, "the number of steps before identification");
        return;
      case "initial_points":
        out.initialDesign = posInt(s.args[0], s, "the number of initial points");
        return;
      case "dataset": {
        const a = s.args[0];
        if (a?.kind !== "word") throw new SettingError("`dataset` expects a name (`name.jsonl` next to the spec)", s.at);
        out.dataset = a.value;
        return;
      }
      case "guard":
        out.guard = word(s.args[0], s, ["model", "none"]) as "model" | "none";
        return;
      case "support": {
        const v = num(s.args[0], s, "the support radius");
        if (!(v > 0)) throw new SettingError("`support` must be positive", s.at);
        out.support = v;
        return;
      }
      case "fallback": {
        const a = s.args[0];
        if (a?.kind === "word" && a.value === "shift") out.fallback = { kind: "shift" };
        else if (a?.kind === "call" && a.name === "safe" && a.positional.every((p) => p.kind === "number")) {
          out.fallback = { kind: "safe", input: a.positional.map((p) => (p as { value: number }).value) };
        } else throw new SettingError("`fallback` expects `shift` or `safe(u)`", s.at);
        return;
      }
      case "schedule": {
        const a = s.args[0];
        if (a?.kind !== "call") throw new SettingError("`schedule` expects exponential(rate = ...) or linear(final = ..., steps = ...)", s.at);
        if (a.name === "exponential") {
          const n = named(a, s, ["rate"]);
          out.schedule = { kind: "exponential", value: 1, factor: num(n.rate ?? a.positional[0], s, "rate") };
        } else if (a.name === "linear") {
          const n = named(a, s, ["final", "steps"]);
          out.schedule = { kind: "linear", value: 1, end: num(n.final ?? a.positional[0], s, "final"), steps: num(n.steps ?? a.positional[1], s, "steps") };
        } else throw new SettingError(`unknown schedule \`${a.name}\``, s.at);
        return;
      }
      default:
        throw new SettingError(`unknown training setting \`${s.key}\``, s.at);
    }
  };
  for (const s of settings) apply(s);
  if (out.schedule) {
    const base = out.optimizer.lr;
    const lr0 = typeof base === "number" ? base : base.value;
    const sc = out.schedule;
    const lr: ScheduleSpec =
      sc.kind === "exponential" ? { kind: "exponential", value: lr0, factor: sc.factor } : sc.kind === "linear" ? { kind: "linear", value: lr0, end: sc.end, steps: sc.steps } : { kind: "constant", value: lr0 };
    out.optimizer = { ...out.optimizer, lr };
  }
  if (out.optimizer.kind === "newton" && out.hessian === "none") {
    throw new SettingError("Newton's method needs `hessian approximate`", hessianAt);
  }
  return out;
}
