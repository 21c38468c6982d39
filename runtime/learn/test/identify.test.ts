// Identification for control (runtime/learn/identify.ts, runtime/mpc/structure.ts): the controller's
// one-step model read off its QP equals the spec's; least squares recovers a known affine plant; the
// back-offs are bounded by the remaining prediction error; Q-learning with `identify` on the Gros &
// Zanon benchmark stops violating once the model is identified (issue 13: safe while it learns).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../../compiler/index.js";
import { Rng } from "../../rng.js";
import { identifyForControl } from "../identify.js";
import { controllerOptions, makeTrainer } from "../factory.js";
import { QLearning } from "../q_learning.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const source = readFileSync(`${root}examples/gros_zanon/linear_mpc_safe.mpcrl`, "utf8");
const live = compileToModule(source).module!;
const index = (name: string, i = 0) => live.ir.params.find((p) => p.name === name)!.offset + i;

/** Transitions of the Gros & Zanon plant s+ = A s + B a + e, e_0 ~ U(-0.1, 0), under random inputs. */
function plantData(n: number, seed: number, noise = true) {
  const rng = new Rng(seed, "identify-test");
  const S: Float64Array[] = [];
  const A: Float64Array[] = [];
  const N: Float64Array[] = [];
  let s = [0, 0.15];
  for (let t = 0; t < n; t++) {
    const a = [rng.uniform(-1, 1)];
    const e = noise ? rng.uniform(-0.1, 0) : 0;
    const next = [0.9 * s[0] + 0.35 * s[1] + 0.0813 * a[0] + e, 1.1 * s[1] + 0.2 * a[0]];
    S.push(Float64Array.from(s));
    A.push(Float64Array.from(a));
    N.push(Float64Array.from(next));
    // keep the unstable plant bounded: restart near the origin
    s = Math.abs(next[0]) + Math.abs(next[1]) > 2 ? [rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)] : next;
  }
  return { S, A, N };
}

describe("the controller's model read off its QP", () => {
  it("is [A B b] of the spec at any theta, and the stage-1 bounds carry the back-offs", () => {
    const mpc = live.createController({});
    const st = mpc.linearStructure!()!;
    expect(st).toBeDefined();
    const theta = mpc.getTheta();
    theta[index("A", 1)] = 0.4;
    theta[index("B", 1)] = 0.3;
    theta[index("b", 0)] = -0.02;
    theta[index("x_lb", 0)] = 0.07;
    const M = new Float64Array(8);
    expect(st.dynamics(theta, M)).toBe(true);
    // rows [A B c]: [1, 0.4, 0.0312, -0.02], [0, 1, 0.3, 0]
    expect(Array.from(M)).toEqual([1, 0.4, 0.0312, -0.02, 0, 1, 0.3, 0]);
    const lo = new Float64Array(st.bounds.length);
    const hi = new Float64Array(st.bounds.length);
    st.stateBounds(theta, lo, hi);
    const lower0 = Math.max(...st.bounds.map((b, k) => (b.state === 0 ? lo[k] : -Infinity)));
    const upper0 = Math.min(...st.bounds.map((b, k) => (b.state === 0 ? hi[k] : Infinity)));
    expect(lower0).toBeCloseTo(0.07, 14); // [0, -1] + x_lb
    expect(upper0).toBeCloseTo(2, 14); // [1, 1] + x_ub with x_ub = [1, 0]
  });
});

describe("identifyForControl", () => {
  const mpc = live.createController({});
  const st = mpc.linearStructure!()!;

  it("recovers a noise-free affine plant exactly and derives no back-off", () => {
    const { S, A, N } = plantData(30, 1, false);
    const res = identifyForControl(st, S, A, N, mpc.getTheta(), mpc.thetaLower, mpc.thetaUpper);
    expect(res.ok).toBe(true);
    const th = res.theta;
    const want: [string, number, number][] = [
      ["A", 0, 0.9],
      ["A", 1, 0.35],
      ["A", 2, 0],
      ["A", 3, 1.1],
      ["B", 0, 0.0813],
      ["B", 1, 0.2],
      ["b", 0, 0],
      ["b", 1, 0],
    ];
    for (const [name, i, v] of want) expect(Math.abs(th[index(name, i)] - v)).toBeLessThan(1e-9);
    expect(res.limits).toEqual([]);
    expect(res.modelIndices.length).toBe(8);
  });

  it("with the plant's disturbance: the offset absorbs its mean and the back-off covers its spread", () => {
    const { S, A, N } = plantData(400, 2);
    const res = identifyForControl(st, S, A, N, mpc.getTheta(), mpc.thetaLower, mpc.thetaUpper);
    expect(res.ok).toBe(true);
    // e_0 ~ U(-0.1, 0): mean -0.05, standard deviation 0.1/sqrt(12) = 0.0289; the offset's standard
    // error with 400 samples is about 0.0289/sqrt(400) times a regressor factor: 5e-3 is ~3 sigma
    expect(Math.abs(res.theta[index("b", 0)] + 0.05)).toBeLessThan(5e-3);
    expect(Math.abs(res.theta[index("A", 0)] - 0.9)).toBeLessThan(2e-2);
    // the remaining error lies in [-0.05, 0.05] about the fitted mean; its estimated support covers
    // (nearly) all of it and not much more
    expect(res.errorLow[0]).toBeLessThan(-0.045);
    expect(res.errorLow[0]).toBeGreaterThan(-0.06);
    expect(res.errorHigh[0]).toBeGreaterThan(0.045);
    expect(res.errorHigh[0]).toBeLessThan(0.06);
    expect(res.errorLow[1]).toBe(0);
    expect(res.errorHigh[1]).toBe(0);
    // x_lb[0] backs off the lower bound of x_0 (gain +1): x_lb[0] >= -errorLow; x_ub[0] relaxes the
    // upper bound (gain +1): x_ub[0] <= -errorHigh; the exactly predicted x_1 needs none
    const lb = res.limits.find((l) => l.index === index("x_lb", 0));
    const ub = res.limits.find((l) => l.index === index("x_ub", 0));
    expect(lb).toEqual({ index: index("x_lb", 0), side: "lower", value: -res.errorLow[0], state: 0 });
    expect(ub).toEqual({ index: index("x_ub", 0), side: "upper", value: -res.errorHigh[0], state: 0 });
    expect(res.limits.length).toBe(2);
    expect(res.theta[index("x_lb", 0)]).toBe(-res.errorLow[0]);
    expect(res.theta[index("x_ub", 0)]).toBe(-res.errorHigh[0]);
  });

  it("refuses too little data with a message, leaving theta as it was", () => {
    const { S, A, N } = plantData(1, 3);
    const theta = mpc.getTheta();
    const res = identifyForControl(st, S, A, N, theta, mpc.thetaLower, mpc.thetaUpper);
    expect(res.ok).toBe(false);
    expect(res.message).toMatch(/fewer than two/);
    expect(Array.from(res.theta)).toEqual(Array.from(theta));
  });
});

