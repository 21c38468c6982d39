// Constant folding: the numeric value of an expression when it depends only on numbers, `const`s,
// `param`s, `N`, `inf`, `I` and built-in functions of those (zeros, ones, eye, diag, dlqr, sin,
// ...). Used for dimensions, indices, bounds, horizon/discount, PSD tests of weights and by the
// compiler (see `constValue` in index.ts). Values are memoised per node id and per symbol.

import type { Expr, NameRef } from "../ast.js";
import { Ctx, Sym, tooBig, type Mat } from "./context.js";
import { dare, eye, fill, map, mat, matmul, scalarMat, transpose, zipWith } from "./matrix.js";
import { declOf } from "./scope.js";
import { symShape } from "./shapes.js";

export function evalExpr(ctx: Ctx, e: Expr): Mat | undefined {
  const memo = ctx.values.get(e.id);
  if (memo !== undefined) return memo ?? undefined;
  if (tooBig(ctx.shapes.get(e.id))) return undefined;
  ctx.values.set(e.id, null); // guards against cycles through lets/consts
  const v = compute(ctx, e);
  ctx.values.set(e.id, v ?? null);
  return v;
}

/** A constant integer (dimension, index, horizon), or undefined. */
export function constInt(ctx: Ctx, e: Expr): number | undefined {
  const v = evalExpr(ctx, e);
  if (!v || v.rows !== 1 || v.cols !== 1) return undefined;
  const x = v.data[0];
  return Number.isInteger(x) ? x : undefined;
}

export function constScalar(ctx: Ctx, e: Expr): number | undefined {
  const v = evalExpr(ctx, e);
  return v && v.rows === 1 && v.cols === 1 ? v.data[0] : undefined;
}

/** Broadcasts a value to a shape (a scalar fills it); undefined on a mismatch. */
export function broadcastTo(v: Mat, rows: number, cols: number): Mat | undefined {
  if (v.rows === rows && v.cols === cols) return v;
  if (v.rows === 1 && v.cols === 1) return fill(rows, cols, v.data[0]);
  return undefined;
}

/** The horizon of a controller block, when it is a constant. */
export function horizonOf(ctx: Ctx, blockName: string | undefined): number | undefined {
  const block = blockName === undefined ? undefined : ctx.blockByName(blockName);
  if (!block || block.node.kind !== "Controller") return undefined;
  const item = block.node.items.find((i) => i.kind === "ScalarSetting" && i.key === "horizon");
  return item && item.kind === "ScalarSetting" ? constInt(ctx, item.value) : undefined;
}

/**
 * The value a declaration's `= init` gives, broadcast to the declared shape. For `diag` learnables
 * the value is the vector of diagonal entries.
 */
export function initValue(ctx: Ctx, sym: Sym): Mat | undefined {
  const d = declOf(sym);
  if (!d || !d.init) return undefined;
  const s = symShape(ctx, sym);
  if (!s || tooBig(s)) return undefined;
  const v = evalExpr(ctx, d.init);
  if (!v) return undefined;
  if (d.structure === "diag") return broadcastTo(v, s.rows, 1);
  if ((d.structure === "psd" || d.structure === "factor") && v.rows === 1 && v.cols === 1) return map(eye(s.rows), (x) => x * v.data[0]);
  return broadcastTo(v, s.rows, s.cols);
}

/**
 * The default of a controller's `runtime` value or `disturbance` (one stage of its forecast): the
 * value a call that omits it uses. Its `= value` folded and broadcast to the declared shape, zeros
 * without one; undefined for other symbols or a value that cannot be folded. The compiler writes it
 * into the template (`Model.runtimeDefault`), and consistency.ts checks it against the declared range
 * (MPC4023): one fact, read in one place.
 */
export function runtimeDefault(ctx: Ctx, sym: Sym): Mat | undefined {
  if ((sym.kind !== "runtime" && sym.kind !== "disturbance") || sym.blockKind !== "controller") return undefined;
  const d = declOf(sym);
  const s = symShape(ctx, sym);
  if (!d || !s || tooBig(s)) return undefined;
  return d.init ? initValue(ctx, sym) : fill(s.rows, s.cols, 0);
}

