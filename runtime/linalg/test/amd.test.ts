// amdOrder (approximate minimum degree on the quotient graph): a permutation for any pattern, the
// dense-row rule, and fill close to the exact minimum degree it replaced (kept below as the
// reference) on grids, random graphs, every Maros-Meszaros KKT pattern and the banded MPC KKTs.

import { readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CscPattern } from "../../sparse/csc.js";
import { buildKktPattern } from "../../qp/kkt.js";
import { dataDir, loadQp, rng } from "../../qp/test/helpers.js";
import { amdOrder, invertPerm, isPermutation } from "../amd.js";

const SEED = { seed: 20261205 };

/** Pattern (CSC, rows sorted, no duplicates) from a list of (row, col) pairs. */
function patternOf(n: number, pairs: Array<[number, number]>): CscPattern {
  const cols: number[][] = Array.from({ length: n }, () => []);
  for (const [i, j] of pairs) cols[j].push(i);
  const colPtr = new Int32Array(n + 1);
  const rows: number[] = [];
  for (let j = 0; j < n; j++) {
    const c = [...new Set(cols[j])].sort((a, b) => a - b);
    rows.push(...c);
    colPtr[j + 1] = rows.length;
  }
  return { rows: n, cols: n, colPtr, rowIdx: Int32Array.from(rows) };
}

/** Symmetric adjacency sets of A + A' (diagonal dropped). */
function adjacency(pattern: CscPattern): Set<number>[] {
  const n = pattern.cols;
  const adj = Array.from({ length: n }, () => new Set<number>());
  for (let j = 0; j < n; j++) {
    for (let p = pattern.colPtr[j]; p < pattern.colPtr[j + 1]; p++) {
      const i = pattern.rowIdx[p];
      if (i !== j) {
        adj[i].add(j);
        adj[j].add(i);
      }
    }
  }
  return adj;
}

/** nnz of the strict lower triangle of L for P (A + A') P' (elimination tree + row counts). */
function fillOf(pattern: CscPattern, perm: Int32Array): number {
  const n = pattern.cols;
  const pinv = invertPerm(perm);
  const adj = adjacency(pattern);
  const parent = new Int32Array(n).fill(-1);
  const flag = new Int32Array(n).fill(-1);
  let nnz = 0;
  for (let k = 0; k < n; k++) {
    flag[k] = k;
    for (const o of adj[perm[k]]) {
      let i = pinv[o];
      if (i >= k) continue;
      for (; flag[i] !== k; i = parent[i]) {
        if (parent[i] === -1) parent[i] = k;
        nnz++;
        flag[i] = k;
      }
    }
  }
  return nnz;
}

/** Reverse Cuthill-McKee (a band/profile ordering), from a minimum-degree start in each component. */
function reverseCuthillMcKee(pattern: CscPattern): Int32Array {
  const n = pattern.cols;
  const adj = adjacency(pattern).map((s) => [...s]);
  const seen = new Uint8Array(n);
  const order: number[] = [];
  const byDegree = Array.from({ length: n }, (_, i) => i).sort((a, b) => adj[a].length - adj[b].length);
  for (const s of byDegree) {
    if (seen[s]) continue;
    seen[s] = 1;
    const start = order.length;
    order.push(s);
    for (let h = start; h < order.length; h++) {
      const nb = adj[order[h]].filter((v) => !seen[v]).sort((a, b) => adj[a].length - adj[b].length);
      for (const v of nb) { seen[v] = 1; order.push(v); }
    }
  }
  return Int32Array.from(order.reverse());
}

function gridPattern(k: number, diagonals = false): CscPattern {
  const pairs: Array<[number, number]> = [];
  const id = (a: number, b: number): number => a * k + b;
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      pairs.push([id(a, b), id(a, b)]);
      if (a + 1 < k) pairs.push([id(a, b), id(a + 1, b)]);
      if (b + 1 < k) pairs.push([id(a, b), id(a, b + 1)]);
      if (diagonals && a + 1 < k && b + 1 < k) pairs.push([id(a, b), id(a + 1, b + 1)]);
    }
  }
  return patternOf(k * k, pairs);
}

