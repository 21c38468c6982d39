// Matrix exponential by scaling and squaring with a diagonal Pade approximant: the one expm of
// mpcrl (the compiler's zero-order-hold discretization of controllers and plants).
// Reference: Moler & Van Loan, "Nineteen dubious ways to compute the exponential of a matrix,
// twenty-five years later" (SIAM Review 2003), method 3; Golub & Van Loan, Algorithm 9.3.1.
// With ||A/2^s||_inf <= 1/2 and Pade degree q = 8 the relative error bound is about 1e-18.
// Misuse throws a RangeError (a non-square matrix, non-finite entries): callers pass finite
// square matrices (the compiler builds them from constants).

import { add, dense, identity, matmul, normInf, scale, solve, type Dense, type DenseLike } from "./dense.js";

export function expm(a: DenseLike): Dense {
  const n = a.rows;
  if (a.cols !== n) throw new RangeError("expm: matrix must be square");
  if (n === 0) return dense(0, 0);
  const nrm = normInf(a);
  if (!Number.isFinite(nrm)) throw new RangeError("expm: matrix has non-finite entries");
  const s = nrm > 0.5 ? Math.max(0, Math.ceil(Math.log2(nrm / 0.5))) : 0;
  const as = scale(a, 2 ** -s);
  const q = 8;
  let c = 1;
  let x: Dense = identity(n);
  let num = identity(n);
  let den = identity(n);
  for (let k = 1; k <= q; k++) {
    c = (c * (q - k + 1)) / (k * (2 * q - k + 1));
    x = matmul(as, x);
    num = add(num, x, c);
    den = add(den, x, k % 2 === 0 ? c : -c);
  }
  const e = solve(den, num);
  if (e === undefined) throw new RangeError("expm: Pade denominator is singular");
  let r = e;
  for (let k = 0; k < s; k++) r = matmul(r, r);
  return r;
}

