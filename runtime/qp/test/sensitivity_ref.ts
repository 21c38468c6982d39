// Test helpers for the QP sensitivity tests: shared MPC problems, data perturbation, seeded random
// QPs with a known exact solution, and an independent reference solver for perturbed problems
// (dense, with a certificate of optimality) used for central finite differences.

import { rng as mulberry32 } from "./helpers.js";
import { readFileSync } from "node:fs";
import type { Csc } from "../../sparse/csc.js";
import { qpFromJson, type QpFile } from "../io.js";
import type { QpProblem } from "../types.js";
import { solve as denseSolve } from "../../linalg/dense.js";

export const dataDir = new URL("../../../../shared/data/qp/mpc/", import.meta.url);

export function loadMpc(name: string): QpFile {
  return qpFromJson(JSON.parse(readFileSync(new URL(`${name}.json`, dataDir), "utf8")));
}

export interface Reference {
  x0: number[];
  feasible: boolean;
  status: string;
  x: Float64Array;
  y: Float64Array;
  obj: number;
}

export function loadRef(file: string): Reference {
  const o = JSON.parse(readFileSync(new URL(`refs/${file}`, dataDir), "utf8")) as {
    x0: number[];
    lp_feasible: boolean;
    cvxopt: { status: string; x: number[] | null; y: number[] | null; obj: number | null };
  };
  return {
    x0: o.x0,
    feasible: o.lp_feasible,
    status: o.cvxopt.status,
    x: Float64Array.from(o.cvxopt.x ?? []),
    y: Float64Array.from(o.cvxopt.y ?? []),
    obj: o.cvxopt.obj ?? NaN,
  };
}

/**
 * A copy of the problem with the initial-state rows pinned to x0. Row rows[0] + k reads
 * c * z[k] = c * x0[k] with c the row's coefficient on z[k] (the shared files use c = -1, as in
 * OSQP's MPC example, so l = u = -x0 there).
 */
export function withX0(p: QpFile, x0: ArrayLike<number>): QpProblem {
  const rows = p.x0Rows;
  if (rows === undefined) throw new Error("problem has no x0_rows");
  const l = Float64Array.from(p.l);
  const u = Float64Array.from(p.u);
  for (let k = 0; k < rows[1] - rows[0]; k++) {
    let c = 0;
    for (let e = p.A.colPtr[k]; e < p.A.colPtr[k + 1]; e++) if (p.A.rowIdx[e] === rows[0] + k) c = p.A.values[e];
    if (c === 0) throw new Error(`row ${rows[0] + k} does not pin z[${k}]`);
    l[rows[0] + k] = c * x0[k];
    u[rows[0] + k] = c * x0[k];
  }
  return { n: p.n, m: p.m, P: p.P, q: p.q, A: p.A, l, u };
}

export interface Direction {
  dP: Float64Array;
  dq: Float64Array;
  dA: Float64Array;
  dl: Float64Array;
  du: Float64Array;
}

export function zeroDirection(p: QpProblem): Direction {
  return {
    dP: new Float64Array(p.P.values.length),
    dq: new Float64Array(p.n),
    dA: new Float64Array(p.A.values.length),
    dl: new Float64Array(p.m),
    du: new Float64Array(p.m),
  };
}

function withValues(c: Csc, values: Float64Array): Csc {
  return { rows: c.rows, cols: c.cols, colPtr: c.colPtr, rowIdx: c.rowIdx, values };
}

function axpy(a: ArrayLike<number>, t: number, d: ArrayLike<number>): Float64Array {
  const r = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) r[i] = a[i] + t * d[i];
  return r;
}

