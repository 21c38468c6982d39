// Glue shared by `mpcrl train` and `mpcrl eval`: compile the spec in process, interpret its train
// block, build the controller, the plant (from the spec, or a TypeScript module) and the trainer.
// Errors carry the exit code: 1 for problems in the spec, 2 for bad flags or unreadable files.

import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { compileToModule, type CompiledModule, type TrainArg, type TrainSetting } from "../compiler/index.js";
import { renderDiagnostics } from "../language/index.js";
import { BayesOpt } from "../runtime/learn/bayesopt/bayesopt.js";
import { interpretTrainSettings, SettingError, type SettingArg, type SettingData, type TrainSpec } from "../runtime/learn/config.js";
import { parseDataset, recordRollouts, type Rollout } from "../runtime/learn/dataset.js";
import { Dpg } from "../runtime/learn/dpg.js";
import { PolicyEvaluation } from "../runtime/learn/evaluate.js";
import { OfflineQLearning } from "../runtime/learn/offline.js";
import { QLearning } from "../runtime/learn/q_learning.js";
import type { EpisodicTrainer } from "../runtime/learn/types.js";
import type { MpcController } from "../runtime/mpc/controller.js";
import { parseDisturbance, type DisturbanceSource } from "../runtime/plants/disturbance.js";
import { loadPlantModule } from "../runtime/plants/module.js";
import type { Plant } from "../runtime/plants/types.js";
import { thetaNames } from "../runtime/run/params.js";
import type { RunSettings } from "../runtime/run/driver.js";
import { useColor } from "./io.js";
import { plantStateBox } from "./plant_bounds.js";

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export interface CommonFlags {
  episodes?: string;
  steps?: string;
  seed?: string;
  seeds?: string;
  disturbance?: string;
  plant?: string;
  color?: boolean;
}

export interface Setup {
  readonly specPath: string;
  readonly source: string;
  readonly module: CompiledModule;
  readonly spec: TrainSpec;
  readonly settings: RunSettings;
  readonly inputLower: number[];
  readonly inputUpper: number[];
  createController(): MpcController;
  createPlant(): Promise<Plant>;
}

export function parsePositiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new CliError(`${flag} expects a positive integer, got '${v}'`, 2);
  return Number(v);
}

export function parseSeed(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CliError(`--seed expects a non-negative integer, got '${v}'`, 2);
  return Number(v);
}

/** `1..8`, `3,5,9` or `7`. */
export function parseSeeds(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const range = /^(\d+)\.\.(\d+)$/.exec(v);
  if (range) {
    const a = Number(range[1]);
    const b = Number(range[2]);
    if (b < a || b - a > 1000) throw new CliError(`--seeds range '${v}' must go upward and hold at most 1001 seeds`, 2);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  if (/^\d+(,\d+)*$/.test(v)) return v.split(",").map(Number);
  throw new CliError(`--seeds expects a range like 1..8 or a list like 1,2,5, got '${v}'`, 2);
}

function toArg(a: TrainArg): SettingArg {
  if (typeof a === "number") return { kind: "number", value: a };
  if (typeof a === "string") return { kind: "word", value: a };
  const named: Record<string, SettingArg> = {};
  for (const [k, v] of Object.entries(a.named)) named[k] = toArg(v);
  return { kind: "call", name: a.call, positional: a.args.map(toArg), named };
}

function toSettingData(s: TrainSetting): SettingData {
  return { key: s.key, args: s.args.map(toArg), ...(s.block ? { block: s.block.map(toSettingData) } : {}) };
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${what} '${path}': ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : String(code ?? err)}`, 2);
  }
}

/** `sourceText`: the spec's text when it is not the file's (a study's trial); files stay relative to `specPath`. */
export async function prepare(specPath: string, flags: CommonFlags, sourceText?: string): Promise<Setup> {
  const source = sourceText ?? readText(specPath, "the spec");
  const episodes = parsePositiveInt(flags.episodes, "--episodes");
  const steps = parsePositiveInt(flags.steps, "--steps");
  const seed = parseSeed(flags.seed);
  if (flags.disturbance !== undefined && !existsSync(flags.disturbance)) throw new CliError(`cannot read the disturbance file '${flags.disturbance}': no such file`, 2);
  if (flags.plant !== undefined && !existsSync(flags.plant)) throw new CliError(`cannot read the plant module '${flags.plant}': no such file`, 2);
  const { module, diagnostics } = compileToModule(source, { fileName: specPath });
  if (!module || diagnostics.some((d) => d.severity === "error")) {
    throw new CliError(renderDiagnostics(source, diagnostics, specPath, { color: useColor(flags.color, process.stderr) }), 1);
  }
  let spec: TrainSpec;
  try {
    spec = interpretTrainSettings((module.trainConfig?.settings ?? []).map(toSettingData));
  } catch (err) {
    if (err instanceof SettingError) throw new CliError(`${specPath}: ${err.message}`, 1);
    throw err;
  }
  const plantIr = module.plant;
  const defaultSteps = plantIr?.episode ?? spec.steps;
  const hasStepsSetting = (module.trainConfig?.settings ?? []).some((s) => s.key === "steps");
  spec = {
    ...spec,
    episodes: episodes ?? spec.episodes,
    steps: steps ?? (hasStepsSetting ? spec.steps : defaultSteps),
    seed: seed ?? spec.seed,
  };
  const ir = module.ir;
  const inputLower = [...ir.u0Lower];
  const inputUpper = [...ir.u0Upper];
  // plant state bounds (for the report's plots)
  const { lower: stateLower, upper: stateUpper } = plantStateBox(plantIr, ir.nx);
  const names = (groups: readonly { name: string; size: number }[]): string[] =>
    groups.flatMap((g) => (g.size === 1 ? [g.name] : Array.from({ length: g.size }, (_, i) => `${g.name}[${i}]`)));
  const template = module.template;
  const settings: RunSettings = {
    spec: basename(specPath),
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
    disturbance: flags.disturbance ?? "random (seeded)",
    plant: flags.plant ?? plantIr?.name ?? "none",
    controller: ir.name,
    stateNames: names(ir.stateNames),
    inputNames: names(ir.inputNames),
    stateLower: stateLower as number[],
    stateUpper: stateUpper as number[],
    inputLower,
    inputUpper,
    thetaNames: thetaNames(template.params),
  };
  const fallbackInput = spec.fallback?.kind === "safe" ? spec.fallback.input : undefined;
  let disturbance: DisturbanceSource | undefined;
  if (flags.disturbance !== undefined) {
    try {
      disturbance = parseDisturbance(readText(flags.disturbance, "the disturbance file"), plantIr?.nd ?? 0);
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`${flags.disturbance}: ${err instanceof Error ? err.message : String(err)}`, 2);
    }
  }
  return {
    specPath,
    source,
    module,
    spec,
    settings,
    inputLower,
    inputUpper,
    createController: () =>
      module.createController({
        firstInputBounds: spec.firstInputBounds,
        ...(fallbackInput ? { fallbackInput } : {}),
      }),
    createPlant: async () => {
      if (flags.plant !== undefined) {
        try {
          return await loadPlantModule(flags.plant);
        } catch (err) {
          throw new CliError(`${flags.plant}: ${err instanceof Error ? err.message : String(err)}`, 2);
        }
      }
      if (!module.createPlant) throw new CliError(`${specPath}: the spec declares no plant; add a \`plant\` block or pass --plant module.ts`, 1);
      return module.createPlant(disturbance ? { disturbance } : {});
    },
  };
}

