// Discrete algebraic Riccati equation  X = A'XA - A'XB (R + B'XB)^{-1} B'XA + Q  and the LQR gain:
// the one DARE solver of mpcrl (the checker folds `dlqr` with it, the compiler lowers `dlqr` with
// it, so both give the same verdict).
//
// Method: the structured doubling algorithm (SDA): Chu, Fan, Lin & Wang, "Structure-preserving
// algorithms for periodic discrete-time algebraic Riccati equations", IJC 2004; and Huang, Li &
// Lin, "Structure-Preserving Doubling Algorithms for Nonlinear Matrix Equations", ch. 3.
//   A_{k+1} = A_k (I + G_k H_k)^{-1} A_k
//   G_{k+1} = G_k + A_k (I + G_k H_k)^{-1} G_k A_k'
//   H_{k+1} = H_k + A_k' H_k (I + G_k H_k)^{-1} A_k,  A_0 = A, G_0 = B R^{-1} B', H_0 = Q;  H_k -> X.
// It converges quadratically to the stabilizing solution when (A, B) is stabilizable and (A, Q)
// has no unobservable mode on the unit circle.
//
// Stability check: a result is accepted only if it is the stabilizing solution, i.e. the closed
// loop A - B K has spectral radius < 1 (`isSchurStable`), and its residual is at most
// 1e-8 * max(1, max|X_ij|). Total: every failure (bad shapes, non-finite data, R not positive
// definite, breakdown, divergence, an unstable closed loop) is `{ ok: false, reason }`, never an
// exception.

import { add, allFinite, cholesky, dense, identity, isSchurStable, matmul, maxAbs, solve, symmetrize, transpose, type Dense, type DenseLike } from "./dense.js";

export type DareResult =
  | { readonly ok: true; readonly X: Dense; readonly K: Dense; readonly residual: number; readonly iterations: number }
  | { readonly ok: false; readonly reason: string };

export function dare(A: DenseLike, B: DenseLike, Q: DenseLike, R: DenseLike, maxIter = 100): DareResult {
  const n = A.rows;
  const m = B.cols;
  if (A.cols !== n || B.rows !== n || Q.rows !== n || Q.cols !== n || R.rows !== m || R.cols !== m) {
    return { ok: false, reason: "dimensions of A, B, Q, R do not agree" };
  }
  if (!allFinite(A.data) || !allFinite(B.data) || !allFinite(Q.data) || !allFinite(R.data)) return { ok: false, reason: "A, B, Q and R must have finite entries" };
  if (cholesky(R) === undefined) return { ok: false, reason: "R is not positive definite" };
  const Bt = transpose(B);
  const RinvBt = solve(R, Bt);
  if (RinvBt === undefined) return { ok: false, reason: "R is singular" };
  let Ak = dense(n, n, A.data);
  let Gk = matmul(B, RinvBt);
  let Hk = symmetrize(Q);
  const I = identity(n);
  let it = 0;
  for (; it < maxIter; it++) {
    const W = add(I, matmul(Gk, Hk));
    const WinvA = solve(W, Ak);
    const WinvG = solve(W, Gk);
    if (WinvA === undefined || WinvG === undefined) return { ok: false, reason: "no stabilizing solution: the doubling iteration broke down (singular I + G H)" };
    const Akt = transpose(Ak);
    const Anext = matmul(Ak, WinvA);
    const Gnext = symmetrize(add(Gk, matmul(matmul(Ak, WinvG), Akt)));
    // H_{k+1} = H_k + A_k' H_k (I + G_k H_k)^{-1} A_k
    const Hnext = symmetrize(add(Hk, matmul(matmul(Akt, Hk), WinvA)));
    const change = maxAbs(add(Hnext, Hk, -1));
    Ak = Anext;
    Gk = Gnext;
    Hk = Hnext;
    if (!Number.isFinite(maxAbs(Hk))) return { ok: false, reason: "no stabilizing solution: the doubling iteration diverged ((A, B) is not stabilizable)" };
    if (change <= 1e-14 * Math.max(1, maxAbs(Hk))) break;
  }
  const X = Hk;
  const K = lqrGain(A, B, R, X);
  if (K === undefined) return { ok: false, reason: "R + B'XB is singular" };
  if (!isSchurStable(add(A, matmul(B, K), -1))) {
    return { ok: false, reason: "no stabilizing solution: A - B K is not stable ((A, B) not stabilizable or (A, Q) has unobservable modes on the unit circle)" };
  }
  const residual = dareResidual(A, B, Q, R, X);
  if (!(residual <= 1e-8 * Math.max(1, maxAbs(X)))) return { ok: false, reason: `the doubling iteration did not converge (residual ${residual.toExponential(2)})` };
  return { ok: true, X, K, residual, iterations: it + 1 };
}

/** K = (R + B'XB)^{-1} B'XA, so that u = -K x; undefined when R + B'XB is singular. */
export function lqrGain(A: DenseLike, B: DenseLike, R: DenseLike, X: DenseLike): Dense | undefined {
  const BtX = matmul(transpose(B), X);
  return solve(add(R, matmul(BtX, B)), matmul(BtX, A));
}

/** max |A'XA - A'XB (R + B'XB)^{-1} B'XA + Q - X|. */
export function dareResidual(A: DenseLike, B: DenseLike, Q: DenseLike, R: DenseLike, X: DenseLike): number {
  const At = transpose(A);
  const AtXA = matmul(matmul(At, X), A);
  const AtXB = matmul(matmul(At, X), B);
  const K = lqrGain(A, B, R, X);
  if (K === undefined) return Infinity;
  const rhs = add(add(AtXA, matmul(AtXB, K), -1), Q);
  return maxAbs(add(rhs, X, -1));
}
