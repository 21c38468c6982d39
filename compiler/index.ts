// The compiler's public API, used by the CLI (`mpcrl compile`), the language server and tests.
//
// compile(source): check -> lower (compiler/lower/) -> numeric checks -> emit (compiler/emit.ts).
// The emitted module exports: Params, defaultParams, paramBounds, paramsToTheta, thetaToParams,
// template (QpTemplate), Controller / createController(params?, options?) (runtime MpcController:
// act, value, qvalue, gradValue, gradQvalue, policySensitivity, setParams), and, when the spec has
// them, plantInfo / plantStep / createPlant(options?) and trainConfig.
// compileToModule(source): the same controller, plant and training configuration built in process
// from the IR (no code generation); it computes identical numbers.

import { check } from "../language/index.js";
import type { Diagnostic } from "../language/diagnostics.js";
import type { PlantBlock, Program } from "../language/ast.js";
import { MpcController, type MpcControllerOptions } from "../runtime/mpc/controller.js";
import type { QpTemplate } from "../runtime/mpc/template.js";
import { FunctionPlant } from "../runtime/plants/function_plant.js";
import { RandomDisturbance, type DisturbanceSource } from "../runtime/plants/disturbance.js";
import { evalNode } from "./ir/expr.js";
import type { QpIr } from "./ir.js";
import { emitModule } from "./emit.js";
import { numericChecks } from "./lower/checks.js";
import { errorDiagnostic, internalDiagnostic, lowerProgram } from "./lower/index.js";
import { LowerError } from "./lower/errors.js";
import { lowerPlant, type PlantIr } from "./lower/plant.js";
import { findTrain, firstInputBounds, lowerTrain, type TrainConfigIr } from "./lower/train.js";
import { templateFromIr, neededNodes } from "./template.js";

export { COMPILER_VERSION } from "./emit.js";
export type { QpIr } from "./ir.js";
export type { PlantIr } from "./lower/plant.js";
export type { TrainConfigIr, TrainSetting, TrainArg } from "./lower/train.js";
export { CompilerCodes } from "./lower/errors.js";
export { firstInputBounds } from "./lower/train.js";

export interface CompileOptions {
  /** File name used in the header, comments and diagnostics (default "spec.mpcrl"). */
  readonly fileName?: string;
  /** Controller to compile (default: the train block's, else the first). */
  readonly target?: string;
  /** Skip the numeric checks (PSD, phase-1 feasibility). */
  readonly skipNumericChecks?: boolean;
  /** Format the emitted code (default true). */
  readonly format?: boolean;
}

export interface Lowered {
  readonly ir?: QpIr;
  readonly plant?: PlantIr;
  readonly train?: TrainConfigIr;
  readonly template?: QpTemplate;
  readonly diagnostics: Diagnostic[];
}

export interface CompileResult extends Lowered {
  readonly code?: string;
}

const hasErrors = (d: readonly Diagnostic[]): boolean => d.some((x) => x.severity === "error");

/** Check, lower and run the numeric checks; no code generation. */
export function lower(source: string, options: CompileOptions = {}): Lowered {
  const fileName = options.fileName ?? "spec.mpcrl";
  const checked = check(source);
  const diagnostics: Diagnostic[] = [...checked.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics };
  const program = checked.program;
  const target = options.target ?? program.items.find((i) => i.kind === "Train")?.controller.name;
  const low = lowerProgram(program, source, fileName, target);
  diagnostics.push(...low.diagnostics);
  if (low.ir === undefined || low.block === undefined) return { diagnostics };
  const ir = low.ir;
  let plant: PlantIr | undefined;
  let train: TrainConfigIr | undefined;
  try {
    const tb = findTrain(program, ir.name);
    if (tb) train = lowerTrain(program, tb);
    const pb = plantBlock(program, tb?.plant.name);
    if (pb) plant = lowerPlant(program, pb);
  } catch (err) {
    diagnostics.push(err instanceof LowerError ? errorDiagnostic(err) : internalDiagnostic(err, low.block.name.span));
    return { ir, diagnostics };
  }
  const template = templateFromIr(ir);
  if (!options.skipNumericChecks) {
    // the feasibility check uses the mean of a random initial state
    const x0 = plant && plant.nx === ir.nx ? plant.initial.map((d) => (d.kind === "constant" ? d.value : d.kind === "uniform" ? (d.low + d.high) / 2 : d.mean)) : undefined;
    try {
      diagnostics.push(...numericChecks(template, low.block, x0));
    } catch (err) {
      diagnostics.push(internalDiagnostic(err, low.block.name.span));
    }
  }
  return { ir, plant, train, template, diagnostics };
}

