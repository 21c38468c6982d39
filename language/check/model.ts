// The SemanticModel handed to the compiler and the language server: resolution, declarations and
// references by position, shapes, classes, symbols per scope, and constant values.

import type { ControllerBlock, CostTerm, Decl, Expr, Identifier, LetDecl, NameRef } from "../ast.js";
import type { Span } from "../diagnostics.js";
import type { CheckResult, ControllerClass, CostTermClass, ExprClass, SemanticModel, Shape, SymbolInfo } from "../semantic.js";
import { describeClassification } from "./nlp.js";
import { Ctx, Sym, type Mat } from "./context.js";
import { evalExpr, horizonOf, initValue, runtimeDefault, symValue } from "./const_eval.js";
import { declaredInterval, paramBox, type IMat } from "./interval.js";
import { symShape } from "./shapes.js";

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

  // ---- read-only accessors for the compiler (compiler/lower/): it lowers from these instead of
  // resolving names and folding constants again. All are total: undefined when unknown.

  /** The symbol a declaration (`Decl` or `let`) declares. */
  declared(decl: Decl | LetDecl): SymbolInfo | undefined {
    return this.ctx.resolution.get(decl.name.id);
  }

  /** Rows x cols of a symbol (declared dims, or inferred from its value); `N`, `k`, `inf` are 1x1. */
  shapeOfSymbol(symbol: SymbolInfo): Shape | undefined {
    return symbol instanceof Sym ? symShape(this.ctx, symbol) : symbol.shape;
  }

  /** The folded value of an expression (see `constValue`), row-major. */
  valueOf(expr: Expr): Mat | undefined {
    return evalExpr(this.ctx, expr);
  }

  /** The value of a compile-time constant symbol: a `const` or `param` (broadcast to its declared
   *  shape), the horizon `N` of the controller it belongs to, `inf`; undefined otherwise. */
  symbolValue(symbol: SymbolInfo): Mat | undefined {
    if (!(symbol instanceof Sym) || symbol.kind === "let") return undefined;
    return symValue(this.ctx, symbol);
  }

  /** The default of a controller's `runtime` value or `disturbance` (one stage of its forecast),
   *  row-major in the declared shape: its `= value` broadcast, zeros without one. The value a call
   *  that omits it uses; the checker proved it lies in the declared range (MPC4023). */
  runtimeDefault(symbol: SymbolInfo): Mat | undefined {
    return symbol instanceof Sym ? runtimeDefault(this.ctx, symbol) : undefined;
  }

  /** The folded `horizon` of a controller block, when it is a constant integer. */
  horizon(controller: string): number | undefined {
    return horizonOf(this.ctx, controller);
  }

  /** How a controller is solved, as proven by the checker: `{ kind: "qp" }` (linear MPC) or
   *  `{ kind: "nlp", method, hessian, ... }` (nonlinear MPC, `solver sqp|rti`); see semantic.ts. */
  controllerClass(controller: string): ControllerClass | undefined {
    return this.ctx.controllerClasses.get(controller);
  }

  /** The classes of a cost term's addends (affine, convex quadratic, Gauss-Newton, general). */
  costTermClass(term: CostTerm): CostTermClass | undefined {
    return this.ctx.costClasses.get(term.id);
  }

  /** One line saying what was proved about a controller (see `describeControllers`). */
  describeController(controller: string): string | undefined {
    const cls = this.ctx.controllerClasses.get(controller);
    const block = this.ctx.program.items.find((i): i is ControllerBlock => i.kind === "Controller" && i.name.name === controller);
    if (!cls || !block) return undefined;
    const costs = block.items.flatMap((i) => (i.kind === "Objective" ? i.terms.map((t) => this.ctx.costClasses.get(t.id)).filter((c): c is CostTermClass => c !== undefined) : []));
    return describeClassification(controller, cls, costs);
  }

  /** The box of a learnable's entries of theta, in the compiler's order (the diagonal of a `diag`,
   *  the lower triangle of L row by row for `factor`/`psd`, the entries otherwise). */
  thetaBox(symbol: SymbolInfo): { readonly lo: readonly number[]; readonly hi: readonly number[] } | undefined {
    return symbol instanceof Sym && symbol.kind === "learnable" ? paramBox(this.ctx, symbol) : undefined;
  }
}

/** The checker's model behind a `SemanticModel`, when it is one (the compiler lowers from it). */
export function modelOf(model: SemanticModel): Model | undefined {
  return model instanceof Model ? model : undefined;
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

/** The default of a controller's `runtime` value or `disturbance` (see `Model.runtimeDefault`). */
export function declaredDefault(model: SemanticModel, symbol: SymbolInfo): Mat | undefined {
  return model instanceof Model ? model.runtimeDefault(symbol) : undefined;
}

/** The declared box of a learnable (or a variable), element-wise; +-Infinity where unbounded. */
export function declaredBox(model: SemanticModel, symbol: SymbolInfo): IMat | undefined {
  return model instanceof Model && symbol instanceof Sym ? declaredInterval(model.ctx, symbol) : undefined;
}

/**
 * What the checker proved, one line per controller, for `mpcrl check` and the editor to print
 * after a clean check, e.g. "CartPole: nonlinear MPC (SQP, Gauss-Newton Hessian, rk4 x4): every
 * QP subproblem is convex (...)". Empty when the result has errors (nothing was proved).
 */
export function describeControllers(result: CheckResult): string[] {
  const m = modelOf(result.model);
  if (!m || result.diagnostics.some((d) => d.severity === "error")) return [];
  const out: string[] = [];
  for (const item of result.program.items) {
    if (item.kind !== "Controller") continue;
    const line = m.describeController(item.name.name);
    if (line) out.push(line);
  }
  return out;
}

/** The checker's classification of a controller (see `Model.controllerClass`). */
export function controllerClass(model: SemanticModel, controller: string): ControllerClass | undefined {
  return modelOf(model)?.controllerClass(controller);
}

/** The checker's classification of a cost term (see `Model.costTermClass`). */
export function costTermClass(model: SemanticModel, term: CostTerm): CostTermClass | undefined {
  return modelOf(model)?.costTermClass(term);
}
