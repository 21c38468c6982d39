// Pass 3: shapes. Every expression gets rows x cols (a scalar is 1x1, a vector of n is n x 1).
// `*` is the matrix product (a scalar scales), `.*`/`./` element-wise, `+ -` equal shapes, a
// scalar broadcasts in all three; `'` transposes; indexing is 0-based, slices half-open. A bare
// `I` takes its size from the context (the other operand of + or -, the factor it multiplies, a
// `quad`/`dlqr` argument, the declared shape). Statement rules: declaration dims are positive
// integer constants, init/bounds match the declared shape, dynamics match the state, cost terms
// are scalar, constraint sides agree; sizes stay within the limits of limits.ts. Codes MPC3001-MPC3018.

import type { Expr, IndexExpr } from "../ast.js";
import type { Span } from "../diagnostics.js";
import type { Diagnostic, DiagnosticCode } from "../diagnostics.js";
import type { Shape } from "../semantic.js";
import { builtinFunction, showShape } from "./builtins.js";
import { Ctx, Sym, SCALAR, isScalar, sameShape, type Root } from "./context.js";
import { constInt, evalExpr, isListOfRows } from "./const_eval.js";
import { declOf, letOf } from "./scope.js";
import type { IdSet } from "./idmap.js";
import { checkSizeLimits, MAX_DIM, MAX_VALUE_ELEMENTS, shapeTooLarge } from "./limits.js";

/** Passed as the hint when the context has a shape but it could not be computed (an error reported
 *  elsewhere): a bare `I` then stays silent instead of cascading. */
const UNKNOWN: Shape = { rows: -1, cols: -1 };
const or = (s: Shape | undefined, f: (s: Shape) => Shape | undefined): Shape | undefined => (s ? f(s) : UNKNOWN);

const inProgress = new WeakMap<Ctx, Set<Sym>>();

function progress(ctx: Ctx): Set<Sym> {
  let s = inProgress.get(ctx);
  if (!s) inProgress.set(ctx, (s = new Set()));
  return s;
}
function seen(ctx: Ctx): IdSet {
  return ctx.shapeDone;
}

const err = (ctx: Ctx, d: Omit<Diagnostic, "severity">): void => ctx.report({ severity: "error", ...d });

/** Declared (or inferred) shape of a symbol; reports bad dimensions (MPC3007) once. */
export function symShape(ctx: Ctx, sym: Sym): Shape | undefined {
  if (sym.shape || sym.shapeDone) return sym.shape;
  if (sym.kind === "builtin" || sym.kind === "stage-index") return sym.name === "I" ? undefined : SCALAR;
  if (sym.kind === "controller" || sym.kind === "plant" || sym.kind === "train") return undefined;
  const busy = progress(ctx);
  if (busy.has(sym)) {
    if (sym.nameSpan)
      err(ctx, {
        code: "MPC2016",
        message: `\`${sym.name}\` is defined in terms of itself`,
        span: sym.nameSpan,
        label: "cyclic definition",
        help: "a constant or let cannot refer to itself, directly or through others",
      });
    return undefined;
  }
  busy.add(sym);
  let shape: Shape | undefined;
  const l = letOf(sym);
  const d = declOf(sym);
  if (l) shape = inferExpr(ctx, l.value);
  else if (d) {
    if (d.dims && d.dims.length > 0) {
      const dims: number[] = [];
      for (const dim of d.dims) {
        const v = constInt(ctx, dim);
        if (v === undefined || v < 1) {
          const value = evalExpr(ctx, dim);
          // a name not allowed in a dimension (MPC2012: `k`, a `let`) explains it already
          const explained = v === undefined && ctx.diagnostics.some((x) => x.severity === "error" && x.span.start >= dim.span.start && x.span.end <= dim.span.end);
          if (!explained) err(ctx, {
            code: "MPC3007",
            message: `a dimension must be a positive integer constant`,
            span: dim.span,
            label: value && value.rows * value.cols === 1 ? `this is ${value.data[0]}` : "not a constant integer",
            help: "write a number such as `2`, or the name of an integer `const`",
          });
          busy.delete(sym);
          sym.shapeDone = true;
          return undefined;
        }
        dims.push(v);
      }
      if (dims.length > 2) {
        err(ctx, { code: "MPC3007", message: "at most two dimensions are allowed (rows, columns)", span: d.dims[2].span });
        busy.delete(sym);
        sym.shapeDone = true;
        return undefined;
      }
      if (d.structure === "diag" || d.structure === "psd" || d.structure === "factor") {
        if (d.structure !== "factor" && dims.length === 2 && dims[0] !== dims[1]) {
          err(ctx, {
            code: "MPC3007",
            message: `a \`${d.structure}\` parameter is square: give one dimension`,
            span: d.dims[1].span,
            help: `write \`${d.name.name}[${dims[0]}]\` for a ${dims[0]}x${dims[0]} matrix`,
          });
        }
        shape = { rows: dims[0], cols: dims.length === 2 ? dims[1] : dims[0] };
      } else shape = { rows: dims[0], cols: dims.length === 2 ? dims[1] : 1 };
    } else if (d.init) {
      const s = inferExpr(ctx, d.init);
      shape = s && (d.structure === "diag" ? { rows: s.rows, cols: s.rows } : s);
    } else shape = SCALAR;
  }
  busy.delete(sym);
  if (shape && d && d.dims && d.dims.length > 0) {
    const big = shapeTooLarge(shape);
    if (big !== undefined) {
      const first = d.dims[0].span;
      const last = d.dims[d.dims.length - 1].span;
      err(ctx, {
        code: "MPC3016",
        message: `\`${sym.name}\` is too large: ${big}`,
        span: { start: first.start, end: last.end, startLine: first.startLine, startColumn: first.startColumn, endLine: last.endLine, endColumn: last.endColumn },
        label: `declared ${showShape(shape)}`,
        help: limitHelp(),
      });
      shape = undefined;
    }
  }
  sym.shape = shape;
  sym.shapeDone = true;
  return shape;
}

