// The OSQP algorithm (Stellato, Banjac, Goulart, Bemporad, Boyd, "OSQP: an operator splitting
// solver for quadratic programs", Math. Prog. Comp. 2020): ADMM on the quasi-definite KKT system
// (Algorithm 1), Ruiz scaling, per-row rho, adaptive rho (section 5.2), termination on unscaled
// residuals (section 3.4), infeasibility certificates (section 3.4), polishing (section 4).
// All iterates live in the scaled space; the hot loop allocates nothing.

import { SparseLdl } from "../linalg/ldl.js";
import type { Csc } from "../sparse/csc.js";
import { cscMatVec as mulA, cscSymUpperQuadForm as quadForm } from "../sparse/ops.js";
import { ActiveKkt, buildKktPattern, fillKktValues, type KktPattern } from "./kkt.js";
import { Polisher } from "./polish.js";
import { trimCsc } from "./kernels.js";
import { computeResiduals, isDualInfeasible, isPrimalInfeasible, newResiduals, newResidualWork, type ResidualWork, type Residuals, type ScaledQp } from "./residuals.js";
import { computeScaling, newScaling, type Scaling } from "./scaling.js";
import {
  AUTO_RHO_INTERVAL,
  CONVEXITY_TOL,
  DIVISION_TOL,
  defaultSettings,
  INFTY,
  mergeSettings,
  RHO_EQ_OVER_RHO_INEQ,
  RHO_MAX,
  RHO_MIN,
  RHO_TOL,
} from "./settings.js";
import type { PolishStatus, QpProblem, QpResult, QpSettings, QpStatus } from "./types.js";
import { validateBounds, validateProblem, validateQ, validateValues } from "./validate.js";
import { nowSeconds as now } from "../clock.js";

/** The values of a matrix without rows (the convexity check of P alone). */
const NO_VALUES = new Float64Array(0);

export { defaultSettings } from "./settings.js";

function toBound(v: number): number {
  return v >= INFTY ? Infinity : v <= -INFTY ? -Infinity : v;
}

/** A copy of l or u with |v| >= INFTY made infinite. */
function boundsOf(v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = toBound(v[i]);
  return out;
}

/** Whether every stored entry of P is on the diagonal. */
function isDiagonal(P: Csc): boolean {
  for (let j = 0; j < P.cols; j++) {
    for (let p = P.colPtr[j]; p < P.colPtr[j + 1]; p++) if (P.rowIdx[p] !== j) return false;
  }
  return true;
}

export class QpSolver {
  private _settings: QpSettings;
  private error: string | null = null;
  private pendingError: string | null = null;
  private readonly n: number;
  private readonly m: number;
  // raw (unscaled) data
  private readonly Praw: Csc;
  private readonly Araw: Csc;
  private readonly qraw: Float64Array;
  private readonly lraw: Float64Array;
  private readonly uraw: Float64Array;
  // scaled data (same patterns as raw)
  private readonly Ps: Csc;
  private readonly As: Csc;
  private readonly qs: Float64Array;
  private readonly ls: Float64Array;
  private readonly us: Float64Array;
  private readonly scaling: Scaling;
  // KKT
  private readonly kkt: KktPattern | null = null;
  private readonly kktValues: Float64Array;
  private readonly ldl: SparseLdl | null = null;
  /** Proven: P failed a positive semidefinite test (`failsPsdTest`). */
  private nonConvex = false;
  private pIndefinite = false;
  /** Why the last KKT factorization failed although P passed the test (a numeric breakdown), or null. */
  private breakdown: string | null = null;
  private pCheck: ActiveKkt | null = null;
  private readonly rhoVec: Float64Array;
  private readonly rhoInv: Float64Array;
  private readonly rowType: Int8Array; // -1 free, 0 inequality, 1 equality
  private rho: number;
  // iterates (scaled)
  private x: Float64Array;
  private z: Float64Array;
  private y: Float64Array;
  private xPrev: Float64Array;
  private zPrev: Float64Array;
  private readonly yPrev: Float64Array;
  private readonly rhs: Float64Array;
  /** permuted positions of x_j and of row i in the KKT factor */
  private readonly pinvX: Int32Array;
  private readonly pinvZ: Int32Array;
  // work vectors
  private readonly workN: Float64Array;
  private readonly workM: Float64Array;
  private readonly res: Residuals = newResiduals();
  private readonly work: ResidualWork;
  private readonly scaled: ScaledQp;
  // outputs
  private readonly xOut: Float64Array;
  private readonly yOut: Float64Array;
  private readonly polisher = new Polisher();
  private readonly polX: Float64Array;
  private readonly polY: Float64Array;
  private readonly polZ: Float64Array;
  private setupTime = 0;
  private explicitWarm = false;

