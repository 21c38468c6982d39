// Active-set classification of the rows l <= Az <= u at a solution (z, y), sign convention of
// OSQP: y > 0 at an active upper bound, y < 0 at an active lower bound.

/** Row states stored in `QpSensitivity.rowState`. */
export const ROW_INACTIVE = 0;
export const ROW_LOWER = 1;
export const ROW_UPPER = 2;
export const ROW_EQUALITY = 3;

/** |bound| at or above this is infinite (data/README.md). */
export const INFINITE_BOUND = 1e20;

/** What to do with a weakly active row (on a bound with a zero multiplier). */
export type WeaklyActiveChoice = "inactive" | "active";

export interface RowCounts {
  active: number;
  weak: number;
}

/**
 * Classify each row. A row is an equality when u - l <= tol * max(1, |l|, |u|). Otherwise it is
 * active at a bound by OSQP's polishing rule (Stellato et al. 2020, section 5.4): lower-active when
 * (Az)_i - l_i < -y_i, upper-active when u_i - (Az)_i < y_i: this weighs the distance to the bound
 * against the multiplier and so tolerates both kinds of inaccuracy of an ADMM solution.
 * A row is weakly active when it sits on a bound (distance <= tol * max(1, |bound|)) while its
 * multiplier is negligible (|y_i| <= tol * max(1, |y|_inf)): strict complementarity fails there and
 * the solution map has a kink. Such rows are assigned by `weakChoice` and flagged in `weak`.
 *
 * `rowScale` (optional, for multipliers exact to round-off): the scale of each row's multiplier,
 * min over its entries A_ij of (the largest term of stationarity row j) / |A_ij|; the multiplier
 * test is then |y_i| <= tol * max(1, min(|y|_inf, rowScale_i)). Measured against |y|_inf alone, a
 * multiplier is "negligible" whenever another row's is 1e6 times larger: at an MPC state of 1e6 the
 * pins of x_0 carry multipliers ~1e7, and soft-constraint rows strictly active with multipliers
 * ~20 (their penalty weights) were called weakly active, their slacks left free, and the KKT matrix
 * reported singular. Never looser than the test without it.
 */
export function classifyRows(
  l: ArrayLike<number>,
  u: ArrayLike<number>,
  s: ArrayLike<number>,
  y: ArrayLike<number>,
  tol: number,
  weakChoice: WeaklyActiveChoice,
  state: Int8Array,
  weak: Uint8Array,
  rowScale?: ArrayLike<number>,
): RowCounts {
  const m = state.length;
  let yMax = 0;
  for (let i = 0; i < m; i++) yMax = Math.max(yMax, Math.abs(y[i]));
  const yTolMax = tol * Math.max(1, yMax);
  let active = 0;
  let weakCount = 0;
  for (let i = 0; i < m; i++) {
    const li = l[i];
    const ui = u[i];
    const si = s[i];
    const yi = y[i];
    const lowerFinite = li > -INFINITE_BOUND;
    const upperFinite = ui < INFINITE_BOUND;
    weak[i] = 0;
    if (lowerFinite && upperFinite && ui - li <= tol * Math.max(1, Math.abs(li), Math.abs(ui))) {
      state[i] = ROW_EQUALITY;
      active++;
      continue;
    }
    let st = ROW_INACTIVE;
    if (lowerFinite && si - li < -yi) st = ROW_LOWER;
    else if (upperFinite && ui - si < yi) st = ROW_UPPER;
    const yTol = rowScale === undefined ? yTolMax : tol * Math.max(1, Math.min(yMax, rowScale[i]));
    if (Math.abs(yi) <= yTol) {
      const nearLower = lowerFinite && Math.abs(si - li) <= tol * Math.max(1, Math.abs(li));
      const nearUpper = upperFinite && Math.abs(ui - si) <= tol * Math.max(1, Math.abs(ui));
      if (nearLower || nearUpper) {
        weak[i] = 1;
        weakCount++;
        if (weakChoice === "inactive") st = ROW_INACTIVE;
        else st = nearLower && (!nearUpper || Math.abs(si - li) <= Math.abs(ui - si)) ? ROW_LOWER : ROW_UPPER;
      }
    }
    state[i] = st;
    if (st !== ROW_INACTIVE) active++;
  }
  return { active, weak: weakCount };
}