/**
 * Whether the value a learnable starts from (its initial value) or a controller's runtime value
 * takes when a call omits it (its default, 0 without `= value`) is >= 0 in every entry: then a
 * lower bound 0 (` in [0, inf]`, the edit of MPC4003/MPC4009/MPC4019) holds at that value too
 * (else it would be MPC4014 or MPC4023). False when it cannot be folded.
 */
export function startsNonnegative(ctx: Ctx, sym: Sym): boolean {
  const v = sym.kind === "learnable" ? initValue(ctx, sym) : runtimeDefault(ctx, sym);
  return v !== undefined && v.data.every((x) => x >= 0);
}

/** Value of a symbol when it is a compile-time constant (`const`, `param`, `N`, `inf`). */
export function symValue(ctx: Ctx, sym: Sym): Mat | undefined {
  const memo = ctx.symValues.get(sym);
  if (memo !== undefined) return memo ?? undefined;
  ctx.symValues.set(sym, null);
  let v: Mat | undefined;
  if (sym.kind === "const" || sym.kind === "param") v = initValue(ctx, sym);
  else if (sym.kind === "builtin" && sym.name === "N") {
    const h = horizonOf(ctx, sym.scope);
    v = h === undefined ? undefined : scalarMat(h);
  } else if (sym.kind === "builtin" && sym.name === "inf") v = scalarMat(Infinity);
  else if (sym.kind === "let") {
    const d = sym.decl;
    v = d && d.kind === "Let" ? evalExpr(ctx, d.value) : undefined;
  }
  ctx.symValues.set(sym, v ?? null);
  return v;
}

/** The first name in `e` that keeps it from being constant (for "must be constant" messages). */
export function nonConstantName(ctx: Ctx, e: Expr): NameRef | undefined {
  let found: NameRef | undefined;
  const visit = (x: Expr): void => {
    if (found) return;
    switch (x.kind) {
      case "Name": {
        const s = ctx.resolution.get(x.id);
        if (s && !(s.name === "I" && s.kind === "builtin") && symValue(ctx, s) === undefined) found = x;
        return;
      }
      case "Array":
        x.rows.forEach((r) => r.forEach(visit));
        return;
      case "Unary":
      case "Transpose":
        visit(x.operand);
        return;
      case "Paren":
        visit(x.inner);
        return;
      case "Binary":
        visit(x.left);
        visit(x.right);
        return;
      case "Index":
        visit(x.target);
        for (const i of x.indices) {
          if (i.kind === "At") visit(i.index);
          else {
            if (i.start) visit(i.start);
            if (i.end) visit(i.end);
          }
        }
        return;
      case "Call":
        x.args.forEach((a) => visit(a.value));
        return;
      default:
        return;
    }
  };
  visit(e);
  return found;
}

/** Assembles an array literal by the rule of ast.ts (column vector, list of rows, or MATLAB blocks). */
export function assembleArray(parts: readonly (readonly Mat[])[], listOfRows: boolean): Mat | undefined {
  if (listOfRows) {
    const rows = parts[0].map((m) => m.data);
    const cols = rows[0]?.length ?? 0;
    if (rows.some((r) => r.length !== cols)) return undefined;
    return mat(rows.length, cols, rows.flat());
  }
  if (parts.length === 1 && parts[0].every((m) => m.rows === 1 && m.cols === 1)) return mat(parts[0].length, 1, parts[0].map((m) => m.data[0]));
  const blockRows: Mat[] = [];
  for (const row of parts) {
    const r = row[0]?.rows ?? 0;
    if (row.some((m) => m.rows !== r)) return undefined;
    const cols = row.reduce((c, m) => c + m.cols, 0);
    const d = new Array<number>(r * cols);
    let off = 0;
    for (const m of row) {
      for (let i = 0; i < r; i++) for (let j = 0; j < m.cols; j++) d[i * cols + off + j] = m.data[i * m.cols + j];
      off += m.cols;
    }
    blockRows.push(mat(r, cols, d));
  }
  const cols = blockRows[0]?.cols ?? 0;
  if (blockRows.some((m) => m.cols !== cols)) return undefined;
  return mat(
    blockRows.reduce((n, m) => n + m.rows, 0),
    cols,
    blockRows.flatMap((m) => [...m.data]),
  );
}

