// Lowering entry: picks the controller block, lowers it from the checker's model and turns
// LowerErrors into diagnostics (anything else, e.g. a LoweringAssertion, is an internal error).

import type { ControllerBlock, Program } from "../../language/ast.js";
import type { Diagnostic, Span } from "../../language/diagnostics.js";
import type { SemanticModel } from "../../language/semantic.js";
import { checkProgram } from "../../language/check/index.js";
import { modelOf, type Model } from "../../language/check/model.js";
import type { QpIr } from "../ir.js";
import { ControllerLowering } from "./controller.js";
import type { NlpIr } from "../ir/nlp.js";
import { NlpLowering } from "./nlp.js";
import { CompilerCodes, LowerError } from "./errors.js";

export interface LoweredController {
  readonly ir?: QpIr;
  /** A nonlinear controller (`solver sqp|rti`, the checker's classification) lowers to this instead. */
  readonly nlp?: NlpIr;
  readonly block?: ControllerBlock;
  readonly diagnostics: Diagnostic[];
}

export function errorDiagnostic(err: LowerError): Diagnostic {
  return { severity: "error", code: err.code, message: err.message, span: err.span, ...(err.help ? { help: err.help } : {}) };
}

export function internalDiagnostic(err: unknown, span: Span): Diagnostic {
  return {
    severity: "error",
    code: CompilerCodes.internal,
    message: `internal compiler error: ${err instanceof Error ? err.message : String(err)}`,
    span,
    notes: ["this is a bug in the compiler; please report it with the spec"],
  };
}

export function findController(program: Program, target?: string): ControllerBlock | undefined {
  const blocks = program.items.filter((i): i is ControllerBlock => i.kind === "Controller");
  if (target !== undefined) return blocks.find((b) => b.name.name === target);
  return blocks[0];
}

/** The checker's model of `program` (checking it again when the caller has none). */
export function checkerModel(program: Program, source: string, model?: SemanticModel): Model {
  const m = model === undefined ? undefined : modelOf(model);
  if (m !== undefined && m.ctx.program === program) return m;
  const again = modelOf(checkProgram(program, source).model);
  if (again === undefined) throw new Error("the checker returned no model");
  return again;
}

export function lowerProgram(program: Program, source: string, fileName: string, target?: string, model?: SemanticModel): LoweredController {
  const block = findController(program, target);
  if (block === undefined) {
    const span: Span = program.span;
    return {
      diagnostics: [
        {
          severity: "error",
          code: CompilerCodes.missing,
          message: target === undefined ? "the file declares no controller" : `no controller named \`${target}\``,
          span: { ...span, end: span.start, endLine: span.startLine, endColumn: span.startColumn },
        },
      ],
    };
  }
  try {
    const m = checkerModel(program, source, model);
    const cls = m.controllerClass(block.name.name);
    if (cls?.kind === "nlp") {
      const options = {
        fileName,
        target,
        model: m,
        method: cls.method,
        hessian: cls.hessian,
        ...(cls.integrator ? { substeps: cls.integrator.substeps } : {}),
        ...(cls.maxIterations !== undefined ? { maxIterations: cls.maxIterations } : {}),
        ...(cls.tolerance !== undefined ? { tolerance: cls.tolerance } : {}),
      };
      return { nlp: new NlpLowering(program, source, block, options).lowerNlp(), block, diagnostics: [] };
    }
    const ir = new ControllerLowering(program, source, block, { fileName, target, model: m }).lower();
    return { ir, block, diagnostics: [] };
  } catch (err) {
    if (err instanceof LowerError) return { block, diagnostics: [errorDiagnostic(err)] };
    // Never crash the CLI or the language server: an unexpected failure is a diagnostic.
    return { block, diagnostics: [internalDiagnostic(err, block.name.span)] };
  }
}
