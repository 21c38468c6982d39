// What the checker's proofs assume, checked at run time: every learnable parameter inside its
// declared box (the convexity / consistency proofs range over the boxes only) and of magnitude
// below INFTY = 1e20 (an unbounded box means bounded by that: `tooLargeTheta`), and every runtime
// value inside its declared range. A value outside is refused with a message naming the
// parameter, the entry, the value and the box; nothing is clamped silently.

import { describeValue } from "./arguments.js";
import { INFTY } from "../qp/settings.js";
import type { ParamLayout } from "./types.js";
import type { RuntimeLayout } from "./template.js";

/** Readable name of theta entry `i` of parameter `p` (A[0,1], x_lb[1], V0). */
export function entryName(p: Pick<ParamLayout, "name" | "rows" | "cols" | "size" | "structure">, i: number): string {
  if (p.size === 1) return p.name;
  if (p.structure === "matrix" && p.rows > 1 && p.cols > 1) return `${p.name}[${Math.floor(i / p.cols)},${i % p.cols}]`;
  return `${p.name}[${i}]`;
}

/** A number as itself; anything else (a string "0.5", null) so that it is not mistaken for one. */
function shown(v: unknown): string {
  return typeof v === "number" ? String(v) : describeValue(v);
}

function box(lo: number, hi: number): string {
  return `[${lo}, ${hi}]`;
}

/**
 * Null when theta has the layout's length, every entry is finite, inside its box
 * (lower <= theta_i <= upper, exactly) and of magnitude below INFTY = 1e20 (`tooLargeTheta`);
 * otherwise the reason, naming the first offending entry. Allocates only the message.
 */
export function thetaBoxViolation(params: readonly ParamLayout[], theta: ArrayLike<number>, nTheta?: number): string | null {
  const n = nTheta ?? params.reduce((s, p) => s + p.size, 0);
  if (theta.length !== n) return `theta has length ${theta.length}, expected ${n}`;
  for (const p of params) {
    for (let i = 0; i < p.size; i++) {
      const v = theta[p.offset + i];
      const lo = p.lower[i];
      const hi = p.upper[i];
      if (!Number.isFinite(v)) return `parameter \`${p.name}\` entry ${entryName(p, i)} is ${shown(v)}, not a finite number`;
      // written so that NaN bounds also refuse
      if (!(v >= lo && v <= hi)) return `parameter \`${p.name}\` entry ${entryName(p, i)} = ${v} is outside its declared box ${box(lo, hi)}`;
      if (!(Math.abs(v) < INFTY)) return tooLargeTheta(`parameter \`${p.name}\` entry ${entryName(p, i)}`, v);
    }
  }
  return null;
}

/**
 * Null when a learnable parameter's value `v` has a magnitude below INFTY = 1e20, else why not
 * (`name` names the entry as printed: "parameter `Q` entry Q[2]", "theta[3]"). Part of what an
 * admissible parameter is, box or not (an unbounded box, or one reaching 1e308, means bounded by
 * 1e20): like a runtime value (`tooLargeRuntime`), a parameter enters the QP's data, where a value
 * of magnitude >= 1e20 means infinite, and products of it overflow double precision (Q = 1e308
 * inside [0, inf] compiled to P = 2Q = Infinity, and `act` answered non_convex with V = NaN).
 * Checked where theta is set (`thetaBoxViolation`, `thetaVectorViolation`, the learners' updates),
 * never per solve. NaN passes here (callers refuse non-finite values first). Allocates only the message.
 */
export function tooLargeTheta(name: string, v: number): string | null {
  if (!(Math.abs(v) >= INFTY)) return null;
  return `${name} = ${v} is too large: learnable parameters must have magnitude below ${LIMIT} (the QP's data are computed from them, a value of magnitude >= ${LIMIT} means infinite there and products of it overflow double precision; an unbounded box means bounded by ${LIMIT})`;
}

/** INFTY as printed in the parameters' messages: "1e20". */
const LIMIT = INFTY.toExponential(0).replace("e+", "e");

/** The largest admissible parameter magnitude: the double just below INFTY = 1e20. */
export const THETA_MAGNITUDE_MAX = INFTY * (1 - Number.EPSILON);

/** Whether a parameter value is admissible in magnitude (below INFTY = 1e20; NaN is not). No allocation. */
export function thetaMagnitudeOk(v: number): boolean {
  return Math.abs(v) < INFTY;
}