/** True when an array literal is a single row of inner lists of scalars (`[[1, 2], [3, 4]]`). */
export function isListOfRows(ctx: Ctx, rows: readonly (readonly Expr[])[]): boolean {
  if (rows.length !== 1 || rows[0].length === 0) return false;
  return rows[0].every((x) => {
    if (x.kind !== "Array" || x.rows.length !== 1) return false;
    return x.rows[0].every((y) => {
      const s = ctx.shapes.get(y.id);
      return s !== undefined && s.rows === 1 && s.cols === 1;
    });
  });
}

function index(ctx: Ctx, target: Mat, e: Extract<Expr, { kind: "Index" }>): Mat | undefined {
  const ranges: [number, number][] = [];
  const dims = e.indices.length === 1 ? [target.cols === 1 ? target.rows : target.cols] : [target.rows, target.cols];
  if (e.indices.length === 1 && target.rows !== 1 && target.cols !== 1) return undefined;
  for (let i = 0; i < e.indices.length; i++) {
    const ix = e.indices[i];
    if (ix.kind === "At") {
      const v = constInt(ctx, ix.index);
      if (v === undefined || v < 0 || v >= dims[i]) return undefined;
      ranges.push([v, v + 1]);
    } else {
      const a = ix.start ? constInt(ctx, ix.start) : 0;
      const b = ix.end ? constInt(ctx, ix.end) : dims[i];
      if (a === undefined || b === undefined || a < 0 || b > dims[i] || a > b) return undefined;
      ranges.push([a, b]);
    }
  }
  if (e.indices.length === 1) {
    const [a, b] = ranges[0];
    const d = target.data.slice(a, b);
    return target.cols === 1 ? mat(b - a, 1, d) : mat(1, b - a, d);
  }
  const [[r0, r1], [c0, c1]] = ranges;
  const d: number[] = [];
  for (let i = r0; i < r1; i++) for (let j = c0; j < c1; j++) d.push(target.data[i * target.cols + j]);
  return mat(r1 - r0, c1 - c0, d);
}

function compute(ctx: Ctx, e: Expr): Mat | undefined {
  switch (e.kind) {
    case "Number":
      return scalarMat(e.value);
    case "Name": {
      const sym = ctx.resolution.get(e.id);
      if (!sym) return undefined;
      if (sym.kind === "builtin" && sym.name === "I") {
        const s = ctx.shapes.get(e.id);
        return s && s.rows === s.cols && !tooBig(s) ? eye(s.rows) : undefined;
      }
      return symValue(ctx, sym);
    }
    case "Paren":
      return evalExpr(ctx, e.inner);
    case "Unary": {
      const v = evalExpr(ctx, e.operand);
      return v && (e.op === "-" ? map(v, (x) => -x) : v);
    }
    case "Transpose": {
      const v = evalExpr(ctx, e.operand);
      return v && transpose(v);
    }
    case "Array": {
      const parts: Mat[][] = [];
      for (const row of e.rows) {
        const r: Mat[] = [];
        for (const x of row) {
          const v = evalExpr(ctx, x);
          if (!v) return undefined;
          r.push(v);
        }
        parts.push(r);
      }
      if (parts.length === 0) return undefined;
      return assembleArray(parts, isListOfRows(ctx, e.rows));
    }
    case "Binary": {
      const a = evalExpr(ctx, e.left);
      const b = evalExpr(ctx, e.right);
      if (!a || !b) return undefined;
      switch (e.op) {
        case "+":
          return zipWith(a, b, (x, y) => x + y);
        case "-":
          return zipWith(a, b, (x, y) => x - y);
        case ".*":
          return zipWith(a, b, (x, y) => x * y);
        case "./":
          return zipWith(a, b, (x, y) => x / y);
        case "/":
          return b.rows === 1 && b.cols === 1 ? map(a, (x) => x / b.data[0]) : undefined;
        case "^":
          return b.rows === 1 && b.cols === 1 && a.rows === 1 && a.cols === 1 ? scalarMat(a.data[0] ** b.data[0]) : undefined;
        case "*":
          if (a.rows === 1 && a.cols === 1) return map(b, (y) => a.data[0] * y);
          if (b.rows === 1 && b.cols === 1) return map(a, (x) => x * b.data[0]);
          return a.cols === b.rows ? matmul(a, b) : undefined;
      }
      return undefined;
    }
    case "Index": {
      const t = evalExpr(ctx, e.target);
      return t && index(ctx, t, e);
    }
    case "Call":
      return call(ctx, e);
    case "ErrorExpr":
      return undefined;
  }
}

