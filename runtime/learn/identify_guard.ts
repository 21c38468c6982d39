// Identification for control inside an online learner (Q-learning, DPG): records the transitions,
// identifies the model when `after` are in, re-derives the back-off limits every `after` steps for
// the current model (identify.ts), keeps the learner's safety boxes (never looser than the declared
// ones), and writes a note saying what was derived and from what. Every candidate goes through the
// learner's `accept` (the MPC must solve at the state it meets next) before it is applied.

import { thetaEntryLabel, thetaMagnitudeOk, tooLargeThetaUpdate } from "../mpc/bounds.js";
import type { LearnableMpc, ParamLayout } from "../mpc/types.js";
import { OnlineIdentification, type IdentificationResult, type IdentificationState } from "./identify.js";

/** Null when the candidate theta is accepted (the learner has set it on the MPC), else why not. */
export type AcceptCandidate = (candidate: Float64Array) => string | null;

export interface GuardOutcome {
  /** Whether theta changed (the learner skips its own update in that step). */
  readonly changed: boolean;
  readonly note?: string;
  /** True for the first identification (not a re-tightening). */
  readonly identified: boolean;
}

export class IdentificationGuard {
  readonly online: OnlineIdentification;
  private readonly declaredLower: Float64Array;
  private readonly declaredUpper: Float64Array;

  /** boxLower/boxUpper: the learner's safety boxes, tightened in place. */
  constructor(
    readonly mpc: LearnableMpc,
    after: number,
    readonly boxLower: Float64Array,
    readonly boxUpper: Float64Array,
  ) {
    const structure = mpc.linearStructure?.();
    if (structure === undefined) {
      throw new RangeError("identification needs a linear controller whose stage-0 dynamics are one equality row per state in x_0, u_0 and x_1");
    }
    this.online = new OnlineIdentification(structure, Math.max(2, after));
    this.declaredLower = Float64Array.from(boxLower);
    this.declaredUpper = Float64Array.from(boxUpper);
  }

  /** Records (s, a, s'); identifies or re-tightens when due; theta is updated in place when accepted. */
  observe(s: ArrayLike<number>, a: ArrayLike<number>, sNext: ArrayLike<number>, theta: Float64Array, accept: AcceptCandidate): GuardOutcome {
    const due = this.online.record(s, a, sNext);
    if (due) return this.identify(theta, accept);
    if (this.online.retightenDue()) return this.retighten(theta, accept);
    return { changed: false, identified: false };
  }

  private identify(theta: Float64Array, accept: AcceptCandidate): GuardOutcome {
    const res = this.online.identify(theta, this.boxLower, this.boxUpper);
    if (!res.ok) return { changed: false, identified: false, note: `identification skipped: ${res.message}` };
    const why = tooLarge(res.theta, this.mpc.params) ?? accept(res.theta);
    if (why !== null) return { changed: false, identified: false, note: `identification rejected: ${why}` };
    theta.set(res.theta);
    for (const l of res.limits) {
      if (l.side === "lower") this.boxLower[l.index] = Math.max(this.boxLower[l.index], l.value);
      else this.boxUpper[l.index] = Math.min(this.boxUpper[l.index], l.value);
    }
    return { changed: true, identified: true, note: describeIdentification(res, this.mpc) };
  }

  /** The boxes follow the current model's one-step error; a back-off outside its new box moves into it. */
  private retighten(theta: Float64Array, accept: AcceptCandidate): GuardOutcome {
    const res = this.online.retighten(theta, this.declaredLower, this.declaredUpper);
    if (!res) return { changed: false, identified: false };
    const cand = Float64Array.from(theta);
    let moved = false;
    for (const l of res.limits) {
      if (l.side === "lower") {
        this.boxLower[l.index] = Math.max(this.declaredLower[l.index], l.value);
        if (cand[l.index] < l.value) (cand[l.index] = l.value), (moved = true);
      } else {
        this.boxUpper[l.index] = Math.min(this.declaredUpper[l.index], l.value);
        if (cand[l.index] > l.value) (cand[l.index] = l.value), (moved = true);
      }
    }
    if (!moved || tooLarge(cand, this.mpc.params) !== null || accept(cand) !== null) return { changed: false, identified: false };
    theta.set(cand);
    return { changed: true, identified: false, note: `back-offs re-tightened to the current model's one-step error: ${limitsText(res.limits, this.mpc)}` };
  }

  getState(): { identification: IdentificationState; boxLower: (number | null)[]; boxUpper: (number | null)[] } {
    return { identification: this.online.getState(), boxLower: Array.from(this.boxLower, nullInf), boxUpper: Array.from(this.boxUpper, nullInf) };
  }

  setState(st: { identification: IdentificationState; boxLower: (number | null)[]; boxUpper: (number | null)[] }): void {
    this.online.setState(st.identification);
    this.boxLower.set(st.boxLower.map((v) => v ?? -Infinity));
    this.boxUpper.set(st.boxUpper.map((v) => v ?? Infinity));
  }
}

/** JSON has no infinities: a box's open side is null in a checkpoint. */
function nullInf(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** Entry names of theta from the controller's layout (`x_lb[0]`, `A[1,0]`). */
export function thetaName(mpc: { readonly params: readonly ParamLayout[] }, index: number): string {
  for (const p of mpc.params) {
    if (index < p.offset || index >= p.offset + p.size) continue;
    const i = index - p.offset;
    if (p.size === 1) return p.name;
    if (p.structure === "matrix") return `${p.name}[${Math.floor(i / p.cols)},${i % p.cols}]`;
    return `${p.name}[${i}]`;
  }
  return `theta[${index}]`;
}

const short = (v: number) => Number(v.toPrecision(3)).toString();

function limitsText(limits: IdentificationResult["limits"], mpc: LearnableMpc): string {
  return limits.map((l) => `${thetaName(mpc, l.index)} ${l.side === "lower" ? ">=" : "<="} ${short(l.value)}`).join(", ");
}

/** One line saying what identification derived and from what. */
export function describeIdentification(res: IdentificationResult, mpc: LearnableMpc): string {
  const rm = (a: Float64Array) => `[${Array.from(a, short).join(", ")}]`;
  return (
    `identified the model from ${res.samples} transitions (${res.modelIndices.length} parameters; one-step prediction error rms ${rm(res.rmseBefore)} -> ${rm(res.rmseAfter)}); ` +
    `remaining error per state in [${Array.from(res.errorLow, short).join(", ")}] .. [${Array.from(res.errorHigh, short).join(", ")}]` +
    (res.limits.length > 0 ? `; back-offs: ${limitsText(res.limits, mpc)}` : "; no back-off parameter found")
  );
}

/** Why a candidate is refused before the learner sets it (an entry of magnitude >= 1e20, which
 *  setTheta would refuse: bounds.ts `tooLargeTheta`), else null. */
function tooLarge(theta: Float64Array, params: readonly ParamLayout[]): string | null {
  for (let i = 0; i < theta.length; i++) if (!thetaMagnitudeOk(theta[i])) return tooLargeThetaUpdate(thetaEntryLabel(params, i));
  return null;
}
