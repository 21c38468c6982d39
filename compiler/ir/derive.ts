// Symbolic first and second derivatives of a nonlinear controller's stage rows w.r.t. the stage
// vector v = (x, u, theta) (ExprPool.diffLeaf): one place for the in-process model (compiler/ocp.ts)
// and the emitter (compiler/emit/nlp.ts), so both evaluate the very same nodes. Row-major layouts as
// runtime/nmpc/types.ts: J[i*n + j] = d row_i / d v_j; Hessians nv x nv per row, both triangles.

import type { ExprPool } from "./expr.js";

export interface RowDerivatives {
  readonly value: readonly number[];
  readonly jx: readonly number[];
  readonly ju: readonly number[];
  readonly jtheta: readonly number[];
}

/** Leaves of v = (x, u, theta); `nu` is 0 at the terminal node. */
export function stageLeaves(pool: ExprPool, nx: number, nu: number, nTheta: number): { readonly x: number[]; readonly u: number[]; readonly theta: number[] } {
  return {
    x: Array.from({ length: nx }, (_, i) => pool.x(i)),
    u: Array.from({ length: nu }, (_, i) => pool.u(i)),
    theta: Array.from({ length: nTheta }, (_, i) => pool.theta(i)),
  };
}

export function rowDerivatives(pool: ExprPool, rows: readonly number[], nx: number, nu: number, nTheta: number): RowDerivatives {
  const l = stageLeaves(pool, nx, nu, nTheta);
  const jac = (leaves: readonly number[]): number[] => rows.flatMap((r) => leaves.map((v) => pool.diffLeaf(r, v)));
  return { value: [...rows], jx: jac(l.x), ju: jac(l.u), jtheta: jac(l.theta) };
}

/** Per row, its Hessian w.r.t. v (nv x nv nodes, row-major; the lower triangle mirrors the upper). */
export function rowHessians(pool: ExprPool, rows: readonly number[], nx: number, nu: number, nTheta: number): number[][] {
  const l = stageLeaves(pool, nx, nu, nTheta);
  const v = [...l.x, ...l.u, ...l.theta];
  const nv = v.length;
  return rows.map((r) => {
    const H = new Array<number>(nv * nv).fill(pool.zero);
    for (let a = 0; a < nv; a++) {
      const da = pool.diffLeaf(r, v[a]);
      for (let b = a; b < nv; b++) {
        const h = pool.diffLeaf(da, v[b]);
        H[a * nv + b] = h;
        H[b * nv + a] = h;
      }
    }
    return H;
  });
}
