// Solution polishing (Stellato et al. 2020, section 4): guess the active set from the ADMM
// iterate, solve the equality-constrained QP on it through a regularized reduced KKT system,
// refine iteratively against the unregularized system. Works on the scaled data.

import { SparseLdl } from "../linalg/ldl.js";
import type { Csc } from "../sparse/csc.js";
import { buildKktPattern, selectRows, type KktPattern } from "./kkt.js";

export interface PolishInput {
  readonly n: number;
  readonly m: number;
  readonly P: Csc; // scaled, upper
  readonly A: Csc; // scaled
  readonly q: Float64Array;
  readonly l: Float64Array;
  readonly u: Float64Array;
  readonly x: Float64Array; // ADMM iterate
  readonly z: Float64Array;
  readonly y: Float64Array;
  readonly delta: number;
  readonly refineIter: number;
  /**
   * Fill-reducing ordering of the full KKT matrix (new -> old over n + m). The reduced KKT is a
   * principal submatrix of it, so the induced ordering is used and no new ordering is computed.
   */
  readonly kktPerm?: Int32Array;
}

/** Outputs (preallocated by the caller): polished x, y (length m, 0 on inactive rows). */
export interface PolishOutput {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** Caches the symbolic analysis of the last reduced KKT when the active set repeats. */
export class Polisher {
  private lastKey: Int8Array | null = null;
  private ldl: SparseLdl | null = null;
  private kkt: KktPattern | null = null;
  private ared: Csc | null = null;
  private rows = new Int32Array(0);
  private count = 0;