  constructor(problem: QpProblem, settings?: Partial<QpSettings>) {
    const t0 = now();
    const merged = mergeSettings(defaultSettings, settings);
    this._settings = merged.settings;
    let err: string | null = null;
    try {
      err = validateProblem(problem);
    } catch (e) {
      err = `invalid problem: ${e instanceof Error ? e.message : String(e)}`;
    }
    err = err ?? merged.error;
    const ok = err === null;
    this.error = err;
    const n = ok ? problem.n : 0;
    const m = ok ? problem.m : 0;
    this.n = n;
    this.m = m;
    const emptyCsc = (r: number, c: number): Csc => ({ rows: r, cols: c, colPtr: new Int32Array(c + 1), rowIdx: new Int32Array(0), values: new Float64Array(0) });
    this.Praw = ok ? trimCsc(problem.P) : emptyCsc(0, 0);
    this.Araw = ok ? trimCsc(problem.A) : emptyCsc(0, 0);
    this.qraw = ok ? Float64Array.from(problem.q) : new Float64Array(0);
    this.lraw = ok ? boundsOf(problem.l) : new Float64Array(0);
    this.uraw = ok ? boundsOf(problem.u) : new Float64Array(0);
    // the scaled matrices share the (trimmed, private) patterns of the raw ones
    this.Ps = { ...this.Praw, values: new Float64Array(this.Praw.values.length) };
    this.As = { ...this.Araw, values: new Float64Array(this.Araw.values.length) };
    this.qs = new Float64Array(n);
    this.ls = new Float64Array(m);
    this.us = new Float64Array(m);
    this.scaling = newScaling(n, m);
    this.scaled = { n, m, P: this.Ps, A: this.As, q: this.qs, l: this.ls, u: this.us, lRaw: this.lraw, uRaw: this.uraw, scaling: this.scaling };
    this.rhoVec = new Float64Array(m);
    this.rhoInv = new Float64Array(m);
    this.rowType = new Int8Array(m);
    this.rho = this._settings.rho;
    this.x = new Float64Array(n);
    this.z = new Float64Array(m);
    this.y = new Float64Array(m);
    this.xPrev = new Float64Array(n);
    this.zPrev = new Float64Array(m);
    this.yPrev = new Float64Array(m);
    this.rhs = new Float64Array(n + m);
    this.work = newResidualWork(n, m);
    this.workN = new Float64Array(n);
    this.workM = new Float64Array(m);
    this.xOut = new Float64Array(n);
    this.yOut = new Float64Array(m);
    this.polX = new Float64Array(n);
    this.polY = new Float64Array(m);
    this.polZ = new Float64Array(m);
    this.kktValues = new Float64Array(0);
    this.pinvX = new Int32Array(n);
    this.pinvZ = new Int32Array(m);
    if (ok) {
      this.scaleData();
      this.kkt = buildKktPattern(this.Praw, this.Araw);
      this.kktValues = new Float64Array(this.kkt.nnz);
      // the triangular solves and the ADMM vector updates run in WebAssembly when available, on
      // vectors that live in the factor's memory (plain typed array views for all other code)
      this.ldl = new SparseLdl(this.kkt.pattern, undefined, { wasm: true, arenaF64: 3 * n + 7 * m, arenaI32: n + m });
      const arena = this.ldl.arena;
      if (arena) {
        let f = 0, k = 0;
        const f64 = (src: Float64Array): Float64Array => {
          const v = arena.f64.subarray(f, (f += src.length));
          v.set(src);
          return v;
        };
        const i32 = (len: number): Int32Array => arena.i32.subarray(k, (k += len));
        this.x = f64(this.x);
        this.xPrev = f64(this.xPrev);
        this.qs = f64(this.qs);
        this.z = f64(this.z);
        this.zPrev = f64(this.zPrev);
        this.y = f64(this.y);
        this.rhoInv = f64(this.rhoInv);
        this.rhoVec = f64(this.rhoVec);
        this.ls = f64(this.ls);
        this.us = f64(this.us);
        this.pinvX = i32(n);
        this.pinvZ = i32(m);
        this.rhs = this.ldl.wasmRhs ?? this.rhs;
        this.scaled = { ...this.scaled, q: this.qs, l: this.ls, u: this.us };
      }
      const perm = this.ldl.perm;
      for (let k = 0; k < n + m; k++) {
        const old = perm[k];
        if (old < n) this.pinvX[old] = k;
        else this.pinvZ[old - n] = k;
      }
      this.setRhoVec();
      this.refactor();
    }
    this.setupTime = now() - t0;
  }

