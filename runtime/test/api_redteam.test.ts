// Red-team of the public API of compiled controllers and plants, as an app calls them: a programming
// error is a TypeError / RangeError naming the argument, thrown before anything is written; a
// failed solve is a status; a refused call leaves the controller (and plant) as it was, so the
// next valid call gives a fresh controller's answer; no NaN is ever returned as an action.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CompiledModule, NlpModule } from "../../compiler/index.js";
import { MpcController } from "../mpc/controller.js";
import { ENTRY_POINTS, loadExample } from "./load_example.js";
import { tinyTemplate } from "../mpc/test/tiny.js";

const load = loadExample;
function qp(path: string): CompiledModule {
  const m = load(path);
  if (m.kind !== "qp") throw new Error(`${path} is not a linear MPC`);
  return m;
}
function nlp(path: string): NlpModule {
  const m = load(path);
  if (m.kind !== "nlp") throw new Error(`${path} is not a nonlinear MPC`);
  return m;
}

// each spec compiled once for the file
const gz = qp("examples/gros_zanon/linear_mpc.mpcrl");
const tracking = qp("examples/rate_tracking/rate_tracking.mpcrl");
const msd = qp("examples/new_user/msd_qlearning.mpcrl");
const cartpole = nlp("examples/cartpole/cartpole.mpcrl");
const cstr = nlp("examples/cstr/cstr.mpcrl");

const S_GZ = [0.5, 0.1];
const S_CP = [0.1, 0.2, 0.3, 0.4];
const S_CSTR = [0.8, 0.5, 134.14, 130];

describe("a nonlinear controller after a failed solve (finding: the failed iterate poisoned the warm start)", () => {
  // before: after one value / gradValue / policySensitivity at a state far outside the domain,
  // every later V solve at an ordinary state failed (qp_failed from the diverged iterate), and an
  // act after a failed act failed too
  const far = S_CP.map(() => 1e8);
  const calls: [string, (c: ReturnType<NlpModule["createController"]>) => { ok?: boolean; status: string }][] = [
    ["value", (c) => c.value(far)],
    ["gradValue", (c) => c.gradValue(far)],
    ["policySensitivity", (c) => c.policySensitivity(far)],
    ["act", (c) => c.act(far)],
  ];
  const fresh = cartpole.createController();
  const ref = { v: fresh.value(S_CP).value, g: Array.from(fresh.gradValue(S_CP).grad), j: Array.from(fresh.policySensitivity(S_CP).jacobian), u: fresh.act(S_CP).u[0] };
  for (const [name, call] of calls) {
    it(`${name} at a far state: a status, then the next calls give a fresh controller's answers`, () => {
      const c = cartpole.createController();
      const bad = call(c);
      expect(bad.status).not.toBe("solved");
      const v = c.value(S_CP);
      expect(v.status).toBe("solved");
      expect(v.value).toBeCloseTo(ref.v, 9);
      const g = c.gradValue(S_CP);
      expect(g.ok).toBe(true);
      g.grad.forEach((x, i) => expect(x).toBeCloseTo(ref.g[i], 6));
      const s = c.policySensitivity(S_CP);
      expect(s.ok).toBe(true);
      s.jacobian.forEach((x, i) => expect(x).toBeCloseTo(ref.j[i], 6));
      const a = c.act(S_CP);
      expect(a.status).toBe("solved");
      expect(a.u[0]).toBeCloseTo(ref.u, 6);
    });
  }
});