/** Expressions whose shape comes from the context (a bare `I`, `2*I`, `-I`). */
export function needsHint(ctx: Ctx, e: Expr): boolean {
  switch (e.kind) {
    case "Name": {
      const s = ctx.resolution.get(e.id);
      return s !== undefined && s.kind === "builtin" && s.name === "I";
    }
    case "Paren":
      return needsHint(ctx, e.inner);
    case "Unary":
    case "Transpose":
      return needsHint(ctx, e.operand);
    case "Binary":
      if (e.op === "+" || e.op === "-") return needsHint(ctx, e.left) && needsHint(ctx, e.right);
      return needsHint(ctx, e.left) || needsHint(ctx, e.right);
    default:
      return false;
  }
}

function mismatch(ctx: Ctx, code: DiagnosticCode, message: string, primary: Span, label: string, a: Expr, sa: Shape, b: Expr, sb: Shape, help?: string): void {
  err(ctx, {
    code,
    message,
    span: primary,
    label,
    related: [
      { span: a.span, label: `this is ${showShape(sa)}` },
      { span: b.span, label: `this is ${showShape(sb)}` },
    ],
    help,
  });
}

/** Shape of an expression; `hint` is the shape the context expects (used only to size `I`). */
export function inferExpr(ctx: Ctx, e: Expr, hint?: Shape): Shape | undefined {
  const done = seen(ctx);
  if (done.has(e.id)) return ctx.shapes.get(e.id);
  done.add(e.id);
  const s = compute(ctx, e, hint);
  if (s) {
    const big = shapeTooLarge(s);
    if (big !== undefined) {
      // a value this large would exhaust the compiler: reported once, then unknown (no cascade)
      err(ctx, { code: "MPC3016", message: `this value is too large: ${big}`, span: e.span, label: `this is ${showShape(s)}`, help: limitHelp() });
      return undefined;
    }
    ctx.shapes.set(e.id, s);
  }
  return s;
}

const limitHelp = (): string => `dimensions are limited to ${MAX_DIM.toLocaleString("en-US")} and values to ${MAX_VALUE_ELEMENTS.toLocaleString("en-US")} entries (see docs/diagnostics.md, MPC3016)`;

