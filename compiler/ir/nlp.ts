// The IR of a nonlinear controller (`solver sqp` / `solver rti`): the optimal control problem of
// runtime/nmpc/types.ts (`OcpModel`) as expression nodes of one ExprPool over ONE stage's leaves
// (x, u: `x`/`u` nodes), the learnable parameters (`theta`) and the runtime values (`rt`). Each stage
// k = 0..N-1 and the terminal node k = N has its own node lists; stages whose lists are identical
// (the common case: no `k` in the expressions) share node ids, which the emitter and the in-process
// model use to evaluate one body for all of them. Jacobians and Hessians are derived symbolically
// from these nodes (ExprPool.diffLeaf) by whoever evaluates them, so the IR holds only values.

import type { ExprPool } from "./expr.js";
import type { IrParam, IrRuntime } from "../ir.js";

/** The rows and terms of one stage. */
export interface NlpStageIr {
  /** Least-squares residual rows r_k (cost |r_k|^2). */
  readonly residual: readonly number[];
  /** The general smooth cost g_k (a scalar node; affine and convex quadratic terms, `initial`
   *  terms at k = 0, and with `hessian exact` any smooth term). */
  readonly general: number;
  /** Hard rows h_k <= 0; the constant -1 where a row does not apply at this stage (its Jacobian is
   *  zero, so the row and its linearization hold strictly and its multiplier is 0). */
  readonly hard: readonly number[];
  /** Per hard row: an equality h_k = 0 at this stage (false where the row does not apply). */
  readonly hardEquality: readonly boolean[];
  /** Soft rows c_k <= eps_k (stage-dependent penalty weights folded in); -1 where not applied. */
  readonly soft: readonly number[];
  /** Per soft row, the factor of its L2 weight at this stage (OcpModel SoftConstraint.weight): the
   *  learnable quadratic weight w of `penalty quadratic w` (its row is then e - hi, not folded with
   *  sqrt(w), whose derivative is infinite at w = 0), the constant 1 elsewhere. Absent when no
   *  soft row of these stages has a learnable quadratic weight. */
  readonly softWeight?: readonly number[];
}

export type NlpIntegrator = { readonly kind: "discrete" } | { readonly kind: "rk4" | "euler"; readonly dt: number; readonly substeps: number };

export interface NlpIr {
  readonly kind: "nlp";
  readonly name: string;
  readonly fileName: string;
  /** Declared states (the plant's); the OcpModel has nx + carriedInputs.length (the carried
   *  previous inputs of `prev` last), and so have the stage functions' x and xLower/xUpper. */
  readonly nx: number;
  readonly nu: number;
  readonly horizon: number;
  /** Input entries whose previous value is carried as states nx.. (OcpModel.carriedInputs);
   *  `dynamics` covers the declared nx states only. */
  readonly carriedInputs: readonly number[];
  /** `prev(u)` in the dynamics (an input delay): `dynamics` reads the carried states too
   *  (OcpModel.dynamicsReadsCarried; its x has nx + carriedInputs.length entries). */
  readonly dynamicsReadsCarried: boolean;
  /** The `discount` setting (reported to learners; discounting in the cost is explicit, gamma^k). */
  readonly discount: number;
  readonly method: "sqp" | "rti";
  readonly hessian: "gauss_newton" | "exact";
  /** The `solver` item's options (absent: the runtime's defaults). */
  readonly maxIterations?: number;
  readonly tolerance?: number;
  readonly stateNames: readonly { readonly name: string; readonly size: number }[];
  readonly inputNames: readonly { readonly name: string; readonly size: number }[];
  readonly pool: ExprPool;
  readonly params: readonly IrParam[];
  readonly nTheta: number;
  readonly runtime: readonly IrRuntime[];
  readonly nRuntime: number;
  /** f(x, u, theta, rt): x' (continuous, `der(x) = ...`) or x_{k+1} (discrete), of the declared states. */
  readonly dynamics: readonly number[];
  readonly integrator: NlpIntegrator;
  /** Stages 0..N-1 (same row counts in every stage). */
  readonly stages: readonly NlpStageIr[];
  /** The terminal node k = N (no input; its soft rows are the OcpModel's terminal soft constraint). */
  readonly terminal: NlpStageIr;
  /** Penalty weights per soft row of stages 0..N-1: L1 and L2 (>= 0). */
  readonly softL1: readonly number[];
  readonly softL2: readonly number[];
  /** Penalty weights per terminal soft row (k = N). */
  readonly terminalSoftL1: readonly number[];
  readonly terminalSoftL2: readonly number[];
  /** Constant box bounds: states per node ((N+1) (nx + carried); node 0 unused), inputs per stage (N nu). */
  readonly xLower: readonly number[];
  readonly xUpper: readonly number[];
  readonly uLower: readonly number[];
  readonly uUpper: readonly number[];
  /** Input bounds of u_0 (for fallbacks and documentation). */
  readonly u0Lower: readonly number[];
  readonly u0Upper: readonly number[];
}

/** OcpModel.constraintLower of these stages (row-major by stage): 0 on an equality row, -Infinity
 *  on a row h <= 0. */
export function hardLower(stages: readonly NlpStageIr[]): number[] {
  return stages.flatMap((s) => s.hardEquality.map((e) => (e ? 0 : -Infinity)));
}