/**
 * Why a learner's update is rejected when it would make an entry reach magnitude >= 1e20 (or a
 * projection onto a box reaching that far would put it there): named by its entry, without the
 * value, so that the verdict counts such rejections as one reason.
 */
export function tooLargeThetaUpdate(name: string): string {
  return `the update would make ${name} reach magnitude >= ${LIMIT}: learnable parameters must have magnitude below ${LIMIT} (an unbounded box means bounded by ${LIMIT})`;
}

/**
 * Null when theta, given by position (NmpcController, which may know no boxes), has `n` entries,
 * each finite and of magnitude below INFTY; otherwise why not, naming the first entry that is not
 * (by its parameter when `params` is given, else theta[j]). Allocates only the message.
 */
export function thetaVectorViolation(theta: ArrayLike<number>, n: number, params?: readonly ParamLayout[]): string | null {
  if (theta.length !== n) return `theta has length ${theta.length}, expected ${n}`;
  for (let j = 0; j < n; j++) {
    const v = theta[j];
    if (typeof v === "number" && Number.isFinite(v) && Math.abs(v) < INFTY) continue;
    const label = thetaEntryLabel(params, j);
    if (typeof v !== "number" || !Number.isFinite(v)) return `${label} is ${shown(v)}, not a finite number`;
    return tooLargeTheta(label, v);
  }
  return null;
}

/** "parameter `Q` entry Q[2]" for theta entry `j` when a layout names it, else "theta[j]". */
export function thetaEntryLabel(params: readonly ParamLayout[] | undefined, j: number): string {
  const p = params?.find((q) => j >= q.offset && j < q.offset + q.size);
  return p === undefined ? `theta[${j}]` : `parameter \`${p.name}\` entry ${entryName(p, j - p.offset)}`;
}

/** Parameters refused (outside their boxes, not finite, wrong length): a user error, not a bug. */
export class ThetaBoxError extends RangeError {
  override readonly name = "ThetaBoxError";
}

/** Throws a ThetaBoxError (the message of `thetaBoxViolation`) unless theta is finite, inside its boxes and of magnitude below 1e20. */
export function assertThetaInBoxes(params: readonly ParamLayout[], theta: ArrayLike<number>, nTheta?: number): void {
  const why = thetaBoxViolation(params, theta, nTheta);
  if (why !== null) throw new ThetaBoxError(why);
}

/**
 * Null when the runtime value `v` given for layout `r` is finite, inside its range where the
 * template declares one (r.lower / r.upper), and of magnitude below INFTY = 1e20 (range or not:
 * `tooLargeRuntime`); otherwise the reason, naming the entry. Length mismatches are reported too.
 * Allocates only the message.
 */
export function runtimeValueViolation(r: RuntimeLayout, v: number | ArrayLike<number>): string | null {
  if (typeof v === "number") {
    if (r.size !== 1) return `runtime value \`${r.name}\` must have ${r.size} entries, got a number`;
    return runtimeEntryViolation(r, 0, v);
  }
  if (v.length !== r.size) return `runtime value \`${r.name}\` must have ${r.size} entries, got ${v.length}`;
  for (let i = 0; i < r.size; i++) {
    const why = runtimeEntryViolation(r, i, v[i]);
    if (why !== null) return why;
  }
  return null;
}

function runtimeEntryViolation(r: RuntimeLayout, i: number, v: number): string | null {
  const lo = r.lower === undefined ? -Infinity : r.lower[i];
  const hi = r.upper === undefined ? Infinity : r.upper[i];
  // (the accepted case first: no message is built on the hot path)
  if (Number.isFinite(v) && v >= lo && v <= hi && Math.abs(v) < INFTY) return null;
  const name = r.size === 1 ? r.name : `${r.name}[${i}]`;
  if (!Number.isFinite(v)) return `runtime value \`${name}\` is ${shown(v)}, not a finite number`;
  if (!(v >= lo && v <= hi)) return `runtime value \`${name}\` = ${v} is outside its declared range ${box(lo, hi)}`;
  return tooLargeRuntime(`\`${name}\``, v);
}

/**
 * Null when a runtime value's entry (a reference, a disturbance forecast, prev(u)) has a magnitude
 * below INFTY = 1e20, else why not. Such values are refused like a state of that size
 * (`tooLargeEntry`), declared range or not: the QP's data are computed from them, and the QP format
 * reads a value of magnitude >= 1e20 as infinite (a bound built from it is no bound); a forecast
 * of 1e25 in a tracking MPC made q ~ 2e26 and the ADMM iterates diverge, which the controller could
 * only report as a breakdown at an ordinary state. `name` names the entry as printed (`` `d[29]` ``,
 * "entry 3"). Allocates only the message.
 */
