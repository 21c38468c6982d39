// Fill-reducing ordering for sparse symmetric factorization: minimum degree on the explicit
// elimination graph (the exact-degree relative of AMD, Amestoy, Davis & Duff 1996), with AMD's
// treatment of dense rows: nodes of degree > max(16, 10 sqrt(n)) are ordered last.
// Runs once per symbolic analysis, so clarity wins over speed here.

import type { CscPattern } from "../sparse/csc.js";

/** Largest graph for which amdOrder keeps an n x n membership bitmap (n^2 / 8 bytes: 4.5 MB). */
const BITMAP_MAX_N = 6000;

/** perm[i] = old index of the node eliminated i-th (new index i -> old index perm[i]). */
export function amdOrder(pattern: CscPattern): Int32Array {
  const n = pattern.cols;
  const adj: Set<number>[] = new Array(n);
  for (let i = 0; i < n; i++) adj[i] = new Set<number>();
  // membership bitmap (bit a * n + b: b in adj[a]) for graphs up to BITMAP_MAX_N nodes: most of the
  // additions while forming cliques are of existing edges, and a bit test is much cheaper than a
  // Set lookup; the Sets keep their contents and insertion order, so the ordering does not change
  const bits = n <= BITMAP_MAX_N ? new Uint32Array(Math.ceil((n * n) / 32)) : null;
  const addEdge = (a: number, b: number): void => {
    if (bits) {
      const k = a * n + b;
      if (bits[k >>> 5] & (1 << (k & 31))) return;
      bits[k >>> 5] |= 1 << (k & 31);
    }
    adj[a].add(b);
  };
  const deleteEdge = (a: number, b: number): void => {
    if (bits) {
      const k = a * n + b;
      bits[k >>> 5] &= ~(1 << (k & 31));
    }
    adj[a].delete(b);
  };
  for (let j = 0; j < n; j++) {
    for (let p = pattern.colPtr[j]; p < pattern.colPtr[j + 1]; p++) {
      const i = pattern.rowIdx[p];
      if (i !== j && i >= 0 && i < n) {
        addEdge(i, j);
        addEdge(j, i);
      }
    }
  }
  const denseThreshold = Math.max(16, 10 * Math.sqrt(n));
  const dense = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (adj[i].size > denseThreshold) dense[i] = 1;
  // remove dense nodes from the graph: they are eliminated last, in natural order
  for (let i = 0; i < n; i++) {
    if (!dense[i]) continue;
    for (const k of adj[i]) if (!dense[k]) deleteEdge(k, i);
  }
  // degree buckets (doubly linked lists)
  const head = new Int32Array(n + 1).fill(-1);
  const next = new Int32Array(n).fill(-1);
  const prev = new Int32Array(n).fill(-1);
  const deg = new Int32Array(n);
  const insert = (i: number, d: number): void => {
    deg[i] = d;
    prev[i] = -1;
    next[i] = head[d];
    if (head[d] >= 0) prev[head[d]] = i;
    head[d] = i;
  };
  const remove = (i: number): void => {
    if (prev[i] >= 0) next[prev[i]] = next[i];
    else head[deg[i]] = next[i];
    if (next[i] >= 0) prev[next[i]] = prev[i];
  };
  for (let i = n - 1; i >= 0; i--) if (!dense[i]) insert(i, adj[i].size);
  const perm = new Int32Array(n);
  let k = 0;
  let minDeg = 0;
  const nSparse = n - dense.reduce((s, v) => s + v, 0);
  const nbrs: number[] = [];
  while (k < nSparse) {
    while (head[minDeg] < 0) minDeg++;
    const p = head[minDeg];
    remove(p);
    perm[k++] = p;
    nbrs.length = 0;
    for (const a of adj[p]) nbrs.push(a);
    // eliminate p: its neighbours become a clique
    for (let s = 0; s < nbrs.length; s++) {
      const a = nbrs[s];
      deleteEdge(a, p);
      for (let t = 0; t < nbrs.length; t++) if (t !== s) addEdge(a, nbrs[t]);
    }
    for (let s = 0; s < nbrs.length; s++) deleteEdge(p, nbrs[s]);
    for (let s = 0; s < nbrs.length; s++) {
      const a = nbrs[s];
      remove(a);
      insert(a, adj[a].size);
      if (adj[a].size < minDeg) minDeg = adj[a].size;
    }
  }
  for (let i = 0; i < n; i++) if (dense[i]) perm[k++] = i;
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
