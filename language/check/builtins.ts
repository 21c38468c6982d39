// Signatures of the built-in functions and names of `.mpcrl`, with their documentation and shape
// rules. One table for the checker (arity, named arguments, shapes, where a function is allowed)
// and the language server (signature help, hover, completion).

import type { Shape } from "../semantic.js";

export interface BuiltinParam {
  readonly name: string;
  readonly doc: string;
  readonly optional?: boolean;
}

/** Where a built-in may be used. "plant": only in a plant block (random sampling). */
export type BuiltinPlace = "anywhere" | "plant" | "dynamics-lhs";

/** Result of a shape rule: the result shape, or a message naming what is wrong with which argument. */
export type ShapeResult =
  | { readonly ok: true; readonly shape: Shape }
  | { readonly ok: false; readonly argIndex: number; readonly message: string };

export interface BuiltinFunction {
  readonly name: string;
  readonly params: readonly BuiltinParam[];
  /** Minimum number of arguments (parameters after it are optional). */
  readonly minArgs: number;
  readonly doc: string;
  /** The shape rule in words (for hover and docs). */
  readonly shapeRule: string;
  readonly place: BuiltinPlace;
  /** Smooth or piecewise nonlinear in its arguments (not allowed on decision variables in a linear
   *  controller). */
  readonly nonlinear: boolean;
  /** Differentiable (twice) in its arguments wherever it is defined: allowed on decision variables
   *  in a nonlinear controller (`solver sqp|rti`). `abs`, `max`, `min`, `norm1` are not (MPC4004). */
  readonly smooth: boolean;
  /**
   * Shape of a call from the argument shapes (`undefined` where an argument's shape is unknown)
   * and the argument values when they are constant integers (for `zeros(n)`, `eye(n)`).
   */
  readonly shape: (args: readonly (Shape | undefined)[], ints: readonly (number | undefined)[]) => ShapeResult | undefined;
}

export const showShape = (s: Shape): string => `${s.rows}x${s.cols}`;

const ok = (shape: Shape): ShapeResult => ({ ok: true, shape });
const bad = (argIndex: number, message: string): ShapeResult => ({ ok: false, argIndex, message });
const SCALAR: Shape = { rows: 1, cols: 1 };
const isScalar = (s: Shape): boolean => s.rows === 1 && s.cols === 1;
const isVector = (s: Shape): boolean => s.cols === 1 || s.rows === 1;

const elementwise1 = (args: readonly (Shape | undefined)[]): ShapeResult | undefined => (args[0] ? ok(args[0]) : undefined);

/** Two operands of equal shape, or one of them scalar (broadcast). */
function broadcast2(args: readonly (Shape | undefined)[]): ShapeResult | undefined {
  const [a, b] = args;
  if (!a || !b) return undefined;
  if (isScalar(a)) return ok(b);
  if (isScalar(b)) return ok(a);
  if (a.rows === b.rows && a.cols === b.cols) return ok(a);
  return bad(1, `arguments have shapes ${showShape(a)} and ${showShape(b)}; they must be equal or one must be a scalar`);
}

function sizeArgs(ints: readonly (number | undefined)[], count: number): ShapeResult | undefined {
  const n = ints[0];
  const m = count > 1 ? ints[1] : n;
  for (let i = 0; i < Math.min(count, 2); i++) {
    const v = ints[i];
    if (v === undefined) return bad(i, "size must be a constant positive integer");
    if (!(v >= 1)) return bad(i, `size must be a positive integer, found ${v}`);
  }
  if (n === undefined || m === undefined) return undefined;
  return ok({ rows: n, cols: count > 1 ? m : 1 });
}

const fn = (
  name: string,
  params: readonly BuiltinParam[],
  minArgs: number,
  doc: string,
  shapeRule: string,
  shape: BuiltinFunction["shape"],
  extra: Partial<Pick<BuiltinFunction, "place" | "nonlinear" | "smooth">> = {},
): BuiltinFunction => ({ name, params, minArgs, doc, shapeRule, shape, place: extra.place ?? "anywhere", nonlinear: extra.nonlinear ?? false, smooth: extra.smooth ?? true });

const X = (doc = "an expression"): BuiltinParam => ({ name: "x", doc });

const elementwise = (name: string, doc: string, smooth = true): BuiltinFunction =>
  fn(name, [X()], 1, doc, "same shape as `x` (element-wise)", elementwise1, { nonlinear: true, smooth });