/** Compiles a spec to the TypeScript module text (code is absent when there are errors). */
export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const fileName = options.fileName ?? "spec.mpcrl";
  const low = lower(source, options);
  if (hasErrors(low.diagnostics) || low.ir === undefined) return low;
  const code = emitModule({ ir: low.ir, plant: low.plant, train: low.train, source, fileName, format: options.format });
  return { ...low, code };
}

export interface CompiledModule {
  readonly template: QpTemplate;
  readonly ir: QpIr;
  readonly plant?: PlantIr;
  readonly trainConfig?: TrainConfigIr;
  readonly diagnostics: Diagnostic[];
  createController(options?: MpcControllerOptions): MpcController;
  /** Undefined when the spec has no plant. */
  createPlant?: (options?: { disturbance?: DisturbanceSource; episodeLength?: number }) => FunctionPlant;
}

/** A live controller (and plant) without writing files: the in-process path (see template.ts). */
export function compileToModule(source: string, options: CompileOptions = {}): { module?: CompiledModule; diagnostics: Diagnostic[] } {
  const low = lower(source, options);
  if (hasErrors(low.diagnostics) || low.ir === undefined || low.template === undefined) return { diagnostics: low.diagnostics };
  const template = low.template;
  const fib = firstInputBounds(low.train);
  const plant = low.plant;
  const module: CompiledModule = {
    template,
    ir: low.ir,
    plant,
    trainConfig: low.train,
    diagnostics: low.diagnostics,
    createController: (opts = {}) => new MpcController(template, { firstInputBounds: fib, ...opts }),
    createPlant: plant ? (opts = {}) => plantFromIr(plant, opts) : undefined,
  };
  return { module, diagnostics: low.diagnostics };
}

function plantBlock(program: Program, name: string | undefined): PlantBlock | undefined {
  const plants = program.items.filter((i): i is PlantBlock => i.kind === "Plant");
  return name === undefined ? plants[0] : plants.find((p) => p.name.name === name);
}

/** The plant from its IR, evaluated in process (same node order as the emitted plantStep). */
export function plantFromIr(plant: PlantIr, options: { disturbance?: DisturbanceSource; episodeLength?: number } = {}): FunctionPlant {
  const pool = plant.pool;
  const roots = [...plant.next, plant.cost, ...plant.constraints.flatMap((c) => [c.e, c.lo, c.hi])];
  const needed = neededNodes({ pool }, roots);
  const vals = new Float64Array(pool.nodes.length);
  const v = new Float64Array(plant.nx + plant.nu + plant.nd);
  const next = new Float64Array(plant.nx);
  const initialSampler = new RandomDisturbance(plant.initial);
  return new FunctionPlant({
    nx: plant.nx,
    nu: plant.nu,
    initial: (rng) => {
      const s0 = new Float64Array(plant.nx);
      initialSampler.sample(0, rng, s0);
      return s0;
    },
    step: (s, a, e) => {
      v.set(s, 0);
      for (let i = 0; i < plant.nu; i++) v[plant.nx + i] = a[i];
      v.set(e, plant.nx + plant.nu);
      for (let k = 0; k < needed.length; k++) vals[needed[k]] = evalNode(pool.nodes[needed[k]], vals, [], v);
      for (let i = 0; i < plant.nx; i++) next[i] = vals[plant.next[i]];
      let violations = 0;
      for (const c of plant.constraints) if (!(vals[c.lo] <= vals[c.e] && vals[c.e] <= vals[c.hi])) violations++;
      return { next, cost: vals[plant.cost], violations };
    },
    disturbance: options.disturbance ?? (plant.nd > 0 ? new RandomDisturbance(plant.disturbance) : undefined),
    episodeLength: options.episodeLength ?? plant.episode,
  });
}
