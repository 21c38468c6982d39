// `check` is the one verdict: verify(source) runs the checker and then, only when it reports no
// error, lowers every controller (with its plant and train block, as `compile` would) and runs the
// compiler's numeric checks (structured initial values, discretization with learnables, DARE,
// Hessian PSD at theta0, phase-1 feasibility at the plant's initial state). Every error `compile`
// can report is therefore reported by `verify` first. Used by `mpcrl check` and the language server
// (after the cheap checker pass). It imports no code generator, so it loads fast.

import { check } from "../language/index.js";
import type { Diagnostic } from "../language/diagnostics.js";
import type { CheckResult, SemanticModel } from "../language/semantic.js";
import type { ControllerBlock, PlantBlock, Program } from "../language/ast.js";
import type { QpTemplate } from "../runtime/mpc/template.js";
import type { QpIr } from "./ir.js";
import type { NlpIr } from "./ir/nlp.js";
import { numericChecks, type InitialStateForCheck } from "./lower/checks.js";
import { dataRangeChecks } from "./lower/data_ranges.js";
import { checkerModel, errorDiagnostic, internalDiagnostic, lowerProgram } from "./lower/index.js";
import { LowerError } from "./lower/errors.js";
import { lowerPlant, type PlantIr } from "./lower/plant.js";
import { findTrain, lowerTrain, type TrainConfigIr } from "./lower/train.js";
import { templateFromIr } from "./template.js";
import { identifyVerdict } from "./lower/identify.js";

export interface LowerOptions {
  /** File name used in the header, comments and diagnostics (default "spec.mpcrl"). */
  readonly fileName?: string;
  /** Controller to compile (default: the train block's, else the first). */
  readonly target?: string;
  /** Skip the numeric checks (PSD, phase-1 feasibility). */
  readonly skipNumericChecks?: boolean;
  /** The checker's model of the program (lowering reads names, shapes and constants from it); when
   *  absent, `lowerChecked` checks the program again to get it. */
  readonly model?: SemanticModel;
}

export interface Lowered {
  readonly ir?: QpIr;
  /** The IR of a nonlinear controller (then `ir` and `template` are absent). */
  readonly nlp?: NlpIr;
  readonly plant?: PlantIr;
  readonly train?: TrainConfigIr;
  readonly template?: QpTemplate;
  readonly diagnostics: Diagnostic[];
  /** What the train block's settings will derive (e.g. `identify`), for `mpcrl check` to print. */
  readonly notes?: string[];
}

const hasErrors = (d: readonly Diagnostic[]): boolean => d.some((x) => x.severity === "error");

/** Lowering and numeric checks of one controller of a checked program, from the checker's model
 *  (the checker's diagnostics are not repeated: only the compiler's own are returned). */
export function lowerChecked(program: Program, source: string, options: LowerOptions = {}): Lowered {
  const fileName = options.fileName ?? "spec.mpcrl";
  const diagnostics: Diagnostic[] = [];
  const target = options.target ?? program.items.find((i) => i.kind === "Train")?.controller.name;
  const model = checkerModel(program, source, options.model);
  const low = lowerProgram(program, source, fileName, target, model);
  diagnostics.push(...low.diagnostics);
  if (low.block === undefined) return { diagnostics };
  if (low.nlp !== undefined) {
    // a nonlinear controller: its plant and train block; the QP numeric checks do not apply (its
    // convexity is the checker's proof of every QP subproblem, its feasibility is the SQP's status)
    const nlp = low.nlp;
    try {
      const tb = findTrain(program, nlp.name);
      const train = tb ? lowerTrain(program, tb) : undefined;
      const pb = plantBlock(program, tb?.plant.name);
      const plant = pb ? lowerPlant(program, pb, model) : undefined;
      if (tb && train && train.spec.identify > 0) diagnostics.push(...identifyVerdict(undefined, tb, train.spec.identify, nlp.name).diagnostics);
      return { nlp, ...(plant ? { plant } : {}), ...(train ? { train } : {}), diagnostics };
    } catch (err) {
      diagnostics.push(err instanceof LowerError ? errorDiagnostic(err) : internalDiagnostic(err, low.block.name.span));
      return { nlp, diagnostics };
    }
  }
  if (low.ir === undefined) return { diagnostics };
  const ir = low.ir;
  let plant: PlantIr | undefined;
  let train: TrainConfigIr | undefined;
  const tb = findTrain(program, ir.name);
  try {
    if (tb) train = lowerTrain(program, tb);
    const pb = plantBlock(program, tb?.plant.name);
    if (pb) plant = lowerPlant(program, pb, model);
  } catch (err) {
    diagnostics.push(err instanceof LowerError ? errorDiagnostic(err) : internalDiagnostic(err, low.block.name.span));
    return { ir, diagnostics };
  }
  const template = templateFromIr(ir);
  // the QP data as compiled, over every admissible parameter (a backstop of the checker's rules)
  diagnostics.push(...dataRangeChecks(ir, low.block));
  if (!options.skipNumericChecks) {
    try {
      diagnostics.push(...numericChecks(template, low.block, plant && plant.nx === ir.nx ? initialStateForCheck(plant) : undefined));
    } catch (err) {
      diagnostics.push(internalDiagnostic(err, low.block.name.span));
    }
  }
  const notes: string[] = [];
  if (tb && train && train.spec.identify > 0) {
    const v = identifyVerdict(template, tb, train.spec.identify, ir.name);
    diagnostics.push(...v.diagnostics);
    notes.push(...v.notes);
  }
  return { ir, plant, train, template, diagnostics, ...(notes.length > 0 ? { notes } : {}) };
}

