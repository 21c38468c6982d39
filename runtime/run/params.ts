// Learnable parameters between the flat theta vector and readable JSON, in their declared shapes
// (docs/training.md, "params.json"):
//   scalar            a number                         V0: 0.5
//   vector  x[n]      an array of n numbers            x_lb: [0, 0.1]
//   matrix  A[r, c]   r rows of c numbers (row-major)  A: [[1, 0.25], [0, 1]]   (also B[2, 1]: [[0.03], [0.25]])
//   diag    Q[n]      its diagonal (the matrix is diag(Q), as declared)   Q: [1, 2]
//   factor  L[n]      the n x n lower-triangular matrix L (zeros above the diagonal)
//   psd     P[n]      the matrix P = L L' it defines, and its factor L beside it under "P.factor"
// theta stores diag as its diagonal and factor/psd as the lower triangle of L by rows
// (L[0,0], L[1,0], L[1,1], L[2,0], ...). Reading accepts this format and the old flat one (every
// parameter as its raw theta entries), so older params files keep working.

import type { ParamLayout } from "../mpc/types.js";

export type ParamValue = number | number[] | number[][];
export type ParamsJson = Record<string, ParamValue>;

/** Key suffix of a psd parameter's factor in params JSON: `P.factor` beside `P`. */
export const FACTOR_SUFFIX = ".factor";

type Layout = Pick<ParamLayout, "name" | "rows" | "cols" | "offset" | "size" | "structure">;

/** Order n of a factor/psd parameter when theta holds its lower triangle, else undefined. */
function triangleOrder(p: Layout): number | undefined {
  if (p.structure !== "factor" && p.structure !== "psd") return undefined;
  const n = p.rows;
  return n * (n + 1) === 2 * p.size ? n : undefined;
}

/** The shape (rows x cols) of the value a parameter defines: diag/factor/psd are n x n. */
export function definedShape(p: Layout): [number, number] {
  if (p.structure === "diag") return [p.size, p.size];
  const n = triangleOrder(p);
  if (n !== undefined) return [n, n];
  return [p.rows, p.cols];
}

/** L (n x n, zeros above the diagonal) from theta's lower-triangle entries. */
function factorOf(n: number, v: ArrayLike<number>, offset: number): number[][] {
  const L: number[][] = [];
  for (let i = 0, t = offset; i < n; i++) {
    const row = new Array<number>(n).fill(0);
    for (let j = 0; j <= i; j++) row[j] = v[t++];
    L.push(row);
  }
  return L;
}

function llt(L: number[][]): number[][] {
  const n = L.length;
  const P: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k <= j; k++) s += L[i][k] * L[j][k];
      P[i][j] = s;
      P[j][i] = s;
    }
  }
  return P;
}

export function thetaToJson(layout: readonly Layout[], theta: ArrayLike<number>): ParamsJson {
  const out: ParamsJson = {};
  for (const p of layout) {
    const v = Array.from({ length: p.size }, (_, i) => theta[p.offset + i]);
    const n = triangleOrder(p);
    if (n !== undefined) {
      const L = factorOf(n, theta, p.offset);
      if (p.structure === "psd") {
        out[p.name] = llt(L);
        out[p.name + FACTOR_SUFFIX] = L;
      } else out[p.name] = L;
    } else if (p.structure === "matrix" && p.size === p.rows * p.cols) {
      out[p.name] = Array.from({ length: p.rows }, (_, r) => v.slice(r * p.cols, (r + 1) * p.cols));
    } else if (p.structure === "scalar" || (p.size === 1 && p.structure !== "diag" && p.structure !== "vector")) out[p.name] = v[0];
    else out[p.name] = v;
  }
  return out;
}

const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const isMatrix = (x: unknown, r: number, c: number): x is number[][] =>
  Array.isArray(x) && x.length === r && x.every((row) => Array.isArray(row) && row.length === c && row.every(isNum));
const flatten = (x: unknown): unknown[] => (Array.isArray(x) ? x.flat(3) : [x]);
const shape = (x: unknown): string =>
  Array.isArray(x) ? (x.length > 0 && Array.isArray(x[0]) ? `${x.length}x${(x[0] as unknown[]).length} nested array` : `array of ${x.length}`) : typeof x;

/** A JSON value that is no finite number, as a message shows it (JSON.parse reads 1e400 as Infinity). */
const entryText = (x: unknown): string =>
  typeof x === "number" ? `${x} (a number beyond 1.8e308, such as 1e400, reads as ${x})` : typeof x === "string" ? `${JSON.stringify(x)}, a string` : x === null ? "null" : Array.isArray(x) ? shape(x) : typeof x;

