// The trainer factory: from a TrainSpec (config.ts, the compiled module's `trainConfig`) to the
// controller options, the run settings and the trainer of its algorithm. Used by `mpcrl train` /
// `mpcrl eval` (cli/train_run.ts is glue around it) and by an app training a compiled controller
// itself. Browser-safe: no Node APIs (the CLI reads the offline data set's file and passes the rollouts).

import { BayesOpt } from "./bayesopt/bayesopt.js";
import type { TrainSpec } from "./config.js";
import { recordRollouts, type Rollout } from "./dataset.js";
import { Dpg } from "./dpg.js";
import { PolicyEvaluation } from "./evaluate.js";
import { DEFAULT_GUARD, OfflineQLearning } from "./offline.js";
import { FunctionPlant } from "../plants/function_plant.js";
import { Rng } from "../rng.js";
import { QLearning } from "./q_learning.js";
import type { EpisodicTrainer } from "./types.js";
import type { MpcControllerOptions } from "../mpc/controller.js";
import type { LearnableMpc } from "../mpc/types.js";
import type { RuntimeLayout } from "../mpc/template.js";
import type { Plant } from "../plants/types.js";

/** A spec the factory cannot build a trainer for (the CLI reports it as an error in the spec). */
export class TrainerSetupError extends Error {}

/** The run's overrides of the spec (the CLI's --episodes, --steps, --seed); absent: the spec's. */
export interface TrainOverrides {
  readonly episodes?: number;
  readonly steps?: number;
  readonly seed?: number;
}

export function withOverrides(spec: TrainSpec, o: TrainOverrides): TrainSpec {
  return { ...spec, episodes: o.episodes ?? spec.episodes, steps: o.steps ?? spec.steps, seed: o.seed ?? spec.seed };
}

/** The controller options the spec implies (the Q-function's first-input bounds, the safe fallback input). */
export function controllerOptions(spec: TrainSpec): MpcControllerOptions {
  return {
    firstInputBounds: spec.firstInputBounds,
    ...(spec.fallback?.kind === "safe" ? { fallbackInput: spec.fallback.input } : {}),
  };
}

/** The spec's settings as the run folder records them (settings.json, the report's table). */
export function specRunSettings(spec: TrainSpec): Record<string, unknown> & { algorithm: string; episodes: number; steps: number; seed: number } {
  return {
    algorithm: spec.algorithm,
    episodes: spec.episodes,
    steps: spec.steps,
    seed: spec.seed,
    optimizer: spec.optimizer,
    hessian: spec.hessian,
    update: `every ${spec.updateEvery} ${spec.updateUnit}`,
    replay: spec.replay,
    exploration: spec.exploration,
    firstInputBounds: spec.firstInputBounds,
    trustRegion: Number.isFinite(spec.trustRegion) ? spec.trustRegion : "none",
    ...(spec.algorithm === "dpg" && spec.explorationMargin > 0 ? { explorationMargin: spec.explorationMargin } : {}),
    ...((spec.algorithm === "q_learning" || spec.algorithm === "dpg") && spec.identify > 0 ? { identify: spec.identify } : {}),
  };
}

export interface TrainerOptions {
  readonly seed: number;
  /** false: a plain policy evaluation (no learning, no exploration). */
  readonly learn: boolean;
  /** The box of the first input (exploration is clipped to it). */
  readonly inputLower: readonly number[];
  readonly inputUpper: readonly number[];
  /** The plant's state bounds (null or absent: unbounded); DPG's `exploration_margin` measures against them. */
  readonly stateLower?: readonly (number | null)[];
  readonly stateUpper?: readonly (number | null)[];
  /** Offline: the data set's rollouts; absent: `episodes` rollouts of `steps` steps are recorded
   *  with the initial controller (the behaviour policy). Called only for `offline_q`. */
  readonly dataset?: () => Rollout[] | undefined;
}

/** The plant's declared stage cost at any (s, a) (a spec's plant: its step function's cost with a zero
 *  disturbance, the next state ignored); undefined for other plants (the guard then fits a cost model). */
export function stageCostOf(plant: Plant): ((s: Float64Array, a: Float64Array) => number) | undefined {
  if (!(plant instanceof FunctionPlant)) return undefined;
  const cfg = plant.config;
  const e = new Float64Array(cfg.disturbance?.size ?? 0);
  const rng = new Rng(0, "stage_cost");
  return (s, a) => cfg.step(Float64Array.from(s), a, e, rng).cost;
}

