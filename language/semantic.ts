// What the checker knows about a program, for the compiler and the language server.
// Side tables are keyed by AST node id (see ast.ts).

import type { CostTerm, Decl, DeclKind, DiscretizationMethod, Expr, HessianKind, Identifier, LetDecl, NameRef, Program, ControllerBlock, PlantBlock, TrainBlock } from "./ast.js";
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

// ---- the classification of controllers (language/check/nlp.ts), read by the compiler through
// `Model.controllerClass` / `Model.costTermClass` (language/check/model.ts) instead of recomputing it

/** Discretization of a controller's continuous dynamics: the method and the integration steps per
 *  `timestep` (`using rk4(4)`: 4 steps of timestep/4; 1 when no count is written). */
export interface IntegratorClass {
  readonly method: DiscretizationMethod;
  readonly substeps: number;
}

/**
 * How a controller is solved, as the checker proved it:
 *  - `qp`: a linear MPC (no `solver` item, or `solver qp`): one convex QP, affine in the learnables (DPP);
 *  - `nlp`: a nonlinear MPC (`solver sqp|rti`): smooth dynamics and constraints, every QP subproblem
 *    convex with the chosen Hessian. `maxIterations` / `tolerance` are the `solver` options as
 *    written (absent: the runtime's defaults). `notes` say what the solver must do for the proof
 *    to hold (e.g. convexify the stage Hessians of general terms under `hessian exact`).
 * `integrator` is present when the controller has continuous dynamics `der(x) = ... using m`.
 */
export type ControllerClass =
  | { readonly kind: "qp"; readonly integrator?: IntegratorClass }
  | {
      readonly kind: "nlp";
      readonly method: "sqp" | "rti";
      readonly hessian: HessianKind;
      readonly maxIterations?: number;
      readonly tolerance?: number;
      readonly integrator?: IntegratorClass;
      readonly notes: readonly string[];
    };

/**
 * The class of one addend of a cost term (a term `a + b - c` has three addends):
 *  - `affine`: degree <= 1 in the decision variables;
 *  - `convex_quadratic`: a quadratic proven convex (PSD weight) exactly as in a linear MPC;
 *  - `gauss_newton`: `sumsq(residual)` or `scale*sumsq(residual)` (either order) with a smooth
 *    residual and a scalar scale free of decision variables, proven >= 0 (nonlinear MPC: Hessian
 *    2 scale J'J, PSD by construction);
 *  - `general`: any other smooth term (nonlinear MPC with `hessian exact` only: its Hessian is
 *    convexified per stage by the solver).
 */
export type CostAddendKind = "affine" | "convex_quadratic" | "gauss_newton" | "general";

export interface CostAddend {
  readonly expr: Expr;
  /** The addend enters the term with a minus sign. */
  readonly negated: boolean;
  readonly kind: CostAddendKind;
  /** `gauss_newton`: the residual r (a vector or scalar expression of x, u, theta). */
  readonly residual?: Expr;
  /** `gauss_newton` with a factor: `scale*sumsq(residual)` (free of decision variables, >= 0). */
  readonly scale?: Expr;
}

export interface CostTermClass {
  readonly term: CostTerm;
  /** The most general kind of its addends (general > gauss_newton > convex_quadratic > affine). */
  readonly kind: CostAddendKind;
  readonly addends: readonly CostAddend[];
}

export interface CheckResult {
  readonly program: Program;
  readonly diagnostics: readonly Diagnostic[];
  readonly model: SemanticModel;
}
