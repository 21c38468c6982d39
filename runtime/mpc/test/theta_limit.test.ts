// Learnable parameters have magnitude below 1e20, box or not (bounds.ts `tooLargeTheta`): the
// QP's data are computed from theta, the QP format reads a value of magnitude >= 1e20 as infinite
// and products of such values overflow double precision. Red-team finding: with
// `learnable diag Q[2] = 1 in [0, inf]` and `quad(x, Q)`, Q = 1e308 lay inside the box, the compiled
// P = 2Q was Infinity and `act` answered non_convex with V = NaN. Every entry point of theta
// (construction, setTheta of both controllers, NmpcController, the learners' updates) refuses an
// entry of 1e20 or 1e308 and accepts 9.9e19 where the box allows it.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileToModule, type CompiledModule, type NlpModule } from "../../../compiler/index.js";
import { QLearning } from "../../learn/q_learning.js";
import { SafeUpdater } from "../../learn/safety.js";
import { QuadraticQ } from "../../learn/test/doubles.js";
import { LinearPlant } from "../../plants/linear.js";
import { RandomDisturbance } from "../../plants/disturbance.js";
import { NmpcController } from "../../nmpc/controller.js";
import { assertThetaInBoxes, THETA_MAGNITUDE_MAX, ThetaBoxError, thetaBoxViolation, thetaVectorViolation, tooLargeTheta } from "../bounds.js";
import type { ParamLayout } from "../types.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

// the red team's controller: Q unbounded above, w in a box reaching 1e308, b free
const LINEAR = `controller C {
  state x[2]
  input u[1] in [-1, 1]
  learnable diag Q[2] = 1 in [0, inf]
  learnable w = 0.5 in [0, 1e308]
  learnable b = 0
  horizon 5
  dynamics x+ = [[1, 0.25], [0, 1]]*x + [[0.0312], [0.25]]*u
  minimize stage quad(x, Q) + w*u'*u + b
}
`;

const NONLINEAR = `controller Nl {
  state x[1]
  input u[1] in [-1, 1]
  learnable a = 1 in [0, inf]
  horizon 4
  timestep 0.1
  solver sqp
  dynamics der(x) = [-a*x[0] + 0.1*sin(x[0]) + u[0]] using rk4
  minimize stage sumsq(x) + sumsq(u)
}
`;

