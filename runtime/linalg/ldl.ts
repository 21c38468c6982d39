// Sparse LDL' factorization of a symmetric quasi-definite matrix given by its upper triangle (CSC).
// Symbolic analysis once (permuted pattern, elimination tree, column counts, the row patterns of
// L in elimination order), then numeric
// refactorizations that reuse it. Up-looking algorithm of Davis, "Algorithm 849: a concise sparse
// Cholesky factorization package" (LDL, ACM TOMS 2005); quasi-definite matrices admit LDL' for any
// symmetric permutation (Vanderbei 1995), so no pivoting is needed.

import type { CscPattern } from "../sparse/csc.js";
import { amdOrder, invertPerm, isPermutation } from "./amd.js";
import { ADMM_DESC, ADMM_DESC_BYTES, ADMM_DESC_F64, allocWasmBlock, type WasmTriangular } from "./ldl_wasm.js";

export interface SparseLdlOptions {
  /** Run the numeric factorization and the triangular solves in WebAssembly when available (bitwise the same results, faster); default false. */
  readonly wasm?: boolean;
  /** Extra WebAssembly memory for the caller's vectors (see `arena`): numbers of doubles and of int32s. */
  readonly arenaF64?: number;
  readonly arenaI32?: number;
  /** Keep the vectors of `solveRefined` (seven of length n; in the WebAssembly memory on that path). */
  readonly refine?: boolean;
}

/** The vectors of `solveRefined`, in the permuted ordering: the diagonal of the unregularized matrix
 *  (kd), the scaling of the factored coordinates (s) and its inverse (w), the right-hand side, the
 *  solution, the residual and the last correction. */
interface RefineVectors {
  readonly kd: Float64Array;
  readonly w: Float64Array;
  readonly s: Float64Array;
  readonly b: Float64Array;
  readonly x: Float64Array;
  readonly r: Float64Array;
  readonly corr: Float64Array;
}

/** Caller vectors in the factor's WebAssembly memory, for kernels that work next to the solve. */
export interface LdlArena {
  readonly f64: Float64Array;
  readonly i32: Int32Array;
}

/** Views of the block of a WebAssembly memory holding the factor (byte offsets for the kernels). */
interface WasmFactor {
  readonly kernels: WasmTriangular;
  /** the factor's byte range [start, end) in the memory (other factors may share the memory) */
  readonly start: number;
  readonly end: number;
  readonly x: Float64Array;
  readonly arena: LdlArena;
  /** admmStep's descriptor (int32 words and the doubles after them) */
  readonly desc: Int32Array;
  readonly descF64: Float64Array;
  readonly descAt: number;
  readonly at: { rp: number; rj: number; rx: number; lp: number; li: number; lx: number; dinv: number; x: number; cp: number; ci: number; cx: number; y: number; lnz: number; out: number };
  /** the pivot counts written by the factor kernel (positive, negative) */
  readonly counts: Int32Array;
}

/** The seven vectors of solveRefined as consecutive views of `all` (length 7 n). */
function refineVectors(all: Float64Array, n: number): RefineVectors {
  const v = (k: number) => all.subarray(k * n, (k + 1) * n);
  return { kd: v(0), w: v(1), s: v(2), b: v(3), x: v(4), r: v(5), corr: v(6) };
}

/** Whether v lies in the bytes [start, end) of buf. */
function inBlock(v: Float64Array | Int32Array, buf: ArrayBufferLike, start: number, end: number): boolean {
  return v.buffer === buf && v.byteOffset >= start && v.byteOffset + v.byteLength <= end;
}

/**
 * The symbolic analysis of an upper pattern under a permutation: the permuted pattern C = P A P'
 * (cp, ci; map: input entry -> entry of C), the elimination tree and the column pointers of L (lp)
 * and of its rows (rp), as in ldl_symbolic (one pass over C, O(nnz(L))). Read-only once built.
 */
class Symbolic {
  readonly cp: Int32Array;
  readonly ci: Int32Array;
  readonly map: Int32Array;
  readonly lp: Int32Array;
  readonly rp: Int32Array;
  /** Column indices of L's rows (row k at rp[k]..rp[k+1]) in the elimination tree's topological
   *  order, the order in which the up-looking factorization eliminates them. */
  readonly rj: Int32Array;
  readonly nnzL: number;
  private readonly perm: Int32Array;