export const BUILTIN_FUNCTIONS: readonly BuiltinFunction[] = [
  fn("sum", [X("a vector or matrix")], 1, "Sum of all elements.", "1x1", (a) => (a[0] ? ok(SCALAR) : undefined)),
  fn(
    "quad",
    [X("a vector n x 1"), { name: "M", doc: "a weight matrix n x n (PSD for a convex cost)" }],
    2,
    "Quadratic form x'*M*x. Convex when M is positive semidefinite: a constant PSD matrix, `L*L'`, `diag(d)` with d >= 0, or a `psd`/`diag` learnable.",
    "x: n x 1, M: n x n -> 1x1",
    (a) => {
      const [x, m] = a;
      if (!x || !m) return x && !isVector(x) ? bad(0, `\`x\` must be a vector, found ${showShape(x)}`) : undefined;
      if (x.cols !== 1) return bad(0, `\`x\` must be a column vector, found ${showShape(x)}`);
      if (m.rows !== x.rows || m.cols !== x.rows)
        return bad(1, `weight must be ${x.rows}x${x.rows} to match \`x\` (${showShape(x)}), found ${showShape(m)}`);
      return ok(SCALAR);
    },
  ),
  fn("sumsq", [X()], 1, "Sum of squares of all elements (x'*x for a vector). Convex.", "1x1", (a) => (a[0] ? ok(SCALAR) : undefined)),
  fn("norm1", [X()], 1, "Sum of absolute values of all elements (plant or constant expressions).", "1x1", (a) => (a[0] ? ok(SCALAR) : undefined), {
    nonlinear: true,
    smooth: false,
  }),
  elementwise("abs", "Absolute value, element-wise. Not smooth at 0.", false),
  fn(
    "max",
    [X(), { name: "y", doc: "an expression of the same shape, or a scalar", optional: true }],
    1,
    "max(x, y): element-wise maximum (a scalar broadcasts); max(x): the largest element.",
    "max(x): 1x1; max(x, y): the common shape (a scalar broadcasts)",
    (a) => (a.length === 1 ? (a[0] ? ok(SCALAR) : undefined) : broadcast2(a)),
    { nonlinear: true, smooth: false },
  ),
  fn(
    "min",
    [X(), { name: "y", doc: "an expression of the same shape, or a scalar", optional: true }],
    1,
    "min(x, y): element-wise minimum (a scalar broadcasts); min(x): the smallest element.",
    "min(x): 1x1; min(x, y): the common shape (a scalar broadcasts)",
    (a) => (a.length === 1 ? (a[0] ? ok(SCALAR) : undefined) : broadcast2(a)),
    { nonlinear: true, smooth: false },
  ),
  elementwise("sin", "Sine, element-wise."),
  elementwise("cos", "Cosine, element-wise."),
  elementwise("tan", "Tangent, element-wise (defined away from pi/2 + k*pi)."),
  elementwise("tanh", "Hyperbolic tangent, element-wise."),
  elementwise("exp", "Exponential, element-wise."),
  elementwise("sqrt", "Square root, element-wise (defined for x >= 0)."),
  elementwise("log", "Natural logarithm, element-wise (defined for x > 0)."),
  fn(
    "dlqr",
    [
      { name: "A", doc: "state matrix n x n" },
      { name: "B", doc: "input matrix n x m" },
      { name: "Q", doc: "state weight n x n (PSD); `I` takes size n" },
      { name: "R", doc: "input weight m x m (positive definite); `I` takes size m" },
    ],
    4,
    "Solution S of the discrete algebraic Riccati equation of (A, B, Q, R): the LQR cost-to-go matrix, n x n, PSD. Use it as a terminal weight: `terminal quad(x, dlqr(A0, B0, Q, R))`.",
    "A: n x n, B: n x m, Q: n x n, R: m x m -> n x n",
    (a) => {
      const [A, B, Q, R] = a;
      if (A && A.rows !== A.cols) return bad(0, `\`A\` must be square, found ${showShape(A)}`);
      if (A && B && B.rows !== A.rows) return bad(1, `\`B\` must have ${A.rows} rows like \`A\` (${showShape(A)}), found ${showShape(B)}`);
      if (A && Q && (Q.rows !== A.rows || Q.cols !== A.rows)) return bad(2, `\`Q\` must be ${A.rows}x${A.rows}, found ${showShape(Q)}`);
      if (B && R && (R.rows !== B.cols || R.cols !== B.cols)) return bad(3, `\`R\` must be ${B.cols}x${B.cols}, found ${showShape(R)}`);
      return A ? ok({ rows: A.rows, cols: A.rows }) : undefined;
    },
    { smooth: false },
  ),
  fn(
    "uniform",
    [
      { name: "lo", doc: "lower end (scalar or array)" },
      { name: "hi", doc: "upper end (same shape or scalar)" },
    ],
    2,
    "A fresh sample from the uniform distribution on [lo, hi] (element-wise), drawn from the seeded generator. Plant blocks only.",
    "common shape of lo and hi (a scalar broadcasts)",
    broadcast2,
    { place: "plant", smooth: false },
  ),
  fn(
    "normal",
    [
      { name: "mean", doc: "mean (scalar or array)" },
      { name: "std", doc: "standard deviation >= 0 (same shape or scalar)" },
    ],
    2,
    "A fresh sample from the normal distribution (element-wise), drawn from the seeded generator. Plant blocks only.",
    "common shape of mean and std (a scalar broadcasts)",
    broadcast2,
    { place: "plant", smooth: false },
  ),
  fn(
    "prev",
    [{ name: "u", doc: "an input" }],
    1,
    "The previous input: u at stage k-1 inside the horizon; at k = 0 the input applied at the last step (a runtime value).",
    "same shape as `u`",
    elementwise1,
  ),
  fn(
    "diag",
    [X("a vector (or a square matrix)")],
    1,
    "diag(v): the square matrix with v on its diagonal; diag(M) of a square matrix: its diagonal as a vector.",
    "n x 1 -> n x n; n x n -> n x 1",
    (a) => {
      const s = a[0];
      if (!s) return undefined;
      if (s.cols === 1 || s.rows === 1) {
        const n = Math.max(s.rows, s.cols);
        return ok({ rows: n, cols: n });
      }
      if (s.rows === s.cols) return ok({ rows: s.rows, cols: 1 });
      return bad(0, `expected a vector or a square matrix, found ${showShape(s)}`);
    },
  ),
  fn(
    "zeros",
    [
      { name: "n", doc: "rows (constant)" },
      { name: "m", doc: "columns (constant, default 1)", optional: true },
    ],
    1,
    "An n x m matrix of zeros (n x 1 when m is omitted).",
    "n x m",
    (_a, ints) => sizeArgs(ints, _a.length),
  ),
  fn(
    "ones",
    [
      { name: "n", doc: "rows (constant)" },
      { name: "m", doc: "columns (constant, default 1)", optional: true },
    ],
    1,
    "An n x m matrix of ones (n x 1 when m is omitted).",
    "n x m",
    (_a, ints) => sizeArgs(ints, _a.length),
  ),
  fn("eye", [{ name: "n", doc: "size (constant)" }], 1, "The n x n identity matrix.", "n x n", (_a, ints) => {
    const r = sizeArgs(ints, 1);
    return r && r.ok ? ok({ rows: r.shape.rows, cols: r.shape.rows }) : r;
  }),
  fn("I", [{ name: "n", doc: "size (constant)" }], 1, "`I(n)`: the n x n identity. A bare `I` takes its size from the context.", "n x n", (_a, ints) => {
    const r = sizeArgs(ints, 1);
    return r && r.ok ? ok({ rows: r.shape.rows, cols: r.shape.rows }) : r;
  }),
  fn(
    "der",
    [{ name: "x", doc: "a state" }],
    1,
    "Time derivative of a state: only on the left of continuous dynamics, `dynamics der(x) = ... using zoh`.",
    "same shape as `x`",
    elementwise1,
    { place: "dynamics-lhs" },
  ),
];

const byName = new Map(BUILTIN_FUNCTIONS.map((f) => [f.name, f]));

export function builtinFunction(name: string): BuiltinFunction | undefined {
  return byName.get(name);
}

/** Built-in names usable as values. */
export interface BuiltinName {
  readonly name: string;
  readonly doc: string;
}

export const BUILTIN_NAMES: readonly BuiltinName[] = [
  { name: "N", doc: "The prediction horizon of the enclosing controller (a constant integer)." },
  { name: "k", doc: "The stage index 0..N: in stage cost terms, constraints and penalty weights, or bound by `for k in a..b`." },
  { name: "I", doc: "The identity matrix; its size comes from the context (the other operand of + or -, a `quad` or `dlqr` argument). Write `I(n)` to give it." },
  { name: "inf", doc: "Infinity (for one-sided bounds)." },
];

export function signatureText(f: BuiltinFunction): string {
  const ps = f.params.map((p) => (p.optional ? `${p.name}?` : p.name));
  return `${f.name}(${ps.join(", ")})`;
}
