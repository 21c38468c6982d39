// Fill-reducing ordering for sparse symmetric factorization: approximate minimum degree (AMD) on the
// quotient graph, after P. R. Amestoy, T. A. Davis and I. S. Duff, "An approximate minimum degree
// ordering algorithm", SIAM J. Matrix Anal. Appl. 17(4):886-905, 1996 (written from the paper).
//
// Equations used (numbering here is ours; the weights nv make every size below a count of
// original variables):
// (1) Quotient graph: every node is a variable (not yet eliminated) or an element (an eliminated
//     pivot, standing for the clique of its neighbours). A variable i keeps E_i, the elements it
//     belongs to, then A_i, the variables adjacent to it through an original entry not yet covered
//     by an element; an element e keeps L_e, its variables. Eliminating pivot p forms
//       L_p = (A_p U  U_{e in E_p} L_e) \ {p}
//     and every e in E_p is absorbed into p (element absorption).
// (2) For every element e meeting L_p, in one pass over L_p:
//       |L_e \ L_p| = |L_e| - sum of nv_j over j in L_e and L_p
// (3) Approximate external degree of each i in L_p (an upper bound of the true one):
//       d_i = min( n - k - nv_i,
//                  d_i(previous) + |L_p \ i|,
//                  |A_i \ L_p| + |L_p \ i| + sum over e in E_i \ {p} of |L_e \ L_p| )
//     with k the number of eliminated variables.
// (4) Aggressive absorption: an element with |L_e \ L_p| = 0 is absorbed into p. Mass elimination:
//     a variable whose external degree is 0 (its only element is p, A_i \ L_p empty) is eliminated
//     together with p. A_i is pruned of variables in L_p (edges now covered by p), E_i of absorbed
//     elements.
// (5) Supervariables: variables of L_p with equal lists E_i and A_i (hashed, then compared) are
//     indistinguishable and merged into one of weight nv = the sum of their weights.
// The order is the postorder of the assembly tree (element e's parent is the element that absorbed
// it), each pivot followed by the variables of its supervariable and those mass-eliminated with it:
// the same fill as the elimination order, with the columns of each subtree together.
// Dense rows (AMD's rule): nodes of degree > max(16, 10 sqrt(n)) are removed and ordered last, in
// natural order. Memory O(nnz + n): one Int32Array for all lists (compacted when full, grown only
// if compaction leaves too little room) and O(n) arrays; runs once per symbolic analysis. The
// arrays are views of one scratch buffer kept between calls (while it holds at most SCRATCH_KEEP
// int32s): the ordering of a KKT matrix of a few hundred rows takes about 0.1 ms, and allocating
// two dozen typed arrays per call was a sizeable part of it.

import type { CscPattern } from "../sparse/csc.js";

const VARIABLE = 0; // principal variable (a supervariable's representative)
const ELEMENT = 1; // live element
const DEAD = 2; // absorbed element, or a variable eliminated (mass elimination)
const MERGED = 3; // non-principal variable, merged into a supervariable
const DENSE = 4; // dense row: ordered last

/** Scratch kept between calls while it holds at most this many int32s (larger ones are dropped). */
const SCRATCH_KEEP = 1 << 22;
let scratch = new Int32Array(0);
let scratchF64 = new Float64Array(0);

/** Hands out consecutive views of one Int32Array (amdOrder is synchronous and not reentrant). */
class Workspace {
  private at = 0;
  constructor(readonly buf: Int32Array) {}
  /** A view of `len` int32s, every one set to `fill`. */
  take(len: number, fill: number): Int32Array {
    const v = this.buf.subarray(this.at, (this.at += len));
    v.fill(fill);
    return v;
  }
  /** The rest of the buffer (for the growing list storage). */
  rest(): Int32Array {
    return this.buf.subarray(this.at);
  }
}

/** Moves the live lists (of variables and elements) to the front of iw, in place, keeping their
 *  order; returns the new end. Entries of iw outside live lists are never negative. */
