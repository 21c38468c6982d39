// The controller refuses what the checker's proofs do not cover: parameters outside their boxes
// (setTheta, construction), runtime values outside their declared ranges (a status, not an
// exception), nonconvex and unbounded QPs (never `solved`, on the active-set and the ADMM path).

import { describe, expect, it } from "vitest";
import { MpcController } from "../controller.js";
import { assertThetaInBoxes, thetaBoxViolation } from "../bounds.js";
import { tinyTemplate } from "./tiny.js";

describe("parameters are validated against their boxes", () => {
  it("setTheta refuses an entry outside its box or not finite, naming parameter, entry, value and box; theta is kept", () => {
    const mpc = new MpcController(tinyTemplate());
    expect(() => mpc.setTheta([2.5, 0])).toThrow(/parameter `w` entry w = 2.5 is outside its declared box \[-2, 2\]/);
    expect(() => mpc.setTheta([1, -5.000000000000001])).toThrow(/parameter `g` entry g = -5.000000000000001 is outside its declared box \[-5, 5\]/);
    expect(() => mpc.setTheta([NaN, 0])).toThrow(/`w`.*not a finite number/);
    expect(() => mpc.setTheta([1, Infinity])).toThrow(RangeError);
    expect(Array.from(mpc.getTheta())).toEqual([1, 0]);
    // the box itself is admissible, corners included
    mpc.setTheta([-2, 5]);
    expect(Array.from(mpc.getTheta())).toEqual([-2, 5]);
  });

  it("construction refuses initial parameters outside the boxes", () => {
    expect(() => new MpcController(tinyTemplate(), { theta: [3, 0] })).toThrow(/`w`.*outside its declared box/);
    expect(() => new MpcController(tinyTemplate({ theta0: [1, 6] }))).toThrow(/`g`.*outside its declared box/);
  });

  it("thetaBoxViolation names matrix entries by row and column", () => {
    const params = [{ name: "M", rows: 2, cols: 2, offset: 0, size: 4, structure: "matrix" as const, lower: new Float64Array(4), upper: new Float64Array(4).fill(1) }];
    expect(thetaBoxViolation(params, [0, 0.5, 1, 0])).toBeNull();
    expect(thetaBoxViolation(params, [0, 0.5, 1.5, 0])).toBe("parameter `M` entry M[1,0] = 1.5 is outside its declared box [0, 1]");
    expect(() => assertThetaInBoxes(params, [0, 0, 0])).toThrow(/length 3, expected 4/);
  });
});

describe("runtime values are validated against their declared ranges", () => {
  it("a value outside its range (or not finite) is refused with status invalid_input and a message, for every call", () => {
    const mpc = new MpcController(tinyTemplate());
    expect(mpc.value([0.2], { r: 1 }).ok).toBe(true);
    for (const r of [1.5, -1e-12, NaN]) {
      const v = mpc.value([0.2], { r });
      expect(v.ok).toBe(false);
      expect(v.status).toBe("invalid_input");
      expect(v.message).toMatch(/runtime value `r`/);
      const a = mpc.act([0.2], { r: [r] });
      expect(a.status).toBe("invalid_input");
      expect(a.fallback).toBe(true);
      expect(mpc.qvalue([0.2], [0], { r }).status).toBe("invalid_input");
      expect(mpc.gradQvalue([0.2], [0], { r }).status).toBe("invalid_input");
      expect(mpc.policySensitivity([0.2], { r }).status).toBe("invalid_input");
    }
    expect(mpc.value([0.2], { r: 2 }).message).toBe("runtime value `r` = 2 is outside its declared range [0, 1]");
    // the refused value was not stored: the next call without r uses the last accepted one
    const a = mpc.value([0.2], { r: 1 }).value;
    mpc.value([0.2], { r: 7 });
    expect(mpc.value([0.2]).value).toBe(a);
  });

  it("without a declared range any finite value is accepted; wrong lengths still throw", () => {
    const mpc = new MpcController(tinyTemplate({ noRange: true }));
    expect(mpc.value([0.2], { r: 7 }).ok).toBe(true);
    expect(mpc.value([0.2], { r: Infinity }).status).toBe("invalid_input");
    expect(() => mpc.value([0.2], { r: [1, 2] })).toThrow(RangeError);
  });
});

