// Semantic analysis of a parsed `.mpcrl` program: names, shapes, convexity (DPP), consistency and
// training settings. Entry point used by `language/index.ts`' `check()`.
// (Initial interface commit: the full analysis lands in the files next to this one.)

import type { Program } from "../ast.js";
import type { Diagnostic } from "../diagnostics.js";
import type { SemanticModel, Shape, ExprClass, SymbolInfo } from "../semantic.js";

export interface CheckOutput {
  readonly diagnostics: Diagnostic[];
  readonly model: SemanticModel;
}

export function checkProgram(program: Program, text: string): CheckOutput {
  void program;
  void text;
  const model: SemanticModel = {
    resolve: (): SymbolInfo | undefined => undefined,
    symbolAt: (): SymbolInfo | undefined => undefined,
    references: () => [],
    shapeOf: (): Shape | undefined => undefined,
    classOf: (): ExprClass | undefined => undefined,
    symbolsIn: () => [],
  };
  return { diagnostics: [], model };
}
