// Lowering entry: picks the controller block and turns LowerErrors into diagnostics.

import type { ControllerBlock, Program } from "../../language/ast.js";
import type { Diagnostic, Span } from "../../language/diagnostics.js";
import type { QpIr } from "../ir.js";
import { ControllerLowering } from "./controller.js";
import { CompilerCodes, LowerError } from "./errors.js";

export interface LoweredController {
  readonly ir?: QpIr;
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

export function lowerProgram(program: Program, source: string, fileName: string, target?: string): LoweredController {
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
    const ir = new ControllerLowering(program, source, block, { fileName, target }).lower();
    return { ir, block, diagnostics: [] };
  } catch (err) {
    if (err instanceof LowerError) return { block, diagnostics: [errorDiagnostic(err)] };
    // Never crash the CLI or the language server: an unexpected failure is a diagnostic.
    return { block, diagnostics: [internalDiagnostic(err, block.name.span)] };
  }
}
