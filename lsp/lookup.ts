// Finding what is under the cursor: the innermost AST node and the symbol it names.

import type { Identifier, NameRef } from "../language/ast.js";
import type { Span } from "../language/diagnostics.js";
import type { SymbolInfo } from "../language/semantic.js";
import type { Analysis } from "./analysis.js";
import { pathAt, type Spanned } from "./walk.js";

export interface SymbolHit {
  readonly symbol: SymbolInfo;
  /** Span of the name under the cursor. */
  readonly span: Span;
  /** The node under the cursor (a NameRef or an Identifier). */
  readonly node: Spanned;
}

export function nodePath(analysis: Analysis, offset: number, touching = false): Spanned[] {
  return pathAt(analysis.program, offset, touching);
}

/** The symbol named at `offset` (a reference or a declaration), if any. With `touching`, a name
 *  ending right before the cursor counts too (rename, definition with the cursor after a word). */
export function symbolAt(analysis: Analysis, offset: number, touching = true): SymbolHit | undefined {
  const path = nodePath(analysis, offset, touching);
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i];
    if (!node) continue;
    if (node.kind === "Name") {
      const symbol = analysis.model.resolve(node as unknown as NameRef);
      if (symbol) return { symbol, span: node.span, node };
      return undefined;
    }
    if (node.kind === "Identifier") {
      const symbol = analysis.model.symbolAt(node.span.start) ?? analysis.model.resolve(node as unknown as Identifier);
      if (symbol) return { symbol, span: node.span, node };
      return undefined;
    }
  }
  // A declaration whose name span the walker did not reach (defensive).
  const symbol = analysis.model.symbolAt(offset);
  if (symbol?.nameSpan) return { symbol, span: symbol.nameSpan, node: { span: symbol.nameSpan } };
  return undefined;
}

/** Block (controller / plant / train) containing an offset, with its name. */
export function enclosingBlock(analysis: Analysis, offset: number): { kind: "Controller" | "Plant" | "Train"; name: string; node: Spanned } | undefined {
  for (const item of analysis.program.items) {
    if (item.span.start <= offset && offset <= item.span.end) {
      if (item.kind === "Controller" || item.kind === "Plant") return { kind: item.kind, name: item.name.name, node: item };
      if (item.kind === "Train") return { kind: "Train", name: item.controller.name, node: item };
    }
  }
  return undefined;
}

export function sameSymbol(a: SymbolInfo, b: SymbolInfo): boolean {
  if (a === b) return true;
  return a.name === b.name && a.kind === b.kind && a.scope === b.scope && a.nameSpan?.start === b.nameSpan?.start;
}
