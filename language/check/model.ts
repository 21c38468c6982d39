// The SemanticModel handed to the compiler and the language server: resolution, declarations and
// references by position, shapes, classes, symbols per scope, and constant values.

import type { Expr, Identifier, NameRef } from "../ast.js";
import type { Span } from "../diagnostics.js";
import type { ExprClass, SemanticModel, Shape, SymbolInfo } from "../semantic.js";
import { Ctx, Sym, type Mat } from "./context.js";
import { evalExpr, initValue } from "./constEval.js";
import { symInterval, type IMat } from "./interval.js";

const contains = (s: Span, offset: number): boolean => s.start <= offset && offset < s.end;

export class Model implements SemanticModel {
  private positions: { span: Span; sym: Sym; decl: boolean }[] | undefined;

  constructor(readonly ctx: Ctx) {}

  resolve(node: NameRef | Identifier): SymbolInfo | undefined {
    return this.ctx.resolution.get(node.id);
  }

  private index(): { span: Span; sym: Sym; decl: boolean }[] {
    if (this.positions) return this.positions;
    const seen = new Set<Sym>();
    const out: { span: Span; sym: Sym; decl: boolean }[] = [];
    const add = (sym: Sym): void => {
      if (seen.has(sym)) return;
      seen.add(sym);
      if (sym.nameSpan) out.push({ span: sym.nameSpan, sym, decl: true });
      for (const r of sym.refs) out.push({ span: r, sym, decl: false });
    };
    for (const s of this.ctx.allSymbols) add(s);
    for (const s of this.ctx.stageSyms) add(s);
    for (const b of [this.ctx.top, ...this.ctx.blocks]) {
      for (const s of b.builtins.values()) add(s);
      for (const s of b.symbols.values()) add(s);
    }
    out.sort((a, b) => a.span.start - b.span.start);
    this.positions = out;
    return out;
  }

  symbolAt(offset: number): SymbolInfo | undefined {
    const entries = this.index();
    const decl = entries.find((e) => e.decl && contains(e.span, offset));
    if (decl) return decl.sym;
    return entries.find((e) => contains(e.span, offset))?.sym;
  }

  references(symbol: SymbolInfo): readonly Span[] {
    const sym = symbol instanceof Sym ? symbol : this.ctx.allSymbols.find((s) => s.name === symbol.name && s.scope === symbol.scope);
    if (!sym) return [];
    const refs = [...sym.refs].sort((a, b) => a.start - b.start);
    const unique = refs.filter((r, i) => i === 0 || r.start !== refs[i - 1].start);
    return sym.nameSpan ? [sym.nameSpan, ...unique.filter((r) => r.start !== sym.nameSpan!.start)] : unique;
  }

  shapeOf(exprId: number): Shape | undefined {
    return this.ctx.shapes.get(exprId);
  }

  classOf(exprId: number): ExprClass | undefined {
    return this.ctx.classOf(exprId);
  }

  symbolsIn(scope: string | undefined): readonly SymbolInfo[] {
    if (scope === undefined) return [...this.ctx.top.symbols.values()];
    const b = this.ctx.blockByName(scope);
    return b ? [...b.symbols.values()] : [];
  }
}

/**
 * The numeric value of an expression when it is a compile-time constant (numbers, consts, params,
 * `N`, `I`, built-ins of those, `dlqr` of constants), row-major; undefined otherwise.
 */
export function constValue(model: SemanticModel, expr: Expr): Mat | undefined {
  return model instanceof Model ? evalExpr(model.ctx, expr) : undefined;
}

/** The value of a `const`/`param`/`learnable` (its `= init`), broadcast to the declared shape. */
export function declaredValue(model: SemanticModel, symbol: SymbolInfo): Mat | undefined {
  return model instanceof Model && symbol instanceof Sym ? initValue(model.ctx, symbol) : undefined;
}

/** The declared box of a learnable (or a variable), element-wise; +-Infinity where unbounded. */
export function declaredBox(model: SemanticModel, symbol: SymbolInfo): IMat | undefined {
  return model instanceof Model && symbol instanceof Sym ? symInterval(model.ctx, symbol) : undefined;
}