/** The offline data set: the given rollouts, else recorded with the initial controller. */
function offlineData(spec: TrainSpec, mpc: TrainableController, plant: Plant, options: TrainerOptions): Rollout[] {
  const given = options.dataset?.();
  if (given !== undefined) return given;
  // a data set cut short by a plant that left its domain would be learned from silently: refused
  const rollouts = recordRollouts(plant, (s) => mpc.act(s).u, spec.episodes, spec.steps, options.seed + 0x0ff, (r, k, why) => {
    throw new TrainerSetupError(`recording the offline data set with the initial controller: ${why} at step ${k} of rollout ${r}; the plant left its domain (fix the plant or the initial parameters, or give a recorded data set)`);
  });
  mpc.resetWarmStart();
  return rollouts;
}

/** Builds the trainer of the spec's algorithm (or a plain policy evaluation when `learn` is false). */
/** What a trainer needs of a compiled controller, linear (MpcController) or nonlinear
 *  (runtime/nmpc/learnable.ts, NonlinearMpc): the learners' interface and the runtime layouts. */
export type TrainableController = LearnableMpc & { readonly template: { readonly runtime: readonly RuntimeLayout[] } };

export function makeTrainer(spec: TrainSpec, mpc: TrainableController, plant: Plant, options: TrainerOptions): EpisodicTrainer {
  const common = {
    seed: options.seed,
    exploration: options.learn ? spec.exploration : ({ kind: "none" } as const),
    inputLower: [...options.inputLower],
    inputUpper: [...options.inputUpper],
  };
  if (!options.learn) return new PolicyEvaluation(mpc, plant, common);
  if (spec.identify > 0 && mpc.linearStructure?.() === undefined) {
    throw new TrainerSetupError("`identify` needs a linear controller whose dynamics give one equality row per state (x+ = A x + B u + c); this controller's model cannot be read off its QP");
  }
  if (spec.exploration.kind === "gradient" && !mpc.template.runtime.some((r) => r.name === "u0_gradient" && r.size === mpc.nu)) {
    throw new TrainerSetupError(
      "`exploration gradient(...)` perturbs the first input's cost gradient through a runtime value: " +
        `declare \`runtime u0_gradient[${mpc.nu}]\` in the controller and add \`+ initial u0_gradient'*u\` to its objective`,
    );
  }
  switch (spec.algorithm) {
    case "q_learning":
      return new QLearning(mpc, plant, {
        ...common,
        optimizer: spec.optimizer,
        updateEvery: spec.updateEvery,
        updateUnit: spec.updateUnit,
        replay: spec.replay,
        safety: { maxRelativeChange: spec.trustRegion },
        identifyAfter: spec.identify,
      });
    case "dpg":
      return new Dpg(mpc, plant, {
        ...common,
        optimizer: spec.optimizer,
        rolloutLength: spec.rolloutLength,
        maxRelativeChange: spec.trustRegion,
        explorationMargin: spec.explorationMargin,
        identifyAfter: spec.identify,
        stateLower: options.stateLower,
        stateUpper: options.stateUpper,
      });
    case "offline_q": {
      const data = offlineData(spec, mpc, plant, options);
      // the behaviour parameters: the data set's recorded theta, else the controller's initial theta
      const behaviourTheta = data.find((r) => r.length > 0)?.[0].theta;
      return new OfflineQLearning(mpc, plant, data, {
        ...common,
        exploration: { kind: "none" },
        optimizer: spec.optimizer,
        updateEvery: spec.updateEvery,
        replay: spec.replay,
        safety: { maxRelativeChange: spec.trustRegion },
        evaluation: spec.evaluation.every > 0 ? { ...spec.evaluation, steps: spec.steps } : undefined,
        guard: { ...DEFAULT_GUARD, kind: spec.guard, support: spec.support, stageCost: stageCostOf(plant), behaviourTheta },
      });
    }
    case "bayesopt": {
      // tune the learnables with a declared box; with none declared, all of them
      const bounded = mpc.params.filter((p) => Array.from(p.lower).some(Number.isFinite) || Array.from(p.upper).some(Number.isFinite));
      const chosen = bounded.length > 0 ? bounded : mpc.params;
      const indices = chosen.flatMap((p) => Array.from({ length: p.size }, (_, i) => p.offset + i));
      return new BayesOpt(mpc, plant, { ...common, exploration: { kind: "none" }, indices, initialDesign: spec.initialDesign });
    }
  }
}

/** Steps per "episode" of the trainer: offline passes follow the data set's rollouts. */
export function episodeSteps(spec: TrainSpec, trainer: EpisodicTrainer): number {
  if (trainer instanceof OfflineQLearning) return Math.max(...trainer.data.map((r) => r.length));
  return spec.steps;
}

/** Episodes of the run: offline passes default to one per rollout of the data set (`episodes` given: that many). */
export function trainingEpisodes(spec: TrainSpec, trainer: EpisodicTrainer, episodes?: number): number {
  if (trainer instanceof OfflineQLearning) return episodes ?? trainer.data.length;
  return spec.episodes;
}