  /** Returns false when the reduced system cannot be factored (the caller keeps the ADMM solution). */
  run(inp: PolishInput, out: PolishOutput, strict = false): boolean {
    const { n, m, P, A, q, l, u, z, y } = inp;
    // active set: -1 lower, +1 upper, 0 inactive (OSQP polish.c form_Ared). With `strict`, only
    // rows whose multiplier is clearly nonzero (|y_i| > 1e-6 ||y||) or that are equalities count:
    // the second guess for degenerate problems, where OSQP's guess holds more rows than the
    // solution can satisfy.
    let thr = 0;
    if (strict) {
      for (let i = 0; i < m; i++) thr = Math.max(thr, Math.abs(y[i]));
      thr *= 1e-6;
    }
    const key = new Int8Array(m);
    for (let i = 0; i < m; i++) {
      if (z[i] - l[i] < -y[i] && (y[i] < -thr || l[i] === u[i])) key[i] = -1;
      else if (u[i] - z[i] < y[i] && (y[i] > thr || l[i] === u[i])) key[i] = 1;
    }
    let same = this.lastKey !== null && this.lastKey.length === m && this.ared !== null && this.ared.cols === n;
    if (same && this.lastKey) for (let i = 0; i < m && same; i++) if (this.lastKey[i] !== key[i]) same = false;
    if (!same || !this.ldl || !this.kkt || !this.ared) {
      const rows = new Int32Array(m);
      let count = 0;
      for (let i = 0; i < m; i++) if (key[i] !== 0) rows[count++] = i;
      this.rows = rows;
      this.count = count;
      this.ared = selectRows(A, rows, count);
      this.kkt = buildKktPattern(P, this.ared);
      let perm: Int32Array | undefined;
      if (inp.kktPerm && inp.kktPerm.length === n + m) {
        const newRow = new Int32Array(m).fill(-1);
        for (let k = 0; k < count; k++) newRow[rows[k]] = k;
        perm = new Int32Array(n + count);
        let t = 0;
        for (let k = 0; k < n + m; k++) {
          const o = inp.kktPerm[k];
          if (o < n) perm[t++] = o;
          else if (newRow[o - n] >= 0) perm[t++] = n + newRow[o - n];
        }
      }
      try {
        this.ldl = new SparseLdl(this.kkt.pattern, perm);
      } catch {
        this.lastKey = null;
        return false;
      }
      this.lastKey = key;
    } else {
      // same rows, possibly new values of A
      const ared = selectRows(A, this.rows, this.count);
      this.ared = ared;
    }
    const { ldl, kkt, rows, count } = this;
    const ared = this.ared;
    const N = n + count;
    const vals = new Float64Array(kkt.nnz);
    for (let p = 0; p < kkt.pMap.length; p++) vals[kkt.pMap[p]] = P.values[p];
    for (let j = 0; j < n; j++) vals[kkt.pDiag[j]] += inp.delta;
    for (let p = 0; p < kkt.aMap.length; p++) vals[kkt.aMap[p]] = ared.values[p];
    for (let i = 0; i < count; i++) vals[kkt.rhoDiag[i]] = -inp.delta;
    if (!ldl.factor(vals)) return false;
    const rhs = new Float64Array(N);
    for (let j = 0; j < n; j++) rhs[j] = -q[j];
    for (let k = 0; k < count; k++) {
      const i = rows[k];
      rhs[n + k] = key[i] < 0 ? l[i] : u[i];
    }
    // the delta regularization is centred at the ADMM iterate, not at 0: where the reduced KKT
    // system is singular (degenerate LPs), the polished point then stays next to the ADMM one
    // instead of jumping along the null space (and across inactive constraints)
    const sol = rhs.slice();
    for (let j = 0; j < n; j++) sol[j] += inp.delta * inp.x[j];
    for (let k = 0; k < count; k++) sol[n + k] -= inp.delta * y[rows[k]];
    ldl.solve(sol);
    // iterative refinement on the unregularized system [[P, Ared'], [Ared, 0]]: at least
    // refineIter steps (OSQP), then more (up to 20x) while the residual keeps shrinking, which
    // ill-conditioned P (e.g. Maros-Meszaros HS268) needs to get past the delta regularization
    const res = new Float64Array(N);
    let rhsNorm = 0;
    for (let k = 0; k < N; k++) rhsNorm = Math.max(rhsNorm, Math.abs(rhs[k]));
    let prevNorm = Infinity;
    const maxSteps = 20 * Math.max(1, inp.refineIter);
    for (let it = 0; it < maxSteps; it++) {
      kktMul(P, ared, n, sol, res);
      let norm = 0;
      for (let k = 0; k < N; k++) {
        res[k] = rhs[k] - res[k];
        norm = Math.max(norm, Math.abs(res[k]));
      }
      if (it >= inp.refineIter && (norm > 0.9 * prevNorm || norm <= 1e-15 * rhsNorm)) break;
      prevNorm = norm;
      ldl.solve(res);
      for (let k = 0; k < N; k++) sol[k] += res[k];
    }
    for (let k = 0; k < N; k++) if (!Number.isFinite(sol[k])) return false;
    out.x.set(sol.subarray(0, n));
    out.y.fill(0);
    for (let k = 0; k < count; k++) {
      const i = rows[k];
      let v = sol[n + k];
      // a multiplier of the wrong sign means the guessed active set is wrong; the projection
      // shows up in the dual residual and polishing is then rejected
      if (l[i] !== u[i]) v = key[i] < 0 ? Math.min(v, 0) : Math.max(v, 0);
      out.y[i] = v;
    }
    return true;
  }
}

/** out = [[P, Ared'], [Ared, 0]] sol with P symmetric given by its upper triangle. */
function kktMul(P: Csc, Ared: Csc, n: number, sol: Float64Array, out: Float64Array): void {
  out.fill(0);
  for (let j = 0; j < n; j++) {
    const xj = sol[j];
    for (let p = P.colPtr[j]; p < P.colPtr[j + 1]; p++) {
      const i = P.rowIdx[p];
      out[i] += P.values[p] * xj;
      if (i !== j) out[j] += P.values[p] * sol[i];
    }
    for (let p = Ared.colPtr[j]; p < Ared.colPtr[j + 1]; p++) {
      const r = Ared.rowIdx[p];
      out[n + r] += Ared.values[p] * xj;
      out[j] += Ared.values[p] * sol[n + r];
    }
  }
}