function compute(ctx: Ctx, e: Expr, hint?: Shape): Shape | undefined {
  switch (e.kind) {
    case "Number":
      return SCALAR;
    case "ErrorExpr":
      return undefined;
    case "Name": {
      const sym = ctx.resolution.get(e.id);
      if (!sym) return undefined;
      if (sym.kind === "builtin" && sym.name === "I") {
        if (hint === UNKNOWN) return undefined;
        if (hint && hint.rows === hint.cols) return hint;
        err(ctx, {
          code: "MPC3013",
          message: hint ? `\`I\` is square but a ${showShape(hint)} matrix is expected here` : "the size of `I` cannot be inferred here",
          span: e.span,
          label: "size unknown",
          help: "write `I(n)` (or `eye(n)`) with the size",
        });
        return undefined;
      }
      return symShape(ctx, sym);
    }
    case "Paren":
      return inferExpr(ctx, e.inner, hint);
    case "Unary":
      return inferExpr(ctx, e.operand, hint);
    case "Transpose": {
      const s = inferExpr(ctx, e.operand, hint && (hint === UNKNOWN ? UNKNOWN : { rows: hint.cols, cols: hint.rows }));
      return s && { rows: s.cols, cols: s.rows };
    }
    case "Array":
      return arrayShape(ctx, e);
    case "Binary":
      return binaryShape(ctx, e, hint);
    case "Index":
      return indexShape(ctx, e);
    case "Call":
      return callShape(ctx, e, hint);
  }
}

function arrayShape(ctx: Ctx, e: Extract<Expr, { kind: "Array" }>): Shape | undefined {
  const shapes: (Shape | undefined)[][] = e.rows.map((row) => row.map((x) => inferExpr(ctx, x)));
  if (e.rows.length === 0 || e.rows.every((r) => r.length === 0)) {
    err(ctx, { code: "MPC3004", message: "an empty array has no shape", span: e.span, help: "write `zeros(n)` for a vector of zeros" });
    return undefined;
  }
  if (shapes.some((r) => r.some((s) => s === undefined))) return undefined;
  const S = shapes as Shape[][];
  if (isListOfRows(ctx, e.rows)) {
    const inner = e.rows[0] as readonly Extract<Expr, { kind: "Array" }>[];
    const n = inner[0].rows[0].length;
    const bad = inner.find((r) => r.rows[0].length !== n);
    if (bad) {
      err(ctx, {
        code: "MPC3004",
        message: `the rows of this matrix have different lengths (${n} and ${bad.rows[0].length})`,
        span: bad.span,
        label: `this row has ${bad.rows[0].length} element${bad.rows[0].length === 1 ? "" : "s"}`,
        related: [{ span: inner[0].span, label: `this row has ${n}` }],
      });
      return undefined;
    }
    return { rows: inner.length, cols: n };
  }
  if (S.length === 1 && S[0].every(isScalar)) return { rows: S[0].length, cols: 1 };
  // MATLAB block rule: horizontal concatenation within a row, vertical across rows.
  const blockRows: Shape[] = [];
  for (let i = 0; i < S.length; i++) {
    const row = S[i];
    const r = row[0].rows;
    const j = row.findIndex((s) => s.rows !== r);
    if (j >= 0) {
      mismatch(
        ctx,
        "MPC3004",
        `cannot place ${showShape(row[0])} and ${showShape(row[j])} side by side: the row counts differ`,
        e.rows[i][j].span,
        "different number of rows",
        e.rows[i][0],
        row[0],
        e.rows[i][j],
        row[j],
        "`,` concatenates horizontally and `;` vertically: `[x; u]` stacks two column vectors",
      );
      return undefined;
    }
    blockRows.push({ rows: r, cols: row.reduce((c, s) => c + s.cols, 0) });
  }
  const cols = blockRows[0].cols;
  const k = blockRows.findIndex((s) => s.cols !== cols);
  if (k >= 0) {
    const first = e.rows[0];
    const other = e.rows[k];
    err(ctx, {
      code: "MPC3004",
      message: `cannot stack ${showShape(blockRows[0])} on ${showShape(blockRows[k])}: the column counts differ`,
      span: other[0].span,
      label: `this row is ${blockRows[k].cols} wide`,
      related: [{ span: first[0].span, label: `the first row is ${cols} wide` }],
    });
    return undefined;
  }
  return { rows: blockRows.reduce((n, s) => n + s.rows, 0), cols };
}