describe("arguments of the wrong kind are a TypeError naming them (before: 'Cannot read properties of null')", () => {
  it("linear: state, input, theta, runtime values", () => {
    const c = gz.createController();
    for (const bad of [undefined, null, 3, "ab", { length: 2, 0: 0.5, 1: 0.1 }]) {
      expect(() => c.act(bad as never)).toThrow(TypeError);
      expect(() => c.value(bad as never)).toThrow(/^state must be an array of 2 numbers, got /);
      expect(() => c.gradValue(bad as never)).toThrow(TypeError);
      expect(() => c.policySensitivity(bad as never)).toThrow(TypeError);
      expect(() => c.qvalue(S_GZ, bad as never)).toThrow(/^input must be an array of 1 numbers/);
      expect(() => c.gradQvalue(S_GZ, bad as never)).toThrow(TypeError);
      expect(() => c.setTheta(bad as never)).toThrow(/^theta must be an array of 16 numbers/);
    }
    expect(() => c.act(S_GZ, null as never)).toThrow(/runtime values must be an object/);
    expect(() => c.act([0.5])).toThrow(RangeError);
    // a string entry is named as a string, not printed as if it were the number 0.5
    expect(c.act(["0.5", 0.1] as never).message).toBe('state[0] is the string "0.5", not a finite number');
    // nothing was written: the same answer as a fresh controller
    expect(c.act(S_GZ).u[0]).toBe(gz.createController().act(S_GZ).u[0]);
    expect(Array.from(c.getTheta())).toEqual(Array.from(gz.template.theta0));
  });

  it("nonlinear: state, input, theta, runtime values", () => {
    const c = cartpole.createController();
    for (const bad of [undefined, null, 3, "abcd"]) {
      expect(() => c.act(bad as never)).toThrow(/^state must be an array of 4 numbers/);
      expect(() => c.value(bad as never)).toThrow(TypeError);
      expect(() => c.qvalue(S_CP, bad as never)).toThrow(/^input must be an array of 1 numbers/);
      expect(() => c.setTheta(bad as never)).toThrow(TypeError);
    }
    expect(() => c.act(S_CP, null as never)).toThrow(TypeError);
    expect(c.value(S_CP).status).toBe("solved");
  });
});

describe("runtime values are given by their declared names (before: a misspelt name was ignored)", () => {
  it("linear: an unknown name is a TypeError listing the declared ones; nothing is written", () => {
    const c = tracking.createController();
    const fresh = tracking.createController();
    expect(() => c.act([0.2, 0.1], { ref: [5, 0] } as never)).toThrow(/unknown runtime value `ref`: the controller declares `r`, `d`, `prev_u`/);
    // an unknown name beside a good one: neither is applied
    expect(() => c.value([0.2, 0.1], { r: [3, 0], rr: 1 } as never)).toThrow(TypeError);
    expect(() => c.value([0.2, 0.1], { r: null } as never)).toThrow(/runtime value `r` must be an array of 2 numbers, got null/);
    expect(() => c.value([0.2, 0.1], { r: "ab" } as never)).toThrow(TypeError);
    expect(() => c.value([0.2, 0.1], { r: [1] })).toThrow(RangeError);
    expect(c.act([0.2, 0.1]).u[0]).toBe(fresh.act([0.2, 0.1]).u[0]);
    expect(() => gz.createController().act(S_GZ, { r: 1 } as never)).toThrow(/declares no runtime values/);
  });

  it("nonlinear: unknown names and wrong lengths throw (before: a wrong length was a status)", () => {
    const c = cstr.createController();
    expect(() => c.act(S_CSTR, { prev_f: [10] } as never)).toThrow(/unknown runtime value `prev_f`/);
    expect(() => c.value(S_CSTR, { prev_F: [10, 20] })).toThrow(RangeError);
    const v = c.value(S_CSTR, { prev_F: [NaN] });
    expect(v.status).toBe("invalid_input");
    expect(v.message).toMatch(/runtime value `prev_F` is NaN/);
  });
});