function compactLists(iw: Int32Array, pfree: number, pe: Int32Array, len: Int32Array, kind: Int32Array): number {
  const n = pe.length;
  // tag the first entry of each live list with its owner (-(x + 1)); the entry is kept in pe[x]
  for (let x = 0; x < n; x++) {
    if ((kind[x] === VARIABLE || kind[x] === ELEMENT) && len[x] > 0) {
      const p = pe[x];
      pe[x] = iw[p];
      iw[p] = -(x + 1);
    }
  }
  let q = 0;
  for (let p = 0; p < pfree; ) {
    const v = iw[p];
    if (v < 0) {
      const x = -v - 1;
      iw[q] = pe[x];
      pe[x] = q;
      q++;
      p++;
      for (let r = 1; r < len[x]; r++) iw[q++] = iw[p++];
    } else p++;
  }
  return q;
}

/** perm[i] = old index of the node eliminated i-th (new index i -> old index perm[i]). */
export function amdOrder(pattern: CscPattern): Int32Array {
  const n = pattern.cols;
  const perm = new Int32Array(n);
  if (n === 0) return perm;
  const { colPtr, rowIdx } = pattern;

  // ---- symmetric adjacency of A + A' without the diagonal, duplicates removed
  // scratch: 25 arrays of about n int32s, the adjacency (at most 2 nnz) and the lists (2.5 nnz + 2n)
  const nnz = colPtr[n];
  const need = 25 * n + 2 + 2 * nnz + (2 * nnz + (nnz >> 1) + 2 * n);
  const buf = need <= scratch.length ? scratch : new Int32Array(need);
  const hashBuf = n <= scratchF64.length ? scratchF64 : new Float64Array(n);
  if (need <= SCRATCH_KEEP) {
    scratch = buf;
    scratchF64 = hashBuf;
  }
  const ws = new Workspace(buf);

  const start = ws.take(n + 1, 0);
  for (let j = 0; j < n; j++) {
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) {
      const i = rowIdx[p];
      if (i !== j && i >= 0 && i < n) {
        start[i + 1]++;
        start[j + 1]++;
      }
    }
  }
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const adj = ws.take(start[n], 0);
  const fillAt = ws.take(n, 0);
  fillAt.set(start.subarray(0, n));
  for (let j = 0; j < n; j++) {
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) {
      const i = rowIdx[p];
      if (i !== j && i >= 0 && i < n) {
        adj[fillAt[i]++] = j;
        adj[fillAt[j]++] = i;
      }
    }
  }
  const adjLen = ws.take(n, 0);
  {
    const seen = fillAt.fill(-1); // fillAt is no longer needed
    for (let i = 0; i < n; i++) {
      let q = start[i];
      for (let p = start[i]; p < start[i + 1]; p++) {
        const j = adj[p];
        if (seen[j] !== i) {
          seen[j] = i;
          adj[q++] = j;
        }
      }
      adjLen[i] = q - start[i];
    }
  }

  // ---- dense rows
  const kind = ws.take(n, VARIABLE);
  const denseThreshold = Math.max(16, 10 * Math.sqrt(n));
  let nDense = 0;
  for (let i = 0; i < n; i++) {
    if (adjLen[i] > denseThreshold) {
      kind[i] = DENSE;
      nDense++;
    }
  }
  const nSparse = n - nDense;

  // ---- quotient graph storage: list of node x is iw[pe[x] .. pe[x] + len[x]); for a variable the
  // first elen[x] entries are elements (E_x), the rest variables (A_x)
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (kind[i] === DENSE) continue;
    for (let p = start[i]; p < start[i] + adjLen[i]; p++) if (kind[adj[p]] !== DENSE) total++;
  }
  const pe = ws.take(n, 0);
  const len = ws.take(n, 0);
  const elen = ws.take(n, 0);
  const nv = ws.take(n, 0); // supervariable weight
  // a variable's approximate external degree; an element's weighted size |L_e|
  const degree = ws.take(n, 0);

  // ---- degree buckets (doubly linked lists of variables by approximate degree)
  const head = ws.take(n + 1, -1);
  const next = ws.take(n, -1);
  const prev = ws.take(n, -1);
  const bucketOf = ws.take(n, 0);
  const insert = (i: number, d: number): void => {
    bucketOf[i] = d;
    prev[i] = -1;
    next[i] = head[d];
    if (head[d] >= 0) prev[head[d]] = i;
    head[d] = i;
  };
  const remove = (i: number): void => {
    if (prev[i] >= 0) next[prev[i]] = next[i];
    else head[bucketOf[i]] = next[i];
    if (next[i] >= 0) prev[next[i]] = prev[i];
  };

  // members of each supervariable (a chain from the principal variable), for the output order
  const chainNext = ws.take(n, -1);
  const chainTail = ws.take(n, 0);
  for (let i = 0; i < n; i++) chainTail[i] = i;

  const w = ws.take(n, 0); // w[e] - wflg = |L_e \ L_p| when w[e] >= wflg
  let wflg = 1;
  const inLp = ws.take(n, -1); // inLp[i] === p: i in L_p
  const cmpMark = ws.take(n, -1);
  let cmpStamp = 0;
  const hashHead = ws.take(n, -1);
  const hashNext = ws.take(n, 0);
  const hashVal = hashBuf.subarray(0, n);
  const hashBucket = ws.take(n, 0); // hashVal % n, computed once (a modulo of doubles is a library call)

  // assembly tree: the element each element was absorbed into, and each pivot's front (its
  // supervariable and the variables mass-eliminated with it) as a block of the elimination order
  const elemParent = ws.take(n, -1);
  const pivots = ws.take(nSparse, 0);
  let nPivots = 0;
  const frontStart = ws.take(n, 0);
  const order = ws.take(nSparse, 0);
  // the lists take the rest of the scratch (at least 1.25 total + 2n entries)
  let iw = ws.rest();
  let pfree = 0;
  for (let i = 0; i < n; i++) {
    pe[i] = pfree;
    if (kind[i] === DENSE) continue;
    for (let p = start[i]; p < start[i] + adjLen[i]; p++) {
      const j = adj[p];
      if (kind[j] !== DENSE) iw[pfree++] = j;
    }
    len[i] = pfree - pe[i];
    nv[i] = 1;
    degree[i] = len[i];
  }
  for (let i = n - 1; i >= 0; i--) if (kind[i] === VARIABLE) insert(i, degree[i]);
  let k = 0; // next position in order
  let nel = 0; // eliminated variables (weighted)
  let mindeg = 0;
  let lemax = 0; // largest element size so far
  while (nel < nSparse) {
    // ---- pivot: a supervariable of least approximate degree
    while (head[mindeg] < 0) mindeg++;
    const me = head[mindeg];
    remove(me);
    nel += nv[me];
    pivots[nPivots++] = me;
    frontStart[me] = k;
    for (let x = me; x >= 0; x = chainNext[x]) order[k++] = x;
    kind[me] = ELEMENT;

    // ---- new element L_me (1); elements of E_me are absorbed
    let degme = 0;
    const elenme = elen[me];
    if (elenme === 0) {
      // L_me = A_me, in place
      const p0 = pe[me], pend = p0 + len[me];
      let q = p0;
      for (let p = p0; p < pend; p++) {
        const j = iw[p];
        if (kind[j] === VARIABLE && inLp[j] !== me) {
          inLp[j] = me;
          degme += nv[j];
          remove(j);
          iw[q++] = j;
        }
      }
      len[me] = q - p0;
    } else {
      // L_me is written at the end of iw: make room for at most the lists it is formed from
      let bound = len[me] - elenme;
      for (let p = pe[me]; p < pe[me] + elenme; p++) {
        const e = iw[p];
        if (kind[e] === ELEMENT) bound += len[e];
      }
      if (pfree + bound > iw.length) {
        pfree = compactLists(iw, pfree, pe, len, kind);
        if (pfree + bound > iw.length) {
          const bigger = new Int32Array(Math.max(2 * iw.length, pfree + bound + n));
          bigger.set(iw.subarray(0, pfree));
          iw = bigger;
        }
      }
      const lstart = pfree;
      const p0 = pe[me], pe1 = p0 + elenme, pend = p0 + len[me];
      for (let p = p0; p < pend; p++) {
        const s = iw[p];
        if (p < pe1) {
          if (kind[s] !== ELEMENT) continue;
          for (let r = pe[s], rend = pe[s] + len[s]; r < rend; r++) {
            const j = iw[r];
            if (kind[j] === VARIABLE && inLp[j] !== me) {
              inLp[j] = me;
              degme += nv[j];
              remove(j);
              iw[pfree++] = j;
            }
          }
          kind[s] = DEAD; // element absorption
          elemParent[s] = me;
          len[s] = 0;
        } else if (kind[s] === VARIABLE && inLp[s] !== me) {
          inLp[s] = me;
          degme += nv[s];
          remove(s);
          iw[pfree++] = s;
        }
      }
      pe[me] = lstart;
      len[me] = pfree - lstart;
    }
    elen[me] = 0;
    const lp = pe[me], lend = lp + len[me];

    // ---- |L_e \ L_me| for every element e meeting L_me (2)
    if (wflg > 0x3fffffff - n) {
      w.fill(0);
      wflg = 1;
    }
    for (let p = lp; p < lend; p++) {
      const i = iw[p];
      const nvi = nv[i];
      for (let r = pe[i], rend = pe[i] + elen[i]; r < rend; r++) {
        const e = iw[r];
        if (kind[e] !== ELEMENT) continue;
        const we = w[e];
        w[e] = we >= wflg ? we - nvi : degree[e] + wflg - nvi;
      }
    }

    // ---- degree update (3), aggressive absorption and mass elimination (4), list pruning
    for (let p = lp; p < lend; p++) {
      const i = iw[p];
      const p1 = pe[i], e1 = p1 + elen[i], pn = p1 + len[i];
      let q = p1;
      let deg = 0;
      let hash = 0;
      for (let r = p1; r < e1; r++) {
        const e = iw[r];
        if (kind[e] !== ELEMENT) continue;
        const dext = w[e] - wflg;
        if (dext > 0) {
          deg += dext;
          iw[q++] = e;
          hash += e;
        } else {
          kind[e] = DEAD; // aggressive absorption: L_e is inside L_me
          elemParent[e] = me;
          len[e] = 0;
        }
      }
      const nE = q - p1;
      for (let r = e1; r < pn; r++) {
        const j = iw[r];
        if (kind[j] === VARIABLE && inLp[j] !== me) {
          deg += nv[j];
          iw[q++] = j;
          hash += j;
        }
      }
      if (deg === 0) {
        // mass elimination: i is indistinguishable from me
        kind[i] = DEAD;
        len[i] = 0;
        degme -= nv[i];
        nel += nv[i];
        for (let x = i; x >= 0; x = chainNext[x]) order[k++] = x;
        continue;
      }
      degree[i] = Math.min(degree[i], deg);
      // me enters E_i; the list lost at least one entry (me from A_i, or an element of E_me)
      if (q >= pn) throw new Error("amdOrder: internal error (quotient graph list overflow)");
      iw[q] = iw[p1 + nE];
      iw[p1 + nE] = me;
      len[i] = q + 1 - p1;
      elen[i] = nE + 1;
      const hv = hash + me;
      hashVal[i] = hv;
      hashBucket[i] = hv < 0x7fffffff ? (hv | 0) % n : hv % n;
    }

    // ---- supervariable detection (5): equal hashes, then equal lists
    for (let p = lp; p < lend; p++) {
      const i = iw[p];
      if (kind[i] !== VARIABLE) continue;
      const h = hashBucket[i];
      hashNext[i] = hashHead[h];
      hashHead[h] = i;
    }
    for (let p = lp; p < lend; p++) {
      const i0 = iw[p];
      if (kind[i0] !== VARIABLE) continue;
      const h = hashBucket[i0];
      let i = hashHead[h];
      if (i < 0) continue;
      hashHead[h] = -1;
      for (; i >= 0; i = hashNext[i]) {
        if (kind[i] !== VARIABLE) continue;
        let marked = false;
        for (let j = hashNext[i]; j >= 0; j = hashNext[j]) {
          if (kind[j] !== VARIABLE || hashVal[j] !== hashVal[i] || len[j] !== len[i] || elen[j] !== elen[i]) continue;
          if (!marked) {
            if (cmpStamp === 0x7fffffff) {
              cmpMark.fill(-1);
              cmpStamp = 0;
            }
            cmpStamp++;
            for (let r = pe[i], rend = pe[i] + len[i]; r < rend; r++) cmpMark[iw[r]] = cmpStamp;
            marked = true;
          }
          let same = true;
          for (let r = pe[j], rend = pe[j] + len[j]; r < rend; r++) {
            if (cmpMark[iw[r]] !== cmpStamp) {
              same = false;
              break;
            }
          }
          if (!same) continue;
          // merge j into i
          nv[i] += nv[j];
          nv[j] = 0;
          kind[j] = MERGED;
          len[j] = 0;
          elen[j] = 0;
          degree[i] = Math.min(degree[i], degree[j]);
          chainNext[chainTail[i]] = j;
          chainTail[i] = chainTail[j];
        }
      }
    }

    // ---- final approximate degrees; L_me keeps its principal variables only
    let q = lp;
    for (let p = lp; p < lend; p++) {
      const i = iw[p];
      if (kind[i] !== VARIABLE) continue;
      const nvi = nv[i];
      const d = Math.min(degree[i] + degme - nvi, nSparse - nel - nvi);
      degree[i] = d;
      insert(i, d);
      if (d < mindeg) mindeg = d;
      iw[q++] = i;
    }
    len[me] = q - lp;
    degree[me] = degme;
    if (degme > lemax) lemax = degme;
    wflg += lemax + 1;
  }
  // postorder of the assembly tree (children in elimination order, each front kept as a block):
  // every element still comes after the elements it absorbed, so the fill is unchanged
  // (the buckets are free now)
  const childHead = next.fill(-1);
  const sibling = prev.fill(-1);
  for (let t = nPivots - 1; t >= 0; t--) {
    const e = pivots[t], par = elemParent[e];
    if (par >= 0) {
      sibling[e] = childHead[par];
      childHead[par] = e;
    }
  }
  const frontEnd = (t: number): number => (t + 1 < nPivots ? frontStart[pivots[t + 1]] : nSparse);
  const pivotIndex = bucketOf;
  for (let t = 0; t < nPivots; t++) pivotIndex[pivots[t]] = t;
  const stack = inLp;
  let out = 0;
  for (let t = 0; t < nPivots; t++) {
    const root = pivots[t];
    if (elemParent[root] >= 0) continue;
    let top = 0;
    stack[top++] = root;
    while (top > 0) {
      const e = stack[top - 1];
      const c = childHead[e];
      if (c >= 0) {
        childHead[e] = sibling[c]; // descend into the next child
        stack[top++] = c;
      } else {
        top--;
        const u = pivotIndex[e];
        for (let r = frontStart[e], rend = frontEnd(u); r < rend; r++) perm[out++] = order[r];
      }
    }
  }
  for (let i = 0; i < n; i++) if (kind[i] === DENSE) perm[out++] = i;
  return perm;
}

/** The inverse permutation: pinv[perm[i]] = i. */
export function invertPerm(perm: Int32Array): Int32Array {
  const pinv = new Int32Array(perm.length);
  for (let i = 0; i < perm.length; i++) pinv[perm[i]] = i;
  return pinv;
}

/** True when perm is a permutation of 0..n-1. */
export function isPermutation(perm: ArrayLike<number>, n: number): boolean {
  if (perm.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = perm[i];
    if (!Number.isInteger(v) || v < 0 || v >= n || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}
