// The interface between a compiled nonlinear controller and the NMPC runtime (issue 11): the
// optimal control problem of one controller as straight-line callbacks of ONE stage, values and
// dense Jacobians written into preallocated Float64Arrays (row-major), so that the compiler can
// emit them without a symbolic library.
//
//   minimize   sum_{k=0}^{N-1} gamma^k [ |r_k(x_k, u_k)|^2 + g_k(x_k, u_k) + rho1'eps_k + eps_k' diag(rho2_k) eps_k ]
//              + gamma^N [ |r_N(x_N)|^2 + g_N(x_N) ]
//   subject to x_0 = xhat,  x_{k+1} = F(x_k, u_k)                      (multiple shooting)
//              xl_k <= x_k <= xu_k (k = 1..N),  ul_k <= u_k <= uu_k      (boxes)
//              h_k(x_k, u_k) <= 0 or = 0 (hard; constraintLower),  c_k(x_k, u_k) <= eps_k, eps_k >= 0 (soft, k = 0..N-1),
//              c_N(x_N) <= eps_N, eps_N >= 0 (terminal soft, penalty gamma^N (rho1N'eps_N + ...))
//
// (every function also depends on theta, the learnable parameters, and on runtime values).
// F is either given (discrete) or the RK4 / explicit Euler map of der(x) = f(x, u, theta) over dt
// with `substeps` steps (integrator.ts). Least-squares terms use the Gauss-Newton Hessian
// 2 J'J (Bock 1983; Diehl et al. 2005); general terms g use their Hessian, convexified per
// stage block. Multiple shooting: Bock & Plitt 1984; the SQP and the real-time iteration:
// Diehl, Bock, Schloeder, Findeisen, Nagy & Allgoewer, J. Process Control 12 (2002) 577-585;
// Gros, Zanon, Quirynen, Bemporad & Diehl, Int. J. Control 93 (2020) 62-80.
//
// Conventions for every callback below:
//  - x has nx entries, u has nu (length 0 at the terminal node k = N), theta has nTheta,
//    rt has nRuntime (runtime values: references, forecasts; length 0 when absent).
//  - A Jacobian of an m-vector w.r.t. an n-vector is m x n, row-major: J[i*n + j] = d out_i / d in_j.
//  - A Hessian "of w'g" is the Hessian of the scalar sum_i w_i g_i(x, u, theta) w.r.t. the
//    stacked vector v = (x, u, theta) of length nv = nx + nu + nTheta (nx + nTheta at k = N),
//    row-major nv x nv, both triangles filled.
//  - Callbacks write every entry of their outputs (the runtime does not zero them) and must not
//    keep references to the arrays. They are called in the hot loop: they should not allocate.

/** Outputs of a dynamics evaluation (preallocated by the runtime). */
export interface DynamicsOut {
  /** f (nx): x' for continuous dynamics, x_{k+1} for discrete dynamics. */
  readonly f: Float64Array;
  /** df/dx, nx x nx. */
  readonly fx: Float64Array;
  /** df/du, nx x nu. */
  readonly fu: Float64Array;
  /** df/dtheta, nx x nTheta. */
  readonly ftheta: Float64Array;
}

/** Outputs of a stage function evaluation (residual or constraint of `size` rows). */
export interface StageOut {
  /** The value (size). */
  readonly value: Float64Array;
  /** d value / dx, size x nx. */
  readonly jx: Float64Array;
  /** d value / du, size x nu (length 0 at k = N). */
  readonly ju: Float64Array;
  /** d value / dtheta, size x nTheta. */
  readonly jtheta: Float64Array;
}

/** A vector function of one stage: least-squares residual r_k or constraint h_k / c_k. */
export interface StageFunction {
  /** Number of rows (fixed for every stage where the function applies). */
  readonly size: number;
  /** Value and Jacobians at stage k (0..N-1; k = N for terminal functions, u then has length 0). */
  eval(k: number, x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array, out: StageOut): void;
  /**
   * Hessian of w'value w.r.t. (x, u, theta), nv x nv (see the header). Needed only for the exact
   * Lagrangian Hessian (policySensitivity, hessian: "exact"); omit for affine functions (zero).
   */
  hessian?(k: number, x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array, w: Float64Array, out: Float64Array): void;
}

/** Outputs of a general (non-least-squares) cost term. */
export interface GeneralCostOut {
  /** Gradient w.r.t. x (nx), u (nu; length 0 at k = N) and theta (nTheta). */
  readonly gx: Float64Array;
  readonly gu: Float64Array;
  readonly gtheta: Float64Array;
}

/** A general smooth scalar cost term g_k(x, u, theta); used with its (convexified) Hessian. */
export interface GeneralCost {
  /** Returns g_k and writes its gradient. */
  eval(k: number, x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array, out: GeneralCostOut): number;
  /** Hessian w.r.t. (x, u, theta), nv x nv, times the weight w (a scalar). Required. */
  hessian(k: number, x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array, w: number, out: Float64Array): void;
}

/** How F(x, u) is obtained from `dynamics`. dt and the result's units are the model's own. */
export type Integrator =
  | { readonly kind: "discrete" }
  | { readonly kind: "rk4" | "euler"; readonly dt: number; readonly substeps: number };