  get settings(): Readonly<QpSettings> {
    return this._settings;
  }

  // ---- data updates --------------------------------------------------------------------

  updateQ(q: ArrayLike<number>): void {
    if (this.error) return;
    const err = validateQ(q, this.n);
    if (err) {
      this.pendingError = err;
      return;
    }
    const { qs, qraw, scaling } = this;
    for (let j = 0; j < this.n; j++) {
      qraw[j] = q[j];
      qs[j] = scaling.c * scaling.D[j] * q[j];
    }
  }

  updateBounds(l: ArrayLike<number>, u: ArrayLike<number>): void {
    if (this.error) return;
    const err = validateBounds(l, u, this.m);
    if (err) {
      this.pendingError = err;
      return;
    }
    for (let i = 0; i < this.m; i++) {
      this.lraw[i] = toBound(l[i]);
      this.uraw[i] = toBound(u[i]);
    }
    this.scaleBounds();
  }

  updateLower(l: ArrayLike<number>): void {
    this.updateBounds(l, this.uraw);
  }

  updateUpper(u: ArrayLike<number>): void {
    this.updateBounds(this.lraw, u);
  }

  updatePValues(values: ArrayLike<number>): void {
    if (this.error) return;
    const err = validateValues(values, this.Praw.values.length, "P");
    if (err) {
      this.pendingError = err;
      return;
    }
    this.Praw.values.set(values);
    this.rescaleAndRefactor();
  }

  updateAValues(values: ArrayLike<number>): void {
    if (this.error) return;
    const err = validateValues(values, this.Araw.values.length, "A");
    if (err) {
      this.pendingError = err;
      return;
    }
    this.Araw.values.set(values);
    this.rescaleAndRefactor();
  }

  /** Sets the starting iterate (unscaled x and/or y); z becomes A x. */
  warmStart(x?: ArrayLike<number>, y?: ArrayLike<number>): void {
    if (this.error) return;
    const { n, m, scaling } = this;
    if (x !== undefined) {
      const err = validateQ(x, n);
      if (err) {
        this.pendingError = `warm start ${err.replace(/^q/, "x")}`;
        return;
      }
      for (let j = 0; j < n; j++) this.x[j] = scaling.Dinv[j] * x[j];
      mulA(this.As, this.x, this.z);
    }
    if (y !== undefined) {
      if (y.length !== m) {
        this.pendingError = `warm start y must have length m = ${m}`;
        return;
      }
      for (let i = 0; i < m; i++) this.y[i] = Number.isFinite(y[i]) ? scaling.Einv[i] * scaling.c * y[i] : 0;
    }
    this.explicitWarm = true;
  }

  coldStart(): void {
    this.x.fill(0);
    this.z.fill(0);
    this.y.fill(0);
  }

  updateSettings(s: Partial<QpSettings>): void {
    const merged = mergeSettings(this._settings, s);
    if (merged.error) {
      this.pendingError = merged.error;
      return;
    }
    const old = this._settings;
    this._settings = merged.settings;
    if (this.error) return;
    if (merged.settings.scaling !== old.scaling) {
      this.rescaleAndRefactor();
    } else if (merged.settings.rho !== old.rho || merged.settings.sigma !== old.sigma) {
      this.rho = merged.settings.rho;
      this.setRhoVec();
      this.refactor();
    }
  }

  // ---- setup helpers -------------------------------------------------------------------

  private scaleData(): void {
    computeScaling(this.Praw, this.Araw, this.qraw, this._settings.scaling, this.scaling, this.Ps.values, this.As.values, this.qs);
    this.checkConvexity();
    this.scaleBounds();
  }

  private scaleBounds(): void {
    const { E } = this.scaling;
    for (let i = 0; i < this.m; i++) {
      this.ls[i] = this.lraw[i] * E[i];
      this.us[i] = this.uraw[i] * E[i];
    }
    // a change of row types (equality / free / inequality) changes rho and needs a refactorization
    if (this.ldl && this.setRhoVec()) this.refactor();
  }