/** The problem with data + t * d (infinite bounds stay infinite). */
export function perturb(p: QpProblem, d: Direction, t: number): QpProblem {
  return {
    n: p.n,
    m: p.m,
    P: withValues(p.P, axpy(p.P.values, t, d.dP)),
    q: axpy(p.q, t, d.dq),
    A: withValues(p.A, axpy(p.A.values, t, d.dA)),
    l: axpy(p.l, t, d.dl),
    u: axpy(p.u, t, d.du),
  };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function dotDirection(g: Direction, d: Direction): number {
  return dot(g.dP, d.dP) + dot(g.dq, d.dq) + dot(g.dA, d.dA) + dot(g.dl, d.dl) + dot(g.du, d.du);
}

/** max |a - b| / max(floor, max |b|). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-8): number {
  let num = 0;
  let den = floor;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** Seeded uniform [0, 1) generator (mulberry32): helpers.ts `rng`. */
export { mulberry32 };

export function randomDirection(p: QpProblem, rand: () => number, parts: Partial<Record<keyof Direction, boolean>>): Direction {
  const d = zeroDirection(p);
  const fill = (a: Float64Array, mask?: (i: number) => boolean): void => {
    for (let i = 0; i < a.length; i++) if (mask === undefined || mask(i)) a[i] = 2 * rand() - 1;
  };
  if (parts.dP) fill(d.dP);
  if (parts.dq) fill(d.dq);
  if (parts.dA) fill(d.dA);
  if (parts.dl) fill(d.dl, (i) => Number.isFinite(p.l[i]));
  if (parts.du) fill(d.du, (i) => Number.isFinite(p.u[i]));
  // keep equality rows equalities
  for (let i = 0; i < p.m; i++) if (p.l[i] === p.u[i]) d.du[i] = d.dl[i];
  return d;
}

function cscFromDense(rows: number, cols: number, a: Float64Array, upper: boolean): Csc {
  const colPtr = new Int32Array(cols + 1);
  const idx: number[] = [];
  const vals: number[] = [];
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < (upper ? j + 1 : rows); i++) {
      const v = a[i * cols + j];
      if (v !== 0) {
        idx.push(i);
        vals.push(v);
      }
    }
    colPtr[j + 1] = idx.length;
  }
  return { rows, cols, colPtr, rowIdx: Int32Array.from(idx), values: Float64Array.from(vals) };
}

/** Dense copy of a CSC matrix (symmetric completion when `upper`). */
export function toDense(c: Csc, upper: boolean): Float64Array {
  const d = new Float64Array(c.rows * c.cols);
  for (let j = 0; j < c.cols; j++) {
    for (let k = c.colPtr[j]; k < c.colPtr[j + 1]; k++) {
      const i = c.rowIdx[k];
      d[i * c.cols + j] += c.values[k];
      if (upper && i !== j) d[j * c.cols + i] += c.values[k];
    }
  }
  return d;
}

export interface RandomQp {
  problem: QpProblem;
  z: Float64Array;
  y: Float64Array;
  /** rows built to be weakly active (on the lower bound, zero multiplier) */
  weakRows: number[];
}

/**
 * A random convex QP with a known exact solution: z and y are drawn first, then the bounds are
 * placed (equality rows, rows active at the lower and at the upper bound with multipliers of the
 * right sign and magnitude >= 0.3, inactive rows with slack >= 0.2, some one-sided) and
 * q = -(P z + A'y) makes the KKT conditions hold exactly. P = B B' (+ a partial diagonal) is
 * positive semidefinite and may be singular.
 */
