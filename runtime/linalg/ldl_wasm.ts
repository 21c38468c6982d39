// SparseLdl's numeric factorization (`factor`) and the two triangular solves of its solvePermuted
// as a tiny WebAssembly module, assembled here from its opcodes (WebAssembly Core Specification
// 2.0, section 5 "Binary Format"). The factor lives in the module's memory, so V8 compiles the
// loops without per-access bounds checks (guard pages); the arithmetic and its order are exactly
// the JavaScript fallback's (no FMA in either), so both paths give bitwise equal factors and
// solutions. Used when WebAssembly is available; null otherwise. The factorization in WebAssembly:
// 12% less time per interior-point solve and 13% less per one-set active-set solve at N = 160
// (bench:scale's QPs; the factor's per-column overhead dominates on these very sparse matrices).

// opcodes (section 5.4)
const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, VOID = 0x40;
const CALL = 0x10, GET = 0x20, SET = 0x21, TEE = 0x22;
const I32_LOAD = 0x28, F64_LOAD = 0x2b, F64_STORE = 0x39, I32_CONST = 0x41, F64_CONST = 0x44;
const I32_LT_S = 0x48, I32_LT_U = 0x49, I32_GT_U = 0x4b, I32_LE_U = 0x4d, I32_GE_S = 0x4e, I32_GE_U = 0x4f;
const I32_EQZ = 0x45, I32_ADD = 0x6a, I32_SUB = 0x6b, I32_SHL = 0x74, I32_XOR = 0x73;
const F64_ADD = 0xa0, F64_SUB = 0xa1, F64_MUL = 0xa2, F64_DIV = 0xa3, F64_MIN = 0xa4, F64_MAX = 0xa5;
const F64_EQ = 0x61, F64_NE = 0x62, F64_GT = 0x64, I32_OR = 0x72, I32_STORE = 0x36, RETURN = 0x0f, ELSE = 0x05;
const I32_EQ = 0x46, F64_ABS = 0x99;
const I32 = 0x7f, F64 = 0x7c;

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}
function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const i32c = (v: number): Code => [I32_CONST, sleb(v)];
const f64zero = [F64_CONST, 0, 0, 0, 0, 0, 0, 0, 0];
const ldI32 = (offset: number): Code => [I32_LOAD, 2, uleb(offset)];
const ldF64 = (offset: number): Code => [F64_LOAD, 3, uleb(offset)];
const stF64 = (offset: number): Code => [F64_STORE, 3, uleb(offset)];
const get = (i: number): Code => [GET, i];
const set = (i: number): Code => [SET, i];

/** Bytes as nested arrays, flattened once at the end: building them by array spreads cost about
 *  5 ms of every CLI start-up (cold code), this about 1 ms. */
type Code = number | readonly Code[];
function flatten(c: Code, out: number[] = []): number[] {
  if (typeof c === "number") out.push(c);
  else for (let i = 0; i < c.length; i++) flatten(c[i], out); // no iterator: this runs cold, interpreted
  return out;
}
function section(id: number, content: Code): Code {
  const b = flatten(content);
  return [id, uleb(b.length), b];
}
function vec(items: readonly Code[]): Code {
  return [uleb(items.length), items];
}
function name(s: string): Code {
  return [uleb(s.length), Array.from(s, (c) => c.charCodeAt(0))];
}
function body(locals: [number, number][], code: Code): Code {
  const b = flatten([vec(locals.map(([count, type]) => [uleb(count), type])), code, END]);
  return [uleb(b.length), b];
}

// x[k] (8 bytes) at address x + 8 k: push (x + (k << 3)); a 4-byte entry at x + 4 k
const addr8 = (base: number, idx: Code): Code => [get(base), idx, i32c(3), I32_SHL, I32_ADD];
const addr4 = (base: number, idx: Code): Code => [get(base), idx, i32c(2), I32_SHL, I32_ADD];
const stI32 = (offset: number): Code => [I32_STORE, 2, uleb(offset)];
// the int32 / double entry idx of the array at the address in local `base`
const i32At = (base: number, idx: Code): Code => [addr4(base, idx), ldI32(0)];
const f64At = (base: number, idx: Code): Code => [addr8(base, idx), ldF64(0)];