function randomPattern(n: number, perNode: number, seed: number, upper: boolean): CscPattern {
  const r = rng(seed);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    pairs.push([i, i]);
    for (let t = 0; t < perNode; t++) {
      const j = Math.floor(r() * n);
      if (j === i) continue;
      pairs.push(upper ? [Math.min(i, j), Math.max(i, j)] : [i, j]);
    }
  }
  return patternOf(n, pairs);
}

/** nodes of degree > max(16, 10 sqrt(n)) in A + A' */
function denseNodes(pattern: CscPattern): number[] {
  const n = pattern.cols;
  const t = Math.max(16, 10 * Math.sqrt(n));
  return adjacency(pattern).flatMap((a, i) => (a.size > t ? [i] : []));
}

const arbPattern = fc
  .record({
    n: fc.integer({ min: 0, max: 70 }),
    edges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 400 }),
    hubs: fc.array(fc.nat(), { maxLength: 3 }),
    upper: fc.boolean(),
  })
  .map(({ n, edges, hubs, upper }) => {
    const pairs: Array<[number, number]> = [];
    if (n > 0) {
      for (const [a, b] of edges) {
        const i = a % n, j = b % n;
        pairs.push(upper ? [Math.min(i, j), Math.max(i, j)] : [i, j]);
      }
      // hubs: rows connected to (almost) everything, so the dense-row rule is exercised
      for (const h of hubs) for (let j = 0; j < n; j += 1 + (h % 2)) pairs.push([h % n, j]);
    }
    return patternOf(n, pairs);
  });

describe("amdOrder: permutation and dense rows", () => {
  it("returns a permutation of 0..n-1 for random patterns (upper or full, with hubs)", () => {
    fc.assert(
      fc.property(arbPattern, (pattern) => {
        const perm = amdOrder(pattern);
        expect(isPermutation(perm, pattern.cols)).toBe(true);
      }),
      { ...SEED, numRuns: 400 },
    );
  });

  it("orders the nodes of degree > max(16, 10 sqrt(n)) last, in natural order", () => {
    fc.assert(
      fc.property(arbPattern, (pattern) => {
        const perm = amdOrder(pattern);
        const dense = denseNodes(pattern);
        expect(Array.from(perm.subarray(pattern.cols - dense.length))).toEqual(dense);
      }),
      { ...SEED, numRuns: 400 },
    );
  });

  it("gives the same fill for the upper triangle and the full symmetric pattern", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 4 }), fc.nat(), (n, per, seed) => {
        const upper = randomPattern(n, per, seed, true);
        const adj = adjacency(upper);
        const pairs: Array<[number, number]> = [];
        for (let i = 0; i < n; i++) for (const j of adj[i]) pairs.push([i, j]);
        const full = patternOf(n, pairs);
        expect(Array.from(amdOrder(full))).toEqual(Array.from(amdOrder(upper)));
      }),
      { ...SEED, numRuns: 50 },
    );
  });

  it("handles empty, diagonal, clique and arrow patterns", () => {
    expect(amdOrder(patternOf(0, [])).length).toBe(0);
    expect(Array.from(amdOrder(patternOf(1, [[0, 0]])))).toEqual([0]);
    expect(isPermutation(amdOrder(patternOf(5, [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])), 5)).toBe(true);
    // a clique: any order, no extra fill
    const clique = patternOf(30, Array.from({ length: 900 }, (_, t): [number, number] => [t % 30, Math.floor(t / 30)]));
    expect(fillOf(clique, amdOrder(clique))).toBe((30 * 29) / 2);
    // arrow: the hub is dense (degree 399 > 200), ordered last; no fill
    const n = 400;
    const arrow = patternOf(n, Array.from({ length: n }, (_, i): [number, number] => [0, i]));
    const perm = amdOrder(arrow);
    expect(perm[n - 1]).toBe(0);
    expect(fillOf(arrow, perm)).toBe(n - 1);
  });
});

