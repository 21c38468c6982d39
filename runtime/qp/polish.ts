// Solution polishing (Stellato et al. 2020, section 4): guess the active set from the ADMM
// iterate, solve the equality-constrained QP on it through a regularized KKT system, refine
// iteratively against the unregularized system. Works on the scaled data.
//
// The KKT system is the one layer of kkt.ts (`ActiveKkt`): the all-rows pattern of the ADMM
// solver's own KKT matrix with its fill-reducing ordering, inactive rows decoupled (-1 diagonal,
// zero values). So one symbolic analysis per solver serves every guessed active set.

import type { Csc } from "../sparse/csc.js";
import { ActiveKkt, samePattern, type KktPattern } from "./kkt.js";

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
  /** Fill-reducing ordering of the full KKT matrix (new -> old over n + m), reused as is. */
  readonly kktPerm?: Int32Array;
  /** The full KKT pattern of P and A (the ADMM solver's), reused as is. */
  readonly kktPattern?: KktPattern;
}

/** Outputs (preallocated by the caller): polished x, y (length m, 0 on inactive rows). */
export interface PolishOutput {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** Keeps one ActiveKkt (symbolic analysis once per pattern) and its work vectors. */
export class Polisher {
  private kkt: ActiveKkt | null = null;
  private key = new Int8Array(0);
  private rhs = new Float64Array(0);
  private sol = new Float64Array(0);
  private res = new Float64Array(0);

  /** Returns false when the KKT system cannot be factored (the caller keeps the ADMM solution). */
  run(inp: PolishInput, out: PolishOutput, strict = false): boolean {
    const { n, m, P, A, q, l, u, z, y } = inp;
    let kkt = this.kkt;
    if (kkt === null || kkt.n !== n || kkt.m !== m || !samePattern(kkt.P, P) || !samePattern(kkt.A, A)) {
      const perm = inp.kktPerm !== undefined && inp.kktPerm.length === n + m ? inp.kktPerm : undefined;
      const pattern = perm !== undefined && inp.kktPattern !== undefined && inp.kktPattern.n === n && inp.kktPattern.m === m ? inp.kktPattern : undefined;
      try {
        kkt = new ActiveKkt(P, A, perm === undefined ? {} : pattern === undefined ? { perm } : { perm, kkt: pattern });
      } catch {
        this.kkt = null;
        return false;
      }
      this.kkt = kkt;
      this.key = new Int8Array(m);
      this.rhs = new Float64Array(n + m);
      this.sol = new Float64Array(n + m);
      this.res = new Float64Array(n + m);
    }
    const { key, rhs, sol, res } = this;
    // active set: -1 lower, +1 upper, 0 inactive (OSQP polish.c form_Ared). With `strict`, only
    // rows whose multiplier is clearly nonzero (|y_i| > 1e-6 ||y||) or that are equalities count:
    // the second guess for degenerate problems, where OSQP's guess holds more rows than the
    // solution can satisfy.
    let thr = 0;
    if (strict) {
      for (let i = 0; i < m; i++) thr = Math.max(thr, Math.abs(y[i]));
      thr *= 1e-6;
    }
    for (let i = 0; i < m; i++) {
      key[i] = 0;
      if (z[i] - l[i] < -y[i] && (y[i] < -thr || l[i] === u[i])) key[i] = -1;
      else if (u[i] - z[i] < y[i] && (y[i] > thr || l[i] === u[i])) key[i] = 1;
    }
    if (!kkt.factor(P.values, A.values, key, inp.delta)) return false;
    const N = n + m;
    for (let j = 0; j < n; j++) rhs[j] = -q[j];
    for (let i = 0; i < m; i++) rhs[n + i] = key[i] === 0 ? 0 : key[i] < 0 ? l[i] : u[i];
    // the delta regularization is centred at the ADMM iterate, not at 0: where the reduced KKT
    // system is singular (degenerate LPs), the polished point then stays next to the ADMM one
    // instead of jumping along the null space (and across inactive constraints)
    sol.set(rhs);
    for (let j = 0; j < n; j++) sol[j] += inp.delta * inp.x[j];
    for (let i = 0; i < m; i++) if (key[i] !== 0) sol[n + i] -= inp.delta * y[i];
    kkt.solve(sol);
    // iterative refinement on the unregularized system [[P, A_S'], [A_S, 0]]: at least
    // refineIter steps (OSQP), then more (up to 20x) while the residual keeps shrinking, which
    // ill-conditioned P (e.g. Maros-Meszaros HS268) needs to get past the delta regularization
    let rhsNorm = 0;
    for (let k = 0; k < N; k++) rhsNorm = Math.max(rhsNorm, Math.abs(rhs[k]));
    kkt.refine(P.values, A.values, rhs, sol, res, 20 * Math.max(1, inp.refineIter), inp.refineIter, 1e-15 * rhsNorm, 0.9);
    for (let k = 0; k < N; k++) if (!Number.isFinite(sol[k])) return false;
    out.x.set(sol.subarray(0, n));
    for (let i = 0; i < m; i++) {
      if (key[i] === 0) {
        out.y[i] = 0;
        continue;
      }
      let v = sol[n + i];
      // a multiplier of the wrong sign means the guessed active set is wrong; the projection
      // shows up in the dual residual and polishing is then rejected
      if (l[i] !== u[i]) v = key[i] < 0 ? Math.min(v, 0) : Math.max(v, 0);
      out.y[i] = v;
    }
    return true;
  }
}
