// Numeric static checks that need numbers (at the initial parameters and default runtime values):
// the cost Hessian is PSD, and the constraint set is nonempty at the plant's initial state
// (a phase-1 problem: the same constraints with zero cost, solved by the runtime QP solver).

import type { ControllerBlock } from "../../language/ast.js";
import type { Diagnostic } from "../../language/diagnostics.js";
import { SparseLdl } from "../../runtime/linalg/ldl.js";
import { QpSolver } from "../../runtime/qp/osqp.js";
import { dataLayout, type QpTemplate } from "../../runtime/mpc/template.js";
import { CompilerCodes } from "./errors.js";

/** The state the phase-1 check starts from; `random`: the center of a random initial state. */
export interface InitialStateForCheck {
  readonly value: readonly number[];
  readonly random: boolean;
}

export function numericChecks(t: QpTemplate, block: ControllerBlock, initialState: InitialStateForCheck | undefined): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const L = dataLayout(t);
  const d = new Float64Array(L.length);
  const rt = new Float64Array(t.nRuntime);
  for (const r of t.runtime) rt.set(r.defaultValue, r.offset);
  t.fill(t.theta0, rt, d);
  const objective = block.items.find((i) => i.kind === "Objective");
  const constraints = block.items.filter((i) => i.kind === "SubjectTo");
  // Hessian PSD: a symmetric diagonally dominant P with a nonnegative diagonal is PSD (Gershgorin),
  // which settles the usual diagonal weights at once; otherwise the inertia of a sparse LDL' of
  // P + eps I (any size: no dense matrix is formed).
  const n = t.n;
  if (!d.every((v) => !Number.isNaN(v))) {
    diags.push({ severity: "error", code: CompilerCodes.notConstant, message: "the QP data has NaN entries at the initial parameters", span: (objective ?? block).span });
    return diags;
  }
  if (!diagonallyDominant(t, d, L.P) && !positiveSemidefinite(t, d, L.P)) {
    diags.push({
      severity: "error",
      code: CompilerCodes.nonconvex,
      message: "the cost Hessian is not positive semidefinite at the initial parameters",
      span: (objective ?? block).span,
      notes: ["the QP solver needs a convex cost: check the signs of quadratic terms and of learnable weights"],
    });
  }
  if (initialState !== undefined && initialState.value.length === t.nx && t.m > 0) {
    const x0 = initialState.value;
    const l = d.slice(L.l, L.u);
    const u = d.slice(L.u, L.c);
    for (let i = 0; i < t.nx; i++) {
      l[t.x0Rows[i]] = x0[i];
      u[t.x0Rows[i]] = x0[i];
    }
    const solver = new QpSolver(
      {
        n,
        m: t.m,
        P: { rows: n, cols: n, colPtr: new Int32Array(n + 1), rowIdx: new Int32Array(0), values: new Float64Array(0) },
        q: new Float64Array(n),
        A: { rows: t.m, cols: n, colPtr: t.A.colPtr, rowIdx: t.A.rowIdx, values: d.slice(L.A, L.l) },
        l,
        u,
      },
      { epsAbs: 1e-7, epsRel: 1e-7, maxIter: 20000 },
    );
    const res = solver.solve();
    if (res.status === "primal_infeasible") {
      const all = constraints.flatMap((c) => (c.kind === "SubjectTo" ? [...c.constraints] : []));
      const first = all[0];
      diags.push({
        severity: "error",
        code: CompilerCodes.infeasible,
        message: initialState.random
          ? `the constraints are infeasible at [${x0.join(", ")}], the center of the plant's random initial state, with the initial parameters`
          : `the constraints are infeasible at the plant's initial state [${x0.join(", ")}] with the initial parameters`,
        span: (first ?? block).span,
        related: all.slice(1).map((c) => ({ span: c.span, label: "also in the constraint set" })),
        notes: [
          "phase-1 check: the dynamics, bounds and constraints admit no trajectory from this state",
          ...(initialState.random ? ["the plant's initial state is random: the check uses the midpoint of each uniform entry and the mean of each normal one"] : []),
          "consider soft constraints (`soft ... penalty linear w`)",
        ],
      });
    }
  }
  return diags;
}

/** Gershgorin: every diagonal entry >= the sum of |off-diagonal| entries of its row. */
function diagonallyDominant(t: QpTemplate, d: Float64Array, offset: number): boolean {
  const diag = new Float64Array(t.n);
  const off = new Float64Array(t.n);
  for (let j = 0; j < t.n; j++) {
    for (let k = t.P.colPtr[j]; k < t.P.colPtr[j + 1]; k++) {
      const i = t.P.rowIdx[k];
      const v = d[offset + k];
      if (i === j) diag[i] += v;
      else {
        off[i] += Math.abs(v);
        off[j] += Math.abs(v);
      }
    }
  }
  for (let i = 0; i < t.n; i++) if (!(diag[i] >= off[i])) return false;
  return true;
}

/** P (upper triangle in the template's pattern) is PSD up to eps = 1e-9 max(1, max|P_ij|): P + eps I
 *  is positive definite, i.e. a sparse LDL' of it (fill-reducing order; no pivoting is needed for a
 *  definite matrix) has only positive pivots (Sylvester's law of inertia). A zero pivot or a negative
 *  one means P has an eigenvalue below -eps (up to round-off). */
export function positiveSemidefinite(t: QpTemplate, d: Float64Array, offset: number): boolean {
  const n = t.n;
  if (n === 0) return true;
  // the upper triangle with a full diagonal (an entry below it is moved to its mirror position)
  const cols: { i: number; v: number }[][] = Array.from({ length: n }, (_, j) => [{ i: j, v: 0 }]);
  let scale = 0;
  for (let j = 0; j < n; j++) {
    for (let k = t.P.colPtr[j]; k < t.P.colPtr[j + 1]; k++) {
      const i = t.P.rowIdx[k];
      const v = d[offset + k];
      scale = Math.max(scale, Math.abs(v));
      if (i === j) cols[j][0].v += v;
      else cols[Math.max(i, j)].push({ i: Math.min(i, j), v });
    }
  }
  const colPtr = new Int32Array(n + 1);
  const rows: number[] = [];
  const vals: number[] = [];
  for (let j = 0; j < n; j++) {
    const c = cols[j].sort((a, b) => a.i - b.i);
    for (const e of c) {
      if (rows.length > colPtr[j] && rows[rows.length - 1] === e.i) vals[vals.length - 1] += e.v;
      else {
        rows.push(e.i);
        vals.push(e.v);
      }
    }
    colPtr[j + 1] = rows.length;
  }
  const eps = 1e-9 * Math.max(1, scale);
  for (let j = 0; j < n; j++) vals[colPtr[j + 1] - 1] += eps; // the diagonal is last in its column
  const ldl = new SparseLdl({ rows: n, cols: n, colPtr, rowIdx: Int32Array.from(rows) });
  return ldl.factor(vals) && ldl.negativePivots === 0;
}