  constructor(private readonly upper: CscPattern, perm: Int32Array) {
    const n = upper.cols;
    this.perm = perm.slice();
    const pinv = invertPerm(perm);
    // permuted upper pattern; an entry (i, j) of the input maps to (min, max) of (pinv i, pinv j)
    const nz = upper.colPtr[n];
    const cp = new Int32Array(n + 1);
    for (let j = 0; j < n; j++) {
      for (let p = upper.colPtr[j]; p < upper.colPtr[j + 1]; p++) {
        const a = pinv[upper.rowIdx[p]], b = pinv[j];
        cp[Math.max(a, b) + 1]++;
      }
    }
    for (let j = 0; j < n; j++) cp[j + 1] += cp[j];
    const next = cp.slice(0, n);
    const ci = new Int32Array(nz);
    const map = new Int32Array(nz);
    for (let j = 0; j < n; j++) {
      for (let p = upper.colPtr[j]; p < upper.colPtr[j + 1]; p++) {
        const a = pinv[upper.rowIdx[p]], b = pinv[j];
        const q = next[Math.max(a, b)]++;
        ci[q] = Math.min(a, b);
        map[p] = q;
      }
    }
    // elimination tree and column counts (ldl_symbolic); next is reused as the flags
    const parent = new Int32Array(n);
    const flag = next;
    const lnz = new Int32Array(n);
    const rp = new Int32Array(n + 1); // row counts of L (entries (k, i), i < k, visited at step k)
    for (let k = 0; k < n; k++) {
      parent[k] = -1;
      flag[k] = k;
      let rowCount = 0;
      for (let p = cp[k]; p < cp[k + 1]; p++) {
        let i = ci[p];
        if (i < k) {
          for (; flag[i] !== k; i = parent[i]) {
            if (parent[i] === -1) parent[i] = k;
            lnz[i]++;
            rowCount++;
            flag[i] = k;
          }
        }
      }
      rp[k + 1] = rp[k] + rowCount;
    }
    const lp = new Int32Array(n + 1);
    for (let k = 0; k < n; k++) lp[k + 1] = lp[k] + lnz[k];
    // row patterns (ldl_numeric's walk, done once: it depends on the structure only): the reach of
    // column k's entries in the tree, each path stacked so that a node precedes its ancestors
    const rj = new Int32Array(lp[n]);
    const pattern = new Int32Array(n);
    flag.fill(-1);
    for (let k = 0; k < n; k++) {
      let top = n;
      flag[k] = k;
      for (let p = cp[k]; p < cp[k + 1]; p++) {
        let len = 0;
        for (let i = ci[p]; flag[i] !== k; i = parent[i]) {
          pattern[len++] = i;
          flag[i] = k;
        }
        while (len > 0) pattern[--top] = pattern[--len];
      }
      rj.set(pattern.subarray(top, n), rp[k]);
    }
    this.rj = rj;
    this.cp = cp;
    this.ci = ci;
    this.map = map;
    this.lp = lp;
    this.rp = rp;
    this.nnzL = lp[n];
  }

  /** Whether this is the analysis of this pattern object under this ordering (O(n)). */
  matches(upper: CscPattern, perm: Int32Array): boolean {
    if (upper !== this.upper || perm.length !== this.perm.length) return false;
    for (let k = 0; k < perm.length; k++) if (perm[k] !== this.perm[k]) return false;
    return true;
  }
}

// The analysis per ordering (the same pattern and ordering are often factored by several objects:
// the ADMM solver's KKT and its polisher's, the active-set solvers of one compiled template).
const symbolicCache = new WeakMap<Int32Array, Symbolic>();

