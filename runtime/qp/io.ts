// Reading a QP from the shared JSON format (../shared/data/README.md): CSC matrices with
// indptr/indices/data, P upper triangular, bounds with |b| >= 1e20 meaning infinite.

import type { Csc } from "../sparse/csc.js";
import { INFTY } from "./settings.js";
import type { QpProblem } from "./types.js";

/** A QP with the extra fields of the shared files that callers commonly need. */
export interface QpFile extends QpProblem {
  /** constant term of the objective (0 when absent) */
  readonly r: number;
  readonly name?: string;
  readonly objectiveReference?: number;
  /** [start, end) rows of A/l/u that pin the initial state (MPC problems) */
  readonly x0Rows?: [number, number];
  readonly x0?: Float64Array;
}

function fail(msg: string): never {
  throw new Error(`malformed QP: ${msg}`);
}

function numArray(v: unknown, name: string, len?: number): number[] {
  if (!Array.isArray(v)) fail(`${name} must be an array of numbers`);
  if (len !== undefined && v.length !== len) fail(`${name} has length ${v.length}, expected ${len}`);
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== "number") fail(`${name}[${i}] is not a number`);
  }
  return v as number[];
}

function intOf(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(`${name} must be a non-negative integer`);
  return v;
}

function cscOf(v: unknown, rows: number, cols: number, name: string): Csc {
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(`${name} must be an object {format: "csc", shape, indptr, indices, data}`);
  const o = v as Record<string, unknown>;
  if (o.format !== undefined && o.format !== "csc") fail(`${name}.format must be "csc"`);
  if (o.shape !== undefined) {
    const s = numArray(o.shape, `${name}.shape`, 2);
    if (s[0] !== rows || s[1] !== cols) fail(`${name}.shape is [${s.join(", ")}], expected [${rows}, ${cols}]`);
  }
  const indptr = numArray(o.indptr, `${name}.indptr`, cols + 1);
  const nz = indptr[cols];
  const indices = numArray(o.indices, `${name}.indices`);
  const data = numArray(o.data, `${name}.data`, indices.length);
  for (let j = 0; j <= cols; j++) {
    if (!Number.isInteger(indptr[j]) || indptr[j] < 0) fail(`${name}.indptr[${j}] is ${indptr[j]}, not a non-negative integer`);
  }
  if (indptr[0] !== 0 || nz !== indices.length) fail(`${name}.indptr must start at 0 and end at the number of entries (${indices.length})`);
  for (let j = 0; j < cols; j++) {
    if (indptr[j + 1] < indptr[j]) fail(`${name}.indptr decreases at column ${j}`);
    for (let p = indptr[j]; p < indptr[j + 1]; p++) {
      const i = indices[p];
      if (!Number.isInteger(i) || i < 0 || i >= rows) fail(`${name}: row index ${i} out of range in column ${j}`);
      if (p > indptr[j] && i <= indices[p - 1]) fail(`${name}: row indices not strictly increasing in column ${j}`);
    }
  }
  return { rows, cols, colPtr: Int32Array.from(indptr), rowIdx: Int32Array.from(indices), values: Float64Array.from(data) };
}

function bound(v: number): number {
  return v >= INFTY ? Infinity : v <= -INFTY ? -Infinity : v;
}

/** Parses a QP in the shared JSON format; throws an Error with a clear message when malformed. */
export function qpFromJson(obj: unknown): QpFile {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) fail("the file must hold one JSON object");
  const o = obj as Record<string, unknown>;
  const n = intOf(o.n, "n");
  const m = intOf(o.m, "m");
  const P = cscOf(o.P, n, n, "P");
  const A = cscOf(o.A, m, n, "A");
  const q = Float64Array.from(numArray(o.q, "q", n));
  const l = Float64Array.from(numArray(o.l, "l", m), bound);
  const u = Float64Array.from(numArray(o.u, "u", m), bound);
  // JSON has no NaN or Infinity, but 1e999 parses to Infinity: the constant must be finite
  const r = o.r === undefined ? 0 : typeof o.r === "number" && Number.isFinite(o.r) ? o.r : fail("r must be a finite number");
  const file: { -readonly [K in keyof QpFile]: QpFile[K] } = { n, m, P, q, A, l, u, r };
  if (typeof o.name === "string") file.name = o.name;
  if (typeof o.objective_reference === "number") file.objectiveReference = o.objective_reference;
  if (o.x0_rows !== undefined) {
    const xr = numArray(o.x0_rows, "x0_rows", 2);
    file.x0Rows = [xr[0], xr[1]];
  }
  if (o.x0 !== undefined) file.x0 = Float64Array.from(numArray(o.x0, "x0"));
  return file;
}

/**
 * Bounds of an MPC problem of the shared set with its initial state pinned to x0. The rows
 * x0Rows of A read `c * x_0[k]` with a single coefficient c (the shared files use c = -1, the
 * OSQP MPC form -x_0 = -x0), so l = u = c * x0[k] there. Writes into l/u (copies of the file's).
 */
export function pinInitialState(file: QpFile, x0: ArrayLike<number>, l: Float64Array, u: Float64Array): void {
  if (!file.x0Rows) throw new Error("the problem has no x0_rows");
  const [a, b] = file.x0Rows;
  if (x0.length !== b - a) throw new Error(`x0 has length ${x0.length}, expected ${b - a}`);
  const coef = new Float64Array(b - a);
  const { A } = file;
  for (let j = 0; j < A.cols; j++) {
    for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) {
      const r = A.rowIdx[p];
      if (r >= a && r < b) {
        if (coef[r - a] !== 0) throw new Error(`row ${r} of A has more than one entry; cannot pin x0`);
        coef[r - a] = A.values[p];
      }
    }
  }
  for (let k = 0; k < b - a; k++) {
    l[a + k] = coef[k] * x0[k];
    u[a + k] = coef[k] * x0[k];
  }
}
