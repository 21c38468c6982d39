// Polynomials of degree <= 2 in the QP decision variables z whose coefficients are parameter
// expressions (ExprPool node ids), and dense matrices of them: the values the lowering computes
// for every spec expression at a given stage.

import type { ExprPool } from "./expr.js";

export interface Poly {
  /** constant term (node id) */
  readonly c: number;
  /** z index -> coefficient node */
  readonly lin: ReadonlyMap<number, number>;
  /** pair key (i * QKEY + j, i <= j) -> coefficient node of z_i z_j */
  readonly quad: ReadonlyMap<number, number>;
}

export const QKEY = 1 << 20;

export interface Mat {
  readonly rows: number;
  readonly cols: number;
  /** row-major entries */
  readonly e: readonly Poly[];
}

export class PolyError extends Error {}

const EMPTY: ReadonlyMap<number, number> = new Map();

export class PolyAlg {
  constructor(readonly pool: ExprPool) {}

  constant(node: number): Poly {
    return { c: node, lin: EMPTY, quad: EMPTY };
  }

  num(v: number): Poly {
    return this.constant(this.pool.num(v));
  }

  variable(index: number): Poly {
    return { c: this.pool.zero, lin: new Map([[index, this.pool.one]]), quad: EMPTY };
  }

  isConstant(p: Poly): boolean {
    return p.lin.size === 0 && p.quad.size === 0;
  }

  isAffine(p: Poly): boolean {
    return p.quad.size === 0;
  }

  add(a: Poly, b: Poly, sign = 1): Poly {
    const pool = this.pool;
    const c = sign === 1 ? pool.add(a.c, b.c) : pool.sub(a.c, b.c);
    return { c, lin: mergeMaps(pool, a.lin, b.lin, sign), quad: mergeMaps(pool, a.quad, b.quad, sign) };
  }

  neg(a: Poly): Poly {
    return this.scale(a, this.pool.num(-1));
  }

  /** Multiplies by a parameter expression. */
  scale(a: Poly, s: number): Poly {
    const pool = this.pool;
    if (pool.constValue(s) === 0) return this.constant(pool.zero);
    return { c: pool.mul(s, a.c), lin: mapValues(a.lin, (v) => pool.mul(s, v)), quad: mapValues(a.quad, (v) => pool.mul(s, v)) };
  }

  mul(a: Poly, b: Poly): Poly {
    if (this.isConstant(a)) return this.scale(b, a.c);
    if (this.isConstant(b)) return this.scale(a, b.c);
    if (!this.isAffine(a) || !this.isAffine(b)) throw new PolyError("product of degree higher than 2 in the decision variables");
    const pool = this.pool;
    // (a0 + sum ai zi)(b0 + sum bj zj)
    const lin = new Map<number, number>();
    const addLin = (k: number, v: number): void => {
      const old = lin.get(k);
      const nv = old === undefined ? v : pool.add(old, v);
      if (pool.constValue(nv) === 0) lin.delete(k);
      else lin.set(k, nv);
    };
    for (const [i, ai] of a.lin) addLin(i, pool.mul(ai, b.c));
    for (const [j, bj] of b.lin) addLin(j, pool.mul(a.c, bj));
    const quad = new Map<number, number>();
    for (const [i, ai] of a.lin) {
      for (const [j, bj] of b.lin) {
        const key = i <= j ? i * QKEY + j : j * QKEY + i;
        const v = pool.mul(ai, bj);
        const old = quad.get(key);
        const nv = old === undefined ? v : pool.add(old, v);
        if (pool.constValue(nv) === 0) quad.delete(key);
        else quad.set(key, nv);
      }
    }
    return { c: pool.mul(a.c, b.c), lin, quad };
  }

  // ---------------------------------------------------------------- matrices

  mat(rows: number, cols: number, e: Poly[]): Mat {
    return { rows, cols, e };
  }

  scalar(p: Poly): Mat {
    return { rows: 1, cols: 1, e: [p] };
  }

  zeros(rows: number, cols: number): Mat {
    const z = this.num(0);
    return { rows, cols, e: new Array<Poly>(rows * cols).fill(z) };
  }

  identity(n: number, s?: Poly): Mat {
    const e: Poly[] = new Array<Poly>(n * n).fill(this.num(0));
    for (let i = 0; i < n; i++) e[i * n + i] = s ?? this.num(1);
    return { rows: n, cols: n, e };
  }

  transpose(a: Mat): Mat {
    const e: Poly[] = [];
    for (let j = 0; j < a.cols; j++) for (let i = 0; i < a.rows; i++) e.push(a.e[i * a.cols + j]);
    return { rows: a.cols, cols: a.rows, e };
  }

  matmul(a: Mat, b: Mat): Mat {
    if (a.cols !== b.rows) throw new PolyError(`cannot multiply ${a.rows}x${a.cols} by ${b.rows}x${b.cols}`);
    const e: Poly[] = [];
    for (let i = 0; i < a.rows; i++) {
      for (let j = 0; j < b.cols; j++) {
        let s = this.num(0);
        for (let k = 0; k < a.cols; k++) s = this.add(s, this.mul(a.e[i * a.cols + k], b.e[k * b.cols + j]));
        e.push(s);
      }
    }
    return { rows: a.rows, cols: b.cols, e };
  }

  /** Element-wise with scalar broadcasting. */
  zip(a: Mat, b: Mat, f: (x: Poly, y: Poly) => Poly, what: string): Mat {
    if (a.rows === b.rows && a.cols === b.cols) return { rows: a.rows, cols: a.cols, e: a.e.map((x, i) => f(x, b.e[i])) };
    if (a.rows === 1 && a.cols === 1) return { rows: b.rows, cols: b.cols, e: b.e.map((y) => f(a.e[0], y)) };
    if (b.rows === 1 && b.cols === 1) return { rows: a.rows, cols: a.cols, e: a.e.map((x) => f(x, b.e[0])) };
    throw new PolyError(`cannot ${what} ${a.rows}x${a.cols} and ${b.rows}x${b.cols}`);
  }

  map(a: Mat, f: (x: Poly) => Poly): Mat {
    return { rows: a.rows, cols: a.cols, e: a.e.map(f) };
  }

  /** The parameter expression of a constant polynomial, or an error naming `what`. */
  constantNode(p: Poly, what: string): number {
    if (!this.isConstant(p)) throw new PolyError(`${what} must not depend on the decision variables`);
    return p.c;
  }
}

function mapValues(m: ReadonlyMap<number, number>, f: (v: number) => number): Map<number, number> {
  const out = new Map<number, number>();
  for (const [k, v] of m) out.set(k, f(v));
  return out;
}

function mergeMaps(pool: ExprPool, a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>, sign: number): ReadonlyMap<number, number> {
  if (b.size === 0) return a;
  if (a.size === 0 && sign === 1) return b;
  const out = new Map(a);
  for (const [k, v] of b) {
    const old = out.get(k);
    const nv = old === undefined ? (sign === 1 ? v : pool.neg(v)) : sign === 1 ? pool.add(old, v) : pool.sub(old, v);
    if (pool.constValue(nv) === 0) out.delete(k);
    else out.set(k, nv);
  }
  return out;
}