export class SparseLdl {
  readonly n: number;
  readonly nnzL: number;
  /** new index i -> old index perm[i] */
  readonly perm: Int32Array;
  private readonly cp: Int32Array; // permuted upper pattern C = P A P'
  private readonly ci: Int32Array;
  private readonly cx: Float64Array;
  private readonly map: Int32Array; // input entry p -> position in C
  private readonly inputNnz: number;
  private readonly lp: Int32Array;
  private readonly li: Int32Array;
  private readonly wasm: WasmFactor | null = null;
  private readonly lx: Float64Array;
  // the same factor row by row (CSR of L, row k written at step k of the up-looking factorization):
  // the forward solve then gathers along rows instead of scattering along columns
  private readonly rp: Int32Array;
  private readonly rj: Int32Array;
  private readonly rx: Float64Array;
  private readonly dinv: Float64Array;
  private readonly y: Float64Array;
  private readonly lnz: Int32Array;
  private readonly work: Float64Array;
  private pos = 0;
  private neg = 0;
  private ok = false;
  private readonly ref: RefineVectors | null;
  /** Largest |correction| of the last `solveRefined` (in the caller's coordinates; 0 when it made none). */
  lastCorrection = 0;
  /** The residual tolerance the last `solveRefined` used. */
  lastTolerance = NaN;
  /** Whether `setRefinement` was called since the last `factor`. */
  private refineReady = false;

  constructor(upper: CscPattern, perm?: Int32Array, options?: SparseLdlOptions) {
    const n = upper.cols;
    if (upper.rows !== n) throw new Error(`SparseLdl: matrix must be square, got ${upper.rows}x${n}`);
    this.n = n;
    let sym = perm !== undefined ? symbolicCache.get(perm) : undefined;
    if (sym === undefined || !sym.matches(upper, perm as Int32Array)) {
      const pm = perm ?? amdOrder(upper);
      if (!isPermutation(pm, n)) throw new Error("SparseLdl: perm is not a permutation of 0..n-1");
      sym = new Symbolic(upper, pm);
      symbolicCache.set(pm, sym);
      this.perm = pm;
    } else {
      this.perm = perm as Int32Array;
    }
    const { cp, ci, map, rp, nnzL } = sym;
    let lp = sym.lp;
    const nz = upper.colPtr[n];
    this.inputNnz = nz;
    this.map = map;
    this.nnzL = nnzL;
    // factor arrays: plain typed arrays, or views of one WebAssembly memory (8-byte arrays first)
    const arenaF64 = options?.arenaF64 ?? 0, arenaI32 = options?.arenaI32 ?? 0;
    // f64: lx, rx, dinv, x, cx, y; i32: lp, li, rp, rj, cp, ci, lnz, the two pivot counts
    const refineF64 = options?.refine === true ? 7 * n : 0;
    const bytes = ADMM_DESC_BYTES + 8 * (2 * nnzL + 3 * n + nz + arenaF64 + refineF64) + 4 * (2 * nnzL + 3 * (n + 1) + n + nz + 2 + arenaI32);
    const block = options?.wasm ? allocWasmBlock(bytes) : null;
    if (block) {
      const { kernels } = block;
      const buf = kernels.memory.buffer;
      const descAt = block.at;
      let off = block.at + ADMM_DESC_BYTES;
      const f64 = (len: number): [Float64Array, number] => {
        const at = off;
        off += 8 * len;
        return [new Float64Array(buf, at, len), at];
      };
      const i32 = (len: number): [Int32Array, number] => {
        const at = off;
        off += 4 * len;
        return [new Int32Array(buf, at, len), at];
      };
      const [lxW, lxAt] = f64(nnzL), [rxW, rxAt] = f64(nnzL), [dinvW, dinvAt] = f64(n), [xW, xAt] = f64(n);
      const [cxW, cxAt] = f64(nz), [yW, yAt] = f64(n);
      const [arenaF] = f64(arenaF64);
      const refine = f64(refineF64)[0];
      const [lpW, lpAt] = i32(n + 1), [liW, liAt] = i32(nnzL), [rpW, rpAt] = i32(n + 1), [rjW, rjAt] = i32(nnzL);
      const [cpW, cpAt] = i32(n + 1), [ciW, ciAt] = i32(nz), [lnzW, lnzAt] = i32(n), [outW, outAt] = i32(2);
      const [arenaI] = i32(arenaI32);
      lpW.set(lp);
      rpW.set(rp);
      rjW.set(sym.rj);
      cpW.set(cp);
      ciW.set(ci);
      lp = lpW;
      this.cp = cpW;
      this.ci = ciW;
      this.cx = cxW;
      this.y = yW;
      this.lnz = lnzW;
      this.lx = lxW;
      this.rx = rxW;
      this.dinv = dinvW;
      this.li = liW;
      this.rp = rpW;
      this.rj = rjW;
      const desc = new Int32Array(buf, descAt, ADMM_DESC_F64 / 4), descF64 = new Float64Array(buf, descAt + ADMM_DESC_F64, 3);
      this.ref = refineF64 > 0 ? refineVectors(refine, n) : null;
      this.wasm = {
        kernels, start: block.at, end: block.at + block.bytes, x: xW, arena: { f64: arenaF, i32: arenaI }, desc, descF64, descAt, counts: outW,
        at: { rp: rpAt, rj: rjAt, rx: rxAt, lp: lpAt, li: liAt, lx: lxAt, dinv: dinvAt, x: xAt, cp: cpAt, ci: ciAt, cx: cxAt, y: yAt, lnz: lnzAt, out: outAt },
      };
    } else {
      this.cp = cp;
      this.ci = ci;
      this.cx = new Float64Array(nz);
      this.y = new Float64Array(n);
      // scratch of factor() (it sets lnz[k] at step k before reading it)
      this.lnz = new Int32Array(n);
      this.li = new Int32Array(nnzL);
      this.lx = new Float64Array(nnzL);
      // read-only in the factorization: shared with every factor of this analysis
      this.rp = rp;
      this.rj = sym.rj;
      this.rx = new Float64Array(nnzL);
      this.dinv = new Float64Array(n);
      this.ref = refineF64 > 0 ? refineVectors(new Float64Array(refineF64), n) : null;
    }
    this.lp = lp;
    this.work = new Float64Array(n);
  }