function binaryShape(ctx: Ctx, e: Extract<Expr, { kind: "Binary" }>, hint?: Shape): Shape | undefined {
  let a: Shape | undefined;
  let b: Shape | undefined;
  const op = e.op;
  if (op === "*") {
    if (needsHint(ctx, e.left) && !needsHint(ctx, e.right)) {
      b = inferExpr(ctx, e.right);
      a = inferExpr(ctx, e.left, or(b, (b) => (isScalar(b) ? hint : { rows: b.rows, cols: b.rows })));
    } else {
      a = inferExpr(ctx, e.left);
      b = inferExpr(ctx, e.right, or(a, (a) => (isScalar(a) ? hint : { rows: a.cols, cols: a.cols })));
    }
  } else if (op === "^" || op === "/") {
    a = inferExpr(ctx, e.left, hint);
    b = inferExpr(ctx, e.right);
  } else if (needsHint(ctx, e.left) && !needsHint(ctx, e.right)) {
    b = inferExpr(ctx, e.right, hint);
    a = inferExpr(ctx, e.left, or(b, (b) => (!isScalar(b) ? b : hint)));
  } else {
    a = inferExpr(ctx, e.left, hint);
    b = inferExpr(ctx, e.right, or(a, (a) => (!isScalar(a) ? a : hint)));
  }
  if (!a || !b) return undefined;
  switch (op) {
    case "+":
    case "-":
    case ".*":
    case "./": {
      if (isScalar(a)) return b;
      if (isScalar(b) || sameShape(a, b)) return a;
      const what = op === "+" ? "add" : op === "-" ? "subtract" : "combine element-wise";
      mismatch(
        ctx,
        op === "+" || op === "-" ? "MPC3001" : "MPC3003",
        `cannot ${what} ${showShape(a)} and ${showShape(b)}`,
        e.opSpan,
        `shapes differ: ${showShape(a)} ${op} ${showShape(b)}`,
        e.left,
        a,
        e.right,
        b,
        op === "+" || op === "-" ? "both operands must have the same shape, or one must be a scalar" : undefined,
      );
      return undefined;
    }
    case "*": {
      if (isScalar(a)) return b;
      if (isScalar(b)) return a;
      if (a.cols === b.rows) return { rows: a.rows, cols: b.cols };
      let help = "the number of columns on the left must equal the number of rows on the right";
      if (a.rows === b.rows && a.cols === b.cols && a.cols === 1) help = "for an inner product write `a'*b`; for an element-wise product write `a .* b`";
      else if (a.rows === b.cols) help = "transpose one side? the left is " + showShape(a) + ", the right " + showShape(b);
      else if (a.cols === b.cols) help = `did you mean \`${ctx.src(e.left.span)}*${ctx.src(e.right.span)}'\`? transposing the right gives ${b.cols}x${b.rows}`;
      mismatch(ctx, "MPC3002", `cannot multiply ${showShape(a)} by ${showShape(b)}`, e.opSpan, `inner dimensions ${a.cols} and ${b.rows} differ`, e.left, a, e.right, b, help);
      return undefined;
    }
    case "/":
      if (isScalar(b)) return a;
      mismatch(ctx, "MPC3003", `cannot divide by a ${showShape(b)} matrix`, e.opSpan, "the divisor must be a scalar", e.left, a, e.right, b, "write `./` for element-wise division");
      return undefined;
    case "^":
      if (isScalar(a) && isScalar(b)) return SCALAR;
      err(ctx, {
        code: "MPC3014",
        message: `\`^\` needs scalars, found ${showShape(a)} ^ ${showShape(b)}`,
        span: e.opSpan,
        label: "scalar power",
        related: [
          { span: e.left.span, label: `this is ${showShape(a)}` },
          { span: e.right.span, label: `this is ${showShape(b)}` },
        ],
        help: "for a squared vector write `x .* x`, or `sumsq(x)` for the sum of squares",
      });
      return undefined;
  }
}