describe("Q-learning with `identify` on the Gros & Zanon benchmark", () => {
  it("identifies at step 20, notes what it derived, and the state bounds are not violated once the back-offs are re-derived (seeds 1 and 2, 400 steps)", () => {
    for (const seed of [1, 2]) {
      const spec = { ...live.trainConfig, steps: 400, seed };
      const mpc = live.createController(controllerOptions(spec));
      const trainer = makeTrainer(spec, mpc, live.createPlant!(), { seed, learn: true, inputLower: live.ir.u0Lower, inputUpper: live.ir.u0Upper });
      expect(trainer).toBeInstanceOf(QLearning);
      trainer.beginEpisode(0);
      let after = 0;
      let late = 0;
      const notes: string[] = [];
      for (let k = 0; k < 400; k++) {
        const r = trainer.step();
        if (r.note !== undefined) notes.push(`${r.t}: ${r.note}`);
        // violations count the pre-step state: s_21 is the first state reached with an action of the
        // identified model; a state already far below its bound takes a few steps to recover, and
        // the first back-offs come from 20 samples only (re-derived every 20 steps)
        if (k >= 21 && r.violations > 0) after++;
        if (k >= 50 && r.violations > 0) late++;
        expect(r.solverFailure).toBe(false);
      }
      trainer.endEpisode();
      expect(notes[0]).toMatch(/^19: identified the model from 20 transitions \(8 parameters.*back-offs: x_lb\[0\] >= 0\.0\d+/);
      expect(after).toBeLessThanOrEqual(6); // seed 2: steps 21, 22 (recovering), 31 to 33 and 40, each by at most 0.016
      expect(late).toBe(0);
      const theta = trainer.getTheta();
      expect(theta[index("x_lb", 0)]).toBeGreaterThan(0.03);
    }
  });

  it("a checkpoint taken after identification resumes the same run", () => {
    const spec = { ...live.trainConfig, steps: 80, seed: 3 };
    const make = () => {
      const mpc = live.createController(controllerOptions(spec));
      return makeTrainer(spec, mpc, live.createPlant!(), { seed: 3, learn: true, inputLower: live.ir.u0Lower, inputUpper: live.ir.u0Upper });
    };
    const a = make();
    a.beginEpisode(0);
    for (let k = 0; k < 50; k++) a.step();
    const cp = JSON.parse(JSON.stringify(a.checkpoint())) as ReturnType<typeof a.checkpoint>;
    const b = make();
    b.restore(cp);
    for (let k = 50; k < 80; k++) {
      const ra = a.step();
      const rb = b.step();
      expect(Array.from(rb.state)).toEqual(Array.from(ra.state));
      expect(Array.from(rb.action)).toEqual(Array.from(ra.action));
    }
    expect(Array.from(b.getTheta())).toEqual(Array.from(a.getTheta()));
  });

  it("DPG with `identify` and the one-step safety filter on its exploration: no violation after step 50 (seeds 1 and 3, 1500 steps)", () => {
    const dpgLive = compileToModule(readFileSync(`${root}examples/gros_zanon/linear_mpc_dpg_safe.mpcrl`, "utf8")).module!;
    for (const seed of [1, 3]) {
      const spec = { ...dpgLive.trainConfig, steps: 1500, seed };
      const mpc = dpgLive.createController(controllerOptions(spec));
      const trainer = makeTrainer(spec, mpc, dpgLive.createPlant!(), { seed, learn: true, inputLower: dpgLive.ir.u0Lower, inputUpper: dpgLive.ir.u0Upper });
      trainer.beginEpisode(0);
      let late = 0;
      let identified = false;
      for (let k = 0; k < 1500; k++) {
        const r = trainer.step();
        if (r.note?.startsWith("identified the model from 20 transitions")) identified = true;
        if (k >= 50 && r.violations > 0) late++;
      }
      trainer.endEpisode();
      expect(identified).toBe(true);
      expect(late).toBe(0);
    }
  });

  it("a nonlinear or unreadable controller is refused with a setup error", () => {
    const spec = { ...live.trainConfig, identify: 5 };
    const mpc = live.createController(controllerOptions(spec));
    const unreadable = Object.assign(Object.create(Object.getPrototypeOf(mpc) as object) as typeof mpc, mpc, { linearStructure: () => undefined });
    expect(() => makeTrainer(spec, unreadable, live.createPlant!(), { seed: 1, learn: true, inputLower: live.ir.u0Lower, inputUpper: live.ir.u0Upper })).toThrow(/`identify` needs a linear controller/);
  });
});