  /** Number of positive pivots of the last factorization. */
  get positivePivots(): number {
    return this.pos;
  }
  /** Number of negative pivots of the last factorization. */
  get negativePivots(): number {
    return this.neg;
  }
  /** Whether the triangular solves run in WebAssembly (requested and available). */
  get usesWasm(): boolean {
    return this.wasm !== null;
  }
  /** The caller's part of the WebAssembly memory (null on the JavaScript path). */
  get arena(): LdlArena | null {
    return this.wasm?.arena ?? null;
  }

  /** The right-hand side buffer of `admmStep` (null on the JavaScript path); solve() and solvePermuted() use it as scratch. */
  get wasmRhs(): Float64Array | null {
    return this.wasm?.x ?? null;
  }

  /**
   * Prepares `admmStep` (WebAssembly path only, arena non-null): the vectors of one OSQP iteration,
   * every one a view of `arena`; x/xPrev and z/zPrev swap roles when admmStep is called with flip 1.
   * Returns false (and admmStep must not be called) when there is no arena or an array is not a view of it.
   */
  admmSetup(
    pinvX: Int32Array, pinvZ: Int32Array, x: Float64Array, xPrev: Float64Array, qs: Float64Array, z: Float64Array, zPrev: Float64Array,
    y: Float64Array, rhoInv: Float64Array, rhoVec: Float64Array, l: Float64Array, u: Float64Array, sigma: number, alpha: number, alpha1: number,
  ): boolean {
    const w = this.wasm;
    if (w === null) return false;
    // every vector must lie in this factor's block (no array literal here: this runs once per solve and must not allocate)
    const { start, end } = w;
    const buf = w.x.buffer;
    if (!inBlock(pinvX, buf, start, end) || !inBlock(pinvZ, buf, start, end) || !inBlock(x, buf, start, end) || !inBlock(xPrev, buf, start, end)) return false;
    if (!inBlock(qs, buf, start, end) || !inBlock(z, buf, start, end) || !inBlock(zPrev, buf, start, end) || !inBlock(y, buf, start, end)) return false;
    if (!inBlock(rhoInv, buf, start, end) || !inBlock(rhoVec, buf, start, end) || !inBlock(l, buf, start, end) || !inBlock(u, buf, start, end)) return false;
    const { desc, at } = w;
    const D = ADMM_DESC;
    desc[D.N] = this.n; desc[D.rp] = at.rp; desc[D.rj] = at.rj; desc[D.rx] = at.rx;
    desc[D.lp] = at.lp; desc[D.li] = at.li; desc[D.lx] = at.lx; desc[D.dinv] = at.dinv; desc[D.rhs] = at.x;
    desc[D.n] = x.length; desc[D.m] = z.length; desc[D.pinvX] = pinvX.byteOffset; desc[D.pinvZ] = pinvZ.byteOffset;
    desc[D.xA] = x.byteOffset; desc[D.xB] = xPrev.byteOffset; desc[D.qs] = qs.byteOffset;
    desc[D.zA] = z.byteOffset; desc[D.zB] = zPrev.byteOffset; desc[D.y] = y.byteOffset;
    desc[D.rhoInv] = rhoInv.byteOffset; desc[D.rhoVec] = rhoVec.byteOffset; desc[D.l] = l.byteOffset; desc[D.u] = u.byteOffset;
    w.descF64[0] = sigma;
    w.descF64[1] = alpha;
    w.descF64[2] = alpha1;
    return true;
  }