/** Checks one index position; returns its length (1 for `At`) or undefined on error. */
function indexLength(ctx: Ctx, e: IndexExpr, pos: number, extent: number, what: string): number | undefined {
  const ix = e.indices[pos];
  const checkIndexExpr = (x: Expr): number | "dynamic" | undefined => {
    const s = inferExpr(ctx, x);
    if (!s) return undefined;
    if (!isScalar(s)) {
      err(ctx, { code: "MPC3006", message: `an index must be a scalar, found ${showShape(s)}`, span: x.span });
      return undefined;
    }
    const v = evalExpr(ctx, x);
    if (!v) return "dynamic";
    const n = v.data[0];
    if (!Number.isInteger(n)) {
      err(ctx, { code: "MPC3006", message: `an index must be an integer, found ${n}`, span: x.span, label: "not an integer" });
      return undefined;
    }
    return n;
  };
  const outOfRange = (x: Expr, n: number, slice: boolean): void =>
    err(ctx, {
      code: "MPC3005",
      message: `index ${n} is out of range for ${what} of length ${extent}`,
      span: x.span,
      label: "out of range",
      related: [{ span: e.target.span, label: `this is ${showShape(ctx.shapes.get(e.target.id) ?? SCALAR)}` }],
      help: slice ? `slice ends go from 0 to ${extent} (half-open)` : `valid indices are 0..${extent - 1} (indexing is 0-based)`,
    });
  if (ix.kind === "At") {
    const n = checkIndexExpr(ix.index);
    if (n === undefined) return undefined;
    if (n !== "dynamic" && (n < 0 || n >= extent)) {
      outOfRange(ix.index, n, false);
      return undefined;
    }
    return 1;
  }
  const a = ix.start ? checkIndexExpr(ix.start) : 0;
  const b = ix.end ? checkIndexExpr(ix.end) : extent;
  if (a === undefined || b === undefined) return undefined;
  if (a === "dynamic" || b === "dynamic") {
    err(ctx, { code: "MPC3006", message: "slice bounds must be constant integers", span: ix.span, help: "the length of a slice must be known at compile time" });
    return undefined;
  }
  if (a < 0 || a > extent) {
    outOfRange(ix.start!, a, true);
    return undefined;
  }
  if (b < 0 || b > extent) {
    outOfRange(ix.end!, b, true);
    return undefined;
  }
  if (b <= a) {
    err(ctx, { code: "MPC3005", message: `the slice ${a}:${b} is empty`, span: ix.span, help: "the end of a slice is exclusive: `x[0:2]` has 2 elements" });
    return undefined;
  }
  return b - a;
}

function indexShape(ctx: Ctx, e: IndexExpr): Shape | undefined {
  const t = inferExpr(ctx, e.target);
  if (!t) {
    for (const ix of e.indices) {
      if (ix.kind === "At") inferExpr(ctx, ix.index);
      else {
        if (ix.start) inferExpr(ctx, ix.start);
        if (ix.end) inferExpr(ctx, ix.end);
      }
    }
    return undefined;
  }
  if (e.indices.length === 1) {
    if (t.rows !== 1 && t.cols !== 1) {
      err(ctx, {
        code: "MPC3006",
        message: `a ${showShape(t)} matrix needs two indices`,
        span: e.indices[0].span,
        label: "one index given",
        help: "write `M[i, j]`, a row `M[i, :]` or a column `M[:, j]`",
      });
      return undefined;
    }
    const n = indexLength(ctx, e, 0, t.cols === 1 ? t.rows : t.cols, "a vector");
    if (n === undefined) return undefined;
    return t.cols === 1 ? { rows: n, cols: 1 } : { rows: 1, cols: n };
  }
  if (e.indices.length === 2) {
    const r = indexLength(ctx, e, 0, t.rows, "the rows");
    const c = indexLength(ctx, e, 1, t.cols, "the columns");
    if (r === undefined || c === undefined) return undefined;
    return { rows: r, cols: c };
  }
  err(ctx, { code: "MPC3006", message: `too many indices (${e.indices.length}): at most two`, span: e.indices[2]?.span ?? e.span });
  return undefined;
}

