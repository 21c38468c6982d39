// OSQP 1.0 default settings and the constants of its algorithm (Stellato et al. 2020; osqp/include/constants.h).

import type { QpSettings } from "./types.js";

export const defaultSettings: Readonly<QpSettings> = Object.freeze({
  rho: 0.1,
  sigma: 1e-6,
  alpha: 1.6,
  epsAbs: 1e-3,
  epsRel: 1e-3,
  epsPrimInf: 1e-4,
  epsDualInf: 1e-4,
  maxIter: 4000,
  timeLimit: 0,
  scaling: 10,
  adaptiveRho: true,
  adaptiveRhoInterval: 50,
  adaptiveRhoTolerance: 5,
  checkTermination: 25,
  polish: false,
  polishRefineIter: 3,
  delta: 1e-6,
  warmStart: true,
  checkDualGap: true,
});

/** Bounds with |value| >= INFTY are infinite (data/README.md). */
export const INFTY = 1e20;
export const RHO_MIN = 1e-6;
export const RHO_MAX = 1e6;
/** rho of an equality row is RHO_EQ_OVER_RHO_INEQ times rho. */
export const RHO_EQ_OVER_RHO_INEQ = 1e3;
/** |u - l| below this (scaled) marks an equality row. */
export const RHO_TOL = 1e-4;
export const MIN_SCALING = 1e-4;
export const MAX_SCALING = 1e4;
export const DIVISION_TOL = 1e-30;
/**
 * Deviation from OSQP: an infeasibility certificate's "= 0" parts (A'dy for primal, P dx and the
 * cone condition on A dx for dual infeasibility) must hold to eps * INFEAS_STRICT, not eps.
 * Iterates of a truly infeasible problem converge to an exact certificate, so this only delays the
 * verdict; with plain eps, OSQP 1.0 wrongly reports PRIMALC1/2/5/8 dual infeasible and QPCBOEI2
 * primal infeasible (ANCHORS.md section 2), whose near-certificates violate these by 5e-6 to 2e-5.
 */
export const INFEAS_STRICT = 1e-2;
/** Relative shift under which a negative eigenvalue of the scaled P counts as round-off (see osqp.ts checkConvexity). */
export const CONVEXITY_TOL = 1e-4;
/** Interval used when adaptiveRhoInterval is 0 ("automatic"). */
export const AUTO_RHO_INTERVAL = 50;

/** Merges partial settings over a base, returning null or a message naming the bad setting. */
export function mergeSettings(base: Readonly<QpSettings>, s: Partial<QpSettings> | undefined): { settings: QpSettings; error: string | null } {
  const out: QpSettings = { ...base };
  let error: string | null = null;
  if (s) {
    for (const key of Object.keys(s) as (keyof QpSettings)[]) {
      const v = s[key];
      if (v === undefined) continue;
      if (!(key in base)) {
        error = `unknown setting '${String(key)}'`;
        continue;
      }
      (out as unknown as Record<string, unknown>)[key] = v;
    }
  }
  error = error ?? checkSettings(out);
  return { settings: out, error };
}

function checkSettings(s: QpSettings): string | null {
  const positive: (keyof QpSettings)[] = ["rho", "sigma", "epsPrimInf", "epsDualInf", "delta", "adaptiveRhoTolerance"];
  for (const k of positive) {
    const v = s[k];
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) return `setting ${k} must be a positive finite number, got ${String(v)}`;
  }
  const nonneg: (keyof QpSettings)[] = ["epsAbs", "epsRel", "timeLimit"];
  for (const k of nonneg) {
    const v = s[k];
    if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) return `setting ${k} must be a non-negative number, got ${String(v)}`;
  }
  if (!(s.alpha > 0 && s.alpha < 2)) return `setting alpha must be in (0, 2), got ${s.alpha}`;
  const ints: (keyof QpSettings)[] = ["maxIter", "scaling", "adaptiveRhoInterval", "polishRefineIter", "checkTermination"];
  for (const k of ints) {
    const v = s[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return `setting ${k} must be a non-negative integer, got ${String(v)}`;
  }
  if (s.maxIter < 1) return "setting maxIter must be at least 1";
  for (const k of ["adaptiveRho", "polish", "warmStart", "checkDualGap"] as const) {
    if (typeof s[k] !== "boolean") return `setting ${k} must be a boolean`;
  }
  return null;
}