/**
 * forward(n, rp, rj, rx, x): L y = b by rows (CSR rp/rj/rx, byte addresses), in place in x.
 * Locals: 5 k, 6 pj (address in rj), 7 px (address in rx), 8 endJ, 9 s0, 10 s1.
 */
function forwardCode(): Code {
  const [n, rp, rj, rx, x, k, pj, px, endJ, s0, s1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  // s -= rx[off] * x[rj[off]]
  const term = (s: number, jOff: number, xOff: number): Code => [
    get(s), get(px), ldF64(xOff), addr8(x, [get(pj), ldI32(jOff)]), ldF64(0), F64_MUL, F64_SUB, set(s),
  ];
  return [
    i32c(0), set(k), get(rj), set(pj), get(rx), set(px),
    BLOCK, VOID, LOOP, VOID,
    get(k), get(n), I32_GE_S, BR_IF, 1,
    // endJ = rj + (rp[k + 1] << 2)
    get(rj), get(rp), get(k), i32c(2), I32_SHL, I32_ADD, ldI32(4), i32c(2), I32_SHL, I32_ADD, set(endJ),
    addr8(x, get(k)), ldF64(0), set(s0), f64zero, set(s1),
    BLOCK, VOID, LOOP, VOID,
    // two entries left: pj + 4 < endJ
    get(pj), i32c(4), I32_ADD, get(endJ), I32_GE_U, BR_IF, 1,
    term(s0, 0, 0), term(s1, 4, 8),
    get(pj), i32c(8), I32_ADD, set(pj), get(px), i32c(16), I32_ADD, set(px),
    BR, 0, END, END,
    get(pj), get(endJ), I32_LT_U, IF, VOID,
    term(s0, 0, 0),
    get(pj), i32c(4), I32_ADD, set(pj), get(px), i32c(8), I32_ADD, set(px),
    END,
    addr8(x, get(k)), get(s0), get(s1), F64_ADD, stF64(0),
    get(k), i32c(1), I32_ADD, set(k),
    BR, 0, END, END,
  ];
}

/**
 * backward(n, lp, li, lx, dinv, x): L' x = D^-1 y by the columns of L (CSC lp/li/lx), in place.
 * Locals: 6 j, 7 pi (address in li, one past the current column's end), 8 px, 9 startI, 10 s0, 11 s1.
 */
function backwardCode(): Code {
  const [n, lp, li, lx, dinv, x, j, pi, px, startI, s0, s1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const term = (s: number, iOff: number, xOff: number): Code => [
    get(s), get(px), ldF64(xOff), addr8(x, [get(pi), ldI32(iOff)]), ldF64(0), F64_MUL, F64_SUB, set(s),
  ];
  const lpAt = (idx: Code): Code => [get(lp), idx, i32c(2), I32_SHL, I32_ADD, ldI32(0)];
  return [
    // pi = li + 4 lp[n], px = lx + 8 lp[n]
    lpAt(get(n)), TEE, pi, set(px),
    get(li), get(pi), i32c(2), I32_SHL, I32_ADD, set(pi),
    get(lx), get(px), i32c(3), I32_SHL, I32_ADD, set(px),
    get(n), i32c(1), I32_SUB, set(j),
    BLOCK, VOID, LOOP, VOID,
    get(j), i32c(0), I32_LT_S, BR_IF, 1,
    get(li), lpAt(get(j)), i32c(2), I32_SHL, I32_ADD, set(startI),
    addr8(x, get(j)), ldF64(0), addr8(dinv, get(j)), ldF64(0), F64_MUL, set(s0), f64zero, set(s1),
    BLOCK, VOID, LOOP, VOID,
    // two entries left: pi > startI + 4
    get(pi), get(startI), i32c(4), I32_ADD, I32_LE_U, BR_IF, 1,
    get(pi), i32c(8), I32_SUB, set(pi), get(px), i32c(16), I32_SUB, set(px),
    term(s0, 4, 8), term(s1, 0, 0),
    BR, 0, END, END,
    get(pi), get(startI), I32_GT_U, IF, VOID,
    get(pi), i32c(4), I32_SUB, set(pi), get(px), i32c(8), I32_SUB, set(px),
    term(s0, 0, 0),
    END,
    addr8(x, get(j)), get(s0), get(s1), F64_ADD, stF64(0),
    get(j), i32c(1), I32_SUB, set(j),
    BR, 0, END, END,
  ];
}

/**
 * factor(n, cp, ci, cx, lp, li, lx, rp, rj, rx, dinv, y, lnz, out) -> 1 (factored) or 0 (a zero or
 * non-finite pivot): SparseLdl.factor's up-looking LDL' after the values are scattered into cx, the
 * same operations in the same order (bitwise equal factors). Writes the positive and negative pivot
 * counts to out[0], out[1] (i32). Locals: 14 k, 15 p, 16 pEnd, 17 q, 18 qEnd, 19 i, 20 p2, 21 pos,
 * 22 neg, 23 yi, 24 dk, 25 lki.
 */
function factorCode(): Code {
  const [n, cp, ci, cx, lp, li, lx, rp, rj, rx, dinv, y, lnz, out] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [k, p, pEnd, q, qEnd, i, p2, pos, neg, yi, dk, lki] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25];
  const counts: Code = [get(out), get(pos), stI32(0), get(out), get(neg), stI32(4)];
  return [
    i32c(0), set(k), i32c(0), set(pos), i32c(0), set(neg),
    BLOCK, VOID, LOOP, VOID,
    get(k), get(n), I32_GE_S, BR_IF, 1,
    addr8(y, get(k)), f64zero, stF64(0),
    addr4(lnz, get(k)), i32c(0), stI32(0),
    // y[ci[p]] += cx[p] over column k of C
    i32At(cp, get(k)), set(p), addr4(cp, get(k)), ldI32(4), set(pEnd),
    BLOCK, VOID, LOOP, VOID,
    get(p), get(pEnd), I32_GE_S, BR_IF, 1,
    i32At(ci, get(p)), set(i),
    addr8(y, get(i)), f64At(y, get(i)), f64At(cx, get(p)), F64_ADD, stF64(0),
    get(p), i32c(1), I32_ADD, set(p),
    BR, 0, END, END,
    f64At(y, get(k)), set(dk),
    addr8(y, get(k)), f64zero, stF64(0),
    // row k of L: for each i in rj[rp[k] .. rp[k + 1])
    i32At(rp, get(k)), set(q), addr4(rp, get(k)), ldI32(4), set(qEnd),
    BLOCK, VOID, LOOP, VOID,
    get(q), get(qEnd), I32_GE_S, BR_IF, 1,
    i32At(rj, get(q)), set(i),
    f64At(y, get(i)), set(yi),
    addr8(y, get(i)), f64zero, stF64(0),
    i32At(lp, get(i)), set(p), get(p), i32At(lnz, get(i)), I32_ADD, set(p2),
    // y[li[p]] -= lx[p] * yi over the entries of column i so far
    BLOCK, VOID, LOOP, VOID,
    get(p), get(p2), I32_GE_S, BR_IF, 1,
    i32At(li, get(p)), set(pEnd),
    addr8(y, get(pEnd)), f64At(y, get(pEnd)), f64At(lx, get(p)), get(yi), F64_MUL, F64_SUB, stF64(0),
    get(p), i32c(1), I32_ADD, set(p),
    BR, 0, END, END,
    get(yi), f64At(dinv, get(i)), F64_MUL, set(lki),
    get(dk), get(lki), get(yi), F64_MUL, F64_SUB, set(dk),
    addr4(li, get(p2)), get(k), stI32(0),
    addr8(lx, get(p2)), get(lki), stF64(0),
    addr8(rx, get(q)), get(lki), stF64(0),
    addr4(lnz, get(i)), i32At(lnz, get(i)), i32c(1), I32_ADD, stI32(0),
    get(q), i32c(1), I32_ADD, set(q),
    BR, 0, END, END,
    // a zero or non-finite pivot (dk - dk is NaN for an infinite or NaN dk)
    get(dk), f64zero, F64_EQ, get(dk), get(dk), F64_SUB, f64zero, F64_NE, I32_OR, IF, VOID,
    counts, i32c(0), RETURN,
    END,
    addr8(dinv, get(k)), [F64_CONST, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f], get(dk), F64_DIV, stF64(0),
    get(dk), f64zero, F64_GT, IF, VOID,
    get(pos), i32c(1), I32_ADD, set(pos),
    ELSE,
    get(neg), i32c(1), I32_ADD, set(neg),
    END,
    get(k), i32c(1), I32_ADD, set(k),
    BR, 0, END, END,
    counts, i32c(1),
  ];
}

/** solve(n, rp, rj, rx, lp, li, lx, dinv, x): forward then backward (one call from JavaScript instead of two). */
function solveCode(): Code {
  return [get(0), get(1), get(2), get(3), get(8), CALL, 0, get(0), get(4), get(5), get(6), get(7), get(8), CALL, 1];
}

/**
 * admm(N, rp, rj, rx, lp, li, lx, dinv, rhs, n, m, pinvX, pinvZ, x, xPrev, qs, z, zPrev, y, rhoInv,
 * rhoVec, l, u, sigma, alpha, alpha1): one OSQP iteration (Stellato et al. 2020, Algorithm 1, steps
 * 3-6) on the permuted right-hand side rhs = [sigma x - q; z - y/rho]: the KKT solve, then
 * x = alpha xt + (1 - alpha) xPrev, z and y updated with the projection onto [l, u], and the next
 * right-hand side written in place. The same operations in the same order as QpSolver's JavaScript loop.
 */
function admmCode(): Code {
  const [n, m, pinvX, pinvZ, x, xPrev, qs, z, zPrev, y, rhoInv, rhoVec, lo, hi] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  const [sigma, alpha, alpha1] = [23, 24, 25];
  const [i, k, xn, zp, ri, yi, zr, zn, yn] = [26, 27, 28, 29, 30, 31, 32, 33, 34];
  const rhs = 8;
  const at8 = (base: number, idx: number): Code => addr8(base, get(idx));
  const load8 = (base: number, idx: number): Code => [at8(base, idx), ldF64(0)];
  const permIdx = (perm: number): Code => [get(perm), get(i), i32c(2), I32_SHL, I32_ADD, ldI32(0), set(k)];
  return [
    [0, 1, 2, 3, 4, 5, 6, 7, 8].map(get), CALL, 2,
    // x update, rhs_x = sigma x - q
    i32c(0), set(i),
    BLOCK, VOID, LOOP, VOID,
    get(i), get(n), I32_GE_S, BR_IF, 1,
    permIdx(pinvX),
    get(alpha), load8(rhs, k), F64_MUL, get(alpha1), load8(xPrev, i), F64_MUL, F64_ADD, set(xn),
    at8(x, i), get(xn), stF64(0),
    at8(rhs, k), get(sigma), get(xn), F64_MUL, load8(qs, i), F64_SUB, stF64(0),
    get(i), i32c(1), I32_ADD, set(i),
    BR, 0, END, END,
    // z, y update, rhs_z = z - y / rho
    i32c(0), set(i),
    BLOCK, VOID, LOOP, VOID,
    get(i), get(m), I32_GE_S, BR_IF, 1,
    permIdx(pinvZ),
    load8(zPrev, i), set(zp), load8(rhoInv, i), set(ri), load8(y, i), set(yi),
    // zt = zp + ri (rhs_k - yi); zr = alpha zt + alpha1 zp
    get(alpha), get(zp), get(ri), load8(rhs, k), get(yi), F64_SUB, F64_MUL, F64_ADD, F64_MUL,
    get(alpha1), get(zp), F64_MUL, F64_ADD, set(zr),
    // zn = v < l ? l : v, then zn > u ? u : zn (select, no branch)
    get(zr), get(ri), get(yi), F64_MUL, F64_ADD, set(zn),
    load8(lo, i), get(zn), get(zn), load8(lo, i), 0x63 /* f64.lt */, 0x1b, set(zn),
    load8(hi, i), get(zn), get(zn), load8(hi, i), 0x64 /* f64.gt */, 0x1b, set(zn),
    get(yi), load8(rhoVec, i), get(zr), get(zn), F64_SUB, F64_MUL, F64_ADD, set(yn),
    at8(y, i), get(yn), stF64(0),
    at8(z, i), get(zn), stF64(0),
    at8(rhs, k), get(zn), get(ri), get(yn), F64_MUL, F64_SUB, stF64(0),
    get(i), i32c(1), I32_ADD, set(i),
    BR, 0, END, END,
  ];
}

/** Word offsets of admmStep's descriptor (int32 words; then sigma, alpha, 1 - alpha as doubles at ADMM_DESC_F64). */
export const ADMM_DESC = {
  N: 0, rp: 1, rj: 2, rx: 3, lp: 4, li: 5, lx: 6, dinv: 7, rhs: 8, n: 9, m: 10, pinvX: 11, pinvZ: 12,
  xA: 13, xB: 14, qs: 15, zA: 16, zB: 17, y: 18, rhoInv: 19, rhoVec: 20, l: 21, u: 22,
} as const;
/** Byte offset of the three doubles in the descriptor, which takes ADMM_DESC_BYTES bytes. */
export const ADMM_DESC_F64 = 96;
export const ADMM_DESC_BYTES = 120;

/**
 * step(desc, flip): admm with its arguments read from a descriptor in memory (a JavaScript call
 * with two arguments is much cheaper than one with 26); flip 1 swaps the roles of x/xPrev and z/zPrev.
 */
function stepCode(): Code {
  const [desc, flip] = [0, 1];
  const w = (k: number): Code => [get(desc), ldI32(4 * k)];
  const pick = (a: number, b: number): Code => [w(a), w(b), get(flip), 0x1b /* select: flip ? first : second */];
  const D = ADMM_DESC;
  return [
    [D.N, D.rp, D.rj, D.rx, D.lp, D.li, D.lx, D.dinv, D.rhs, D.n, D.m, D.pinvX, D.pinvZ].map(w),
    pick(D.xB, D.xA), pick(D.xA, D.xB), w(D.qs), pick(D.zB, D.zA), pick(D.zA, D.zB),
    [D.y, D.rhoInv, D.rhoVec, D.l, D.u].map(w),
    get(desc), ldF64(ADMM_DESC_F64), get(desc), ldF64(ADMM_DESC_F64 + 8), get(desc), ldF64(ADMM_DESC_F64 + 16),
    CALL, 3,
  ];
}

/**
 * steps(desc, flip, count): `count` calls of step, flip toggling after each (the first with the
 * given flip): the iterations between two termination checks in one call from JavaScript.
 */
function stepsCode(): Code {
  const [desc, flip, count] = [0, 1, 2];
  return [
    BLOCK, VOID, LOOP, VOID,
    get(count), I32_EQZ, BR_IF, 1,
    get(desc), get(flip), CALL, 4,
    get(flip), i32c(1), I32_XOR, set(flip),
    get(count), i32c(1), I32_SUB, set(count),
    BR, 0, END, END,
  ];
}

/**
 * resid(n, cp, ci, cx, kd, w, b, x, r) -> max_i |r_i| w_i: the residual r = b - K x of iterative
 * refinement against K, the factored matrix C (its permuted upper triangle cp/ci/cx, as the factor
 * kernel reads it) with its diagonal replaced by kd (the regularization removed). The same
 * operations in the same order as SparseLdl's JavaScript loop (`residual`). Locals: 9 j, 10 p,
 * 11 pEnd, 12 i, 13 xj, 14 acc, 15 c, 16 nrm.
 */
function residCode(): Code {
  const [n, cp, ci, cx, kd, w, b, x, r] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [j, p, pEnd, i, xj, acc, c, nrm] = [9, 10, 11, 12, 13, 14, 15, 16];
  const forJ = (body: Code): Code => [
    i32c(0), set(j),
    BLOCK, VOID, LOOP, VOID,
    get(j), get(n), I32_GE_S, BR_IF, 1,
    body,
    get(j), i32c(1), I32_ADD, set(j),
    BR, 0, END, END,
  ];
  return [
    // r = b
    forJ([addr8(r, get(j)), f64At(b, get(j)), stF64(0)]),
    // r -= K x, column j of the upper triangle: r_i -= c x_j (i < j), r_j -= sum c x_i, with kd_j x_j
    // for the diagonal entry
    forJ([
      f64At(x, get(j)), set(xj), f64zero, set(acc),
      i32At(cp, get(j)), set(p), addr4(cp, get(j)), ldI32(4), set(pEnd),
      BLOCK, VOID, LOOP, VOID,
      get(p), get(pEnd), I32_GE_S, BR_IF, 1,
      i32At(ci, get(p)), set(i), f64At(cx, get(p)), set(c),
      get(i), get(j), I32_EQ, IF, VOID,
      get(acc), f64At(kd, get(j)), get(xj), F64_MUL, F64_ADD, set(acc),
      ELSE,
      addr8(r, get(i)), f64At(r, get(i)), get(c), get(xj), F64_MUL, F64_SUB, stF64(0),
      get(acc), get(c), f64At(x, get(i)), F64_MUL, F64_ADD, set(acc),
      END,
      get(p), i32c(1), I32_ADD, set(p),
      BR, 0, END, END,
      addr8(r, get(j)), f64At(r, get(j)), get(acc), F64_SUB, stF64(0),
    ]),
    f64zero, set(nrm),
    forJ([get(nrm), f64At(r, get(j)), F64_ABS, f64At(w, get(j)), F64_MUL, F64_MAX, set(nrm)]),
    get(nrm),
  ];
}

/**
 * update(n, x, r, s, corr) -> max_i |r_i| s_i: the refinement step x += r, its copy in corr (to undo
 * it), and its size. Locals: 5 j, 6 v, 7 nrm.
 */
function updateCode(): Code {
  const [n, x, r, s, corr, j, v, nrm] = [0, 1, 2, 3, 4, 5, 6, 7];
  return [
    f64zero, set(nrm), i32c(0), set(j),
    BLOCK, VOID, LOOP, VOID,
    get(j), get(n), I32_GE_S, BR_IF, 1,
    f64At(r, get(j)), set(v),
    addr8(x, get(j)), f64At(x, get(j)), get(v), F64_ADD, stF64(0),
    addr8(corr, get(j)), get(v), stF64(0),
    get(nrm), get(v), F64_ABS, f64At(s, get(j)), F64_MUL, F64_MAX, set(nrm),
    get(j), i32c(1), I32_ADD, set(j),
    BR, 0, END, END,
    get(nrm),
  ];
}

/** The module's bytes (its readable listing is ldl_wasm.wat, checked against these bytes by a test). */
export function assemble(): Uint8Array {
  const types = section(1, vec([
    [0x60, vec([[I32], [I32], [I32], [I32], [I32]]), 0], // forward
    [0x60, vec([[I32], [I32], [I32], [I32], [I32], [I32]]), 0], // backward
    [0x60, vec([[I32], [I32], [I32], [I32], [I32], [I32], [I32], [I32], [I32]]), 0], // solve
    [0x60, vec([...Array.from({ length: 23 }, (): Code => [I32]), [F64], [F64], [F64]]), 0], // admm
    [0x60, vec([[I32], [I32]]), 0], // step
    [0x60, vec([[I32], [I32], [I32]]), 0], // steps
    [0x60, vec(Array.from({ length: 14 }, (): Code => [I32])), vec([[I32]])], // factor
    [0x60, vec(Array.from({ length: 9 }, (): Code => [I32])), vec([[F64]])], // resid
    [0x60, vec(Array.from({ length: 5 }, (): Code => [I32])), vec([[F64]])], // update
  ]));
  const imports = section(2, vec([[name("e"), name("m"), 0x02, 0x00, 0x01]])); // memory, min 1 page
  const funcs = section(3, vec([[0], [1], [2], [3], [4], [5], [6], [7], [8]]));
  const exports = section(7, vec([
    [name("f"), 0x00, 0], [name("b"), 0x00, 1], [name("s"), 0x00, 2], [name("a"), 0x00, 3], [name("t"), 0x00, 4], [name("k"), 0x00, 5],
    [name("l"), 0x00, 6], [name("r"), 0x00, 7], [name("u"), 0x00, 8],
  ]));
  const code = section(10, vec([
    body([[4, I32], [2, F64]], forwardCode()),
    body([[4, I32], [2, F64]], backwardCode()),
    body([], solveCode()),
    body([[2, I32], [7, F64]], admmCode()),
    body([], stepCode()),
    body([], stepsCode()),
    body([[9, I32], [3, F64]], factorCode()),
    body([[4, I32], [4, F64]], residCode()),
    body([[1, I32], [2, F64]], updateCode()),
  ]));
  return new Uint8Array(flatten([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, types, imports, funcs, exports, code]));
}

/** The part of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}

export interface WasmTriangular {
  readonly memory: WasmMemory;
  forward(n: number, rp: number, rj: number, rx: number, x: number): void;
  backward(n: number, lp: number, li: number, lx: number, dinv: number, x: number): void;
  solve(n: number, rp: number, rj: number, rx: number, lp: number, li: number, lx: number, dinv: number, x: number): void;
  /** See admmCode: 23 byte addresses / sizes, then sigma, alpha, 1 - alpha. */
  admm: AdmmKernel;
  /** step(descriptor address, flip): see stepCode. */
  step(desc: number, flip: number): void;
  /** steps(descriptor address, flip, count): see stepsCode. */
  steps(desc: number, flip: number, count: number): void;
  /** factor(n, cp, ci, cx, lp, li, lx, rp, rj, rx, dinv, y, lnz, out) -> 1 | 0: see factorCode. */
  factor: FactorKernel;
  /** resid(n, cp, ci, cx, kd, w, b, x, r) -> max |r_i| w_i: see residCode. */
  resid(n: number, cp: number, ci: number, cx: number, kd: number, w: number, b: number, x: number, r: number): number;
  /** update(n, x, r, s, corr) -> max |r_i| s_i: see updateCode. */
  update(n: number, x: number, r: number, s: number, corr: number): number;
}

