// Learnable parameters between the flat theta vector and readable JSON: one field per declared
// parameter, scalars as numbers, vectors as arrays, matrices as nested row-major arrays.

import type { ParamLayout } from "../mpc/types.js";

export type ParamValue = number | number[] | number[][];
export type ParamsJson = Record<string, ParamValue>;

export function thetaToJson(layout: readonly ParamLayout[], theta: ArrayLike<number>): ParamsJson {
  const out: ParamsJson = {};
  for (const p of layout) {
    const v = Array.from({ length: p.size }, (_, i) => theta[p.offset + i]);
    if (p.structure === "scalar" || p.size === 1 && p.rows === 1 && p.cols === 1) out[p.name] = v[0];
    else if (p.structure === "matrix" && p.cols > 1 && p.rows > 1 && p.size === p.rows * p.cols) {
      out[p.name] = Array.from({ length: p.rows }, (_, r) => v.slice(r * p.cols, (r + 1) * p.cols));
    } else out[p.name] = v;
  }
  return out;
}

/** Reads params JSON into theta (starting from `base`); errors name the offending parameter. */
export function jsonToTheta(layout: readonly ParamLayout[], json: unknown, base: ArrayLike<number>): Float64Array {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new Error("the parameters file must hold a JSON object with one field per learnable parameter");
  }
  const obj = json as Record<string, unknown>;
  const theta = Float64Array.from(base);
  const known = new Set(layout.map((p) => p.name));
  for (const k of Object.keys(obj)) {
    if (!known.has(k)) throw new Error(`unknown parameter \`${k}\` (the controller's are: ${[...known].join(", ")})`);
  }
  for (const p of layout) {
    if (!(p.name in obj)) continue;
    const flat = ([] as unknown[]).concat(...([obj[p.name]] as unknown[][])).flat(2);
    if (flat.length !== p.size || !flat.every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw new Error(`parameter \`${p.name}\` needs ${p.size} finite number(s)`);
    }
    for (let i = 0; i < p.size; i++) theta[p.offset + i] = flat[i] as number;
  }
  return theta;
}

/** Names of theta's entries, e.g. A[0,1], x_lb[1], V0. */
export function thetaNames(layout: readonly ParamLayout[]): string[] {
  const names: string[] = [];
  for (const p of layout) {
    for (let i = 0; i < p.size; i++) {
      if (p.size === 1) names.push(p.name);
      else if (p.structure === "matrix" && p.rows > 1 && p.cols > 1) names.push(`${p.name}[${Math.floor(i / p.cols)},${i % p.cols}]`);
      else names.push(`${p.name}[${i}]`);
    }
  }
  return names;
}