export function tooLargeRuntime(name: string, v: number): string | null {
  if (!(Math.abs(v) >= INFTY)) return null;
  return `runtime value ${name} = ${v} is too large for the solver: the QP's data are computed from it, and a value of magnitude >= ${INFTY.toExponential(0)} means infinite there (a bound built from it is no bound, products of it overflow double precision)`;
}

/**
 * Null when a runtime vector given by position (NmpcController's `runtime` option and
 * `setRuntime`, which take the values without their names) has `n` entries, each finite and of
 * magnitude below INFTY; otherwise why not, naming the first entry that is not. Allocates only the message.
 */
export function runtimeVectorViolation(v: ArrayLike<number>, n: number): string | null {
  if (v.length !== n) return `runtime values have length ${v.length}, expected ${n}`;
  for (let i = 0; i < n; i++) {
    if (typeof v[i] !== "number" || !Number.isFinite(v[i])) return `runtime value entry ${i} is ${shown(v[i])}, not a finite number`;
    const why = tooLargeRuntime(`entry ${i}`, v[i]);
    if (why !== null) return why;
  }
  return null;
}

/**
 * Null when every entry of the measured state (or, `what` "input", the pinned first input of
 * Q(s, a)) is a finite number; otherwise the reason, naming the first entry that is not. The
 * controllers refuse such a call with status `invalid_input` (no QP or NLP sees a NaN x_0: a QP
 * pinned to NaN can come back "solved"). Allocates only the message.
 */
export function nonFiniteEntry(what: "state" | "input", v: ArrayLike<number>): string | null {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) return `${what}[${i}] is ${shown(v[i])}, not a finite number`;
  }
  return null;
}

/**
 * Null when every entry of the measured state (or, `what` "input", the pinned first input of
 * Q(s, a)) has a magnitude below INFTY = 1e20; otherwise the reason, naming the first entry that
 * does not. A linear MPC pins x_0 (and Q's u_0) by a row with l = u = the value, and the QP format
 * reads a bound of magnitude >= 1e20 as infinite (qp/types.ts, qp/settings.ts): such a pin is no
 * pin, so the solvers would answer a different problem (the ADMM solver, its rows made infinite on
 * both sides, broke down and called the convex QP `non_convex`; the interior-point method called
 * a state of 1e150 `solved` with u_0 = -1.6e138 against bounds of +-1; QpSensitivity read the pin
 * as a free row); and 1e300 * 1e300 is Infinity long before any solver is asked. Call after
 * `nonFiniteEntry`. Allocates only the message.
 */
export function tooLargeEntry(what: "state" | "input", v: ArrayLike<number>): string | null {
  for (let i = 0; i < v.length; i++) {
    if (Math.abs(v[i]) >= INFTY) {
      return `${what}[${i}] = ${v[i]} is too large for the solver: the QP pins ${what === "state" ? "x_0" : "u_0"} to it by bounds l = u = ${v[i]}, and a bound of magnitude >= ${INFTY.toExponential(0)} means infinite there (the data would overflow double precision or leave ${what === "state" ? "x_0" : "u_0"} free)`;
    }
  }
  return null;
}

/**
 * Null when every entry of a derivative (a gradient in theta, or a Jacobian du_0/dtheta, row-major
 * nu x nTheta) is finite; otherwise why not, naming the first entry by its parameter. Used on every
 * gradient and sensitivity a controller returns, so a NaN or an infinity never reaches a learner
 * as a successful result. Allocates only the message.
 */
export function nonFiniteDerivative(what: string, params: readonly ParamLayout[], nTheta: number, d: ArrayLike<number>): string | null {
  for (let e = 0; e < d.length; e++) {
    if (Number.isFinite(d[e])) continue;
    const j = nTheta > 0 ? e % nTheta : 0;
    const row = nTheta > 0 ? Math.floor(e / nTheta) : 0;
    const p = params.find((q) => j >= q.offset && j < q.offset + q.size);
    const name = p === undefined ? `theta[${j}]` : `\`${p.name}\` entry ${entryName(p, j - p.offset)}`;
    return `${what}${d.length > nTheta ? ` (row ${row})` : ""} with respect to ${name} is ${d[e]}, not a finite number`;
  }
  return null;
}