function call(ctx: Ctx, e: Extract<Expr, { kind: "Call" }>): Mat | undefined {
  const name = e.callee.name;
  if (name === "uniform" || name === "normal" || name === "prev" || name === "der") return undefined;
  const args: Mat[] = [];
  for (const a of e.args) {
    const v = evalExpr(ctx, a.value);
    if (!v) return undefined;
    args.push(v);
  }
  const [x, y] = args;
  const sum = (m: Mat, f: (v: number) => number): number => m.data.reduce((s, v) => s + f(v), 0);
  switch (name) {
    case "sum":
      return x && scalarMat(sum(x, (v) => v));
    case "sumsq":
      return x && scalarMat(sum(x, (v) => v * v));
    case "norm1":
      return x && scalarMat(sum(x, Math.abs));
    case "abs":
      return x && map(x, Math.abs);
    case "sin":
      return x && map(x, Math.sin);
    case "cos":
      return x && map(x, Math.cos);
    case "tan":
      return x && map(x, Math.tan);
    case "tanh":
      return x && map(x, Math.tanh);
    case "exp":
      return x && map(x, Math.exp);
    case "sqrt":
      return x && map(x, Math.sqrt);
    case "log":
      return x && map(x, Math.log);
    case "max":
    case "min": {
      const f = name === "max" ? Math.max : Math.min;
      if (!x) return undefined;
      if (!y) return scalarMat(x.data.reduce((m, v) => f(m, v)));
      return zipWith(x, y, f);
    }
    case "quad":
      return x && y && x.cols === 1 && y.rows === x.rows && y.cols === x.rows ? matmul(matmul(transpose(x), y), x) : undefined;
    case "diag": {
      if (!x) return undefined;
      if (x.rows === 1 || x.cols === 1) {
        const n = x.data.length;
        const d = new Array<number>(n * n).fill(0);
        for (let i = 0; i < n; i++) d[i * n + i] = x.data[i];
        return mat(n, n, d);
      }
      return x.rows === x.cols ? mat(x.rows, 1, x.data.filter((_, i) => i % (x.cols + 1) === 0)) : undefined;
    }
    case "zeros":
    case "ones": {
      const s = ctx.shapes.get(e.id);
      return s && !tooBig(s) ? fill(s.rows, s.cols, name === "zeros" ? 0 : 1) : undefined;
    }
    case "eye":
    case "I": {
      const s = ctx.shapes.get(e.id);
      return s && !tooBig(s) ? eye(s.rows) : undefined;
    }
    case "dlqr": {
      const [A, B, Q, R] = args;
      if (!A || !B || !Q || !R || A.rows > 60 || A.rows !== A.cols || B.rows !== A.rows || Q.rows !== A.rows || R.rows !== B.cols) return undefined;
      return dare(A, B, Q, R);
    }
  }
  return undefined;
}