  private rescaleAndRefactor(): void {
    // keep the iterate in unscaled terms across the change of scaling
    const { n, m } = this;
    const old = this.scaling;
    for (let j = 0; j < n; j++) this.workN[j] = old.D[j] * this.x[j];
    for (let i = 0; i < m; i++) this.workM[i] = old.E[i] * this.y[i] * old.cinv;
    this.scaleData();
    for (let j = 0; j < n; j++) this.x[j] = this.scaling.Dinv[j] * this.workN[j];
    for (let i = 0; i < m; i++) this.y[i] = this.scaling.Einv[i] * this.scaling.c * this.workM[i];
    mulA(this.As, this.x, this.z);
    for (let i = 0; i < m; i++) this.z[i] = Math.min(Math.max(this.z[i], this.ls[i]), this.us[i]);
    this.setRhoVec();
    this.refactor();
  }

  /** Per-row rho (OSQP: RHO_MIN for free rows, 1e3 rho for equalities). Returns whether any row type changed. */
  private setRhoVec(): boolean {
    const { m, ls, us, rhoVec, rhoInv, rowType, rho } = this;
    let changed = false;
    for (let i = 0; i < m; i++) {
      let t: number;
      let r: number;
      if (ls[i] === -Infinity && us[i] === Infinity) {
        t = -1;
        r = RHO_MIN;
      } else if (us[i] - ls[i] < RHO_TOL) {
        t = 1;
        r = RHO_EQ_OVER_RHO_INEQ * rho;
      } else {
        t = 0;
        r = rho;
      }
      if (rowType[i] !== t) changed = true;
      rowType[i] = t;
      if (rhoVec[i] !== r) changed = true;
      rhoVec[i] = r;
      rhoInv[i] = 1 / r;
    }
    return changed;
  }

  private refactor(): void {
    const { kkt, ldl } = this;
    if (!kkt || !ldl) return;
    fillKktValues(kkt, this.Ps.values, this.As.values, this._settings.sigma, this.rhoInv, this.kktValues);
    const ok = ldl.factor(this.kktValues);
    const inertiaOk = ok && ldl.positivePivots === this.n && ldl.negativePivots === this.m;
    this.breakdown = null;
    if (this.pIndefinite || inertiaOk) {
      this.nonConvex = this.pIndefinite;
      return;
    }
    // [[P + sigma I, A'], [A, -diag(1/rho)]] is quasi-definite, with inertia (n, m), whenever
    // P + sigma I is positive definite: a failed factorization or another inertia is a verdict on P
    // only when P + sigma I itself fails the test (P has an eigenvalue below -sigma); otherwise it
    // is the arithmetic's (data too large or too ill-conditioned for double precision)
    const sigma = this._settings.sigma;
    this.nonConvex = this.failsPsdTest(sigma);
    if (!this.nonConvex) {
      const what = ok ? `has inertia (${ldl.positivePivots}, ${ldl.negativePivots}) instead of (${this.n}, ${this.m})` : "could not be factored";
      this.breakdown =
        `numeric breakdown: the KKT matrix ${what}, but P + sigma I (sigma = ${sigma}) is positive definite, so the QP is convex and the ` +
        `factorization lost it to round-off: the data (${this.dataSize()}) are too large or too ill-conditioned for double precision`;
    }
  }

  /**
   * The KKT inertia only sees P + sigma I + A' diag(rho) A, which can be positive definite for an
   * indefinite P. So the scaled P is factored too, shifted by max(sigma, CONVEXITY_TOL * max |P_ij|):
   * a non-positive pivot means P has an eigenvalue below minus that shift, i.e. P is not positive
   * semidefinite beyond round-off (Maros-Meszaros VALUES has eigenvalues of -1.2e-6 relative).
   */
  private checkConvexity(): void {
    let pmax = 0;
    const pv = this.Ps.values;
    for (let k = 0; k < pv.length; k++) pmax = Math.max(pmax, Math.abs(pv[k]));
    this.pIndefinite = pmax !== 0 && this.failsPsdTest(Math.max(this._settings.sigma, CONVEXITY_TOL * pmax));
  }

  /**
   * Whether the scaled P + shift I has a non-positive (or non-finite) pivot: then P has an
   * eigenvalue below -shift (up to the round-off of a factorization of P alone), a proof that P is
   * not positive semidefinite. Symbolic analysis once per solver (the pattern of P is fixed).
   */
  private failsPsdTest(shift: number): boolean {
    const n = this.n;
    const pv = this.Ps.values;
    if (isDiagonal(this.Ps)) {
      // the factorization below would have the pivots P_jj + shift (0 + shift where P has no
      // entry): the same test without the symbolic analysis
      const { colPtr, rowIdx } = this.Ps;
      for (let j = 0; j < n; j++) {
        const d = colPtr[j + 1] > colPtr[j] && rowIdx[colPtr[j]] === j ? pv[colPtr[j]] + shift : shift;
        if (!(d > 0 && d < Infinity)) return true;
      }
      return false;
    }
    // P alone (no rows) on the KKT layer: P + shift I
    this.pCheck ??= new ActiveKkt(this.Ps, { rows: 0, cols: n, colPtr: new Int32Array(n + 1), rowIdx: new Int32Array(0) });
    return !this.pCheck.factor(pv, NO_VALUES, NO_VALUES, shift) || this.pCheck.positivePivots !== n;
  }

