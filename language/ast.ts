// The abstract syntax tree of a `.mpcrl` file. Produced by the parser (language/parser/), read by
// the checker, the compiler, the formatter and the language server. Every node carries a unique
// numeric `id` (per parse) so that analyses can key side tables by node, and a `span`.
//
// The parser always returns a Program, even for broken input: missing pieces become `ErrorExpr`
// nodes or are omitted, and the diagnostics say what was wrong.
//
// Surface syntax summary (docs/language.md is the reference):
//
//   const w[2] = [100, 100]                        // top-level constants are shared by all blocks
//   controller LinearMpc {
//     state  x[2]                                  // optional `in [lb, ub]` bounds
//     input  u[1] in [-1, 1]
//     param  p = 3                                 // fixed parameter (value known at compile time)
//     runtime r[2] = [0, 0]                        // given at each call (reference, forecast, price)
//     disturbance d[2]                             // runtime forecast entering the dynamics
//     const  c = 2
//     learnable A[2,2] = [[1, 0.25], [0, 1]]       // optional `in [lb, ub]`, structure prefix:
//     learnable diag Q[2] = [1, 1] in [0, 10]      //   diag | factor (lower-triangular) | psd
//     let e = x - r                                // a named expression (alias), per stage
//     horizon 10
//     discount 0.9
//     timestep 0.1                                 // for continuous dynamics
//     dynamics x+ = A*x + B*u + b                  // discrete
//     dynamics der(x) = Ac*x + Bc*u using zoh      // continuous: zoh | rk4 | euler; `using rk4(4)`: 4 substeps
//     solver sqp(hessian = exact)                  // nonlinear MPC: sqp | rti (absent: qp, a linear MPC)
//     minimize V0 + terminal quad(x, S) + stage f'*[x; u] + 0.5*(x'*x + 0.5*u'*u)
//     subject to
//       -1 <= u - prev(u) <= 1                     // input rate; prev(u) at k = 0 is a runtime value
//       soft [0, -1] + x_lb <= x <= [1, 1] + x_ub for k in 1..N penalty linear w quadratic 0
//       terminal x == 0
//   }
//   plant LtiSystem {
//     state s[2] = [0, 0.15]
//     input a[1]
//     disturbance e[2] = [uniform(-0.1, 0), 0]     // seeded noise; replayable from a recording
//     dynamics s+ = [[0.9, 0.35], [0, 1.1]]*s + [[0.0813], [0.2]]*a + e
//     cost 0.5*(s'*s + 0.5*a'*a)                   // or: reward <expr>
//     episode 5000                                 // episode length in steps
//     subject to 0 <= s[0] <= 1                    // bounds whose violations are counted
//   }
//   train LinearMpc on LtiSystem {
//     algorithm q_learning {                       // settings: `key arg arg ... { nested }`
//       optimizer newton(lr = 5e-2)
//       hessian approximate
//       update every 1 steps
//     }
//     episodes 1
//     steps 5000
//     seed 69
//   }
//
// Array literals: `;` separates rows, `,` separates elements of a row. `[a, b, c]` with scalar
// elements is a COLUMN vector; `[[1, 2], [3, 4]]` (a single row of scalar rows) is a matrix whose
// inner lists are its rows; otherwise elements of a row are concatenated horizontally and rows
// vertically, as in MATLAB (`[x; u]`, `[A, B]`, `[1, 2; 3, 4]`). Indexing is 0-based and slices are
// half-open: `x[0]`, `x[1:3]`, `M[0, :]`.

import type { Span } from "./diagnostics.js";

export interface NodeBase {
  readonly id: number;
  readonly span: Span;
}

export interface Identifier extends NodeBase {
  readonly kind: "Identifier";
  readonly name: string;
}

// ---------------------------------------------------------------- expressions

export type Expr =
  | NumberLit
  | NameRef
  | ArrayLit
  | UnaryExpr
  | BinaryExpr
  | TransposeExpr
  | IndexExpr
  | CallExpr
  | ParenExpr
  | ErrorExpr;

export interface NumberLit extends NodeBase {
  readonly kind: "Number";
  readonly value: number; // parsed value; `inf` is Infinity
  readonly text: string; // as written
}

export interface NameRef extends NodeBase {
  readonly kind: "Name";
  readonly name: string;
}

export interface ArrayLit extends NodeBase {
  readonly kind: "Array";
  /** rows[i][j]: `;` separates rows, `,` separates elements. */
  readonly rows: readonly (readonly Expr[])[];
}

export type UnaryOp = "-" | "+";
export interface UnaryExpr extends NodeBase {
  readonly kind: "Unary";
  readonly op: UnaryOp;
  readonly operand: Expr;
}

/** `*` is the matrix product (scalar times anything is scaling); `.*` and `./` are element-wise; `^` scalar power. */
export type BinaryOp = "+" | "-" | "*" | "/" | ".*" | "./" | "^";
export interface BinaryExpr extends NodeBase {
  readonly kind: "Binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  /** Span of the operator token (for diagnostics pointing at it). */
  readonly opSpan: Span;
}

