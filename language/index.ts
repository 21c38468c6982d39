// The public API of the language front end. Pure: text in, AST / diagnostics / text out.

import type { CheckResult } from "./semantic.js";
import { checkProgram } from "./check/index.js";
import { parse as parseText } from "./parser/index.js";
import type { Program } from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";

export * from "./ast.js";
export * from "./diagnostics.js";
export * from "./semantic.js";
export { spanAt, LineIndex } from "./span.js";

/** Parse a `.mpcrl` text. Never throws; syntax problems are MPC1xxx diagnostics. */
export function parse(text: string): { program: Program; diagnostics: Diagnostic[] } {
  return parseText(text);
}

/** Parse and check. Syntax diagnostics come first, then the checker's, each group in source order. */
export function check(text: string): CheckResult {
  const { program, diagnostics } = parseText(text);
  const checked = checkProgram(program, text);
  return { program, diagnostics: [...diagnostics, ...checked.diagnostics], model: checked.model };
}

export { describeControllers, controllerClass, costTermClass } from "./check/model.js";
export { renderDiagnostics, renderDiagnostic, type RenderOptions } from "./render.js";
export { format, formatRange, formatExpr, type RangeEdit } from "./format.js";