describe("nonconvex and unbounded QPs are never reported solved", () => {
  for (const activeSet of [true, false]) {
    it(`a nonconvex QP gets non_convex (activeSet ${activeSet})`, () => {
      // w = -2 lies in w's box: the (too wide) box admits a nonconvex QP; the runtime catches it
      const mpc = new MpcController(tinyTemplate(), { activeSet });
      expect(mpc.act([0.3]).status).toBe("solved");
      mpc.setTheta([-2, 0.1]);
      const a = mpc.act([0.3]);
      expect(a.status).toBe("non_convex");
      expect(a.fallback).toBe(true);
      expect(mpc.value([0.3]).ok).toBe(false);
      expect(mpc.gradValue([0.3]).status).toBe("non_convex");
    });

    it(`an unbounded QP gets dual_infeasible, not a value of -1e22 (activeSet ${activeSet})`, () => {
      // no cost on x1 and u0 free: g = -1 drives u0 to +infinity
      const mpc = new MpcController(tinyTemplate({ uLower: -Infinity, uUpper: Infinity, px: 0 }), { activeSet });
      mpc.setTheta([0, -1]);
      const v = mpc.value([0.3], { r: 0 });
      expect(v.ok).toBe(false);
      expect(v.status).toBe("dual_infeasible");
      expect(mpc.act([0.3], { r: 0 }).status).toBe("dual_infeasible");
      // bounded again with a bound on u0's cost
      mpc.setTheta([1, -1]);
      const ok = mpc.value([0.3], { r: 0 });
      expect(ok.status).toBe("solved");
      expect(ok.value).toBeCloseTo(0.5 * 0.09 + 0.5 - 1, 12);
    });
  }
});

describe("a non-finite state or pinned input is refused (red-team finding 06)", () => {
  it("every call answers invalid_input naming the entry, never solved; act falls back", () => {
    const mpc = new MpcController(tinyTemplate());
    for (const bad of [NaN, Infinity, -Infinity]) {
      const a = mpc.act([bad]);
      expect(a.status).toBe("invalid_input");
      expect(a.fallback).toBe(true);
      expect(a.message).toBe(`state[0] is ${bad}, not a finite number`);
      expect(Array.from(a.u).every(Number.isFinite)).toBe(true);
      for (const r of [mpc.value([bad]), mpc.qvalue([bad], [0]), mpc.gradValue([bad]), mpc.gradQvalue([bad], [0]), mpc.policySensitivity([bad])]) {
        expect(r.status).toBe("invalid_input");
        expect(r.ok).toBe(false);
        expect(r.message).toMatch(/^state\[0\] is -?Infinity|^state\[0\] is NaN/);
      }
      // the pinned input of Q(s, a)
      for (const r of [mpc.qvalue([0.2], [bad]), mpc.gradQvalue([0.2], [bad])]) {
        expect(r.status).toBe("invalid_input");
        expect(r.message).toBe(`input[0] is ${bad}, not a finite number`);
      }
    }
    // finite calls are unaffected
    expect(mpc.value([0.2]).ok).toBe(true);
  });
});

describe("a non-finite derivative is a failure with a message, never ok (safety net)", () => {
  it("gradValue, gradQvalue and policySensitivity with a NaN entry of the template's Jacobian", () => {
    const t = tinyTemplate();
    // a template whose derivative in w is broken (a stand-in for any NaN that reaches the sum)
    const broken = {
      ...t,
      jacValues: (theta: Float64Array, rt: Float64Array, out: Float64Array): void => {
        t.jacValues(theta, rt, out);
        for (let e = 0; e < out.length; e++) if (t.jacCol[e] === 0) out[e] = NaN;
      },
    };
    const mpc = new MpcController(broken);
    for (const g of [mpc.gradValue([0.2]), mpc.gradQvalue([0.2], [0.1])]) {
      expect(g.ok).toBe(false);
      expect(g.message).toMatch(/with respect to `w` entry w is NaN, not a finite number/);
      expect(Array.from(g.grad).every(Number.isNaN)).toBe(true);
    }
    const s = mpc.policySensitivity([0.2]);
    expect(s.ok).toBe(false);
    expect(s.status).toBe("not_differentiable");
    expect(s.message).toMatch(/du_0\/dtheta .*`w`.*not a finite number/);
    // the healthy template: finite and ok
    const fine = new MpcController(t);
    expect(fine.gradValue([0.2]).ok).toBe(true);
    expect(fine.policySensitivity([0.2]).ok).toBe(true);
  });
});
