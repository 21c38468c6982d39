// Degenerate points, bad input and the API contract of QpSensitivity.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QpSensitivity, type SensitivityStatus } from "../sensitivity.js";
import type { QpProblem } from "../types.js";
import {
  dot,
  mulberry32,
  perturb,
  randomDirection,
  randomQp,
  relErr,
  solveWithActiveSet,
  toDense,
  zeroDirection,
} from "./sensitivity_ref.js";

function rowTimes(p: QpProblem, row: number, x: ArrayLike<number>): number {
  const Ad = toDense(p.A, false);
  let s = 0;
  for (let j = 0; j < p.n; j++) s += Ad[row * p.n + j] * x[j];
  return s;
}

describe("weakly active rows (strict complementarity fails)", () => {
  it.each([31, 32, 33, 34])("seed %i: status not_differentiable, and the result is the correct one-sided derivative", (seed) => {
    const { problem, z, y, weakRows } = randomQp(seed, 1);
    const w = weakRows[0];
    const asInactive = new QpSensitivity(problem, z, y);
    const asActive = new QpSensitivity(problem, z, y, { weaklyActive: "active" });
    for (const s of [asInactive, asActive]) {
      expect(s.status).toBe("not_differentiable");
      expect(s.weaklyActiveCount).toBe(1);
      expect(s.weaklyActiveRows[w]).toBe(1);
      expect(s.message).toMatch(/weakly active/);
    }
    const rand = mulberry32(seed);
    const base = randomDirection(problem, rand, { dq: true });
    for (const sign of [1, -1]) {
      const d = zeroDirection(problem);
      d.dq.set(base.dq.map((v) => sign * v));
      const inactive = asInactive.forward(d);
      const active = asActive.forward(d);
      // Exactly one choice is the right-sided derivative: leaving the row inactive is right when
      // it moves into the interior, keeping it active is right when its multiplier turns negative.
      const moveIn = rowTimes(problem, w, inactive.dz) >= 0;
      if (!moveIn) expect(active.dy[w]).toBeLessThanOrEqual(1e-12);
      const side = new Int8Array(problem.m);
      side[0] = side[1] = 2;
      side[2] = side[3] = -1;
      side[4] = side[5] = 1;
      side[w] = moveIn ? 0 : -1;
      const t = 1e-6;
      const ref = solveWithActiveSet(perturb(problem, d, t), side);
      expect(ref.certified, ref.why).toBe(true);
      const oneSided = ref.z.map((v, j) => (v - z[j]) / t);
      expect(relErr(moveIn ? inactive.dz : active.dz, oneSided)).toBeLessThan(1e-4);
    }
  });
});

