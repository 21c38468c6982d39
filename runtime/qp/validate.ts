// Validation of a QP on entry: shapes, well-formed CSC, finite data, l <= u. Returns a message
// naming the offending row/column, or null. Never throws.

import { checkCsc } from "../sparse/ops.js";
import type { QpProblem } from "./types.js";
import { INFTY } from "./settings.js";

function isVec(v: unknown): v is ArrayLike<number> {
  return (v instanceof Float64Array || Array.isArray(v) || ArrayBuffer.isView(v)) && typeof (v as ArrayLike<number>).length === "number";
}

export function validateProblem(p: QpProblem): string | null {
  if (p === null || typeof p !== "object") return "problem is not an object";
  const { n, m } = p;
  if (!Number.isInteger(n) || n < 0) return `n must be a non-negative integer, got ${String(n)}`;
  if (!Number.isInteger(m) || m < 0) return `m must be a non-negative integer, got ${String(m)}`;
  const pErr = checkCsc(p.P, n, n, "P");
  if (pErr) return pErr;
  const aErr = checkCsc(p.A, m, n, "A");
  if (aErr) return aErr;
  if (!(p.P.values instanceof Float64Array) || p.P.values.length < p.P.colPtr[n]) return "P: values must be a Float64Array with one value per entry";
  if (!(p.A.values instanceof Float64Array) || p.A.values.length < p.A.colPtr[n]) return "A: values must be a Float64Array with one value per entry";
  for (let j = 0; j < n; j++) {
    for (let k = p.P.colPtr[j]; k < p.P.colPtr[j + 1]; k++) {
      if (p.P.rowIdx[k] > j) return `P must be upper triangular: entry (${p.P.rowIdx[k]}, ${j}) is below the diagonal`;
      if (!Number.isFinite(p.P.values[k])) return `P(${p.P.rowIdx[k]}, ${j}) is not finite (${p.P.values[k]})`;
    }
    for (let k = p.A.colPtr[j]; k < p.A.colPtr[j + 1]; k++) {
      if (!Number.isFinite(p.A.values[k])) return `A(${p.A.rowIdx[k]}, ${j}) is not finite (${p.A.values[k]})`;
    }
  }
  return validateQ(p.q, n) ?? validateBounds(p.l, p.u, m);
}

export function validateQ(q: ArrayLike<number>, n: number): string | null {
  if (!isVec(q) || q.length !== n) return `q must have length n = ${n}, got ${isVec(q) ? q.length : "none"}`;
  for (let i = 0; i < n; i++) if (!Number.isFinite(q[i])) return `q[${i}] is not finite (${q[i]})`;
  return null;
}

export function validateBounds(l: ArrayLike<number>, u: ArrayLike<number>, m: number): string | null {
  if (!isVec(l) || l.length !== m) return `l must have length m = ${m}, got ${isVec(l) ? l.length : "none"}`;
  if (!isVec(u) || u.length !== m) return `u must have length m = ${m}, got ${isVec(u) ? u.length : "none"}`;
  for (let i = 0; i < m; i++) {
    const li = l[i], ui = u[i];
    if (Number.isNaN(li)) return `l[${i}] is NaN`;
    if (Number.isNaN(ui)) return `u[${i}] is NaN`;
    if (li > ui) return `row ${i}: lower bound ${li} exceeds upper bound ${ui}`;
    if (li === Infinity) return `row ${i}: lower bound is +Infinity`;
    if (ui === -Infinity) return `row ${i}: upper bound is -Infinity`;
    // the QP format reads |bound| >= INFTY as infinite: such a lower bound is +infinity (the ADMM
    // iterates became NaN on it, and the verdict was non_convex)
    if (li >= INFTY) return `row ${i}: lower bound ${li} is >= ${INFTY.toExponential(0)}, which the QP format reads as +infinity`;
    if (ui <= -INFTY) return `row ${i}: upper bound ${ui} is <= -${INFTY.toExponential(0)}, which the QP format reads as -infinity`;
  }
  return null;
}

export function validateValues(values: ArrayLike<number>, count: number, name: string): string | null {
  if (!isVec(values) || values.length !== count) return `${name} values must have length ${count} (same pattern), got ${isVec(values) ? values.length : "none"}`;
  for (let k = 0; k < count; k++) if (!Number.isFinite(values[k])) return `${name} value ${k} is not finite (${values[k]})`;
  return null;
}