  /** Largest |q_j| and largest finite |l_i|, |u_i| of the raw data (the messages of a breakdown). */
  private dataSize(): string {
    let qmax = 0;
    let bmax = 0;
    for (let j = 0; j < this.n; j++) qmax = Math.max(qmax, Math.abs(this.qraw[j]));
    for (let i = 0; i < this.m; i++) {
      if (Number.isFinite(this.lraw[i])) bmax = Math.max(bmax, Math.abs(this.lraw[i]));
      if (Number.isFinite(this.uraw[i])) bmax = Math.max(bmax, Math.abs(this.uraw[i]));
    }
    return `largest |q_j| ${qmax.toExponential(2)}, largest finite |l_i|, |u_i| ${bmax.toExponential(2)}`;
  }

  // ---- solve ---------------------------------------------------------------------------

  solve(): QpResult {
    const t0 = now();
    const s = this._settings;
    if (this.error || this.pendingError) {
      const msg = this.error ?? this.pendingError ?? "";
      this.pendingError = null;
      return this.result("invalid_input", 0, t0, "not_run", msg);
    }
    if (this.nonConvex) {
      return this.result("non_convex", 0, t0, "not_run", "the KKT matrix does not have the inertia of a convex QP: P is not positive semidefinite");
    }
    if (this.breakdown !== null) return this.result("invalid_input", 0, t0, "not_run", this.breakdown, 0, true);
    // settings.warmStart false starts from zero, unless warmStart() was just called explicitly
    if (!s.warmStart && !this.explicitWarm) this.coldStart();
    this.explicitWarm = false;
    const { m, qs, ls, us, rhoVec, rhoInv, rhs, yPrev } = this;
    const ldl = this.ldl as SparseLdl;
    const { pinvX, pinvZ } = this;
    const sigma = s.sigma, alpha = s.alpha, alpha1 = 1 - alpha;
    const checkEvery = s.checkTermination;
    const rhoInterval = s.adaptiveRho ? (s.adaptiveRhoInterval > 0 ? s.adaptiveRhoInterval : AUTO_RHO_INTERVAL) : 0;
    const timeLimit = s.timeLimit;
    let x = this.x, z = this.z, xPrev = this.xPrev, zPrev = this.zPrev;
    const y = this.y;
    let status: QpStatus = "max_iterations";
    let iter = 0;
    let rhoUpdates = 0;
    let checkedAt = -1;
    // rhs = [sigma x - q; z - y/rho], kept in the factor's permuted order; each iteration writes
    // the next right-hand side while it updates the iterate (one pass instead of two)
    this.initRhs(x, z, y, sigma);
    // the WebAssembly step knows the four arrays; flip tells which pair holds the new iterate.
    // (false without WebAssembly, or if a vector is not a view of the factor's memory: JS loop)
    const wasmStep = ldl.admmSetup(pinvX, pinvZ, x, xPrev, qs, z, zPrev, y, rhoInv, rhoVec, ls, us, sigma, alpha, alpha1);
    let flip = 0;
    const maxIter = s.maxIter;
    const batch = wasmStep && !(timeLimit > 0);
    for (iter = 1; iter <= maxIter; iter++) {
      if (batch) {
        // the iterations before the next one that needs JavaScript (a termination check, a rho
        // update or the last) run in one WebAssembly call: the same arithmetic, fewer calls
        let next = maxIter;
        if (checkEvery > 0) {
          const r = iter % checkEvery;
          next = Math.min(next, r === 0 ? iter : iter + checkEvery - r);
        }
        if (rhoInterval > 0) {
          const r = iter % rhoInterval;
          next = Math.min(next, r === 0 ? iter : iter + rhoInterval - r);
        }
        const k = next - iter;
        if (k > 0) {
          ldl.admmSteps(flip ^ 1, k);
          if (k & 1) {
            const tmp = x; x = xPrev; xPrev = tmp;
            const tmpZ = z; z = zPrev; zPrev = tmpZ;
            flip ^= 1;
          }
          iter = next;
        }
      }
      // swap x/xPrev, z/zPrev; y is updated in place (copied only before a check needs delta y)
      let tmp = x; x = xPrev; xPrev = tmp;
      tmp = z; z = zPrev; zPrev = tmp;
      flip ^= 1;
      const doCheck = checkEvery > 0 && iter % checkEvery === 0;
      const doRho = rhoInterval > 0 && iter % rhoInterval === 0;
      if (doCheck || iter === s.maxIter) yPrev.set(y);
      if (wasmStep) {
        ldl.admmStep(flip);
      } else {
        this.jsStep(x, xPrev, z, zPrev, y, sigma, alpha, alpha1);
      }
      if (doCheck || doRho || iter === s.maxIter) {
        this.computeResiduals(x, z, y);
        checkedAt = iter;
      }
      if (doCheck) {
        const st = this.checkTermination(x, xPrev, y, 1);
        if (st !== null) {
          status = st;
          break;
        }
      }
      if (doRho) {
        const r = this.res;
        const primN = r.primScaled / (r.primNormScaled + DIVISION_TOL);
        const dualN = r.dualScaled / (r.dualNormScaled + DIVISION_TOL);
        let est = this.rho * Math.sqrt(primN / (dualN + DIVISION_TOL));
        est = Math.min(Math.max(est, RHO_MIN), RHO_MAX);
        if (est > this.rho * s.adaptiveRhoTolerance || est < this.rho / s.adaptiveRhoTolerance) {
          this.rho = est;
          this.setRhoVec();
          this.refactor();
          rhoUpdates++;
          for (let i = 0; i < m; i++) rhs[pinvZ[i]] = z[i] - rhoInv[i] * y[i];
          if (this.nonConvex) {
            status = "non_convex";
            break;
          }
          if (this.breakdown !== null) {
            status = "invalid_input";
            break;
          }
        }
      }
      if (timeLimit > 0 && now() - t0 > timeLimit) {
        status = "time_limit";
        break;
      }
    }
    if (iter > s.maxIter) iter = s.maxIter;
    this.x = x; this.z = z; this.xPrev = xPrev; this.zPrev = zPrev;
    if (status === "max_iterations" || status === "time_limit") {
      if (checkedAt !== iter) this.computeResiduals(x, z, y);
      const exact = this.checkTermination(x, xPrev, y, 1);
      if (exact === "solved") status = "solved";
      else if (this.checkTermination(x, xPrev, y, 10) === "solved") status = "solved_inaccurate";
    }
    if (status === "non_convex") {
      return this.result(status, iter, t0, "not_run", "the KKT matrix lost the inertia of a convex QP after a rho update, and P + sigma I has a non-positive pivot: P is not positive semidefinite", rhoUpdates);
    }
    if (status === "invalid_input") {
      // the residuals diverged (checkTermination), or a rho update's factorization broke down
      const why =
        this.breakdown ??
        `numeric breakdown at iteration ${iter}: the ADMM residuals left the range the solver handles (primal ${this.res.prim.toExponential(2)}, dual ${this.res.dual.toExponential(2)}; ` +
          `above ${INFTY.toExponential(0)} counts as diverged), but P passed the positive semidefinite test, so the QP is convex and no verdict on it follows: ` +
          `its data (${this.dataSize()}) are too large for double precision`;
      // the diverged iterate is no warm start (the next solve starts as a fresh solver's would), and a
      // rho update that broke down is not kept: the next solve starts from the settings' rho
      this.coldStart();
      if (this.breakdown !== null && this.rho !== s.rho) {
        this.rho = s.rho;
        this.setRhoVec();
        this.refactor();
      }
      return this.result(status, iter, t0, "not_run", why, rhoUpdates, true);
    }
    let polish: PolishStatus = "not_run";
    this.unscaleOut(x, y);
    if (status === "solved" && s.polish) polish = this.polish() ? "success" : "failed";
    else if (s.polish && (status === "solved_inaccurate" || status === "max_iterations")) {
      // deviation from OSQP (which polishes only solved problems): at the iteration limit, a
      // polished point that meets the termination tolerances is a solution
      if (this.polish()) {
        polish = "success";
        if (this.meetsTolerances()) status = "solved";
      } else {
        polish = "failed";
      }
    }
    return this.result(status, iter, t0, polish, undefined, rhoUpdates);
  }