/** Check, lower and run the numeric checks of the compile target (no code generation). */
export function lower(source: string, options: LowerOptions = {}): Lowered {
  const checked = check(source);
  const diagnostics: Diagnostic[] = [...checked.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics };
  const low = lowerChecked(checked.program, source, { ...options, model: checked.model });
  return { ...low, diagnostics: [...diagnostics, ...low.diagnostics] };
}

/** The state the feasibility check starts from: the plant's initial state when it is constant; for
 *  a random initial state, the center of its distribution (the midpoint of a uniform entry, the
 *  mean of a normal one), and the diagnostic says so. */
export function initialStateForCheck(plant: PlantIr): InitialStateForCheck {
  return {
    value: plant.initial.map((d) => (d.kind === "constant" ? d.value : d.kind === "uniform" ? (d.low + d.high) / 2 : d.mean)),
    random: plant.initial.some((d) => d.kind !== "constant"),
  };
}

function plantBlock(program: Program, name: string | undefined): PlantBlock | undefined {
  const plants = program.items.filter((i): i is PlantBlock => i.kind === "Plant");
  return name === undefined ? plants[0] : plants.find((p) => p.name.name === name);
}

export interface VerifyOptions {
  readonly fileName?: string;
  /** The checker's result for `source`, when the caller already has it (the language server). */
  readonly checked?: CheckResult;
}

export interface VerifyResult {
  /** The checker's diagnostics followed by the compiler's (the verdict of `mpcrl check`). */
  readonly diagnostics: Diagnostic[];
  /** Only the compiler's diagnostics (MPC46xx, and the DPP rule applied to discretized dynamics). */
  readonly compiler: Diagnostic[];
  /** Whether lowering and the numeric checks ran (they are skipped when the checker reports errors). */
  readonly ran: boolean;
  /** What the train blocks' settings will derive (lowerChecked's notes), one line each. */
  readonly notes: string[];
}

/** The one verdict: the checker, then (only without checker errors) lowering and the numeric checks
 *  of every controller, each with the plant and train block `compile` would use for it. */
export function verify(source: string, options: VerifyOptions = {}): VerifyResult {
  const checked = options.checked ?? check(source);
  const base = [...checked.diagnostics];
  if (hasErrors(base)) return { diagnostics: base, compiler: [], ran: false, notes: [] };
  const notes: string[] = [];
  const compiler: Diagnostic[] = [];
  const seen = new Set<string>();
  const controllers = checked.program.items.filter((i): i is ControllerBlock => i.kind === "Controller");
  // `compile` needs a controller: a file without one (empty, or only plants) is MPC4609 here too
  if (controllers.length === 0) compiler.push(...lowerChecked(checked.program, source, { fileName: options.fileName, model: checked.model }).diagnostics);
  for (const c of controllers) {
    let low: Lowered;
    try {
      low = lowerChecked(checked.program, source, { fileName: options.fileName, target: c.name.name, model: checked.model });
    } catch (err) {
      low = { diagnostics: [internalDiagnostic(err, c.name.span)] };
    }
    notes.push(...(low.notes ?? []));
    for (const d of low.diagnostics) {
      const key = `${d.code}@${d.span.start}:${d.span.end}:${d.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      compiler.push(d);
    }
  }
  return { diagnostics: [...base, ...compiler], compiler, ran: true, notes };
}