function callShape(ctx: Ctx, e: Extract<Expr, { kind: "Call" }>, hint?: Shape): Shape | undefined {
  const f = builtinFunction(e.callee.name);
  const args = e.args.map((a) => a.value);
  if (!f || (e.callee.name === "der" && args.length > 0)) {
    for (const a of args) inferExpr(ctx, a);
    return undefined;
  }
  const shapes: (Shape | undefined)[] = [];
  const name = f.name;
  args.forEach((a, i) => {
    let h: Shape | undefined;
    if (name === "quad" && i === 1) h = or(shapes[0], (x) => ({ rows: x.rows, cols: x.rows }));
    else if (name === "dlqr" && i === 2) h = or(shapes[0], (A) => ({ rows: A.rows, cols: A.rows }));
    else if (name === "dlqr" && i === 3) {
      h = or(shapes[1], (B) => ({ rows: B.cols, cols: B.cols }));
    } else if ((name === "max" || name === "min" || name === "uniform" || name === "normal") && needsHint(ctx, a)) h = hint;
    shapes.push(inferExpr(ctx, a, h));
  });
  if (args.length < f.minArgs || args.length > f.params.length) return undefined;
  const ints = args.map((a) => ((name === "zeros" || name === "ones" || name === "eye" || name === "I") ? constInt(ctx, a) : undefined));
  const r = f.shape(shapes, ints);
  if (!r) return undefined;
  if (r.ok) return r.shape;
  const arg = args[r.argIndex] ?? e;
  err(ctx, {
    code: "MPC3012",
    message: `wrong argument shape for \`${name}\`: ${r.message}`,
    span: arg.span,
    label: shapes[r.argIndex] ? `this is ${showShape(shapes[r.argIndex]!)}` : "here",
    help: `the shape rule of \`${name}\` is: ${f.shapeRule}`,
  });
  return undefined;
}

// ------------------------------------------------------------------ statements

function expectShape(ctx: Ctx, e: Expr, got: Shape, want: Shape, what: string, declSpan: Span | undefined, code: DiagnosticCode, allowScalar = true): void {
  if (sameShape(got, want) || (allowScalar && isScalar(got))) return;
  err(ctx, {
    code,
    message: `${what} is ${showShape(got)} but ${showShape(want)} is expected`,
    span: e.span,
    label: `this is ${showShape(got)}`,
    related: declSpan ? [{ span: declSpan, label: `declared ${showShape(want)} here` }] : undefined,
    help: allowScalar ? `give a ${showShape(want)} value, or a scalar to fill every element` : undefined,
  });
}

function checkDeclaration(ctx: Ctx, sym: Sym): void {
  const d = declOf(sym);
  if (!d) return;
  const shape = symShape(ctx, sym);
  const declSpan = d.name.span;
  const parts: [Expr | undefined, string][] = [
    [d.init, "the initial value"],
    [d.bounds?.lower, "the lower bound"],
    [d.bounds?.upper, "the upper bound"],
  ];
  for (const [x, what] of parts) {
    if (!x) continue;
    const want = shape && (d.structure === "diag" ? { rows: shape.rows, cols: 1 } : shape);
    const got = inferExpr(ctx, x, want ?? (d.dims ? UNKNOWN : undefined));
    if (!got || !want || (d.dims === undefined && x === d.init)) continue;
    if (d.structure === "diag" && x === d.init && sameShape(got, shape!)) continue;
    expectShape(ctx, x, got, want, what, declSpan, "MPC3008");
  }
}