  // (small methods, not inline loops: solve() stays short, so V8 optimizes it after fewer calls)

  /** rhs = [sigma x - q; z - y/rho] in the factor's permuted order. */
  private initRhs(x: Float64Array, z: Float64Array, y: Float64Array, sigma: number): void {
    const { n, m, rhs, pinvX, pinvZ, qs, rhoInv } = this;
    for (let j = 0; j < n; j++) rhs[pinvX[j]] = sigma * x[j] - qs[j];
    for (let i = 0; i < m; i++) rhs[pinvZ[i]] = z[i] - rhoInv[i] * y[i];
  }

  /** One ADMM iteration in JavaScript (the path without WebAssembly; ldl_wasm.ts admmCode does the same). */
  private jsStep(x: Float64Array, xPrev: Float64Array, z: Float64Array, zPrev: Float64Array, y: Float64Array, sigma: number, alpha: number, alpha1: number): void {
    const { n, m, rhs, pinvX, pinvZ, qs, rhoInv, rhoVec, ls, us } = this;
    (this.ldl as SparseLdl).solvePermuted(rhs);
    for (let j = 0; j < n; j++) {
      const k = pinvX[j];
      const xn = alpha * rhs[k] + alpha1 * xPrev[j];
      x[j] = xn;
      rhs[k] = sigma * xn - qs[j];
    }
    for (let i = 0; i < m; i++) {
      const k = pinvZ[i];
      const zp = zPrev[i], ri = rhoInv[i], yi = y[i];
      const zt = zp + ri * (rhs[k] - yi);
      const zr = alpha * zt + alpha1 * zp;
      let zn = zr + ri * yi;
      const lo = ls[i], hi = us[i];
      if (zn < lo) zn = lo;
      if (zn > hi) zn = hi;
      const yn = yi + rhoVec[i] * (zr - zn);
      y[i] = yn;
      z[i] = zn;
      rhs[k] = zn - ri * yn;
    }
  }