describe("singular reduced KKT matrices", () => {
  it("a duplicated active row (non-unique multipliers) is left out: not_differentiable, same dz; singular when drops are disabled", () => {
    const { problem, z, y } = randomQp(41);
    // duplicate row 2 (lower-active) as a new last row, splitting its multiplier between the two
    const Ad = toDense(problem.A, false);
    const { n, m } = problem;
    const rows: number[][] = [];
    for (let i = 0; i < m; i++) rows.push(Array.from(Ad.subarray(i * n, (i + 1) * n)));
    rows.push(rows[2].map((v) => 2 * v)); // a multiple, with bounds scaled to match
    const colPtr = new Int32Array(n + 1);
    const idx: number[] = [];
    const vals: number[] = [];
    for (let j = 0; j < n; j++) {
      for (let i = 0; i <= m; i++) if (rows[i][j] !== 0) (idx.push(i), vals.push(rows[i][j]));
      colPtr[j + 1] = idx.length;
    }
    const p2: QpProblem = {
      n,
      m: m + 1,
      P: problem.P,
      q: problem.q,
      A: { rows: m + 1, cols: n, colPtr, rowIdx: Int32Array.from(idx), values: Float64Array.from(vals) },
      l: Float64Array.from([...problem.l, 2 * problem.l[2]]),
      u: Float64Array.from([...problem.u, 2 * problem.u[2]]),
    };
    const y2 = Float64Array.from([...y, 0]);
    y2[2] = 0.4 * y[2];
    y2[m] = 0.3 * y[2]; // 0.4 y + 2 * 0.3 y = y: same A'y
    const s = new QpSensitivity(p2, z, y2);
    expect(s.status).toBe("not_differentiable");
    expect(s.dependentCount).toBe(1);
    expect(s.dependentRows[2] + s.dependentRows[m]).toBe(1);
    expect(s.message).toMatch(/linearly dependent/);
    // the multipliers moved off the dropped row still satisfy P z + q + A'y = 0 with the right signs
    const yS = s.activeMultipliers;
    const Pd = toDense(p2.P, true);
    const A2 = toDense(p2.A, false);
    for (let j = 0; j < n; j++) {
      let r = p2.q[j];
      for (let k = 0; k < n; k++) r += Pd[j * n + k] * z[k];
      for (let i = 0; i <= m; i++) r += A2[i * n + j] * yS[i];
      expect(Math.abs(r)).toBeLessThan(1e-10);
    }
    expect(yS[2] + yS[m]).toBeLessThan(0);
    // a perturbation that keeps the copy consistent (q only) has a unique dz: the one without the copy
    const d = randomDirection(p2, mulberry32(1), { dq: true });
    const dz = s.forward(d).dz;
    const d1 = zeroDirection(problem);
    d1.dq.set(d.dq);
    const dzRef = new QpSensitivity(problem, z, y).forward(d1).dz;
    expect(relErr(dz, dzRef)).toBeLessThan(1e-6);
    const strict = new QpSensitivity(p2, z, y2, { maxDependentDrops: 0 });
    expect(strict.status).toBe("singular");
    expect(strict.message).toMatch(/linearly dependent/);
    for (const v of strict.forward(d).dz) expect(Number.isFinite(v)).toBe(true);
  });

  it("a P that is not positive semidefinite is reported through the inertia", () => {
    const { problem, z, y } = randomQp(42);
    const values = problem.P.values.map((v) => -v - 1);
    const bad: QpProblem = { ...problem, P: { ...problem.P, values } };
    // make (z, y) stationary for the new P so the point passes the residual check
    const q = new Float64Array(problem.n);
    const Pd = toDense(bad.P, true);
    const Ad = toDense(bad.A, false);
    for (let j = 0; j < problem.n; j++) {
      let acc = 0;
      for (let k = 0; k < problem.n; k++) acc += Pd[j * problem.n + k] * z[k];
      for (let i = 0; i < problem.m; i++) acc += Ad[i * problem.n + j] * y[i];
      q[j] = -acc;
    }
    const s = new QpSensitivity({ ...bad, q }, z, y);
    expect(s.status).toBe("singular");
    expect(s.message).toMatch(/positive semidefinite|singular/);
  });
});

describe("not a solution, bad input", () => {
  it("a point that violates the KKT conditions is not_solved and forward/adjoint throw a clear Error", () => {
    const { problem, z, y } = randomQp(51);
    const zBad = z.map((v) => v + 0.5);
    const s = new QpSensitivity(problem, zBad, y);
    expect(s.status).toBe("not_solved");
    expect(s.message).toMatch(/not a solution/);
    expect(() => s.forward({ dq: new Float64Array(problem.n) })).toThrow(/status not_solved/);
    expect(() => s.adjoint(new Float64Array(problem.n))).toThrow(/status not_solved/);
    const yNan = Float64Array.from(y);
    yNan[3] = NaN;
    expect(new QpSensitivity(problem, z, yNan).status).toBe("not_solved");
    const lNan = Float64Array.from(problem.l);
    lNan[7] = NaN;
    const withNan = new QpSensitivity({ ...problem, l: lNan }, z, y);
    expect(withNan.status).toBe("not_solved");
    expect(withNan.message).toMatch(/row 7 has bounds/);
  });

  it("wrong lengths are programming errors: TypeError naming the argument", () => {
    const { problem, z, y } = randomQp(52);
    expect(() => new QpSensitivity(problem, z.subarray(1), y)).toThrow(TypeError);
    expect(() => new QpSensitivity(problem, z, y.subarray(1))).toThrow(/y has length/);
    const s = new QpSensitivity(problem, z, y);
    expect(() => s.forward({ dq: new Float64Array(problem.n + 1) })).toThrow(/dq has length/);
    expect(() => s.adjoint(new Float64Array(problem.n), new Float64Array(2))).toThrow(/dy has length/);
    const lower = { ...problem.P, rowIdx: Int32Array.from(problem.P.rowIdx) };
    lower.rowIdx[0] = problem.n - 1; // column 0 entry below the diagonal
    expect(() => new QpSensitivity({ ...problem, P: lower }, z, y)).toThrow(/upper triangle/);
  });

  it("never throws on arbitrary (z, y), including NaN and huge values (property)", () => {
    const { problem } = randomQp(53);
    const statuses = new Set<SensitivityStatus>(["ok", "not_differentiable", "singular", "not_solved"]);
    const num = fc.oneof(fc.double(), fc.double({ min: -10, max: 10, noNaN: true }), fc.constant(0));
    fc.assert(
      fc.property(fc.array(num, { minLength: problem.n, maxLength: problem.n }), fc.array(num, { minLength: problem.m, maxLength: problem.m }), (z, y) => {
        const s = new QpSensitivity(problem, z, y, { optimalityTol: Infinity });
        expect(statuses.has(s.status)).toBe(true);
        if (s.status === "ok" || s.status === "not_differentiable") {
          const g = s.adjoint(new Float64Array(problem.n).fill(1));
          for (const v of g.dq) expect(Number.isFinite(v)).toBe(true);
        }
      }),
      { numRuns: 200, seed: 20261205 },
    );
  });
});

