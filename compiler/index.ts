// The compiler's public API, used by the CLI (`mpcrl compile`), the language server and tests.
//
// compile(source): check -> lower (compiler/lower/) -> numeric checks -> emit (compiler/emit.ts).
// verify(source) (compiler/verify.ts): check, then lowering and the numeric checks of every controller
// without emitting: the verdict of `mpcrl check` and of the language server.
// The emitted module exports: Params, defaultParams, paramBounds, paramsToTheta, thetaToParams,
// template (QpTemplate), Controller / createController(params?, options?) (runtime MpcController:
// act, value, qvalue, gradValue, gradQvalue, policySensitivity, setParams), trainConfig (the typed
// TrainSpec of runtime/learn/config.ts: the train block interpreted once, in compiler/lower/train.ts,
// over the one table of defaults; the defaults when the spec has no train block) and, when the spec
// has a plant, plantInfo / plantStep / createPlant(options?).
// compileToModule(source): the same controller, plant and training configuration built in process
// from the IR (no code generation); it computes identical numbers. The CLI and the trainer factory
// (runtime/learn/factory.ts) read the same `trainConfig`.

import type { Diagnostic } from "../language/diagnostics.js";
import { MpcController, type MpcControllerOptions } from "../runtime/mpc/controller.js";
import type { QpTemplate } from "../runtime/mpc/template.js";
import { FunctionPlant } from "../runtime/plants/function_plant.js";
import { RandomDisturbance, type DisturbanceSource } from "../runtime/plants/disturbance.js";
import { evalNode } from "./ir/expr.js";
import type { QpIr } from "./ir.js";
import { emitModule } from "./emit.js";
import { emitNlpModule } from "./emit/nlp.js";
import type { NlpIr } from "./ir/nlp.js";
import { nlpTemplateFromIr } from "./ocp.js";
import { NonlinearMpc, type NlpTemplate, type NonlinearMpcOptions } from "../runtime/nmpc/learnable.js";
import type { PlantIr } from "./lower/plant.js";
import { trainSpecOf } from "./lower/train.js";
import type { TrainSpec } from "../runtime/learn/config.js";
import { neededNodes } from "./template.js";
import { lower, type Lowered, type LowerOptions } from "./verify.js";

export { COMPILER_VERSION } from "./emit.js";
export type { QpIr } from "./ir.js";
export type { NlpIr } from "./ir/nlp.js";
export type { PlantIr } from "./lower/plant.js";
export type { TrainConfigIr } from "./lower/train.js";
export type { TrainSpec } from "../runtime/learn/config.js";
export { CompilerCodes } from "./lower/errors.js";
export { firstInputBounds } from "./lower/train.js";
export { lower, lowerChecked, verify, type Lowered, type LowerOptions, type VerifyOptions, type VerifyResult } from "./verify.js";

export type CompileOptions = LowerOptions;

export interface CompileResult extends Lowered {
  readonly code?: string;
}

const hasErrors = (d: readonly Diagnostic[]): boolean => d.some((x) => x.severity === "error");

/** Compiles a spec to the TypeScript module text (code is absent when there are errors). */
export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const fileName = options.fileName ?? "spec.mpcrl";
  const low = lower(source, options);
  if (hasErrors(low.diagnostics)) return low;
  if (low.nlp !== undefined) return { ...low, code: emitNlpModule({ nlp: low.nlp, plant: low.plant, train: low.train, source, fileName }) };
  if (low.ir === undefined) return low;
  const code = emitModule({ ir: low.ir, plant: low.plant, train: low.train, source, fileName });
  return { ...low, code };
}

export interface CompiledModule {
  readonly kind: "qp";
  readonly template: QpTemplate;
  readonly ir: QpIr;
  readonly plant?: PlantIr;
  /** The training settings (`mpcrl train` uses exactly these, with its flags over them). */
  readonly trainConfig: TrainSpec;
  readonly diagnostics: Diagnostic[];
  createController(options?: MpcControllerOptions): MpcController;
  /** Undefined when the spec has no plant. */
  createPlant?: (options?: { disturbance?: DisturbanceSource; episodeLength?: number }) => FunctionPlant;
}

