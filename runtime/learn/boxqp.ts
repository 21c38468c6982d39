// Exact solver for small dense box-constrained QPs:
//   minimize 0.5 d'Hd + c'd  subject to  lo <= d <= hi,   H symmetric positive definite.
// Primal active-set method (Nocedal & Wright 2006, Algorithm 16.3, specialized to bounds): on the
// free set solve H_FF p_F = -(Hd + c)_F, take the longest feasible step, add a blocking bound;
// at a stationary point release the bound whose multiplier has the wrong sign. Finite for PD H.
// Buffers are allocated once per dimension; a solve allocates nothing.

import { choleskyShifted as cholesky, cholSolve } from "../linalg/dense.js";

export type BoxQpStatus = "solved" | "infeasible" | "max_iterations" | "not_positive_definite";

export class BoxQp {
  private readonly grad: Float64Array;
  private readonly p: Float64Array;
  private readonly state: Int8Array; // 0 free, -1 at lower, +1 at upper
  private readonly free: Int32Array;
  private readonly Hff: Float64Array;
  private readonly Lff: Float64Array;
  private readonly rhs: Float64Array;
  private readonly sol: Float64Array;
  iterations = 0;

  constructor(readonly n: number) {
    this.grad = new Float64Array(n);
    this.p = new Float64Array(n);
    this.state = new Int8Array(n);
    this.free = new Int32Array(n);
    this.Hff = new Float64Array(n * n);
    this.Lff = new Float64Array(n * n);
    this.rhs = new Float64Array(n);
    this.sol = new Float64Array(n);
  }

  /** Solves into d (length n). H is row-major n x n. */
  solve(
    H: Float64Array,
    c: ArrayLike<number>,
    lo: ArrayLike<number>,
    hi: ArrayLike<number>,
    d: Float64Array,
  ): BoxQpStatus {
    const n = this.n;
    const { grad, p, state, free } = this;
    for (let i = 0; i < n; i++) {
      if (!(lo[i] <= hi[i])) return "infeasible";
      // Start from the projection of 0; a variable whose box is a single point is fixed.
      d[i] = Math.min(Math.max(0, lo[i]), hi[i]);
      state[i] = lo[i] === hi[i] ? -1 : 0;
    }
    const maxIter = 10 * n + 100;
    // After a full (unblocked) step d minimizes the QP on the current free set by construction;
    // then only the multipliers need checking (recomputing p would only see rounding noise).
    let atSubspaceMin = false;
    for (let it = 0; it < maxIter; it++) {
      this.iterations = it + 1;
      for (let i = 0; i < n; i++) {
        let s = c[i];
        for (let j = 0; j < n; j++) s += H[i * n + j] * d[j];
        grad[i] = s;
      }
      let nf = 0;
      for (let i = 0; i < n; i++) if (state[i] === 0) free[nf++] = i;
      let pNorm = 0;
      p.fill(0);
      if (nf > 0 && !atSubspaceMin) {
        for (let a = 0; a < nf; a++) {
          for (let b = 0; b < nf; b++) this.Hff[a * nf + b] = H[free[a] * n + free[b]];
          this.rhs[a] = -grad[free[a]];
        }
        if (!cholesky(this.Hff, nf, 0, this.Lff)) return "not_positive_definite";
        cholSolve(this.Lff, nf, this.rhs, this.sol);
        for (let a = 0; a < nf; a++) {
          p[free[a]] = this.sol[a];
          pNorm = Math.max(pNorm, Math.abs(this.sol[a]));
        }
      }
      let scale = 1;
      for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]));
      if (atSubspaceMin || pNorm <= 1e-14 * scale) {
        atSubspaceMin = false;
        // Stationary on the working set: check the bound multipliers (grad_i >= 0 at lower, <= 0 at upper).
        let worst = -1;
        let worstVal = 0;
        for (let i = 0; i < n; i++) {
          if (state[i] === 0 || lo[i] === hi[i]) continue;
          const viol = state[i] < 0 ? -grad[i] : grad[i];
          if (viol > worstVal) {
            worstVal = viol;
            worst = i;
          }
        }
        if (worst < 0 || worstVal <= 1e-13 * (1 + Math.abs(grad[worst]))) return "solved";
        state[worst] = 0;
        continue;
      }
      let alpha = 1;
      let block = -1;
      for (let i = 0; i < n; i++) {
        if (state[i] !== 0) continue;
        if (p[i] < 0 && lo[i] > -Infinity) {
          const t = (lo[i] - d[i]) / p[i];
          if (t < alpha) {
            alpha = t;
            block = i;
          }
        } else if (p[i] > 0 && hi[i] < Infinity) {
          const t = (hi[i] - d[i]) / p[i];
          if (t < alpha) {
            alpha = t;
            block = i;
          }
        }
      }
      if (alpha < 0) alpha = 0;
      for (let i = 0; i < n; i++) if (state[i] === 0) d[i] += alpha * p[i];
      if (block >= 0) {
        state[block] = p[block] < 0 ? -1 : 1;
        d[block] = p[block] < 0 ? lo[block] : hi[block];
      } else atSubspaceMin = true;
    }
    return "max_iterations";
  }
}