/** Loads or records the offline data set. */
function offlineData(setup: Setup, mpc: MpcController, plant: Plant, seed: number): Rollout[] {
  const { spec } = setup;
  const path = spec.dataset !== undefined ? join(dirname(resolve(setup.specPath)), `${spec.dataset}.jsonl`) : undefined;
  if (path !== undefined && existsSync(path)) {
    try {
      return parseDataset(readText(path, "the data set"), mpc.nx, mpc.nu);
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`${path}: ${err instanceof Error ? err.message : String(err)}`, 2);
    }
  }
  // no file: record `episodes` rollouts of `steps` steps with the initial controller (the behaviour policy)
  const rollouts = recordRollouts(plant, (s) => mpc.act(s).u, spec.episodes, spec.steps, seed + 0x0ff);
  mpc.resetWarmStart();
  return rollouts;
}

/** Builds the trainer of the spec's algorithm (or a plain policy evaluation when `learn` is false). */
export function makeTrainer(setup: Setup, mpc: MpcController, plant: Plant, seed: number, learn: boolean): EpisodicTrainer {
  const { spec } = setup;
  const common = {
    seed,
    exploration: learn ? spec.exploration : ({ kind: "none" } as const),
    inputLower: setup.inputLower,
    inputUpper: setup.inputUpper,
  };
  if (!learn) return new PolicyEvaluation(mpc, plant, common);
  if (spec.exploration.kind === "gradient" && !mpc.template.runtime.some((r) => r.name === "u0_gradient" && r.size === mpc.nu)) {
    throw new CliError(
      `${setup.specPath}: \`exploration gradient(...)\` perturbs the first input's cost gradient through a runtime value: ` +
        `declare \`runtime u0_gradient[${mpc.nu}]\` in the controller and add \`+ initial u0_gradient'*u\` to its objective`,
      1,
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
      });
    case "dpg":
      return new Dpg(mpc, plant, {
        ...common,
        optimizer: spec.optimizer,
        rolloutLength: spec.rolloutLength,
        maxRelativeChange: spec.trustRegion,
      });
    case "offline_q": {
      const data = offlineData(setup, mpc, plant, seed);
      return new OfflineQLearning(mpc, plant, data, {
        ...common,
        exploration: { kind: "none" },
        optimizer: spec.optimizer,
        updateEvery: spec.updateEvery,
        replay: spec.replay,
        safety: { maxRelativeChange: spec.trustRegion },
        evaluation: spec.evaluation.every > 0 ? { ...spec.evaluation, steps: spec.steps } : undefined,
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
export function episodeSteps(setup: Setup, trainer: EpisodicTrainer): number {
  if (trainer instanceof OfflineQLearning) return Math.max(...trainer.data.map((r) => r.length));
  return setup.spec.steps;
}

export function offlineEpisodes(setup: Setup, trainer: EpisodicTrainer, episodesFlag: number | undefined): number {
  if (trainer instanceof OfflineQLearning) return episodesFlag ?? trainer.data.length;
  return setup.spec.episodes;
}