export type FactorKernel = (
  n: number, cp: number, ci: number, cx: number, lp: number, li: number, lx: number, rp: number, rj: number, rx: number,
  dinv: number, y: number, lnz: number, out: number,
) => number;

export type AdmmKernel = (
  N: number, rp: number, rj: number, rx: number, lp: number, li: number, lx: number, dinv: number, rhs: number,
  n: number, m: number, pinvX: number, pinvZ: number, x: number, xPrev: number, qs: number, z: number, zPrev: number,
  y: number, rhoInv: number, rhoVec: number, l: number, u: number, sigma: number, alpha: number, alpha1: number,
) => void;

let compiled: object | null | undefined;

/** A module instance over a fresh memory of at least `bytes` bytes; null without WebAssembly. */
export function createWasmTriangular(bytes: number): WasmTriangular | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  if (compiled === undefined) {
    try {
      compiled = new api.Module(assemble());
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return null;
  try {
    const memory = new api.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
    const inst = new api.Instance(compiled, { e: { m: memory } });
    const f = inst.exports.f as (n: number, rp: number, rj: number, rx: number, x: number) => void;
    const b = inst.exports.b as (n: number, lp: number, li: number, lx: number, dinv: number, x: number) => void;
    const solve = inst.exports.s as (n: number, rp: number, rj: number, rx: number, lp: number, li: number, lx: number, dinv: number, x: number) => void;
    const step = inst.exports.t as (desc: number, flip: number) => void;
    const steps = inst.exports.k as (desc: number, flip: number, count: number) => void;
    const resid = inst.exports.r as WasmTriangular["resid"];
    const update = inst.exports.u as WasmTriangular["update"];
    return { memory, forward: f, backward: b, solve, admm: inst.exports.a as AdmmKernel, step, steps, factor: inst.exports.l as FactorKernel, resid, update };
  } catch {
    // e.g. no address space left for another memory: the JavaScript solves are used instead
    return null;
  }
}

/** A byte range [at, at + bytes) of one module instance's memory, zero-filled, for one factor. */
export interface WasmBlock {
  readonly kernels: WasmTriangular;
  readonly at: number;
  readonly bytes: number;
}

// Creating a memory and an instance costs about 0.1 ms of CPU (address space reservation, page
// tables, the instance), more than the whole symbolic analysis of a small KKT matrix. So small
// factors share one memory (a slab, 16 pages) and its instance: blocks are handed out in order and
// never reused, so each is zero-filled like a fresh memory, and no memory ever grows (the views
// stay valid). Only the slab being filled is referenced here: an old slab is garbage once the last
// factor using it is. Larger factors get a memory of their own.
const SLAB_BYTES = 1 << 20;
const OWN_MEMORY_BYTES = SLAB_BYTES >> 2;
let slab: { readonly kernels: WasmTriangular; used: number } | null = null;

/** A zero-filled block of at least `bytes` bytes (8-byte aligned) in some instance's memory; null without WebAssembly. */
export function allocWasmBlock(bytes: number): WasmBlock | null {
  const size = Math.ceil(bytes / 8) * 8;
  if (size > OWN_MEMORY_BYTES) {
    const kernels = createWasmTriangular(size);
    return kernels ? { kernels, at: 0, bytes: size } : null;
  }
  if (slab === null || slab.used + size > slab.kernels.memory.buffer.byteLength) {
    const kernels = createWasmTriangular(SLAB_BYTES);
    if (!kernels) return null;
    slab = { kernels, used: 0 };
  }
  const at = slab.used;
  slab.used += size;
  return { kernels: slab.kernels, at, bytes: size };
}