  /** xOut = D x, yOut = E y / c */
  private unscaleOut(x: Float64Array, y: Float64Array): void {
    const { n, m, scaling, xOut, yOut } = this;
    const { D, E, cinv } = scaling;
    for (let j = 0; j < n; j++) xOut[j] = D[j] * x[j];
    for (let i = 0; i < m; i++) yOut[i] = E[i] * y[i] * cinv;
  }

  /** Residuals of a scaled iterate (x, z, y) into this.res. */
  private computeResiduals(x: Float64Array, z: Float64Array, y: Float64Array): void {
    computeResiduals(this.scaledQp(), x, z, y, this.work, this.res);
  }

  /** OSQP's termination test on this.res and the last step; factor loosens the tolerances. */
  private checkTermination(x: Float64Array, xPrev: Float64Array, y: Float64Array, factor: number): QpStatus | null {
    const s = this._settings;
    const r = this.res;
    // diverging residuals: OSQP calls the problem non-convex here, but P passed the positive
    // semidefinite test before any iteration (checkConvexity, refactor), so the QP is convex and the
    // divergence is the arithmetic's (data of 1e18 and more: an MPC pinned to such a state), not a
    // verdict on the QP: a numeric breakdown, reported as invalid_input with why (solve)
    if (!(r.prim <= INFTY) || !(r.dual <= INFTY)) return "invalid_input";
    const epsPrim = factor * (s.epsAbs + s.epsRel * r.epsPrimScale);
    const epsDual = factor * (s.epsAbs + s.epsRel * r.epsDualScale);
    const primOk = this.m === 0 || r.prim < epsPrim;
    const dualOk = r.dual < epsDual;
    if (factor === 1) {
      const d = this.scaledQp();
      if (!primOk && isPrimalInfeasible(d, y, this.yPrev, this.work, s.epsPrimInf)) return "primal_infeasible";
      if (!dualOk && isDualInfeasible(d, x, xPrev, this.work, s.epsDualInf)) return "dual_infeasible";
    }
    if (!primOk || !dualOk) return null;
    // OSQP 1.x also requires a small duality gap (check_dualgap, on by default)
    if (s.checkDualGap !== false && !(Math.abs(r.gap) < factor * (s.epsAbs + s.epsRel * r.gapScale))) return null;
    return "solved";
  }

  /** Whether this.res meets the termination tolerances (residuals and duality gap). */
  private meetsTolerances(): boolean {
    const s = this._settings;
    const r = this.res;
    const epsPrim = s.epsAbs + s.epsRel * r.epsPrimScale;
    const epsDual = s.epsAbs + s.epsRel * r.epsDualScale;
    const gapOk = s.checkDualGap === false || Math.abs(r.gap) < s.epsAbs + s.epsRel * r.gapScale;
    return (this.m === 0 || r.prim < epsPrim) && r.dual < epsDual && gapOk;
  }

  private scaledQp(): ScaledQp {
    return this.scaled;
  }