  /**
   * One ADMM iteration on `wasmRhs` (KKT solve, then the x, z, y updates and the next right-hand
   * side; see ldl_wasm.ts admmCode) with the vectors given to admmSetup; flip 1 writes x and z into
   * the arrays given as xPrev and zPrev (and reads the previous iterate from x and z).
   */
  admmStep(flip: number): void {
    const w = this.wasm as WasmFactor;
    w.kernels.step(w.descAt, flip);
  }

  /** `count` admmStep calls in one call into WebAssembly: flip for the first, toggled after each. */
  admmSteps(flip: number, count: number): void {
    const w = this.wasm as WasmFactor;
    w.kernels.steps(w.descAt, flip, count);
  }

  /** Whether the last factor() succeeded. */
  get factored(): boolean {
    return this.ok;
  }

  /** Numeric factorization; values aligned with the input pattern's rowIdx. False on a zero or non-finite pivot. */
  factor(values: ArrayLike<number>): boolean {
    const { cx, map } = this;
    for (let p = 0; p < this.inputNnz; p++) cx[map[p]] = values[p];
    return this.refactor();
  }

  /** Sets entry p (of the input pattern) of the matrix the next `refactor` factors. */
  setValue(p: number, v: number): void {
    this.cx[this.map[p]] = v;
  }

  /** Numeric factorization of the values stored by the last `factor` and the `setValue` calls
   *  since (the same as `factor` with those values). False on a zero or non-finite pivot. */
  refactor(): boolean {
    const { n, cp, ci, cx, lp, li, lx, rp, rj, rx, dinv, y, lnz } = this;
    this.refineReady = false;
    const w = this.wasm;
    if (w !== null) {
      // the same loop in WebAssembly (ldl_wasm.ts factorCode): bitwise the same factor
      const a = w.at;
      this.ok = w.kernels.factor(n, a.cp, a.ci, a.cx, a.lp, a.li, a.lx, a.rp, a.rj, a.rx, a.dinv, a.y, a.lnz, a.out) === 1;
      this.pos = w.counts[0];
      this.neg = w.counts[1];
      return this.ok;
    }
    let pos = 0, neg = 0;
    this.ok = false;
    for (let k = 0; k < n; k++) {
      y[k] = 0;
      lnz[k] = 0;
      for (let p = cp[k]; p < cp[k + 1]; p++) y[ci[p]] += cx[p];
      let dk = y[k];
      y[k] = 0;
      const q1 = rp[k + 1];
      for (let q = rp[k]; q < q1; q++) {
        const i = rj[q];
        const yi = y[i];
        y[i] = 0;
        const p2 = lp[i] + lnz[i];
        for (let p = lp[i]; p < p2; p++) y[li[p]] -= lx[p] * yi;
        const lki = yi * dinv[i];
        dk -= lki * yi;
        li[p2] = k;
        lx[p2] = lki;
        rx[q] = lki;
        lnz[i]++;
      }
      if (dk === 0 || !Number.isFinite(dk)) {
        this.pos = pos;
        this.neg = neg;
        return false;
      }
      dinv[k] = 1 / dk;
      if (dk > 0) pos++;
      else neg++;
    }
    this.pos = pos;
    this.neg = neg;
    this.ok = true;
    return true;
  }

  /** Solves K x = rhs in place (rhs in the original ordering). No allocation. */
  solve(rhs: Float64Array): void {
    const { n, perm } = this;
    const w = this.wasm;
    if (w !== null && rhs !== w.x) {
      // permuted straight into (and out of) the kernel's buffer
      const wx = w.x;
      for (let i = 0; i < n; i++) wx[i] = rhs[perm[i]];
      this.kernelSolve(w);
      for (let i = 0; i < n; i++) rhs[perm[i]] = wx[i];
      return;
    }
    const x = this.work;
    for (let i = 0; i < n; i++) x[i] = rhs[perm[i]];
    this.solvePermuted(x);
    for (let i = 0; i < n; i++) rhs[perm[i]] = x[i];
  }

