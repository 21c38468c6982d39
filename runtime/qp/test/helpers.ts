// Shared helpers of the QP tests: data paths, a seeded generator, random problems.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cscFromTriplets } from "../../sparse/ops.js";
import type { Csc } from "../../sparse/csc.js";
import { qpFromJson, type QpFile } from "../io.js";
import type { QpProblem } from "../types.js";

export const dataDir = fileURLToPath(new URL("../../../../shared/data/qp/", import.meta.url));

export function loadQp(rel: string): QpFile {
  return qpFromJson(JSON.parse(readFileSync(dataDir + rel, "utf8")));
}

/** mulberry32: a small deterministic generator for reproducible random problems. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
}

/** Dense column-major-free helper: CSC from a dense row-major array (entries with |v| > 0). */
export function denseToCsc(rows: number, cols: number, d: ArrayLike<number>, upperOnly = false): Csc {
  const ti: number[] = [], tj: number[] = [], tv: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (upperOnly && i > j) continue;
      const v = d[i * cols + j];
      if (v !== 0) {
        ti.push(i);
        tj.push(j);
        tv.push(v);
      }
    }
  }
  return cscFromTriplets(rows, cols, ti, tj, tv);
}

/** Random sparse A (density) and PSD P = M M' + (optional) with rank k, dense row-major. */
export function randomProblemData(r: () => number, n: number, m: number, density: number, rank: number): { P: Float64Array; A: Float64Array } {
  const M = new Float64Array(n * rank);
  for (let k = 0; k < M.length; k++) M[k] = r() < 0.5 ? randn(r) : 0;
  const P = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < rank; k++) s += M[i * rank + k] * M[j * rank + k];
      P[i * n + j] = s;
    }
  }
  const A = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    let any = false;
    for (let j = 0; j < n; j++) {
      if (r() < density) {
        A[i * n + j] = randn(r);
        any = true;
      }
    }
    if (!any) A[i * n + Math.floor(r() * n)] = 1;
  }
  return { P, A };
}

/** A random feasible QP: l <= A x_feas <= u by construction; P PSD (rank may be < n). */
export function randomFeasibleQp(seed: number, n: number, m: number): QpProblem {
  const r = rng(seed);
  const { P, A } = randomProblemData(r, n, m, 0.4, Math.max(1, n - 1));
  for (let i = 0; i < n; i++) P[i * n + i] += 0.1;
  const xf = Float64Array.from({ length: n }, () => randn(r));
  const l = new Float64Array(m), u = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let ax = 0;
    for (let j = 0; j < n; j++) ax += A[i * n + j] * xf[j];
    const kind = r();
    if (kind < 0.15) {
      l[i] = u[i] = ax;
    } else if (kind < 0.3) {
      l[i] = -Infinity;
      u[i] = ax + r();
    } else {
      l[i] = ax - r() - 0.01;
      u[i] = kind < 0.5 ? Infinity : ax + r() + 0.01;
    }
  }
  const q = Float64Array.from({ length: n }, () => 3 * randn(r));
  return { n, m, P: denseToCsc(n, n, P, true), q, A: denseToCsc(m, n, A), l, u };
}

export function dense(c: Csc): Float64Array {
  const d = new Float64Array(c.rows * c.cols);
  for (let j = 0; j < c.cols; j++) for (let p = c.colPtr[j]; p < c.colPtr[j + 1]; p++) d[c.rowIdx[p] * c.cols + j] = c.values[p];
  return d;
}
