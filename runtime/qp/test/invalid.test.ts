// Bad inputs give status invalid_input with a message naming the culprit; nothing throws.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Csc } from "../../sparse/csc.js";
import { qpFromJson } from "../io.js";
import { QpSolver, solveQp } from "../osqp.js";
import type { QpProblem } from "../types.js";
import { randomFeasibleQp } from "./helpers.js";

const base = randomFeasibleQp(3, 5, 4);

function expectInvalid(p: QpProblem, pattern: RegExp): void {
  const r = solveQp(p);
  expect(r.status).toBe("invalid_input");
  expect(r.message).toMatch(pattern);
}

describe("invalid input", () => {
  it("names the row where l > u", () => {
    const l = base.l.slice(), u = base.u.slice();
    l[2] = 5;
    u[2] = 4;
    expectInvalid({ ...base, l, u }, /row 2: lower bound 5 exceeds upper bound 4/);
  });
  it("rejects wrong lengths and NaN", () => {
    expectInvalid({ ...base, q: new Float64Array(3) }, /q must have length n = 5/);
    expectInvalid({ ...base, l: new Float64Array(2) }, /l must have length m = 4/);
    const q = base.q.slice();
    q[1] = NaN;
    expectInvalid({ ...base, q }, /q\[1\] is not finite/);
    const u = base.u.slice();
    u[3] = NaN;
    expectInvalid({ ...base, u }, /u\[3\] is NaN/);
    const av = base.A.values.slice();
    av[0] = Infinity;
    expectInvalid({ ...base, A: { ...base.A, values: av } }, /A\(\d+, 0\) is not finite/);
  });
  it("rejects malformed CSC and a lower-triangular P", () => {
    const ptr = base.A.colPtr.slice();
    ptr[1] = Math.max(ptr[1], 1);
    ptr[2] = ptr[1] - 1;
    const badPtr: Csc = { ...base.A, colPtr: ptr };
    expectInvalid({ ...base, A: badPtr }, /A: colPtr decreases at column 1/);
    const badRow: Csc = { ...base.A, rowIdx: base.A.rowIdx.map((v, k) => (k === 0 ? 99 : v)) };
    expectInvalid({ ...base, A: badRow }, /A: row index 99 out of range in column 0/);
    expectInvalid({ ...base, A: { ...base.A, rows: 7 } }, /A has shape 7x5, expected 4x5/);
    const lower: Csc = { rows: 5, cols: 5, colPtr: Int32Array.from([0, 2, 2, 2, 2, 2]), rowIdx: Int32Array.from([0, 3]), values: Float64Array.from([1, 1]) };
    expectInvalid({ ...base, P: lower }, /P must be upper triangular: entry \(3, 0\)/);
  });
  it("rejects bad settings", () => {
    const r = solveQp(base, { rho: -1 });
    expect(r.status).toBe("invalid_input");
    expect(r.message).toMatch(/rho/);
  });
  it("a bad update is rejected, reported by the next solve, and loses nothing", () => {
    const s = new QpSolver(base, { epsAbs: 1e-8, epsRel: 1e-8 });
    const good = s.solve().x.slice();
    s.updateQ([1, 2]);
    const bad = s.solve();
    expect(bad.status).toBe("invalid_input");
    expect(bad.message).toMatch(/q must have length/);
    const l = base.l.slice();
    l[0] = Infinity;
    s.updateBounds(l, base.u);
    expect(s.solve().status).toBe("invalid_input");
    s.updatePValues([NaN]);
    expect(s.solve().message).toMatch(/P values must have length/);
    const again = s.solve();
    expect(again.status).toBe("solved");
    for (let j = 0; j < good.length; j++) expect(again.x[j]).toBeCloseTo(good[j], 6);
  });

  it("never throws on arbitrary problem-shaped data", () => {
    const num = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, 1e30, -1e30));
    const csc = fc.record({
      rows: fc.integer({ min: -1, max: 4 }),
      cols: fc.integer({ min: -1, max: 4 }),
      colPtr: fc.array(fc.integer({ min: -2, max: 6 }), { maxLength: 6 }).map((a) => Int32Array.from(a)),
      rowIdx: fc.array(fc.integer({ min: -2, max: 6 }), { maxLength: 8 }).map((a) => Int32Array.from(a)),
      values: fc.array(num, { maxLength: 8 }).map((a) => Float64Array.from(a)),
    });
    const vec = fc.array(num, { maxLength: 5 }).map((a) => Float64Array.from(a));
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 4 }), fc.integer({ min: -1, max: 4 }), csc, csc, vec, vec, vec, (n, m, P, A, q, l, u) => {
        const r = solveQp({ n, m, P, A, q, l, u });
        expect(typeof r.status).toBe("string");
        if (r.status === "invalid_input") expect(r.message ?? "").not.toBe("");
      }),
      { seed: 20261205, numRuns: 400 },
    );
  });

  it("never throws on small well-formed problems with arbitrary values", () => {
    const num = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(NaN, Infinity, -Infinity, 0));
    fc.assert(
      fc.property(fc.array(num, { minLength: 9, maxLength: 9 }), fc.array(num, { minLength: 12, maxLength: 12 }), (pv, av) => {
        // P: 3x3 upper triangle (6 entries), A: dense 3x3, q, l, u
        const P: Csc = { rows: 3, cols: 3, colPtr: Int32Array.from([0, 1, 3, 6]), rowIdx: Int32Array.from([0, 0, 1, 0, 1, 2]), values: Float64Array.from(pv.slice(0, 6)) };
        const A: Csc = { rows: 3, cols: 3, colPtr: Int32Array.from([0, 3, 6, 9]), rowIdx: Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2]), values: Float64Array.from(av.slice(0, 9)) };
        const q = Float64Array.from(pv.slice(6, 9));
        const l = Float64Array.from(av.slice(9, 12), (v) => Math.min(v, 0));
        const u = Float64Array.from(av.slice(9, 12), (v) => Math.max(v, 0));
        const r = solveQp({ n: 3, m: 3, P, A, q, l, u }, { maxIter: 200 });
        expect(typeof r.status).toBe("string");
        if (r.status === "solved") for (const v of r.x) expect(Number.isFinite(v)).toBe(true);
      }),
      { seed: 20261205, numRuns: 300 },
    );
  });

  it("qpFromJson throws a clear Error on malformed files", () => {
    expect(() => qpFromJson(null)).toThrow(/one JSON object/);
    expect(() => qpFromJson({ n: 1, m: 0 })).toThrow(/P must be an object/);
    expect(() => qpFromJson({ n: 1, m: 0, P: { indptr: [0, 1], indices: [0], data: [1] }, A: { indptr: [0, 0], indices: [], data: [] }, q: [1, 2], l: [], u: [] })).toThrow(
      /q has length 2, expected 1/,
    );
    const ok = qpFromJson({ n: 1, m: 1, P: { indptr: [0, 1], indices: [0], data: [1] }, A: { indptr: [0, 1], indices: [0], data: [1] }, q: [1], l: [-1e30], u: [1e30] });
    expect(ok.l[0]).toBe(-Infinity);
    expect(ok.u[0]).toBe(Infinity);
    expect(solveQp(ok).status).toBe("solved");
  });
});