  /**
   * Solves in the permuted ordering: x holds P rhs (x[i] = rhs[perm[i]]) and is overwritten by the
   * solution, permuted alike. Both triangular solves are gathers (L by rows, L' by the columns of L)
   * with two accumulators, so consecutive multiply-adds do not wait on each other.
   */
  solvePermuted(x: Float64Array): void {
    const w = this.wasm;
    if (w !== null) {
      w.x.set(x);
      this.kernelSolve(w);
      x.set(w.x);
      return;
    }
    const { n, rp, rj, rx, lp, li, lx, dinv } = this;
    // L y = b, row k: y_k = b_k - sum_i L_ki y_i
    let p = 0;
    for (let k = 0; k < n; k++) {
      const end = rp[k + 1];
      let s0 = x[k], s1 = 0;
      for (; p + 1 < end; p += 2) {
        s0 -= rx[p] * x[rj[p]];
        s1 -= rx[p + 1] * x[rj[p + 1]];
      }
      if (p < end) {
        s0 -= rx[p] * x[rj[p]];
        p++;
      }
      x[k] = s0 + s1;
    }
    // L' x = D^-1 y (D^-1 fused), column j: x_j = y_j / d_j - sum_i L_ij x_i
    p = lp[n];
    for (let j = n - 1; j >= 0; j--) {
      const start = lp[j];
      let s0 = x[j] * dinv[j], s1 = 0;
      for (; p - 1 > start; p -= 2) {
        s0 -= lx[p - 1] * x[li[p - 1]];
        s1 -= lx[p - 2] * x[li[p - 2]];
      }
      if (p > start) {
        p--;
        s0 -= lx[p] * x[li[p]];
      }
      x[j] = s0 + s1;
    }
  }

  /** Both triangular solves in WebAssembly, in place on the permuted vector at byte address `x` of
   *  the factor's memory (the kernel's buffer w.x unless given). */
  private kernelSolve(w: WasmFactor, x = w.at.x): void {
    const a = w.at;
    w.kernels.solve(this.n, a.rp, a.rj, a.rx, a.lp, a.li, a.lx, a.dinv, x);
  }

  /** Whether `solveRefined` is available (the `refine` option). */
  get canRefine(): boolean {
    return this.ref !== null;
  }

  /**
   * The data of `solveRefined` for the current factorization, in the original ordering: the
   * diagonal kd of the unregularized matrix in the factored coordinates (S K S: the factored matrix
   * C is S K S with its diagonal regularized; every off-diagonal entry of C is K's, and each column
   * of the pattern holds one diagonal entry) and the scaling S = diag(scale) (null: S = I). Needed
   * after every factorization before `solveRefined`.
   */
  setRefinement(kd: ArrayLike<number>, scale: ArrayLike<number> | null): void {
    const ref = this.ref;
    if (ref === null) throw new Error("SparseLdl: solveRefined needs the refine option");
    const { n, perm } = this;
    this.refineReady = this.ok;
    const rkd = ref.kd;
    if (scale === null && this.unitScale) {
      // S = I as at the last call: only the diagonal changes
      for (let k = 0; k < n; k++) rkd[k] = kd[perm[k]];
      return;
    }
    for (let k = 0; k < n; k++) {
      const i = perm[k];
      rkd[k] = kd[i];
      const d = scale === null ? 1 : scale[i];
      ref.s[k] = d;
      ref.w[k] = 1 / d;
    }
    this.unitScale = scale === null;
  }
  /** Whether the refinement's scaling is the identity (set by the last `setRefinement`). */
  private unitScale = false;

