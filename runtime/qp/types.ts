// The QP the runtime solves: minimize 0.5 z'Pz + q'z  subject to  l <= Az <= u.
// P is given as its upper triangle (CSC). |bound| >= 1e20 means infinite.

import type { Csc } from "../sparse/csc.js";

export interface QpProblem {
  readonly n: number;
  readonly m: number;
  readonly P: Csc; // n x n, upper triangle only
  readonly q: Float64Array;
  readonly A: Csc; // m x n
  readonly l: Float64Array;
  readonly u: Float64Array;
}

/** Defaults are OSQP 1.0's (see ../shared/ANCHORS.md section 1). */
export interface QpSettings {
  rho: number; // 0.1
  sigma: number; // 1e-6
  alpha: number; // 1.6 (over-relaxation)
  epsAbs: number; // 1e-3
  epsRel: number; // 1e-3
  epsPrimInf: number; // 1e-4
  epsDualInf: number; // 1e-4
  maxIter: number; // 4000
  /** Seconds; 0 means no limit. */
  timeLimit: number;
  /** Ruiz equilibration iterations (0 disables). */
  scaling: number; // 10
  adaptiveRho: boolean; // true
  adaptiveRhoInterval: number; // 50 iterations (0: automatic)
  adaptiveRhoTolerance: number; // 5
  /** Check termination every this many iterations. */
  checkTermination: number; // 25
  polish: boolean; // false
  polishRefineIter: number; // 3
  delta: number; // 1e-6 (polishing regularization)
  warmStart: boolean; // true
  /** Also require a small duality gap to stop, as OSQP 1.x does (check_dualgap). Default true. */
  checkDualGap?: boolean;
}

export type QpStatus =
  | "solved"
  | "solved_inaccurate"
  | "primal_infeasible"
  | "dual_infeasible"
  | "max_iterations"
  | "time_limit"
  | "non_convex"
  | "invalid_input";

export type PolishStatus = "not_run" | "success" | "failed";

export interface QpResult {
  readonly status: QpStatus;
  /** Primal solution z (length n). Owned by the solver: valid until the next solve; copy to keep. */
  readonly x: Float64Array;
  /** Dual solution y (length m): y > 0 at an active upper bound, y < 0 at an active lower bound. */
  readonly y: Float64Array;
  readonly objective: number; // 0.5 z'Pz + q'z (NaN unless solved/solved_inaccurate)
  readonly iterations: number;
  readonly primalResidual: number;
  readonly dualResidual: number;
  readonly polishStatus: PolishStatus;
  readonly rhoUpdates: number;
  readonly setupTime: number; // seconds
  readonly solveTime: number; // seconds
  /** Certificate of primal infeasibility (A'y = 0, u'y+ - l'y- < 0) when status is primal_infeasible. */
  readonly primalInfeasibilityCertificate?: Float64Array;
  /** Certificate of dual infeasibility (unbounded direction) when status is dual_infeasible. */
  readonly dualInfeasibilityCertificate?: Float64Array;
  /** Human-readable reason for invalid_input / non_convex. */
  readonly message?: string;
  /** Set (with status invalid_input) when the data passed validation but the solver's arithmetic
   *  broke down on them (diverging iterates, a KKT factorization that lost the inertia of a convex
   *  QP although P passed the positive semidefinite test): no verdict on the QP, only on its size. */
  readonly breakdown?: boolean;
}