/** Soft constraints c_k(x, u) <= eps_k, eps_k >= 0 with the penalty rho1'eps + eps'diag(rho2)eps. */
export interface SoftConstraint {
  readonly fn: StageFunction;
  /** L1 weights per row (>= 0, size). */
  readonly l1: Float64Array;
  /** L2 weights per row (>= 0, size). */
  readonly l2: Float64Array;
  /**
   * L2 weights that move with theta (a learnable quadratic penalty): row i at stage k has the L2
   * weight l2[i] * w_k[i], with w_k = weight.eval(k, ...).value (size rows; >= 0 wherever theta
   * is admissible) and dw_k/dtheta its jtheta. It must not depend on x or u (jx, ju and the
   * Hessian are not read). Absent: the constant l2. (A weight folded into the row instead, as
   * sqrt(w) c <= eps, has an infinite derivative in theta at w = 0.)
   */
  readonly weight?: StageFunction;
}

export interface OcpModel {
  readonly nx: number;
  readonly nu: number;
  /** Horizon (number of shooting intervals). */
  readonly N: number;
  readonly nTheta: number;
  /** Number of runtime values (default 0). */
  readonly nRuntime?: number;
  /** Discount gamma of stage k's cost (gamma^k; default 1). */
  readonly discount?: number;

  /** Dynamics: continuous f (integrator rk4/euler) or the discrete map F (integrator discrete). */
  dynamics(x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array, out: DynamicsOut): void;
  /** Hessian of lambda'f w.r.t. (x, u, theta), (nx+nu+nTheta)^2 (exact Lagrangian Hessian only). */
  dynamicsHessian?(x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array, lambda: Float64Array, out: Float64Array): void;
  readonly integrator: Integrator;

  /** Least-squares residual of stages 0..N-1: cost |r_k|^2 (weights are part of r). */
  readonly residual?: StageFunction;
  /** Least-squares residual of the terminal node: cost |r_N(x_N)|^2. */
  readonly terminalResidual?: StageFunction;
  /** General smooth terms (stages 0..N-1 / terminal). */
  readonly general?: GeneralCost;
  readonly terminalGeneral?: GeneralCost;

  /** Box bounds: xLower/xUpper ((N+1)*nx, node k at k*nx; node 0 is ignored: x_0 is the measured
   *  state), uLower/uUpper (N*nu). -Infinity / Infinity where absent. */
  readonly xLower: Float64Array;
  readonly xUpper: Float64Array;
  readonly uLower: Float64Array;
  readonly uUpper: Float64Array;

  /** Hard path constraints h_k(x_k, u_k) <= 0, k = 0..N-1, and terminal h_N(x_N) <= 0. */
  readonly constraint?: StageFunction;
  readonly terminalConstraint?: StageFunction;
  /** Lower bounds of the hard rows, N * constraint.size (stage k's row i at k * size + i) and
   *  terminalConstraint.size: 0 makes the row an equality h = 0, -Infinity (the default) leaves
   *  h <= 0. Per stage, so a row can be an equality where it applies and vacuous elsewhere. */
  readonly constraintLower?: ArrayLike<number>;
  readonly terminalConstraintLower?: ArrayLike<number>;
  /** Soft path constraints, k = 0..N-1 (one slack per row and stage). */
  readonly softConstraint?: SoftConstraint;
  /** Soft terminal constraints c_N(x_N) <= eps_N, eps_N >= 0 (u has length 0; penalty discounted by gamma^N). */
  readonly terminalSoftConstraint?: SoftConstraint;
  /**
   * Inputs whose previous value the OCP carries as extra states (`prev(u)`, e.g. input-rate
   * penalties): the last nc = carriedInputs.length entries of x are p_k = u_{k-1}[carriedInputs],
   * with p_{k+1} = u_k[carriedInputs] (added by the runtime: exact, linear) and p_0 the input
   * applied at the previous step (part of the measured state x_0). `dynamics` and
   * `dynamicsHessian` see and return the first nx - nc states only (x of length nx - nc; their
   * Hessian over (x_{0..nx-nc-1}, u, theta)), unless `dynamicsReadsCarried`; every other function
   * sees the whole x, so a term in u_k - u_{k-1} has its cross derivatives in one stage block.
   */
  readonly carriedInputs?: ArrayLike<number>;
  /**
   * The dynamics read the carried previous inputs (`prev(u)` in the dynamics: an input delay):
   * `dynamics` gets the whole x (nx entries, the carried ones last) and writes f of the first
   * nx - nc states, fx as (nx - nc) x nx; `dynamicsHessian` is over (x, u, theta), all of x. The
   * carried inputs are constant over a shooting interval, as u is.
   */
  readonly dynamicsReadsCarried?: boolean;
}

/** Status of an NLP solve (never an exception). */
export type NlpStatus =
  | "solved" // KKT residual below the tolerance
  | "acceptable" // KKT residual below the acceptable tolerance for acceptableIterations iterations in a row, not below the tolerance (IPOPT's acceptable termination)
  | "max_iterations" // iteration cap reached (the iterate is kept)
  | "rti" // one real-time iteration (not a converged solution by design)
  | "qp_failed" // neither the active-set nor the ADMM solver solved a QP
  | "infeasible" // a QP was primal infeasible (linearized constraints inconsistent)
  | "line_search_failed" // no sufficient decrease of the merit function
  | "invalid_input"; // non-finite or wrong-sized state, input or theta, or a non-finite model value

/** Per-call statistics. */
export interface NlpStats {
  readonly status: NlpStatus;
  /** SQP iterations (QPs solved). */
  readonly iterations: number;
  /** Scaled KKT residual at the returned point (max of stationarity, feasibility, complementarity); NaN for RTI. */
  readonly residual: number;
  /** Wall time in seconds (preparation + feedback for RTI). */
  readonly time: number;
  /** QPs that needed the ADMM fallback. */
  readonly admmFallbacks: number;
  readonly message?: string;
}