/** Cholesky factor of a symmetric positive semidefinite matrix; a reason string when it is not one. */
function choleskyPsd(P: number[][]): number[][] | string {
  const n = P.length;
  let scale = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(P[i][j]));
  const tol = 1e-12 * Math.max(scale, 1e-300) * n;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (Math.abs(P[i][j] - P[j][i]) > 1e-9 * Math.max(scale, 1)) return `is not symmetric (entries [${i},${j}] and [${j},${i}] differ)`;
  const L: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let d = P[j][j];
    for (let k = 0; k < j; k++) d -= L[j][k] * L[j][k];
    if (d < -tol) return "is not positive semidefinite";
    const ljj = d > tol ? Math.sqrt(d) : 0;
    L[j][j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = P[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (ljj === 0) {
        if (Math.abs(s) > 1e-9 * Math.max(scale, 1)) return "is not positive semidefinite";
      } else L[i][j] = s / ljj;
    }
  }
  return L;
}

/** Lower-triangle entries (by rows) of a factor given as an n x n matrix or as its raw entries. */
function readFactor(name: string, n: number, size: number, value: unknown): number[] {
  if (isMatrix(value, n, n)) {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j > i && value[i][j] !== 0) throw new Error(`\`${name}\` must be lower-triangular (entry [${i},${j}] above the diagonal is ${value[i][j]}, not 0)`);
        if (j <= i) out.push(value[i][j]);
      }
    }
    return out;
  }
  const flat = flatten(value);
  if (!Array.isArray(value) || Array.isArray(value[0]) || flat.length !== size || !flat.every(isNum)) {
    if (!(size === 1 && isNum(value))) {
      throw new Error(`\`${name}\` needs a ${n}x${n} lower-triangular matrix of finite numbers (or its ${size} lower-triangle entries by rows), got ${shape(value)}`);
    }
  }
  return flat as number[];
}

/** Reads params JSON into theta (starting from `base`); errors name the offending parameter. */
export function jsonToTheta(layout: readonly Layout[], json: unknown, base: ArrayLike<number>): Float64Array {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new Error("the parameters file must hold a JSON object with one field per learnable parameter");
  }
  const obj = json as Record<string, unknown>;
  const theta = Float64Array.from(base);
  const known = new Set(layout.map((p) => p.name));
  const factorKeys = new Set(layout.filter((p) => p.structure === "psd").map((p) => p.name + FACTOR_SUFFIX));
  for (const k of Object.keys(obj)) {
    if (!known.has(k) && !factorKeys.has(k)) throw new Error(`unknown parameter \`${k}\` (the controller's are: ${[...known].join(", ")})`);
  }
  for (const p of layout) {
    const n = triangleOrder(p);
    const fkey = p.name + FACTOR_SUFFIX;
    let entries: number[] | undefined;
    if (n !== undefined && p.structure === "psd" && fkey in obj) {
      entries = readFactor(fkey, n, p.size, obj[fkey]);
      if (p.name in obj) {
        const P = obj[p.name];
        if (!isMatrix(P, n, n)) throw new Error(`\`${p.name}\` needs a ${n}x${n} matrix of finite numbers, got ${shape(P)}`);
        const LLt = llt(factorOf(n, entries, 0));
        let scale = 1;
        for (const row of P) for (const x of row) scale = Math.max(scale, Math.abs(x));
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            if (Math.abs(LLt[i][j] - P[i][j]) > 1e-9 * scale) {
              throw new Error(`\`${p.name}\` and \`${fkey}\` disagree at [${i},${j}] (${P[i][j]} vs ${LLt[i][j]} from the factor): edit one of them and delete the other`);
            }
          }
        }
      }
    } else if (!(p.name in obj)) continue;
    else if (n !== undefined && p.structure === "psd" && isMatrix(obj[p.name], n, n)) {
      const L = choleskyPsd(obj[p.name] as number[][]);
      if (typeof L === "string") throw new Error(`\`${p.name}\` ${L}`);
      entries = [];
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) entries.push(L[i][j]);
    } else if (n !== undefined) {
      // factor as L (n x n); old format: the raw lower-triangle entries (psd included)
      entries = readFactor(p.name, n, p.size, obj[p.name]);
    } else if (p.structure === "diag" && isMatrix(obj[p.name], p.size, p.size)) {
      const D = obj[p.name] as number[][];
      entries = [];
      for (let i = 0; i < p.size; i++) {
        for (let j = 0; j < p.size; j++) if (i !== j && D[i][j] !== 0) throw new Error(`\`${p.name}\` is diagonal: entry [${i},${j}] must be 0, not ${D[i][j]}`);
        entries.push(D[i][i]);
      }
    } else {
      const value = obj[p.name];
      if (p.structure === "matrix" && Array.isArray(value) && value.some(Array.isArray) && !isMatrix(value, p.rows, p.cols)) {
        throw new Error(`parameter \`${p.name}\` needs a ${p.rows}x${p.cols} matrix of finite numbers, got ${shape(value)}`);
      }
      // a scalar, vector or diag is a number or one flat array (a matrix may also be given flat, the
      // old format); a nested array there is a shape the parameter does not have
      if (p.structure !== "matrix" && Array.isArray(value) && value.some(Array.isArray)) {
        throw new Error(`parameter \`${p.name}\` needs ${p.size === 1 && p.structure === "scalar" ? "a finite number" : `an array of ${p.size} finite numbers`}, got ${shape(value)}`);
      }
      const flat = flatten(value);
      if (flat.length !== p.size || !flat.every(isNum)) {
        // say what was found: the count, else the first entry that is no finite number
        const bad = flat.findIndex((x) => !isNum(x));
        const got = flat.length !== p.size ? `got ${Array.isArray(value) ? shape(value) : typeof value}` : `got ${thetaEntryName(p, bad)} = ${entryText(flat[bad])}`;
        throw new Error(`parameter \`${p.name}\` needs ${p.size} finite number(s), ${got}`);
      }
      entries = flat as number[];
    }
    for (let i = 0; i < p.size; i++) theta[p.offset + i] = entries[i];
  }
  return theta;
}