function compile(source: string): CompiledModule | NlpModule {
  const r = compileToModule(source, { fileName: "theta_limit.mpcrl" });
  const m = r.module ?? r.nlpModule;
  if (m === undefined) throw new Error(`did not compile: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return m;
}
const linear = compile(LINEAR) as CompiledModule;
const nonlinear = compile(NONLINEAR) as NlpModule;

const TOO_LARGE = [1e20, -1e20, 1e308, -1e308, 1.5e20];
const tooLarge = /is too large: learnable parameters must have magnitude below 1e20/;

describe("the one check (bounds.ts)", () => {
  const params: ParamLayout[] = [
    { name: "Q", rows: 2, cols: 1, offset: 0, size: 2, structure: "diag", lower: new Float64Array(2), upper: new Float64Array(2).fill(Infinity) },
    { name: "w", rows: 1, cols: 1, offset: 2, size: 1, structure: "scalar", lower: Float64Array.of(-1e308), upper: Float64Array.of(1e308) },
  ];

  it("refuses magnitude >= 1e20 inside a box, naming parameter, entry and value; an out-of-box value keeps its message", () => {
    expect(thetaBoxViolation(params, [1, 9.9e19, -9.9e19])).toBeNull();
    expect(thetaBoxViolation(params, [1, THETA_MAGNITUDE_MAX, -THETA_MAGNITUDE_MAX])).toBeNull();
    expect(THETA_MAGNITUDE_MAX).toBeLessThan(1e20);
    expect(thetaBoxViolation(params, [1, 1e308, 0])).toBe(
      "parameter `Q` entry Q[1] = 1e+308 is too large: learnable parameters must have magnitude below 1e20 (the QP's data are computed from them, a value of magnitude >= 1e20 means infinite there and products of it overflow double precision; an unbounded box means bounded by 1e20)",
    );
    expect(thetaBoxViolation(params, [1, 1, -1e20])).toMatch(/^parameter `w` entry w = -100000000000000000000 is too large/);
    expect(thetaBoxViolation(params, [-1e308, 1, 0])).toMatch(/Q\[0\] = -1e\+308 is outside its declared box \[0, Infinity\]/);
    expect(() => assertThetaInBoxes(params, [1e20, 1, 0])).toThrow(ThetaBoxError);
    expect(tooLargeTheta("theta[0]", NaN)).toBeNull(); // non-finite values are refused first, as such
  });

  it("by position: length, finiteness and magnitude, named by the layout when there is one", () => {
    expect(thetaVectorViolation([1, 2, 9.9e19], 3)).toBeNull();
    expect(thetaVectorViolation([1, 2, 1e20], 3)).toMatch(/^theta\[2\] = 100000000000000000000 is too large/);
    expect(thetaVectorViolation([1, 1e308, 0], 3, params)).toMatch(/^parameter `Q` entry Q\[1\] = 1e\+308 is too large/);
    expect(thetaVectorViolation([NaN, 0, 0], 3)).toBe("theta[0] is NaN, not a finite number");
    expect(thetaVectorViolation([0, 0], 3)).toBe("theta has length 2, expected 3");
  });

  it("accepts exactly the magnitudes below 1e20 inside an unbounded box (property)", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const why = thetaBoxViolation([{ ...params[1], offset: 0, lower: Float64Array.of(-Infinity), upper: Float64Array.of(Infinity) }], [v]);
        expect(why === null).toBe(Math.abs(v) < 1e20);
      }),
      { seed: 20260720, numRuns: 500 },
    );
  });
});

describe("MpcController", () => {
  it("setTheta refuses 1e20 and 1e308 in any entry whatever the box, writes nothing, and accepts 9.9e19", () => {
    const c = linear.createController();
    const theta0 = Array.from(c.getTheta());
    expect(theta0).toEqual([1, 1, 0.5, 0]);
    for (let j = 0; j < theta0.length; j++) {
      for (const v of TOO_LARGE) {
        // Q >= 0: a negative value is refused by its box first
        if (j < 3 && v < 0) continue;
        const t = theta0.slice();
        t[j] = v;
        expect(() => c.setTheta(t), `${j} ${v}`).toThrow(ThetaBoxError);
        expect(() => c.setTheta(t), `${j} ${v}`).toThrow(tooLarge);
        expect(Array.from(c.getTheta())).toEqual(theta0);
      }
    }
    expect(() => c.setTheta([1e308, 1, 0.5, 0])).toThrow(/parameter `Q` entry Q\[0\] = 1e\+308 is too large/);
    expect(() => c.setTheta([1, 1, 1e308, 0])).toThrow(/parameter `w` entry w = 1e\+308 is too large/);
    expect(() => c.setTheta([1, 1, 0.5, -1e20])).toThrow(/parameter `b` entry b = -100000000000000000000 is too large/);
    c.setTheta([9.9e19, 1, 9.9e19, -9.9e19]);
    expect(Array.from(c.getTheta())).toEqual([9.9e19, 1, 9.9e19, -9.9e19]);
  });

  it("construction refuses initial parameters of magnitude >= 1e20 and accepts 9.9e19", () => {
    for (const v of [1e20, 1e308]) {
      expect(() => linear.createController({ theta: [v, 1, 0.5, 0] })).toThrow(ThetaBoxError);
      expect(() => linear.createController({ theta: [1, 1, 0.5, -v] })).toThrow(tooLarge);
    }
    expect(Array.from(linear.createController({ theta: [1, 9.9e19, 0.5, 0] }).getTheta())).toEqual([1, 9.9e19, 0.5, 0]);
  });

  it("the red team's Q = 1e308 inside [0, inf] cannot be set, so act never meets P = Infinity (non_convex, V = NaN)", () => {
    const c = linear.createController();
    expect(() => c.setTheta([1e308, 1e308, 0.5, 0])).toThrow(/`Q` entry Q\[0\] = 1e\+308 is too large/);
    const a = c.act([0.5, 0.1]);
    expect(a.status).toBe("solved");
    expect(Number.isFinite(a.value)).toBe(true);
    expect(a.fallback).toBe(false);
  });
});

describe("NonlinearMpc and NmpcController", () => {
  it("NonlinearMpc: setTheta and construction refuse 1e20 and 1e308, nothing written; 9.9e19 is accepted", () => {
    const c = nonlinear.createController();
    expect(Array.from(c.getTheta())).toEqual([1]);
    for (const v of [1e20, 1e308]) {
      expect(() => c.setTheta([v])).toThrow(ThetaBoxError);
      expect(() => c.setTheta([v])).toThrow(/parameter `a` entry a = .* is too large: learnable parameters must have magnitude below 1e20/);
      expect(Array.from(c.getTheta())).toEqual([1]);
      expect(() => nonlinear.createController({ theta: [v] })).toThrow(tooLarge);
    }
    expect(c.act([0.5]).status).toBe("solved");
    c.setTheta([9.9e19]);
    expect(Array.from(c.getTheta())).toEqual([9.9e19]);
    expect(Array.from(nonlinear.createController({ theta: [9.9e19] }).getTheta())).toEqual([9.9e19]);
  });

  it("NmpcController (theta by position, no boxes): a RangeError naming the entry, nothing written; 9.9e19 accepted", () => {
    const model = nonlinear.template.model;
    for (const v of [1e20, -1e20, 1e308]) {
      expect(() => new NmpcController(model, { theta: [v] })).toThrow(RangeError);
      expect(() => new NmpcController(model, { theta: [v], params: nonlinear.template.params })).toThrow(/parameter `a` entry a = .* is too large/);
    }
    const n = new NmpcController(model, { theta: [1] });
    expect(() => n.setTheta([1e308])).toThrow(/theta\[0\] = 1e\+308 is too large/);
    expect(() => n.setTheta([NaN])).toThrow(/not a finite number/);
    expect(Array.from(n.getTheta())).toEqual([1]);
    n.setTheta([9.9e19]);
    expect(Array.from(n.getTheta())).toEqual([9.9e19]);
  });
});

describe("learners never apply an update reaching 1e20", () => {
  const step = (n: number, s: number[]): { M: Float64Array; c: Float64Array; step: Float64Array } => {
    const M = new Float64Array(n * n);
    for (let i = 0; i < n; i++) M[i * n + i] = 1;
    const st = Float64Array.from(s);
    return { M, c: st.map((v) => -v), step: st };
  };

  it("SafeUpdater: an unbounded box projects nothing (rejected, too_large); a box reaching 1e308 neither", () => {
    const free = new SafeUpdater(2, { lower: new Float64Array(2).fill(-Infinity), upper: new Float64Array(2).fill(Infinity), maxRelativeChange: Infinity, minTrustRadius: 0.1 });
    const theta = Float64Array.of(1, 2);
    const out = free.apply(theta, step(2, [0, 1e25]));
    expect(out.accepted).toBe(false);
    expect(out.reason).toBe("too_large");
    expect(out.message).toBe("the update would make theta[1] reach magnitude >= 1e20: learnable parameters must have magnitude below 1e20 (an unbounded box means bounded by 1e20)");
    expect(Array.from(theta)).toEqual([1, 2]);
    // an update to just below the limit is an ordinary update
    expect(free.apply(theta, step(2, [0, 9.9e19 - 2])).accepted).toBe(true);
    expect(theta[1]).toBe(9.9e19);
    // a box reaching 1e308, with names: the projection onto it would give 1e308, rejected
    const params: ParamLayout[] = [{ name: "w", rows: 2, cols: 1, offset: 0, size: 2, structure: "vector", lower: new Float64Array(2), upper: new Float64Array(2).fill(1e308) }];
    const wide = new SafeUpdater(2, { lower: new Float64Array(2), upper: new Float64Array(2).fill(1e308), maxRelativeChange: Infinity, minTrustRadius: 0.1, params });
    const t2 = Float64Array.of(1, 1);
    const o2 = wide.apply(t2, step(2, [1.7e308, 0]));
    expect(o2.reason).toBe("too_large");
    expect(o2.message).toMatch(/^the update would make parameter `w` entry w\[0\] reach magnitude >= 1e20/);
    expect(Array.from(t2)).toEqual([1, 1]);
    expect(wide.rejections.map((r) => r.reason)).toEqual(["too_large"]);
  });

  it("SafeUpdater: whatever the step, theta stays of magnitude below 1e20 and is written only when accepted (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -9e19, max: 9e19, noNaN: true }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -1e300, max: 1e300, noNaN: true })), { minLength: 3, maxLength: 3 }),
        fc.constantFrom(Infinity, 1e308, 1e20, 50),
        fc.constantFrom(Infinity, 0.5),
        (t0, s, hi, rel) => {
          const upper = new Float64Array(3).fill(hi);
          const lower = new Float64Array(3).fill(-hi);
          const theta = Float64Array.from(t0, (v) => Math.min(Math.max(v, -hi), hi));
          const before = Array.from(theta);
          const u = new SafeUpdater(3, { lower, upper, maxRelativeChange: rel, minTrustRadius: 0.1 });
          const out = u.apply(theta, step(3, s));
          for (const v of theta) expect(Math.abs(v)).toBeLessThan(1e20);
          if (!out.accepted) expect(Array.from(theta)).toEqual(before);
          // a candidate reaching 1e20 is rejected as such (not as something else)
          if (before.some((v, i) => Math.abs(Math.min(Math.max(v + s[i], -hi), hi)) >= 1e21) && rel === Infinity) expect(out.reason).toBe("too_large");
        },
      ),
      { seed: 20260721, numRuns: 400 },
    );
  });

  it("Q-learning with huge steps: every theta it sets is below 1e20; the updates that would reach it are rejected with the reason", () => {
    const plant = (): LinearPlant =>
      new LinearPlant({ A: [0.9], B: [0.5], initialState: [1], Q: [2], R: [2], disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std: 0.2 }]) });
    let tooLargeRejections = 0;
    for (const [lr, upper] of [
      [1e17, Infinity],
      [1e25, Infinity],
      [1e25, 1e308],
    ] as const) {
      const mpc = new QuadraticQ([0, 1, 0, 1], 0.9, -Infinity, Infinity, [-Infinity, 0, -Infinity, 0.1], [Infinity, upper, Infinity, upper]);
      const set: number[] = [];
      const setTheta = mpc.setTheta.bind(mpc);
      mpc.setTheta = (t: ArrayLike<number>) => {
        set.push(...Array.from(t));
        setTheta(t);
      };
      const q = new QLearning(mpc, plant(), {
        seed: 3,
        discount: 0.9,
        optimizer: { kind: "sgd", lr },
        replay: { size: 1, sample: 1 },
        exploration: { kind: "additive", distribution: "normal", scale: 0.3 },
        safety: { checkFeasibility: "lazy" },
      });
      q.beginEpisode(0);
      const reasons: string[] = [];
      for (let k = 0; k < 30; k++) {
        const r = q.step();
        if (r.rejected !== null) reasons.push(r.rejected);
      }
      for (const v of set) expect(Math.abs(v), `lr ${lr}`).toBeLessThan(1e20);
      for (const v of mpc.getTheta()) expect(Math.abs(v)).toBeLessThan(1e20);
      const mine = q.safety.rejections.filter((r) => r.reason === "too_large");
      for (const r of mine) expect(r.message).toMatch(/^the update would make parameter `(V0|H)` entry (V0|H\[\d\]) reach magnitude >= 1e20/);
      expect(reasons.filter((r) => r.startsWith("the update would make")).length).toBe(mine.length);
      tooLargeRejections += mine.length;
      if (lr === 1e25) expect(mine.length, `lr ${lr} upper ${upper}`).toBeGreaterThan(0);
    }
    expect(tooLargeRejections).toBeGreaterThan(0);
  });
});

describe("the examples' parameters are far from the limit", () => {
  it("Gros & Zanon's initial parameters are admissible (unchanged results at ordinary parameters)", () => {
    const r = compileToModule(readFileSync(root + "examples/gros_zanon/linear_mpc.mpcrl", "utf8"), { fileName: "linear_mpc.mpcrl" });
    const c = r.module!.createController();
    expect(thetaBoxViolation(c.params, c.getTheta())).toBeNull();
  });
});