/** A compiled nonlinear controller (`solver sqp|rti`), in process (see ocp.ts). */
export interface NlpModule {
  readonly kind: "nlp";
  readonly template: NlpTemplate;
  readonly ir: NlpIr;
  readonly plant?: PlantIr;
  readonly trainConfig: TrainSpec;
  readonly diagnostics: Diagnostic[];
  createController(options?: NonlinearMpcOptions): NonlinearMpc;
  createPlant?: (options?: { disturbance?: DisturbanceSource; episodeLength?: number }) => FunctionPlant;
}

/** A live controller (and plant) without writing files: the in-process path (see template.ts). A
 *  nonlinear controller comes as `nlpModule` (then `module` is absent). */
export function compileToModule(source: string, options: CompileOptions = {}): { module?: CompiledModule; nlpModule?: NlpModule; diagnostics: Diagnostic[] } {
  const low = lower(source, options);
  if (!hasErrors(low.diagnostics) && low.nlp !== undefined) {
    const template = nlpTemplateFromIr(low.nlp);
    const plant = low.plant;
    const nlpModule: NlpModule = {
      kind: "nlp",
      template,
      ir: low.nlp,
      plant,
      trainConfig: trainSpecOf(low.train, plant),
      diagnostics: low.diagnostics,
      createController: (opts = {}) => new NonlinearMpc(template, opts),
      createPlant: plant ? (opts = {}) => plantFromIr(plant, opts) : undefined,
    };
    return { nlpModule, diagnostics: low.diagnostics };
  }
  if (hasErrors(low.diagnostics) || low.ir === undefined || low.template === undefined) return { diagnostics: low.diagnostics };
  const template = low.template;
  const plant = low.plant;
  const trainConfig = trainSpecOf(low.train, plant);
  const fib = trainConfig.firstInputBounds;
  const module: CompiledModule = {
    kind: "qp",
    template,
    ir: low.ir,
    plant,
    trainConfig,
    diagnostics: low.diagnostics,
    createController: (opts = {}) => new MpcController(template, { firstInputBounds: fib, ...opts }),
    createPlant: plant ? (opts = {}) => plantFromIr(plant, opts) : undefined,
  };
  return { module, diagnostics: low.diagnostics };
}

/** The plant from its IR, evaluated in process (same node order as the emitted plantStep). */
export function plantFromIr(plant: PlantIr, options: { disturbance?: DisturbanceSource; episodeLength?: number } = {}): FunctionPlant {
  const pool = plant.pool;
  const roots = [...plant.next, plant.cost, ...plant.constraints.flatMap((c) => [c.e, c.lo, c.hi])];
  const needed = neededNodes({ pool }, roots);
  const vals = new Float64Array(pool.nodes.length);
  const v = new Float64Array(plant.nx + plant.nu + plant.nd + (plant.prevInput ? plant.nu : 0));
  const next = new Float64Array(plant.nx);
  // prev(a): the input applied at the previous step, 0 at the first step of an episode
  const prevA = new Float64Array(plant.prevInput ? plant.nu : 0);
  const initialSampler = new RandomDisturbance(plant.initial);
  return new FunctionPlant({
    nx: plant.nx,
    nu: plant.nu,
    initial: (rng) => {
      const s0 = new Float64Array(plant.nx);
      initialSampler.sample(0, rng, s0);
      prevA.fill(0);
      return s0;
    },
    step: (s, a, e) => {
      v.set(s, 0);
      for (let i = 0; i < plant.nu; i++) v[plant.nx + i] = a[i];
      v.set(e, plant.nx + plant.nu);
      v.set(prevA, plant.nx + plant.nu + plant.nd);
      for (let k = 0; k < needed.length; k++) vals[needed[k]] = evalNode(pool.nodes[needed[k]], vals, [], v);
      for (let i = 0; i < prevA.length; i++) prevA[i] = a[i];
      for (let i = 0; i < plant.nx; i++) next[i] = vals[plant.next[i]];
      let violations = 0;
      for (const c of plant.constraints) if (!(vals[c.lo] <= vals[c.e] && vals[c.e] <= vals[c.hi])) violations++;
      return { next, cost: vals[plant.cost], violations };
    },
    disturbance: options.disturbance ?? (plant.nd > 0 ? new RandomDisturbance(plant.disturbance) : undefined),
    episodeLength: options.episodeLength ?? plant.episode,
  });
}
