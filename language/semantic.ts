// What the checker knows about a program, for the compiler and the language server.
// Side tables are keyed by AST node id (see ast.ts).

import type { Decl, DeclKind, Identifier, LetDecl, NameRef, Program, ControllerBlock, PlantBlock, TrainBlock } from "./ast.js";
import type { Diagnostic, Span } from "./diagnostics.js";

/** rows x cols; a scalar is 1x1, a vector of n is n x 1. */
export interface Shape {
  readonly rows: number;
  readonly cols: number;
}

/** Degree of an expression in the decision variables (states, inputs, slacks over the horizon). */
export type Degree = "constant" | "affine" | "quadratic" | "nonlinear";

export interface ExprClass {
  readonly degree: Degree;
  /** For degree "quadratic": convex (PSD by construction), concave, or unknown sign. */
  readonly curvature?: "convex" | "concave" | "unknown";
  /** Depends on learnable parameters. */
  readonly learnable: boolean;
  /** Depends on runtime parameters / disturbances / prev(). */
  readonly runtime: boolean;
}

export type SymbolKind = DeclKind | "let" | "controller" | "plant" | "train" | "builtin" | "stage-index";

export interface SymbolInfo {
  readonly name: string;
  readonly kind: SymbolKind;
  /** The declaring node (Decl, LetDecl, block) or undefined for built-ins. */
  readonly decl?: Decl | LetDecl | ControllerBlock | PlantBlock | TrainBlock;
  /** Span of the declared name. */
  readonly nameSpan?: Span;
  /** Declared or inferred shape (unknown if the declaration was broken). */
  readonly shape?: Shape;
  /** Name of the enclosing block, or undefined at top level. */
  readonly scope?: string;
}

export interface SemanticModel {
  /** Symbol a NameRef (or a block-name Identifier in `train A on B`) resolves to. */
  resolve(node: NameRef | Identifier): SymbolInfo | undefined;
  /** Symbol declared by a declaration's name identifier / block name. */
  symbolAt(offset: number): SymbolInfo | undefined;
  /** Every reference (including the declaration itself first) of a symbol. */
  references(symbol: SymbolInfo): readonly Span[];
  /** Shape of an expression node (undefined if it could not be computed). */
  shapeOf(exprId: number): Shape | undefined;
  /** Class of an expression node in the decision variables. */
  classOf(exprId: number): ExprClass | undefined;
  /** Symbols declared in a block (by block name) or at top level (undefined). */
  symbolsIn(scope: string | undefined): readonly SymbolInfo[];
}

export interface CheckResult {
  readonly program: Program;
  readonly diagnostics: readonly Diagnostic[];
  readonly model: SemanticModel;
}