  /**
   * Solves K sol = rhs (both in the original ordering and the caller's coordinates; K as declared
   * by `setRefinement`, C the factored matrix): sol = C^-1 rhs, then iterative refinement against K
   * in the permuted ordering, each residual r = b - K x (C's permuted upper triangle, the factor's
   * input, with K's diagonal) and each correction one kernel call. The tolerance is max(tolAbs,
   * tolRel max|sol|) over the unrefined sol (`lastTolerance`); the residual's size is max|r| in the
   * caller's coordinates. Refinement stops at the tolerance, after maxSteps corrections, or when a
   * correction did not help: with `keepBest`, a correction after which the residual did not shrink
   * is undone (the returned size and `lastCorrection` are then those of the last correction kept);
   * otherwise (after minSteps corrections) when it did not shrink below stall x the previous one.
   * Returns the last residual size; `lastCorrection` is the size of the last correction. Allocates
   * nothing. Throws (a programming error) without a successful factorization and setRefinement.
   */
  solveRefined(rhs: ArrayLike<number>, sol: Float64Array, maxSteps: number, minSteps: number, tolAbs: number, tolRel: number, stall: number, keepBest: boolean): number {
    const ref = this.ref;
    if (ref === null) throw new Error("SparseLdl: solveRefined needs the refine option");
    if (!this.refineReady) throw new Error("SparseLdl: solveRefined needs a successful factor() and then setRefinement()");
    const { n, perm } = this;
    const { b, x, s } = ref;
    for (let k = 0; k < n; k++) b[k] = rhs[perm[k]] * s[k];
    x.set(b);
    this.solveInPlace(x);
    let pointScale = 0;
    for (let k = 0; k < n; k++) {
      const a = Math.abs(x[k]) * s[k];
      if (a > pointScale) pointScale = a;
    }
    const tol = Math.max(tolAbs, tolRel * pointScale);
    this.lastTolerance = tol;
    this.lastCorrection = 0;
    let prev = Infinity;
    let norm = Infinity;
    let keptCorrection = 0;
    for (let it = 0; ; it++) {
      norm = this.residual(ref);
      if (keepBest && !(norm < prev)) {
        if (it > 0) {
          for (let k = 0; k < n; k++) x[k] -= ref.corr[k];
          norm = prev;
          this.lastCorrection = keptCorrection;
        }
        break;
      }
      if (norm <= tol || it >= maxSteps || (!keepBest && it >= minSteps && it > 0 && !(norm < stall * prev))) break;
      prev = norm;
      this.solveInPlace(ref.r);
      keptCorrection = this.lastCorrection;
      this.lastCorrection = this.applyCorrection(ref);
    }
    for (let k = 0; k < n; k++) sol[perm[k]] = x[k] * s[k];
    return norm;
  }

  /** r = b - K x and max|r_i| w_i (ldl_wasm.ts residCode: the same loop). */
  private residual(ref: RefineVectors): number {
    const w = this.wasm;
    if (w !== null) {
      const a = w.at;
      return w.kernels.resid(this.n, a.cp, a.ci, a.cx, ref.kd.byteOffset, ref.w.byteOffset, ref.b.byteOffset, ref.x.byteOffset, ref.r.byteOffset);
    }
    const { n, cp, ci, cx } = this;
    const { kd, b, x, r } = ref;
    for (let j = 0; j < n; j++) r[j] = b[j];
    for (let j = 0; j < n; j++) {
      const xj = x[j];
      let acc = 0;
      for (let p = cp[j]; p < cp[j + 1]; p++) {
        const i = ci[p];
        const c = cx[p];
        if (i === j) acc += kd[j] * xj;
        else {
          r[i] -= c * xj;
          acc += c * x[i];
        }
      }
      r[j] -= acc;
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm = Math.max(norm, Math.abs(r[j]) * ref.w[j]);
    return norm;
  }

  /** x += r, corr = r, and max|r_i| s_i (ldl_wasm.ts updateCode: the same loop). */
  private applyCorrection(ref: RefineVectors): number {
    const w = this.wasm;
    if (w !== null) return w.kernels.update(this.n, ref.x.byteOffset, ref.r.byteOffset, ref.s.byteOffset, ref.corr.byteOffset);
    const { x, r, s, corr } = ref;
    let norm = 0;
    for (let j = 0; j < this.n; j++) {
      const v = r[j];
      x[j] += v;
      corr[j] = v;
      norm = Math.max(norm, Math.abs(v) * s[j]);
    }
    return norm;
  }

  /** Both triangular solves on a permuted vector in place (on the WebAssembly path, one of this factor's vectors). */
  private solveInPlace(v: Float64Array): void {
    const w = this.wasm;
    if (w !== null) this.kernelSolve(w, v.byteOffset);
    else this.solvePermuted(v);
  }

  /** pinv[old] = new position (the inverse of perm). */
  inversePerm(): Int32Array {
    return invertPerm(this.perm);
  }
}