export function randomQp(seed: number, weak = 0): RandomQp {
  const rand = mulberry32(seed);
  const n = 8 + Math.floor(rand() * 7);
  const m = n + 4 + Math.floor(rand() * 4);
  const r = n - 2;
  const Bm = new Float64Array(n * r);
  for (let i = 0; i < Bm.length; i++) Bm[i] = 2 * rand() - 1;
  const Pd = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += Bm[i * r + k] * Bm[j * r + k];
      Pd[i * n + j] = s;
    }
    if (rand() < 0.5) Pd[i * n + i] += 0.1;
  }
  const Ad = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) if (rand() < 0.5) Ad[i * n + j] = 2 * rand() - 1;
    Ad[i * n + Math.floor(rand() * n)] = 1 + rand();
  }
  const z = new Float64Array(n);
  for (let j = 0; j < n; j++) z[j] = 2 * rand() - 1;
  const s = new Float64Array(m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) s[i] += Ad[i * n + j] * z[j];
  const y = new Float64Array(m);
  const l = new Float64Array(m);
  const u = new Float64Array(m);
  const weakRows: number[] = [];
  // rows 0,1 equality; 2,3 lower-active; 4,5 upper-active; then `weak` weak rows; rest inactive
  for (let i = 0; i < m; i++) {
    const mag = 0.3 + 1.7 * rand();
    const far = 0.5 + rand();
    const oneSided = rand() < 0.3;
    if (i < 2) {
      l[i] = u[i] = s[i];
      y[i] = rand() < 0.5 ? -mag : mag;
    } else if (i < 4) {
      l[i] = s[i];
      u[i] = oneSided ? Infinity : s[i] + far;
      y[i] = -mag;
    } else if (i < 6) {
      u[i] = s[i];
      l[i] = oneSided ? -Infinity : s[i] - far;
      y[i] = mag;
    } else if (i < 6 + weak) {
      l[i] = s[i];
      u[i] = s[i] + far;
      weakRows.push(i);
    } else {
      l[i] = oneSided ? -Infinity : s[i] - 0.2 - rand();
      u[i] = s[i] + 0.2 + rand();
    }
  }
  const q = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let k = 0; k < n; k++) acc += Pd[j * n + k] * z[k];
    for (let i = 0; i < m; i++) acc += Ad[i * n + j] * y[i];
    q[j] = -acc;
  }
  const problem: QpProblem = { n, m, P: cscFromDense(n, n, Pd, true), q, A: cscFromDense(m, n, Ad, false), l, u };
  return { problem, z, y, weakRows };
}

/** Row sides of a solution, decided from the multipliers alone: -1 lower, +1 upper, 2 equality, 0 inactive. */
export function sidesFromDuals(p: QpProblem, y: ArrayLike<number>, ytol = 1e-7): Int8Array {
  const side = new Int8Array(p.m);
  for (let i = 0; i < p.m; i++) {
    if (p.l[i] === p.u[i]) side[i] = 2;
    else if (y[i] > ytol) side[i] = 1;
    else if (y[i] < -ytol) side[i] = -1;
  }
  return side;
}

export interface CertifiedSolution {
  z: Float64Array;
  y: Float64Array;
  /** true when (z, y) satisfies every KKT condition of the problem (so it is its optimum) */
  certified: boolean;
  why: string;
}

/**
 * Solves the equality-constrained QP with the given active rows (dense LU), then checks every KKT
 * condition of the full problem: primal feasibility of all rows and the multipliers' signs. When
 * the check passes, (z, y) is the optimum of the convex QP, however the active set was guessed.
 */
export function solveWithActiveSet(p: QpProblem, side: Int8Array, tol = 1e-9): CertifiedSolution {
  const { n, m } = p;
  const act: number[] = [];
  for (let i = 0; i < m; i++) if (side[i] !== 0) act.push(i);
  const N = n + act.length;
  const K = new Float64Array(N * N);
  const Pd = toDense(p.P, true);
  const Ad = toDense(p.A, false);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K[i * N + j] = Pd[i * n + j];
  const rhs = new Float64Array(N);
  for (let j = 0; j < n; j++) rhs[j] = -p.q[j];
  act.forEach((row, k) => {
    for (let j = 0; j < n; j++) {
      K[(n + k) * N + j] = Ad[row * n + j];
      K[j * N + n + k] = Ad[row * n + j];
    }
    rhs[n + k] = side[row] === 1 ? p.u[row] : p.l[row];
  });
  const sol = denseSolve({ rows: N, cols: N, data: K }, { rows: N, cols: 1, data: rhs });
  const z = new Float64Array(n);
  const y = new Float64Array(m);
  if (sol === undefined) return { z, y, certified: false, why: "singular KKT" };
  for (let j = 0; j < n; j++) z[j] = sol.data[j];
  act.forEach((row, k) => (y[row] = sol.data[n + k]));
  let why = "";
  for (let i = 0; i < m && why === ""; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Ad[i * n + j] * z[j];
    const sc = tol * Math.max(1, Math.abs(s));
    if (s < p.l[i] - sc || s > p.u[i] + sc) why = `row ${i} infeasible`;
    else if (side[i] === -1 && y[i] > tol) why = `row ${i}: lower multiplier ${y[i]} > 0`;
    else if (side[i] === 1 && y[i] < -tol) why = `row ${i}: upper multiplier ${y[i]} < 0`;
  }
  return { z, y, certified: why === "", why };
}