export interface TransposeExpr extends NodeBase {
  readonly kind: "Transpose";
  readonly operand: Expr;
}

/** One index position: a single index expression, a slice `a:b` (either end optional), or `:`. */
export type IndexArg =
  | { readonly kind: "At"; readonly index: Expr; readonly span: Span }
  | { readonly kind: "Slice"; readonly start?: Expr; readonly end?: Expr; readonly span: Span };

export interface IndexExpr extends NodeBase {
  readonly kind: "Index";
  readonly target: Expr;
  readonly indices: readonly IndexArg[]; // 1 (vector / linear) or 2 (row, column)
}

export interface CallArg {
  readonly name?: Identifier; // named argument `lr = 5e-2`
  readonly value: Expr;
  readonly span: Span;
}

/** Calls of built-ins: sum, quad, sumsq, norm1, abs, max, min, sin, cos, exp, sqrt, log, dlqr,
 *  uniform, normal, prev, diag, zeros, ones, eye/I, der (only on a dynamics left-hand side). */
export interface CallExpr extends NodeBase {
  readonly kind: "Call";
  readonly callee: Identifier;
  readonly args: readonly CallArg[];
}

export interface ParenExpr extends NodeBase {
  readonly kind: "Paren";
  readonly inner: Expr;
}

/** Placeholder produced by error recovery; the checker ignores it silently (the parser already reported). */
export interface ErrorExpr extends NodeBase {
  readonly kind: "ErrorExpr";
}

// ---------------------------------------------------------------- declarations

export type DeclKind = "state" | "input" | "param" | "runtime" | "disturbance" | "const" | "learnable";

/** Structure of a learnable parameter. Absent means inferred from the shape: scalar, vector or matrix. */
export type LearnableStructure = "diag" | "factor" | "psd";

export interface Bounds {
  readonly lower: Expr;
  readonly upper: Expr;
  readonly span: Span;
}

export interface Decl extends NodeBase {
  readonly kind: "Decl";
  readonly declKind: DeclKind;
  readonly keywordSpan: Span;
  readonly structure?: LearnableStructure;
  readonly name: Identifier;
  /** `[n]` or `[n, m]`; absent for a scalar. Dimensions are expressions (constants allowed). */
  readonly dims?: readonly Expr[];
  readonly init?: Expr; // `= expr`
  readonly bounds?: Bounds; // `in [lb, ub]`
}

export interface LetDecl extends NodeBase {
  readonly kind: "Let";
  readonly name: Identifier;
  readonly value: Expr;
}

// ---------------------------------------------------------------- controller / plant items

export type DiscretizationMethod = "zoh" | "rk4" | "euler";

export interface Dynamics extends NodeBase {
  readonly kind: "Dynamics";
  readonly form: "discrete" | "continuous"; // `x+ = ...` or `der(x) = ...`
  readonly target: Identifier;
  readonly rhs: Expr;
  readonly method?: DiscretizationMethod; // `using zoh`
  readonly methodSpan?: Span;
  /** `using rk4(4)`: integration steps per `timestep` (a positive integer literal; `rk4`/`euler`
   *  only). Absent: 1. The literal as written is `substepsExpr` (for the formatter). */
  readonly substeps?: number;
  readonly substepsExpr?: NumberLit;
}

/** How a controller's optimal control problem is solved: `qp` (the default when no `solver` item is
 *  given: one convex QP, linear MPC), `sqp` (nonlinear MPC: sequential quadratic programming, QP
 *  subproblems iterated to convergence) or `rti` (nonlinear MPC: the real-time iteration, one QP per
 *  call warm-started from the shifted previous solution). */
export type SolverMethod = "qp" | "sqp" | "rti";
/** The Hessian of the QP subproblems of a nonlinear MPC: `gauss_newton` (default: 2 J'J for the
 *  `sumsq` residuals, the exact Hessian of convex quadratic terms) or `exact` (the Lagrangian's,
 *  convexified per stage by the solver; allows general smooth cost terms). */
export type HessianKind = "gauss_newton" | "exact";

/** One `name = value` option of a `solver` item, as written (values are literals: see SolverItem). */
export interface SolverOption {
  readonly name: Identifier;
  readonly value: Expr;
  readonly span: Span;
}

/**
 * `solver sqp`, `solver rti(hessian = exact, max_iterations = 50, tolerance = 1e-8)`, `solver qp`.
 * Options (all optional, literal values): `hessian = gauss_newton | exact`, `max_iterations = n`
 * (a positive integer; SQP iterations per call), `tolerance = t` (t > 0: the SQP's KKT tolerance).
 * The parser validates them (MPC1019) and fills the typed fields; `options` keeps what was written.
 */
export interface SolverItem extends NodeBase {
  readonly kind: "Solver";
  readonly keywordSpan: Span;
  readonly method: SolverMethod;
  readonly methodSpan: Span;
  readonly hessian?: HessianKind;
  readonly maxIterations?: number;
  readonly tolerance?: number;
  readonly options: readonly SolverOption[];
}