describe("amdOrder: fill", () => {
  it("is within 10% of the exact minimum degree (and at most 5% over in total) on grids and random graphs", () => {
    const patterns: Array<[string, CscPattern]> = [
      ["grid 10", gridPattern(10)],
      ["grid 20", gridPattern(20)],
      ["grid 30", gridPattern(30)],
      ["grid 20 + diagonals", gridPattern(20, true)],
    ];
    for (const [n, per, seed] of [[200, 1, 1], [300, 2, 2], [400, 2, 3], [300, 3, 4], [500, 1, 5]]) {
      patterns.push([`random n=${n} x${per}`, randomPattern(n, per, seed, true)]);
    }
    let sumAmd = 0, sumExact = 0;
    for (const [name, pattern] of patterns) {
      const amd = fillOf(pattern, amdOrder(pattern));
      const exact = fillOf(pattern, exactMinimumDegree(pattern));
      const natural = fillOf(pattern, Int32Array.from({ length: pattern.cols }, (_, i) => i));
      sumAmd += amd;
      sumExact += exact;
      expect(amd, `${name}: amd ${amd} exact ${exact}`).toBeLessThanOrEqual(1.1 * exact);
      expect(amd, `${name}: amd ${amd} natural ${natural}`).toBeLessThanOrEqual(natural);
    }
    expect(sumAmd).toBeLessThanOrEqual(1.05 * sumExact);
  });

  it("on every Maros-Meszaros KKT pattern: within 20% (+ 10 entries) of the exact minimum degree, at most 2% over in total", () => {
    const files = readdirSync(`${dataDir}maros/`).filter((f) => f.endsWith(".json") && f !== "index.json").sort();
    expect(files.length).toBe(69);
    let sumAmd = 0, sumExact = 0;
    for (const f of files) {
      const p = loadQp(`maros/${f}`);
      const kkt = buildKktPattern(p.P, p.A).pattern;
      const perm = amdOrder(kkt);
      expect(isPermutation(perm, kkt.cols)).toBe(true);
      const amd = fillOf(kkt, perm);
      const exact = fillOf(kkt, exactMinimumDegree(kkt));
      sumAmd += amd;
      sumExact += exact;
      expect(amd, `${f}: amd ${amd} exact ${exact}`).toBeLessThanOrEqual(1.2 * exact + 10);
    }
    expect(sumAmd).toBeLessThanOrEqual(1.02 * sumExact);
  });

  it("on the banded MPC KKT patterns: within 2% of the band (reverse Cuthill-McKee) and 5% of the exact minimum degree", () => {
    for (const name of ["a_2state", "b_random12x4", "c_quadrotor"]) {
      const p = loadQp(`mpc/${name}.json`);
      const kkt = buildKktPattern(p.P, p.A).pattern;
      const amd = fillOf(kkt, amdOrder(kkt));
      const band = fillOf(kkt, reverseCuthillMcKee(kkt));
      const exact = fillOf(kkt, exactMinimumDegree(kkt));
      expect(amd, `${name}: amd ${amd} band ${band}`).toBeLessThanOrEqual(1.02 * band);
      expect(amd, `${name}: amd ${amd} exact ${exact}`).toBeLessThanOrEqual(1.05 * exact);
    }
  });
});

/** Reference: exact minimum degree on the explicit elimination graph, with the same dense-row rule
 *  and tie-breaking (the implementation amdOrder replaced). */
function exactMinimumDegree(pattern: CscPattern): Int32Array {
  const n = pattern.cols;
  const adj = adjacency(pattern);
  const threshold = Math.max(16, 10 * Math.sqrt(n));
  const dense = adj.map((a) => a.size > threshold);
  for (let i = 0; i < n; i++) if (dense[i]) for (const k of adj[i]) adj[k].delete(i);
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
  let nSparse = 0;
  for (let i = n - 1; i >= 0; i--) if (!dense[i]) { insert(i, adj[i].size); nSparse++; }
  const perm: number[] = [];
  let minDeg = 0;
  while (perm.length < nSparse) {
    while (head[minDeg] < 0) minDeg++;
    const p = head[minDeg];
    remove(p);
    perm.push(p);
    const nb = [...adj[p]];
    for (const a of nb) {
      adj[a].delete(p);
      for (const b of nb) if (b !== a) adj[a].add(b);
    }
    adj[p].clear();
    for (const a of nb) {
      remove(a);
      insert(a, adj[a].size);
      if (adj[a].size < minDeg) minDeg = adj[a].size;
    }
  }
  for (let i = 0; i < n; i++) if (dense[i]) perm.push(i);
  return Int32Array.from(perm);
}