/** Name of theta entry `i` of `p`: A[0,1], x_lb[1], V0, Q[1] (diag), L[1,0] (factor), P.factor[1,0] (psd). */
export function thetaEntryName(p: Layout, i: number): string {
  const n = triangleOrder(p);
  if (n !== undefined) {
    let r = 0;
    while (((r + 1) * (r + 2)) / 2 <= i) r++;
    const c = i - (r * (r + 1)) / 2;
    return `${p.name}${p.structure === "psd" ? FACTOR_SUFFIX : ""}[${r},${c}]`;
  }
  if (p.size === 1 && p.structure !== "matrix" && p.structure !== "vector" && p.structure !== "diag") return p.name;
  if (p.structure === "matrix" && p.size === p.rows * p.cols) return `${p.name}[${Math.floor(i / p.cols)},${i % p.cols}]`;
  return `${p.name}[${i}]`;
}

/** Names of theta's entries, in theta's order (see thetaEntryName). */
export function thetaNames(layout: readonly Layout[]): string[] {
  const names: string[] = [];
  for (const p of layout) for (let i = 0; i < p.size; i++) names.push(thetaEntryName(p, i));
  return names;
}

/**
 * The parameter layout as plain JSON (summary.json `settings.paramLayout`): enough to map theta
 * (checkpoint.json, params-history.jsonl `theta`) to the declared parameters without the spec.
 */
export interface ParamLayoutJson {
  readonly name: string;
  readonly structure: ParamLayout["structure"];
  /** Shape of the value the parameter defines (diag, factor, psd: n x n). */
  readonly shape: [number, number];
  readonly offset: number;
  readonly size: number;
  /** Box bounds per theta entry; null where unbounded. */
  readonly lower: (number | null)[];
  readonly upper: (number | null)[];
}

export function paramLayoutJson(layout: readonly ParamLayout[]): ParamLayoutJson[] {
  const fin = (a: ArrayLike<number>): (number | null)[] => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
  return layout.map((p) => ({ name: p.name, structure: p.structure, shape: definedShape(p), offset: p.offset, size: p.size, lower: fin(p.lower), upper: fin(p.upper) }));
}

/** params.json text: one parameter per line, a matrix one row per line (still plain JSON). */
export function formatParamsJson(json: ParamsJson): string {
  const v = (x: ParamValue, indent: string): string => {
    if (typeof x === "number") return JSON.stringify(x);
    if (x.length > 0 && Array.isArray(x[0])) return `[\n${(x as number[][]).map((r) => `${indent}  ${JSON.stringify(r)}`).join(",\n")}\n${indent}]`;
    return JSON.stringify(x);
  };
  const keys = Object.keys(json);
  if (keys.length === 0) return "{}\n";
  return `{\n${keys.map((k) => `  ${JSON.stringify(k)}: ${v(json[k], "  ")}`).join(",\n")}\n}\n`;
}