/** `horizon 10`, `discount 0.9`, `timestep 0.1`, `episode 5000` */
export interface ScalarSetting extends NodeBase {
  readonly kind: "ScalarSetting";
  readonly key: "horizon" | "discount" | "timestep" | "episode";
  readonly keywordSpan: Span;
  readonly value: Expr;
}

export type CostKind = "initial" | "stage" | "terminal";
export interface CostTerm extends NodeBase {
  readonly kind: "CostTerm";
  /** `initial` also covers an unlabelled leading term (evaluated once, e.g. V0). */
  readonly costKind: CostKind;
  readonly keywordSpan?: Span;
  readonly expr: Expr;
}

export interface Objective extends NodeBase {
  readonly kind: "Objective";
  readonly sense: "minimize";
  readonly terms: readonly CostTerm[];
}

/** Plant cost or reward per step, evaluated at the pre-step state and the applied input. */
export interface PlantCost extends NodeBase {
  readonly kind: "PlantCost";
  readonly sense: "cost" | "reward";
  readonly expr: Expr;
}

export type RelOp = "<=" | ">=" | "==";

export interface StageRange {
  readonly index: Identifier; // `k`
  readonly from: Expr;
  readonly to: Expr; // inclusive; may use N
  readonly span: Span;
}

export interface SoftPenalty {
  readonly linear?: Expr; // weight of sum(slack)
  readonly quadratic?: Expr; // weight of sumsq(slack)
  readonly span: Span;
}

/** `a <= e`, `a <= e <= b`, `e == c`, possibly `soft`, `terminal`, with a stage range and penalty. */
export interface Constraint extends NodeBase {
  readonly kind: "Constraint";
  readonly soft: boolean;
  readonly terminal: boolean;
  /** operands.length === ops.length + 1 */
  readonly operands: readonly Expr[];
  readonly ops: readonly RelOp[];
  readonly opSpans: readonly Span[];
  readonly range?: StageRange;
  readonly penalty?: SoftPenalty;
}

export interface SubjectTo extends NodeBase {
  readonly kind: "SubjectTo";
  readonly constraints: readonly Constraint[];
}

export type ControllerItem = Decl | LetDecl | Dynamics | ScalarSetting | Objective | SubjectTo | SolverItem;
export type PlantItem = Decl | LetDecl | Dynamics | ScalarSetting | PlantCost | SubjectTo;

export interface ControllerBlock extends NodeBase {
  readonly kind: "Controller";
  readonly keywordSpan: Span;
  readonly name: Identifier;
  readonly items: readonly ControllerItem[];
  /** Set by the parser when a syntax error that may drop content lies inside the block (an item may
   *  be missing or partial): the checker then skips diagnostics that an absent item would cause (missing
   *  horizon or objective, unused learnables, states without dynamics). */
  readonly hasSyntaxErrors?: boolean;
}

export interface PlantBlock extends NodeBase {
  readonly kind: "Plant";
  readonly keywordSpan: Span;
  readonly name: Identifier;
  readonly items: readonly PlantItem[];
  /** As for a controller block. */
  readonly hasSyntaxErrors?: boolean;
}

// ---------------------------------------------------------------- training

/** `key arg arg ... { nested settings }`, e.g. `optimizer newton(lr = 5e-2)`, `update every 1 steps`,
 *  `algorithm q_learning { ... }`. Arguments are primary expressions (bare words are NameRefs). */
export interface Setting extends NodeBase {
  readonly kind: "Setting";
  readonly key: Identifier;
  readonly args: readonly Expr[];
  readonly block?: readonly Setting[];
}

export interface TrainBlock extends NodeBase {
  readonly kind: "Train";
  readonly keywordSpan: Span;
  readonly controller: Identifier;
  readonly plant: Identifier;
  readonly settings: readonly Setting[];
}

// ---------------------------------------------------------------- program

export type TopItem = ControllerBlock | PlantBlock | TrainBlock | Decl;

export interface Comment {
  readonly text: string; // including the `//` or `/* */`
  readonly span: Span;
}

export interface Program extends NodeBase {
  readonly kind: "Program";
  readonly items: readonly TopItem[];
  /** All comments in source order (the formatter re-attaches them). */
  readonly comments: readonly Comment[];
}

export type AnyNode =
  | Program
  | TopItem
  | ControllerItem
  | PlantItem
  | CostTerm
  | Constraint
  | Setting
  | Expr
  | Identifier;

/** The direct subexpressions of an expression (index bounds included), for walks over the tree. */
export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case "Paren":
      return [e.inner];
    case "Unary":
    case "Transpose":
      return [e.operand];
    case "Binary":
      return [e.left, e.right];
    case "Array":
      return e.rows.flat();
    case "Index":
      return [e.target, ...e.indices.flatMap((i) => (i.kind === "At" ? [i.index] : [i.start, i.end].filter((x): x is Expr => x !== undefined)))];
    case "Call":
      return e.args.map((a) => a.value);
    default:
      return [];
  }
}