function checkRoot(ctx: Ctx, root: Root): void {
  const stmt = root.stmt;
  if (!stmt) return;
  switch (stmt.kind) {
    case "Dynamics": {
      const target = ctx.resolution.get(stmt.target.id);
      const want = target && target.kind === "state" ? symShape(ctx, target) : undefined;
      const got = inferExpr(ctx, root.expr, want ?? UNKNOWN);
      if (got && want && !sameShape(got, want)) {
        err(ctx, {
          code: "MPC3009",
          message: `the dynamics of \`${stmt.target.name}\` give ${showShape(got)} but the state is ${showShape(want)}`,
          span: stmt.rhs.span,
          label: `this is ${showShape(got)}`,
          related: target?.nameSpan ? [{ span: target.nameSpan, label: `\`${stmt.target.name}\` is ${showShape(want)}` }] : undefined,
        });
      }
      return;
    }
    case "CostTerm":
    case "PlantCost": {
      const got = inferExpr(ctx, root.expr);
      if (got && !isScalar(got)) {
        err(ctx, {
          code: "MPC3010",
          message: `a cost term must be a scalar, found ${showShape(got)}`,
          span: root.expr.span,
          label: `this is ${showShape(got)}`,
          help: got.cols === 1 ? "for a sum of squares write `sumsq(e)` or `quad(e, M)`; for a sum `sum(e)`" : "reduce it to a scalar with `sum`, `quad` or `sumsq`",
        });
      }
      return;
    }
    case "ScalarSetting": {
      const got = inferExpr(ctx, root.expr);
      if (got && !isScalar(got))
        err(ctx, { code: "MPC3014", message: `\`${stmt.key}\` must be a scalar, found ${showShape(got)}`, span: root.expr.span, label: `this is ${showShape(got)}` });
      return;
    }
    case "Constraint":
      return; // checked once per constraint below
  }
}

function checkConstraint(ctx: Ctx, c: Extract<Root["stmt"], { kind: "Constraint" }>): void {
  const ops = c.operands;
  let hint: Shape | undefined;
  let failed = false;
  for (const op of ops) {
    if (needsHint(ctx, op)) continue;
    const s = inferExpr(ctx, op);
    if (!s) failed = true;
    hint = hint ?? s;
  }
  const shapes = ops.map((op) => inferExpr(ctx, op, hint ?? (failed ? UNKNOWN : undefined)));
  let common: { shape: Shape; expr: Expr } | undefined;
  let reported = false;
  shapes.forEach((s, i) => {
    if (!s || reported) return;
    if (!common || isScalar(common.shape)) {
      if (!common || !isScalar(s)) common = { shape: s, expr: ops[i] };
      return;
    }
    if (isScalar(s) || sameShape(s, common.shape)) return;
    reported = true;
    mismatch(
      ctx,
      "MPC3011",
      `the sides of this constraint have shapes ${showShape(common.shape)} and ${showShape(s)}`,
      c.opSpans[i - 1] ?? ops[i].span,
      "shapes differ",
      common.expr,
      common.shape,
      ops[i],
      s,
      "each side must have the same shape, or be a scalar (which applies to every element)",
    );
  });
  for (const [w, which] of [
    [c.penalty?.linear, "linear"],
    [c.penalty?.quadratic, "quadratic"],
  ] as const) {
    if (!w) continue;
    const s = inferExpr(ctx, w);
    if (s && common && !isScalar(s) && !sameShape(s, common.shape)) {
      err(ctx, {
        code: "MPC3015",
        message: `the ${which} penalty weight is ${showShape(s)} but the constraint is ${showShape(common.shape)}`,
        span: w.span,
        label: `this is ${showShape(s)}`,
        related: [{ span: common.expr.span, label: `this is ${showShape(common.shape)}` }],
        help: "give one weight per constrained element, or a scalar for all",
      });
    } else if (s && !common && !isScalar(s)) {
      err(ctx, { code: "MPC3015", message: `the ${which} penalty weight must be a scalar or match the constraint, found ${showShape(s)}`, span: w.span });
    }
  }
  if (c.range) {
    for (const x of [c.range.from, c.range.to]) {
      const s = inferExpr(ctx, x);
      if (s && !isScalar(s)) err(ctx, { code: "MPC3014", message: `a stage range end must be a scalar, found ${showShape(s)}`, span: x.span });
    }
  }
}

export function inferShapes(ctx: Ctx): void {
  for (const sym of ctx.allSymbols) symShape(ctx, sym);
  for (const sym of ctx.allSymbols) checkDeclaration(ctx, sym);
  const doneConstraints = new Set<number>();
  for (const root of ctx.roots) {
    if (root.role === "train") continue;
    if (root.stmt?.kind === "Constraint") {
      if (!doneConstraints.has(root.stmt.id)) {
        doneConstraints.add(root.stmt.id);
        checkConstraint(ctx, root.stmt);
      }
      continue;
    }
    checkRoot(ctx, root);
    inferExpr(ctx, root.expr);
  }
  checkSizeLimits(ctx);
}
