// The compiler's intermediate representation: a parametric QP with a fixed sparsity pattern whose
// every datum is a node of one expression DAG (ir/expr.ts) over theta and runtime values. Both
// the emitter (straight-line TypeScript) and the in-process template (compiler/template.ts)
// evaluate the same nodes in the same order, so they give identical numbers.

import type { ParamLayout } from "../runtime/mpc/types.js";
import type { ExprPool } from "./ir/expr.js";

export interface IrRuntime {
  readonly name: string;
  readonly size: number;
  readonly offset: number;
  readonly defaultValue: readonly number[];
  /** Declared range per entry (`in [lo, hi]`): the runtime refuses values outside (the proofs assume it). */
  readonly lower?: readonly number[];
  readonly upper?: readonly number[];
  /** For the slot of `prev(v)`: the offset of input block v inside u (rollouts feed the applied input). */
  readonly previousInput?: number;
}

export interface IrParam extends ParamLayout {
  /** Declared initial value per theta entry. */
  readonly initial: readonly number[];
  /** Spec line of the declaration (1-based). */
  readonly line: number;
}

/** A sparse matrix pattern with one expression node per stored entry (CSC order). */
export interface IrCsc {
  readonly rows: number;
  readonly cols: number;
  readonly colPtr: readonly number[];
  readonly rowIdx: readonly number[];
  readonly nodes: readonly number[];
}

export interface IrJacEntry {
  /** Index into the data vector d. */
  readonly row: number;
  /** Theta index. */
  readonly col: number;
  readonly node: number;
}

export interface QpIr {
  readonly name: string;
  readonly fileName: string;
  readonly nx: number;
  readonly nu: number;
  readonly horizon: number;
  readonly discount: number;
  readonly n: number;
  readonly m: number;
  readonly stateOffset: number;
  readonly inputOffset: number;
  readonly slackOffset: number;
  readonly nSlack: number;
  readonly x0Rows: readonly number[];
  readonly u0Rows: readonly number[];
  readonly stateNames: readonly { readonly name: string; readonly size: number }[];
  readonly inputNames: readonly { readonly name: string; readonly size: number }[];
  readonly pool: ExprPool;
  readonly P: IrCsc;
  readonly A: IrCsc;
  readonly q: readonly number[];
  readonly l: readonly number[];
  readonly u: readonly number[];
  readonly c: number;
  /** The data vector d = [P values, q, A values, l, u, c] as nodes. */
  readonly data: readonly number[];
  /** Spec pointer per data entry ("file:line text") for comments in emitted code. */
  readonly dataOrigin: readonly (string | undefined)[];
  readonly jac: readonly IrJacEntry[];
  readonly params: readonly IrParam[];
  readonly nTheta: number;
  readonly runtime: readonly IrRuntime[];
  readonly nRuntime: number;
  /** Input bounds of u_0 at the initial parameters (for fallbacks and documentation). */
  readonly u0Lower: readonly number[];
  readonly u0Upper: readonly number[];
}