describe("options are checked at construction (before: accepted, failing later or never)", () => {
  it("fallbackInput not finite or of the wrong length: RangeError (before: NaN returned as the action)", () => {
    for (const m of [gz, cartpole] as const) {
      expect(() => m.createController({ fallbackInput: [NaN] })).toThrow(/option `fallbackInput` must be an array of 1 finite numbers.*entry 0 is number NaN/);
      expect(() => m.createController({ fallbackInput: [1, 2, 3] })).toThrow(RangeError);
      expect(() => m.createController({ fallbackInput: 0 as never })).toThrow(TypeError);
    }
    // a valid fallback is still used, clipped to the bounds, and finite
    const c = gz.createController({ fallbackInput: [0.5] });
    const a = c.act([NaN, 0]);
    expect(a.fallback).toBe(true);
    expect(Array.from(a.u).every(Number.isFinite)).toBe(true);
  });

  it("linear: unknown keys and wrong types or ranges", () => {
    expect(() => gz.createController({ acceptInnacurate: true } as never)).toThrow(/unknown MpcController option `acceptInnacurate` \(known: .*acceptInaccurate/);
    expect(() => gz.createController({ kktTolerance: NaN })).toThrow(RangeError);
    expect(() => gz.createController({ kktTolerance: -1 })).toThrow(/`kktTolerance` must be a finite number > 0/);
    expect(() => gz.createController({ kktTolerance: "1e-6" } as never)).toThrow(TypeError);
    expect(() => gz.createController({ firstInputBounds: "nope" } as never)).toThrow(/one of "removed", "kept"/);
    expect(() => gz.createController({ activeSet: "no" } as never)).toThrow(/must be a boolean/);
    expect(() => gz.createController({ settings: { maxIter: -1 } })).toThrow(/setting maxIter/);
    expect(() => gz.createController({ settings: { rhoo: 1 } as never })).toThrow(/unknown setting 'rhoo'/);
    expect(() => gz.createController({ retryRho: NaN })).toThrow(RangeError);
    // valid ones still work
    expect(gz.createController({ settings: { maxIter: 100 }, kktTolerance: 1e-7, activeSet: false, theta: gz.template.theta0 }).act(S_GZ).status).toBe("solved");
  });

  it("nonlinear: unknown keys, modes and SQP settings", () => {
    expect(() => cartpole.createController({ mode: "fast" } as never)).toThrow(/`mode` must be one of "sqp", "rti"/);
    expect(() => cartpole.createController({ rtiInit: "warm" } as never)).toThrow(RangeError);
    expect(() => cartpole.createController({ sqp: { maxIterations: -1 } })).toThrow(/SQP option `maxIterations` must be an integer >= 1/);
    expect(() => cartpole.createController({ sqp: { tolerance: NaN } })).toThrow(RangeError);
    expect(() => cartpole.createController({ sqp: { tolerence: 1e-6 } as never })).toThrow(/unknown SQP option `tolerence`/);
    expect(() => cartpole.createController({ bogus: 1 } as never)).toThrow(/unknown NonlinearMpc option `bogus`/);
    // the trainer passes every controller the same options: firstInputBounds is accepted
    expect(cartpole.createController({ firstInputBounds: "removed", mode: "rti", sqp: { maxIterations: 50 } } as never).act(S_CP).status).toBe("solved");
  });
});

describe("a refused setTheta keeps the old parameters", () => {
  it("linear and nonlinear", () => {
    for (const m of [gz, cartpole, cstr] as const) {
      const c = m.createController();
      const before = Array.from(c.getTheta());
      for (const bad of [null, [1], Array.from(c.thetaUpper, (u) => u + 1), before.map(() => NaN), before.map(() => "1")]) {
        expect(() => c.setTheta(bad as never)).toThrow(bad === null ? TypeError : RangeError);
        expect(Array.from(c.getTheta())).toEqual(before);
      }
    }
  });
});

describe("plants stepped with bad actions (before: a NaN action made the state NaN for good)", () => {
  it("a non-finite or wrongly sized action is refused and changes nothing: the next steps equal an untouched twin's", () => {
    const p = msd.createPlant!();
    const twin = msd.createPlant!();
    expect(Array.from(p.reset(7))).toEqual(Array.from(twin.reset(7)));
    for (const bad of [[NaN], [Infinity], [undefined], ["1"], [1, 2], [], null, 1]) {
      expect(() => p.step(bad as never)).toThrow(bad === null || bad === 1 ? TypeError : RangeError);
    }
    expect(() => p.step([NaN])).toThrow(/the plant's action\[0\] is NaN, not a finite number/);
    expect(() => p.step([1, 2])).toThrow(/the plant expects 1 inputs, got 2/);
    for (let k = 0; k < 3; k++) {
      const a = p.step([0.3]);
      const b = twin.step([0.3]);
      expect(Array.from(a.observation)).toEqual(Array.from(b.observation));
      expect(a.cost).toBe(b.cost);
      expect(a.truncated).toBe(b.truncated);
    }
  });

  it("a seed or episode length that is not an integer is refused", () => {
    expect(() => msd.createPlant!().reset(NaN)).toThrow(RangeError);
    expect(() => msd.createPlant!().reset(1.5)).toThrow(/seed must be an integer, got 1.5/);
    expect(() => msd.createPlant!().reset("3" as never)).toThrow(TypeError);
    expect(() => msd.createPlant!({ episodeLength: -1 })).toThrow(/episodeLength must be an integer >= 1/);
    expect(() => msd.createPlant!({ episodeLength: NaN })).toThrow(RangeError);
    expect(msd.createPlant!({ episodeLength: Infinity }).reset(0).length).toBe(2);
  });
});

describe("any garbage state: a typed error or a status with a finite action; the next call is a fresh controller's (fast-check)", () => {
  const entry = fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(NaN, Infinity, -Infinity, 1e12, null, undefined, "0.5", true));
  const state = fc.oneof(fc.array(entry, { minLength: 0, maxLength: 3 }), fc.constantFrom(null, undefined, 2, "ab"));
  it("linear (act, value, gradValue, policySensitivity, qvalue)", () => {
    const fresh = gz.createController();
    const ref = { u: fresh.act(S_GZ).u[0], v: fresh.value(S_GZ).value, g: Array.from(fresh.gradValue(S_GZ).grad) };
    const c = gz.createController();
    fc.assert(
      fc.property(state, fc.constantFrom("act", "value", "gradValue", "policySensitivity", "qvalue"), (s, call) => {
        try {
          const r = call === "qvalue" ? c.qvalue(s as never, [0.1]) : c[call](s as never);
          if ("u" in r) expect(Array.from(r.u).every(Number.isFinite)).toBe(true);
          if (r.status === "solved" && "value" in r) expect(Number.isFinite(r.value)).toBe(true);
        } catch (e) {
          expect(e instanceof TypeError || e instanceof RangeError).toBe(true);
          expect((e as Error).message).toMatch(/^state /);
        }
        c.resetWarmStart();
        expect(c.value(S_GZ).value).toBe(ref.v);
        expect(Array.from(c.gradValue(S_GZ).grad)).toEqual(ref.g);
        c.resetWarmStart();
        expect(c.act(S_GZ).u[0]).toBeCloseTo(ref.u, 12);
      }),
      { seed: 4242, numRuns: 60 },
    );
  });
});

describe("huge states: a status that says what happened (finding: a state of 1e300 was called non_convex)", () => {
  // P and A do not depend on the state: the QP is as convex at 1e300 as at 0. The QP format reads a
  // bound of magnitude >= 1e20 as infinite, and x_0 is pinned by l = u = state.
  const calls = ENTRY_POINTS;
  for (const [name, call] of calls) {
    it(`${name}: a state entry of magnitude >= 1e20 is invalid_input naming it; the next call is a fresh controller's`, () => {
      const c = gz.createController({ firstInputBounds: "removed" });
      for (const s of [[1e300, 1e300], [1e300, 0], [0, -1e300], [1e155, 0], [1e20, 0], [0.5, -1e20]]) {
        const r = call(c, s);
        expect(r.status, JSON.stringify(s)).toBe("invalid_input");
        expect(r.message).toMatch(/^state\[[01]\] = \S+ is too large for the solver: the QP pins x_0 to it by bounds l = u = \S+, and a bound of magnitude >= 1e\+20 means infinite there/);
      }
      const a = c.act([1e300, 0]);
      expect(a.fallback).toBe(true);
      expect(Array.from(a.u).every((v) => Math.abs(v) <= 1)).toBe(true);
      expect(c.value(S_GZ).value).toBe(gz.createController({ firstInputBounds: "removed" }).value(S_GZ).value);
    });
  }

  it("a pinned input of magnitude >= 1e20 is invalid_input too (Q(s, a) pins u_0 the same way)", () => {
    const c = gz.createController({ firstInputBounds: "removed" });
    for (const r of [c.qvalue(S_GZ, [1e300]), c.gradQvalue(S_GZ, [-1e25])]) {
      expect(r.status).toBe("invalid_input");
      expect(r.message).toMatch(/^input\[0\] = \S+ is too large for the solver: the QP pins u_0 to it/);
    }
    expect(c.qvalue(S_GZ, [1e6]).status).toBe("solved");
  });

  it("states of 1e6 and 1e7 are solved as at any other state: u_0 on its bound, derivatives ok", () => {
    for (const s of [[1e6, 0], [1e6, 0.1], [-1e6, 0.2], [1e6, 1e6], [0, 1e6], [1e7, -0.5]]) {
      const c = gz.createController();
      const a = c.act(s);
      expect(a.status, JSON.stringify(s)).toBe("solved");
      // saturated: the sign of the push, on the bound to the tolerance
      expect(Math.abs(a.u[0])).toBeCloseTo(1, 6);
      expect(Number.isFinite(a.value)).toBe(true);
      expect(c.value(s).status).toBe("solved");
      expect(c.qvalue(s, [0.3]).status).toBe("solved");
      const g = c.gradValue(s);
      expect(g.ok).toBe(true);
      expect(Array.from(g.grad).every(Number.isFinite)).toBe(true);
      expect(c.gradQvalue(s, [0.3]).ok).toBe(true);
    }
  });

  it("below 1e20 no solver verdict is claimed: solved within the bounds, or solved_inaccurate / invalid_input saying why", () => {
    // 1e9 to 1e19: the answers meet the solvers' tolerances only relative to the QP's values (the
    // interior-point answer at 1e10 had u_0 = -1.0107, at 1e12 u_0 = -236, both `solved`); 7.9e19:
    // ADMM's residuals pass 1e20 and it called the convex QP non_convex
    for (const activeSet of [true, false]) {
      for (const s of [[1e9, 0.1], [1e10, 0], [1e12, 0], [1e15, 0], [1e19, 0], [9e19, 0], [0, -7.9e19], [2.4e19, -7.9e19]]) {
        const c = gz.createController({ activeSet });
        const a = c.act(s);
        const what = `${JSON.stringify(s)} activeSet ${activeSet}: ${a.status} ${a.message ?? ""}`;
        expect(["solved", "solved_inaccurate", "invalid_input"], what).toContain(a.status);
        if (a.status === "solved") expect(Math.abs(a.u[0]), what).toBeLessThanOrEqual(1 + 1e-6);
        if (a.status === "solved_inaccurate") expect(a.message, what).toMatch(/on that (row|variable)'s own scale: the solvers met their tolerances only relative to the QP's largest values/);
        if (a.status === "invalid_input") expect(a.message, what).toMatch(/^the state is too large for the solver \(largest entry 7\.90e\+19\): .*but P is positive semidefinite, so the QP is convex/);
        for (const r of [c.value(s), c.gradValue(s), c.policySensitivity(s), c.qvalue(s, [0.1])]) expect(["non_convex", "primal_infeasible", "dual_infeasible"], what).not.toContain(r.status);
      }
    }
    // the inaccurate answer is there for a caller that accepts it: u_0 on its bound
    const a = gz.createController({ acceptInaccurate: true }).act([1e10, 0]);
    expect(a.status).toBe("solved_inaccurate");
    expect(a.fallback).toBe(false);
    expect(a.u[0]).toBeCloseTo(-1, 9);
  });
});

describe("policySensitivity far from the origin (finding: not_differentiable at 1e6 where gradValue worked)", () => {
  /** Central differences of act's u_0 in every theta entry (a fresh controller per solve; G&Z declares no boxes). */
  function fdPolicy(s: number[], h: number): number[] {
    const theta = gz.template.theta0;
    return Array.from(theta, (_, i) => {
      const at = (d: number) => {
        const th = Float64Array.from(theta);
        th[i] += d;
        return gz.createController({ theta: th }).act(s).u[0];
      };
      return (at(h) - at(-h)) / (2 * h);
    });
  }

  it("[1e6, 0.1]: the soft rows' multipliers (~20) were measured against the pins' (~1e7), called weakly active, and the KKT matrix 'singular'", () => {
    const c = gz.createController();
    const p = c.policySensitivity([1e6, 0.1]);
    expect(p.message).toBeUndefined();
    expect(p.ok).toBe(true);
    // u_0 is on its bound with a large multiplier: it does not move with theta
    const fd = fdPolicy([1e6, 0.1], 1e-3);
    p.jacobian.forEach((v, i) => expect(Math.abs(v - fd[i]), `theta ${i}`).toBeLessThan(1e-6));
    expect(c.gradValue([1e6, 0.1]).ok).toBe(true);
  });

  it("[1e6, 0]: a real kink (x_4[1] = -1 exactly on its soft bound, the slack at 0 with a zero multiplier) that u_0 does not feel", () => {
    // the inputs are saturated, x_k[1] = -0.25 k: the degenerate rows are at stage 4, and both
    // pieces of the kink (the slack's bound active or the soft row active) give du_0/dtheta = 0
    const c = gz.createController();
    const p = c.policySensitivity([1e6, 0]);
    expect(p.ok).toBe(true);
    // (steps of 1e-3: u_0's round-off at this state is ~3e-11)
    const fd = fdPolicy([1e6, 0], 1e-3);
    p.jacobian.forEach((v, i) => expect(Math.abs(v - fd[i]), `theta ${i}`).toBeLessThan(1e-6));
    // its pieces were compared (more factorizations than the adopted one)
    expect(c.stats.sensitivityFactorizations).toBeGreaterThan(0);
  });

  it("a kink that u_0 does feel (u_0 reaching its bound with a zero multiplier) is not_differentiable, saying why; gradValue is fine", () => {
    // tiny.ts: u_0 = (0.5 - s) / 2 inside [-1, 1] (w = 1, g = 0): at s = -1.5 it reaches 1 exactly
    const before = new MpcController(tinyTemplate()).policySensitivity([-1.4]);
    expect(before.ok).toBe(true);
    expect(Array.from(before.jacobian)).toEqual([expect.closeTo(-0.475, 12), expect.closeTo(-0.5, 12)]);
    const c = new MpcController(tinyTemplate());
    const p = c.policySensitivity([-1.5]);
    expect(p.ok).toBe(false);
    expect(p.status).toBe("not_differentiable");
    expect(p.message).toMatch(
      /^du_0\/dtheta does not exist: the row of u_0\[0\] is weakly active \(on a bound with a zero multiplier\), and u_0's one-sided derivatives differ there \(d u_0\[0\] \/ d `w` = -0\.5 on the analysed piece, \S+ with the row of u_0\[0\] active\); the value's gradient \(gradValue\) needs only the multipliers/,
    );
    expect(Array.from(p.jacobian).every(Number.isNaN)).toBe(true);
    // dV/dw = u_0^2 / 2, dV/dg = u_0 on both sides
    const g = c.gradValue([-1.5]);
    expect(g.ok).toBe(true);
    expect(Array.from(g.grad)).toEqual([expect.closeTo(0.5, 12), expect.closeTo(1, 12)]);
    // past the kink u_0 is on its bound with a multiplier: du_0/dtheta = 0
    const after = new MpcController(tinyTemplate()).policySensitivity([-1.6]);
    expect(after.ok).toBe(true);
    after.jacobian.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-12));
  });
});
