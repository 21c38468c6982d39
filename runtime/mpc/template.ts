// What a compiled controller hands the runtime: a parametric QP with a FIXED sparsity pattern.
//
//   minimize 0.5 z'Pz + q'z + c   subject to   l <= Az <= u
//
// Decision vector z = [x_0 .. x_N, u_0 .. u_{N-1}, slacks] (states block, inputs block, slacks).
// Data vector d = [P values (upper triangle, CSC order), q, A values (CSC order), l, u, c]: every
// number of the QP, as a function of theta (learnable parameters) and runtime values (references,
// forecasts, previous input). `fill` writes d; `jacValues` writes the nonzeros of d's Jacobian
// with respect to theta in the fixed COO pattern (jacRow = index into d, jacCol = theta index).
//
// Rows with a fixed role:
// - x0Rows[i]: an identity row on x_0[i]; fill writes 0 there, the controller sets l = u = x0.
// - u0Rows[j]: an identity row on u_0[j]; fill writes u_0's declared bounds (or -inf/+inf) there.
//   In Q-function mode the controller pins them (l = u = a), so V and Q share one pattern.
//   Whether Q keeps the declared bounds on u_0 is the controller's `firstInputBounds` option:
//   "removed" (default) ignores them; "kept" reports primal_infeasible when a violates them.

import type { CscPattern } from "../sparse/csc.js";
import type { ParamLayout } from "./types.js";

/** A runtime value given at each call (by name), e.g. `r` or `prev_u` for prev(u). */
export interface RuntimeLayout {
  readonly name: string;
  readonly size: number;
  /** Offset into the flat runtime vector. */
  readonly offset: number;
  /** Value used when a call does not give it. */
  readonly defaultValue: Float64Array;
  /**
   * Declared range per entry (`runtime r[2] = ... in [lo, hi]`), optional: the checker's proofs
   * assume it, so the controller refuses a call whose value lies outside (status invalid_input).
   * Absent: any finite value is accepted.
   */
  readonly lower?: Float64Array;
  readonly upper?: Float64Array;
  /**
   * For the slot of `prev(v)` at stage 0: the offset of input block v inside u (0 <= offset,
   * offset + size <= nu). Rollouts then feed it the previously applied input. Absent: a slot named
   * `prev_<v>` of size nu (the only input block) is recognized by its name.
   */
  readonly previousInput?: number;
}

export interface QpTemplate {
  /** Controller name from the spec. */
  readonly name: string;
  readonly nx: number;
  readonly nu: number;
  readonly horizon: number;
  readonly discount: number;
  /** Number of decision variables and constraint rows. */
  readonly n: number;
  readonly m: number;
  /** Upper triangle of P (n x n) and A (m x n). */
  readonly P: CscPattern;
  readonly A: CscPattern;
  /** z index of x_0[0] (states are stored stage by stage: x_k[i] at stateOffset + k*nx + i). */
  readonly stateOffset: number;
  /** z index of u_0[0] (u_k[j] at inputOffset + k*nu + j). */
  readonly inputOffset: number;
  readonly slackOffset: number;
  readonly nSlack: number;
  readonly x0Rows: Int32Array;
  readonly u0Rows: Int32Array;
  readonly params: readonly ParamLayout[];
  readonly nTheta: number;
  /** Initial (declared) theta. */
  readonly theta0: Float64Array;
  readonly runtime: readonly RuntimeLayout[];
  readonly nRuntime: number;
  /** COO pattern of d(data)/d(theta). */
  readonly jacRow: Int32Array;
  readonly jacCol: Int32Array;
  /** Writes the data vector d (length dataLength(template)). */
  fill(theta: Float64Array, runtime: Float64Array, out: Float64Array): void;
  /** Writes the values of the Jacobian entries (length jacRow.length). */
  jacValues(theta: Float64Array, runtime: Float64Array, out: Float64Array): void;
}

/** Offsets of each block inside the data vector d. */
export interface DataLayout {
  readonly P: number;
  readonly q: number;
  readonly A: number;
  readonly l: number;
  readonly u: number;
  readonly c: number;
  readonly length: number;
}

export function dataLayout(t: Pick<QpTemplate, "n" | "m" | "P" | "A">): DataLayout {
  const nP = t.P.colPtr[t.P.cols];
  const nA = t.A.colPtr[t.A.cols];
  const P = 0;
  const q = nP;
  const A = q + t.n;
  const l = A + nA;
  const u = l + t.m;
  const c = u + t.m;
  return { P, q, A, l, u, c, length: c + 1 };
}