  /** Polishes the solution; on success overwrites xOut/yOut and the residuals. */
  private polish(): boolean {
    return this.tryPolish(false) || this.tryPolish(true);
  }

  private tryPolish(strict: boolean): boolean {
    const { n, m, scaling, res } = this;
    const ok = this.polisher.run(
      { n, m, P: this.Ps, A: this.As, q: this.qs, l: this.ls, u: this.us, x: this.x, z: this.z, y: this.y, delta: this._settings.delta, refineIter: this._settings.polishRefineIter, kktPerm: this.ldl?.perm, ...(this.kkt ? { kktPattern: this.kkt } : {}) },
      { x: this.polX, y: this.polY },
      strict,
    );
    if (!ok) return false;
    const prim0 = res.prim, dual0 = res.dual;
    const saved = { ...res };
    // z = A x projected with y onto the normal cone of [l, u] (OSQP's project_normalcone):
    // z = clamp(Ax + y, l, u), y = Ax + y - z, so (z, y) is a consistent pair for the termination
    // check and for the next warm start
    mulA(this.As, this.polX, this.polZ);
    for (let i = 0; i < m; i++) {
      const t = this.polZ[i] + this.polY[i];
      const zi = Math.min(Math.max(t, this.ls[i]), this.us[i]);
      this.polZ[i] = zi;
      this.polY[i] = t - zi;
    }
    this.computeResiduals(this.polX, this.polZ, this.polY);
    const p1 = res.prim, d1 = res.dual;
    // OSQP's acceptance rule: residuals reduced (either may stay below 1e-10)
    const better = (p1 < prim0 && d1 < dual0) || (p1 < prim0 && dual0 < 1e-10) || (d1 < dual0 && prim0 < 1e-10) || (p1 <= 1e-12 && d1 <= 1e-12);
    if (!better) {
      Object.assign(res, saved);
      return false;
    }
    // adopt the polished point (also as the next warm start)
    this.x.set(this.polX);
    this.z.set(this.polZ);
    this.y.set(this.polY);
    for (let j = 0; j < n; j++) this.xOut[j] = scaling.D[j] * this.polX[j];
    for (let i = 0; i < m; i++) this.yOut[i] = scaling.E[i] * this.polY[i] * scaling.cinv;
    return true;
  }

  private result(status: QpStatus, iterations: number, t0: number, polishStatus: PolishStatus, message?: string, rhoUpdates = 0, breakdown = false): QpResult {
    const solved = status === "solved" || status === "solved_inaccurate";
    let objective = NaN;
    if (solved) {
      const x = this.xOut;
      objective = 0.5 * quadForm(this.Praw, x);
      for (let j = 0; j < this.n; j++) objective += this.qraw[j] * x[j];
    }
    const r: { -readonly [K in keyof QpResult]: QpResult[K] } = {
      status,
      x: this.xOut,
      y: this.yOut,
      objective,
      iterations,
      primalResidual: (status === "invalid_input" && !breakdown) || status === "non_convex" ? NaN : this.res.prim,
      dualResidual: (status === "invalid_input" && !breakdown) || status === "non_convex" ? NaN : this.res.dual,
      polishStatus,
      rhoUpdates,
      setupTime: this.setupTime,
      solveTime: now() - t0,
    };
    if (!solved) {
      this.xOut.fill(NaN);
      this.yOut.fill(NaN);
    }
    if (status === "primal_infeasible") {
      const cert = new Float64Array(this.m);
      let norm = 0;
      for (let i = 0; i < this.m; i++) norm = Math.max(norm, Math.abs(this.scaling.E[i] * this.work.dy[i]));
      for (let i = 0; i < this.m; i++) cert[i] = (this.scaling.E[i] * this.work.dy[i]) / norm;
      r.primalInfeasibilityCertificate = cert;
    }
    if (status === "dual_infeasible") {
      const cert = new Float64Array(this.n);
      let norm = 0;
      for (let j = 0; j < this.n; j++) norm = Math.max(norm, Math.abs(this.scaling.D[j] * this.work.dx[j]));
      for (let j = 0; j < this.n; j++) cert[j] = (this.scaling.D[j] * this.work.dx[j]) / norm;
      r.dualInfeasibilityCertificate = cert;
    }
    if (message !== undefined) r.message = message;
    if (breakdown) r.breakdown = true;
    return r;
  }
}

/** Solve one QP with a fresh solver. */
export function solveQp(problem: QpProblem, settings?: Partial<QpSettings>): QpResult {
  return new QpSolver(problem, settings).solve();
}
