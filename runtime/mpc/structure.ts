// The controller's own one-step model and its first-stage state bounds, read off the parametric QP
// (template.ts) at any theta, so that learners can identify the model from data and tighten the
// bounds without the language front end (runtime/learn/identify.ts).
//
//   stage-0 dynamics rows (equalities):  E x_1 + F x_0 + G u_0 = d
//     =>  x_1 = M(theta) [x_0; u_0; 1],  M = E^{-1} [-F, -G, d]   (nx x (nx + nu + 1), row-major)
//   stage-1 bound rows (inequalities on one state, slacks aside):  l_r <= a_r x_1[i] (+ s) <= u_r
//     =>  bounds on x_1[i]: [l_r / a_r, u_r / a_r] (swapped when a_r < 0).
//
// The rows are found by their columns (z = [x_0..x_N, u_0..u_{N-1}, slacks], template.ts), not by
// their order, so the description holds for any linear controller the compiler emits. Runtime values
// (references, prev(u)) take their declared defaults.

import { luSolveMany } from "../linalg/dense.js";
import { dataLayout, type DataLayout, type QpTemplate } from "./template.js";

/** One stage-1 bound row on a single state entry. */
export interface StageOneBound {
  /** Row of A. */
  readonly row: number;
  /** The state entry x_1[state] it bounds. */
  readonly state: number;
  /** Its coefficient a_r on x_1[state] (the position in d's A values). */
  readonly coefPos: number;
}

export interface LinearStructure {
  readonly nx: number;
  readonly nu: number;
  readonly bounds: readonly StageOneBound[];
  /** Writes M(theta) = [A B c] (nx x (nx + nu + 1), row-major); false when E is singular. */
  dynamics(theta: Float64Array, out: Float64Array): boolean;
  /** Writes the stage-1 bounds of every bound row, in x_1 units (lower[k], upper[k] for bounds[k]). */
  stateBounds(theta: Float64Array, lower: Float64Array, upper: Float64Array): void;
}

/** Reads the structure of a linear controller's template; undefined when the stage-0 dynamics are not nx equality rows in x_0, u_0, x_1 with an invertible E. */
export function linearStructure(t: QpTemplate): LinearStructure | undefined {
  const layout = dataLayout(t);
  const { nx, nu } = t;
  const x0 = t.stateOffset;
  const x1 = t.stateOffset + nx;
  const u0 = t.inputOffset;
  const slack0 = t.slackOffset;
  const slack1 = t.slackOffset + t.nSlack;
  const role = (z: number): "x0" | "x1" | "u0" | "slack" | "other" =>
    z >= x0 && z < x0 + nx ? "x0" : z >= x1 && z < x1 + nx ? "x1" : z >= u0 && z < u0 + nu ? "u0" : z >= slack0 && z < slack1 ? "slack" : "other";
  // entries per row: (column, position in d)
  const rowCols: { col: number; pos: number }[][] = Array.from({ length: t.m }, () => []);
  for (let j = 0; j < t.n; j++) {
    for (let p = t.A.colPtr[j]; p < t.A.colPtr[j + 1]; p++) rowCols[t.A.rowIdx[p]].push({ col: j, pos: layout.A + p });
  }
  const data = new Float64Array(layout.length);
  const runtime = new Float64Array(t.nRuntime);
  for (const r of t.runtime) runtime.set(r.defaultValue, r.offset);
  t.fill(t.theta0, runtime, data);
  const fixed = new Set<number>([...t.x0Rows, ...t.u0Rows]);
  const dynRows: number[] = [];
  const bounds: StageOneBound[] = [];
  for (let r = 0; r < t.m; r++) {
    if (fixed.has(r)) continue;
    const cols = rowCols[r];
    if (cols.length === 0) continue;
    const roles = cols.map((c) => role(c.col));
    if (roles.includes("other") || !roles.includes("x1")) continue;
    const equality = data[layout.l + r] === data[layout.u + r];
    if (equality) {
      if (roles.includes("slack")) return undefined;
      dynRows.push(r);
    } else {
      const states = cols.filter((c) => role(c.col) === "x1");
      if (states.length !== 1 || roles.some((x) => x === "x0" || x === "u0")) continue;
      bounds.push({ row: r, state: states[0].col - x1, coefPos: states[0].pos });
    }
  }
  if (dynRows.length !== nx) return undefined;
  const w = nx + nu + 1;
  const E = new Float64Array(nx * nx);
  // the data is filled once per theta: the DPG safety filter asks for the model and the bounds at
  // the same theta every step
  const filledAt = new Float64Array(t.nTheta).fill(NaN);
  const fillAt = (theta: Float64Array): void => {
    let same = true;
    for (let j = 0; j < theta.length; j++) if (filledAt[j] !== theta[j]) same = false;
    if (same) return;
    t.fill(theta, runtime, data);
    filledAt.set(theta);
  };
  const dynamics = (theta: Float64Array, out: Float64Array): boolean => {
    fillAt(theta);
    // E M = [-F, -G, d]: one factorization of E for the nx + nu + 1 right-hand sides
    E.fill(0);
    out.fill(0);
    for (let i = 0; i < nx; i++) {
      const r = dynRows[i];
      for (const e of rowCols[r]) {
        const v = data[e.pos];
        const z = e.col;
        if (z >= x1 && z < x1 + nx) E[i * nx + (z - x1)] = v;
        else if (z >= x0 && z < x0 + nx) out[i * w + (z - x0)] = -v;
        else if (z >= u0 && z < u0 + nu) out[i * w + nx + (z - u0)] = -v;
      }
      out[i * w + w - 1] = data[layout.l + r];
    }
    if (!luSolveMany(E, out, nx, w)) return false;
    return out.every(Number.isFinite);
  };
  const stateBounds = (theta: Float64Array, lower: Float64Array, upper: Float64Array): void => {
    fillAt(theta);
    boundsFrom(data, layout, bounds, lower, upper);
  };
  return { nx, nu, bounds, dynamics, stateBounds };
}

function boundsFrom(data: Float64Array, layout: DataLayout, bounds: readonly StageOneBound[], lower: Float64Array, upper: Float64Array): void {
  for (let k = 0; k < bounds.length; k++) {
    const b = bounds[k];
    const a = data[b.coefPos];
    const lo = data[layout.l + b.row] / a;
    const hi = data[layout.u + b.row] / a;
    lower[k] = a > 0 ? lo : hi;
    upper[k] = a > 0 ? hi : lo;
  }
}