describe("API contract", () => {
  it("forward/adjoint fill `out` in place, and update() reuses the analysis with the same result", () => {
    const { problem, z, y } = randomQp(61);
    const s = new QpSensitivity(problem, z, y);
    const rand = mulberry32(61);
    const d = randomDirection(problem, rand, { dP: true, dq: true, dA: true, dl: true, du: true });
    const out = { dz: new Float64Array(problem.n), dy: new Float64Array(problem.m) };
    expect(s.forward(d, out)).toBe(out);
    const gout = {
      dP: new Float64Array(problem.P.values.length),
      dq: new Float64Array(problem.n),
      dA: new Float64Array(problem.A.values.length),
      dl: new Float64Array(problem.m),
      du: new Float64Array(problem.m),
    };
    const gz = Float64Array.from({ length: problem.n }, () => rand() - 0.5);
    expect(s.adjoint(gz, undefined, gout)).toBe(gout);
    // re-analyse at another point (not a solution), then back at the solution
    expect(s.update(problem, new Float64Array(problem.n), new Float64Array(problem.m))).toBe("not_solved");
    expect(s.update(problem, z, y)).toBe("ok");
    const again = s.forward(d);
    expect(relErr(again.dz, out.dz)).toBeLessThan(1e-14);
    const fresh = new QpSensitivity(problem, z, y).adjoint(gz);
    expect(relErr(s.adjoint(gz).dA, fresh.dA)).toBeLessThan(1e-14);
    expect(dot(gout.dq, gout.dq)).toBeGreaterThan(0);
  });
});

describe("forward/adjoint consistency at every point with a factorization (property)", () => {
  it("<g, forward(d)> = <adjoint(g), d> for random QPs, weak rows and either weak choice", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 2 }), fc.boolean(), (seed, weak, active) => {
        const { problem, z, y } = randomQp(seed, weak);
        const s = new QpSensitivity(problem, z, y, { weaklyActive: active ? "active" : "inactive" });
        expect(s.status).toBe(weak > 0 ? "not_differentiable" : "ok");
        const rand = mulberry32(seed);
        const d = randomDirection(problem, rand, { dP: true, dq: true, dA: true, dl: true, du: true });
        const gz = Float64Array.from({ length: problem.n }, () => 2 * rand() - 1);
        const gy = Float64Array.from({ length: problem.m }, () => 2 * rand() - 1);
        const fw = s.forward(d);
        const lhs = dot(gz, fw.dz) + dot(gy, fw.dy);
        const g = s.adjoint(gz, gy);
        const rhs = dot(g.dP, d.dP) + dot(g.dq, d.dq) + dot(g.dA, d.dA) + dot(g.dl, d.dl) + dot(g.du, d.du);
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.max(1, Math.abs(lhs)));
      }),
      { numRuns: 100, seed: 20261205 },
    );
  });
});
