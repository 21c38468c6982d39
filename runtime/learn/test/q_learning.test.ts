import { describe, expect, it } from "vitest";
import { LinearPlant } from "../../plants/linear.js";
import { RandomDisturbance } from "../../plants/disturbance.js";
import { QLearning, type QLearningConfig } from "../q_learning.js";
import type { ValueResult } from "../../mpc/types.js";
import { REJECTION_SEPARATOR, rejectionEvents } from "../types.js";
import { QuadraticQ, scalarDlqr } from "./doubles.js";

const alpha = 0.9;
const beta = 0.5;
const gamma = 0.9;

function plant(std = 0.05): LinearPlant {
  return new LinearPlant({
    A: [alpha],
    B: [beta],
    initialState: [1],
    Q: [2], // cost 0.5 * 2 s^2 = s^2
    R: [2],
    disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std }]),
  });
}

function config(overrides: Partial<QLearningConfig> = {}): QLearningConfig {
  return {
    seed: 3,
    discount: gamma,
    optimizer: { kind: "newton", lr: 0.05 },
    replay: { size: 50, sample: 20 },
    exploration: { kind: "additive", distribution: "normal", scale: 0.3 },
    safety: { checkFeasibility: "lazy" },
    ...overrides,
  };
}

/** 20 eager Q-learning steps with large SGD steps on t1: updates past `limit` (where the double's
 *  solve stops early) are rejected, since the current parameters solve there. */
function expectRejectedAboveT1(mpc: QuadraticQ, limit: number): void {
  const q = new QLearning(mpc, plant(0.2), config({ optimizer: { kind: "sgd", lr: 50 }, exploration: { kind: "none" }, replay: { size: 1, sample: 1 }, safety: { checkFeasibility: "eager" } }));
  q.beginEpisode(0);
  let rejected = 0;
  for (let k = 0; k < 20; k++) {
    const r = q.step();
    if (r.rejected !== null && r.rejected.includes("solves with the current ones")) rejected++;
    expect(mpc.getTheta()[1]).toBeLessThanOrEqual(limit);
  }
  expect(rejected).toBeGreaterThan(0);
}

function run(q: QLearning, episodes: number, steps: number): number[] {
  const costs: number[] = [];
  for (let e = 0; e < episodes; e++) {
    q.beginEpisode(e);
    for (let k = 0; k < steps; k++) q.step();
    costs.push(q.endEpisode().cost);
  }
  return costs;
}

describe("LSTD Q-learning on a scalar LQR problem", () => {
  it("learns the LQR gain known from the Riccati equation", () => {
    const mpc = new QuadraticQ([0, 2, 0, 2], gamma); // initial policy a = 0
    const q = new QLearning(mpc, plant(), config());
    run(q, 100, 50);
    const t = mpc.getTheta();
    const { K, P } = scalarDlqr(alpha, beta, 1, 1, gamma);
    // The greedy gain t2/t3 approaches the LQR gain (from 0 at the start).
    expect(Math.abs(t[2] / t[3] - K)).toBeLessThan(0.03);
    // The action weights of Q*: t2 = 2 gamma P alpha beta, t3 = 2 (1 + gamma P beta^2), within 10%.
    expect(Math.abs(t[2] / (2 * gamma * P * alpha * beta) - 1)).toBeLessThan(0.1);
    expect(Math.abs(t[3] / (2 * (1 + gamma * P * beta * beta)) - 1)).toBeLessThan(0.1);
  });

  it("computes the TD error and the Newton step by hand for the first transition", () => {
    const theta0 = [0.1, 2, 0.3, 2];
    const mpc = new QuadraticQ(theta0, gamma);
    const p = plant();
    const q = new QLearning(mpc, p, config({ replay: { size: 1, sample: 1 }, exploration: { kind: "none" } }));
    q.beginEpisode(0);
    const r = q.step();
    const s = r.state[0];
    const a = r.action[0];
    expect(a).toBeCloseTo((-0.3 / 2) * s, 14);
    const Q = 0.1 + 0.5 * (2 * s * s + 2 * 0.3 * s * a + 2 * a * a);
    const sNext = alpha * s + beta * a + (p as unknown as { e: Float64Array }).e[0];
    const aNext = (-0.3 / 2) * sNext;
    const V = 0.1 + 0.5 * (2 * sNext * sNext + 2 * 0.3 * sNext * aNext + 2 * aNext * aNext);
    const td = s * s + a * a + gamma * V - Q;
    expect(r.tdError).toBeCloseTo(td, 12);
    // Newton: H = dQ dQ' is rank one, so cholesky(H) fails and tau = 1e-3 (mpcrl's beta)
    const dQ = [1, 0.5 * s * s, s * a, 0.5 * a * a];
    const g = dQ.map((d) => -td * d);
    // (dQ dQ' + tau I)^{-1} g by Sherman-Morrison: (g - dQ (dQ'g)/(tau + dQ'dQ)) / tau
    const tau = 1e-3;
    const dd = dQ.reduce((acc, v) => acc + v * v, 0);
    const dg = dQ.reduce((acc, v, i) => acc + v * g[i], 0);
    const expected = theta0.map((t, i) => t - 0.05 * ((g[i] - (dQ[i] * dg) / (tau + dd)) / tau));
    const got = mpc.getTheta();
    for (let i = 0; i < 4; i++) expect(got[i]).toBeCloseTo(expected[i], 10);
  });

  it("gives bit-identical records for the same seed", () => {
    const trace = (): string => {
      const q = new QLearning(new QuadraticQ([0, 2, 0, 2], gamma), plant(), config());
      const out: number[] = [];
      for (let e = 0; e < 3; e++) {
        q.beginEpisode(e);
        for (let k = 0; k < 40; k++) {
          const r = q.step();
          out.push(r.state[0], r.action[0], r.cost, r.tdError);
        }
        q.endEpisode();
      }
      out.push(...q.getTheta());
      return JSON.stringify(out);
    };
    expect(trace()).toBe(trace());
  });

  it("resumes from a mid-episode checkpoint exactly like an uninterrupted run", () => {
    const make = () => new QLearning(new QuadraticQ([0, 2, 0, 2], gamma), plant(), config());
    const full = make();
    const all: number[] = [];
    for (let e = 0; e < 2; e++) {
      full.beginEpisode(e);
      for (let k = 0; k < 30; k++) all.push(full.step().tdError);
      all.push(full.endEpisode().cost);
    }
    const first = make();
    const part: number[] = [];
    first.beginEpisode(0);
    for (let k = 0; k < 30; k++) part.push(first.step().tdError);
    part.push(first.endEpisode().cost);
    first.beginEpisode(1);
    for (let k = 0; k < 12; k++) part.push(first.step().tdError);
    const cp = JSON.parse(JSON.stringify(first.checkpoint()));
    const second = make();
    second.restore(cp);
    expect(second.midEpisode).toBe(true);
    for (let k = 12; k < 30; k++) part.push(second.step().tdError);
    part.push(second.endEpisode().cost);
    expect(part).toEqual(all);
    expect(Array.from(second.getTheta())).toEqual(Array.from(full.getTheta()));
  });

  it("keeps parameters inside their bounds and the trust region", () => {
    const lower = [-1, 0.5, -0.2, 1.5];
    const upper = [1, 3, 0.2, 3];
    const mpc = new QuadraticQ([0, 2, 0, 2], gamma, -Infinity, Infinity, lower, upper);
    const q = new QLearning(mpc, plant(0.2), config({ optimizer: { kind: "sgd", lr: 5, momentum: 0.5 }, safety: { maxRelativeChange: 0.1, minTrustRadius: 0.01 } }));
    let prev = mpc.getTheta();
    q.beginEpisode(0);
    for (let k = 0; k < 200; k++) {
      q.step();
      const t = mpc.getTheta();
      for (let i = 0; i < 4; i++) {
        expect(t[i]).toBeGreaterThanOrEqual(lower[i] - 1e-12);
        expect(t[i]).toBeLessThanOrEqual(upper[i] + 1e-12);
        expect(Math.abs(t[i] - prev[i])).toBeLessThanOrEqual(Math.max(0.1 * Math.abs(prev[i]), 0.01) + 1e-12);
      }
      prev = t;
    }
  });

  for (const check of ["lazy", "eager"] as const) {
    it(`rejects an update that would make the MPC infeasible and keeps the parameters (${check})`, () => {
      // A huge learning rate drives t3 (the input weight) negative: the check must refuse it.
      const mpc = new QuadraticQ([0, 2, 0.5, 0.01], gamma);
      const q = new QLearning(mpc, plant(0.2), config({ optimizer: { kind: "sgd", lr: 1e6 }, exploration: { kind: "none" }, safety: { checkFeasibility: check } }));
      q.beginEpisode(0);
      let rejected = 0;
      for (let k = 0; k < 6; k++) {
        const before = mpc.getTheta();
        const logged = q.safety.rejections.length;
        const r = q.step();
        if (r.rejected !== null) rejected++;
        // a step reports a rejection exactly when it logged one (lazy: a step can log two, the
        // revert of the last update and its own update, which would reach 1e20 at this rate)
        expect(q.safety.rejections.length > logged).toBe(r.rejected !== null);
        const after = mpc.getTheta();
        expect(after.every(Number.isFinite)).toBe(true);
        expect(after.every((v) => Math.abs(v) < 1e20)).toBe(true);
        if (check === "eager") {
          // an eagerly rejected update leaves theta exactly as it was
          if (r.rejected !== null) expect(Array.from(after)).toEqual(Array.from(before));
          expect(after[3]).toBeGreaterThan(0);
        }
      }
      expect(rejected).toBeGreaterThan(0);
      expect(q.safety.rejections.length).toBeGreaterThanOrEqual(rejected);
      // every Q solve that fed an update was feasible: no solver failure was recorded
      expect(q.monitor.run.solverFailures).toBe(0);
    });
  }

  it("a lazy step that reverts the last update and rejects its own reports both messages, in order", () => {
    // the setting above (lazy): the last update made Q unsolvable here (reverted), and this step's
    // update is rejected too; the record said only the second (metrics.jsonl lost the revert)
    const mpc = new QuadraticQ([0, 2, 0.5, 0.01], gamma);
    const q = new QLearning(mpc, plant(0.2), config({ optimizer: { kind: "sgd", lr: 1e6 }, exploration: { kind: "none" }, safety: { checkFeasibility: "lazy" } }));
    q.beginEpisode(0);
    let both = 0;
    for (let k = 0; k < 6; k++) {
      const logged = q.safety.rejections.length;
      const r = q.step();
      const messages = q.safety.rejections.slice(logged).map((x) => x.message);
      if (messages.length === 0) continue;
      // one line per step, the step's rejections joined by REJECTION_SEPARATOR (as a restore is
      // appended), and split back into one event per rejected update
      expect(r.rejected).toBe(messages.join(REJECTION_SEPARATOR));
      expect(rejectionEvents(r.rejected)).toEqual(messages);
      if (messages.length === 2) {
        both++;
        expect(r.rejected).toMatch(/update reverted \| /);
      }
    }
    expect(both).toBeGreaterThan(0);
    // the monitor counts rejected updates (two at such a step), as the safety log does
    expect(q.monitor.run.rejectedUpdates).toBe(q.safety.rejections.length);
  });
});

describe("learning that stays inside what the controller can solve (issue 14)", () => {
  it("returns to the parameters of the last solved step after 3 consecutive fallbacks, and logs it", () => {
    // no feasibility check: a huge step drives t3 (the input weight) negative, the controller fails
    const mpc = new QuadraticQ([0, 2, 0.5, 0.01], gamma);
    const q = new QLearning(mpc, plant(0.2), config({ optimizer: { kind: "sgd", lr: 1e6 }, exploration: { kind: "none" }, safety: { checkFeasibility: false } }));
    q.beginEpisode(0);
    let restored = 0;
    let streak = 0;
    let maxStreak = 0;
    for (let k = 0; k < 12; k++) {
      const r = q.step();
      streak = r.fallback ? streak + 1 : 0;
      maxStreak = Math.max(maxStreak, streak);
      if (r.rejected?.includes("parameters restored")) {
        restored++;
        // the restored parameters are ones under which the controller solved
        expect(mpc.getTheta()[3]).toBeGreaterThan(0);
        expect(mpc.act([1]).fallback).toBe(false);
      }
    }
    expect(restored).toBeGreaterThan(0);
    expect(q.safety.rejections.filter((x) => x.reason === "restored").length).toBe(restored);
    expect(maxStreak).toBeLessThanOrEqual(3);
  });

  it("does not restore (nor log a restore) when the failures come from the state and the parameters are those it last solved with", () => {
    // fails above s = 0.5 whatever theta; the plant decays from s = 1 under the fallback input 0
    class FailsAbove extends QuadraticQ {
      override act(state: ArrayLike<number>) {
        const r = super.act(state);
        return state[0] > 0.5 ? { ...r, u: Float64Array.of(0), status: "max_iterations" as const, fallback: true } : r;
      }
    }
    const mpc = new FailsAbove([0, 2, 0.5, 1], gamma);
    const q = new QLearning(mpc, plant(0), config({ optimizer: { kind: "sgd", lr: 0 }, exploration: { kind: "none" }, safety: { checkFeasibility: false } }));
    q.beginEpisode(0);
    let fallbacks = 0;
    for (let k = 0; k < 12; k++) if (q.step().fallback) fallbacks++;
    expect(fallbacks).toBeGreaterThanOrEqual(3);
    expect(q.safety.rejections.filter((x) => x.reason === "restored")).toEqual([]);
  });

  it("eager: rejects an update under which V at the next state stops early while the current parameters solve it", () => {
    // a controller whose solver "stops early" (max_iterations) once t1 exceeds 3
    class StopsEarly extends QuadraticQ {
      override value(state: ArrayLike<number>) {
        const v = super.value(state);
        return this.getTheta()[1] > 3 ? { ...v, status: "max_iterations" as const } : v;
      }
    }
    const mpc = new StopsEarly([0, 2.9, 0.5, 1], gamma);
    expectRejectedAboveT1(mpc, 3);
  });

  describe("eager, on a controller whose Q solve may stand for V (qCheckSuffices: long discounted horizons)", () => {
    /** Records who calls qvalue: the check (outside gradQvalue) or the step's own Q solve. */
    class FromScratch extends QuadraticQ {
      checkCalls = 0;
      private inGradient = false;
      qCheckSuffices(_input: ArrayLike<number>): boolean {
        return true;
      }
      override gradQvalue(state: ArrayLike<number>, input: ArrayLike<number>) {
        this.inGradient = true;
        try {
          return super.gradQvalue(state, input);
        } finally {
          this.inGradient = false;
        }
      }
      override qvalue(state: ArrayLike<number>, input: ArrayLike<number>) {
        if (!this.inGradient) this.checkCalls++;
        return this.checkQ(super.qvalue(state, input), this.inGradient);
      }
      /** The check's Q result (the step's own, when `inGradient`), as the subclass says. */
      protected checkQ(r: ValueResult, _inGradient: boolean): ValueResult {
        return r;
      }
    }

    it("checks the next step's own Q(s', a') with the candidate, and V only when that fails", () => {
      const mpc = new FromScratch([0, 2, 0.5, 1], gamma);
      let vCalls = 0;
      const value = mpc.value.bind(mpc);
      mpc.value = (state: ArrayLike<number>) => {
        vCalls++;
        return value(state);
      };
      const q = new QLearning(mpc, plant(0.2), config({ optimizer: { kind: "sgd", lr: 0.1 }, exploration: { kind: "none" }, replay: { size: 1, sample: 1 }, safety: { checkFeasibility: "eager" } }));
      q.beginEpisode(0);
      let updates = 0;
      for (let k = 0; k < 10; k++) if (q.step().updated) updates++;
      expect(updates).toBe(10);
      // one Q solve per update (the check) and no value() call (V at the next state comes from act)
      expect(mpc.checkCalls).toBe(updates);
      expect(vCalls).toBe(0);
    });

    it("a next action that no parameters make feasible (Q(s', a') infeasible, V(s') solvable) does not reject the update; V infeasible does", () => {
      class QFails extends FromScratch {
        protected override checkQ(r: ValueResult, inGradient: boolean): ValueResult {
          return inGradient ? r : { ...r, status: "primal_infeasible", ok: false };
        }
      }
      const mpc = new QFails([0, 2, 0.5, 1], gamma);
      const q = new QLearning(mpc, plant(0.2), config({ optimizer: { kind: "sgd", lr: 0.1 }, exploration: { kind: "none" }, replay: { size: 1, sample: 1 }, safety: { checkFeasibility: "eager" } }));
      q.beginEpisode(0);
      const theta0 = mpc.getTheta();
      let validatorRejections = 0;
      for (let k = 0; k < 10; k++) if (q.step().rejected?.includes("at the next state") === true) validatorRejections++;
      expect(validatorRejections).toBe(0);
      expect(Array.from(mpc.getTheta())).not.toEqual(Array.from(theta0));
      // V infeasible as well: every update is rejected and theta stays
      class BothFail extends QFails {
        override value(state: ArrayLike<number>) {
          return { ...super.value(state), status: "primal_infeasible" as const, ok: false };
        }
      }
      const stuck = new BothFail([0, 2, 0.5, 1], gamma);
      const q2 = new QLearning(stuck, plant(0.2), config({ optimizer: { kind: "sgd", lr: 0.1 }, exploration: { kind: "none" }, replay: { size: 1, sample: 1 }, safety: { checkFeasibility: "eager" } }));
      q2.beginEpisode(0);
      const before = stuck.getTheta();
      let rejections = 0;
      for (let k = 0; k < 10; k++) if (q2.step().rejected?.includes("primal_infeasible at the next state") === true) rejections++;
      expect(rejections).toBeGreaterThan(0);
      expect(Array.from(stuck.getTheta())).toEqual(Array.from(before));
    });

    it("checks V when the controller says Q does not stand for it (an action outside the first input's bounds): an update that breaks V is rejected", () => {
      // Q always solves; V is infeasible once t1 exceeds 2.5
      class VBreaks extends FromScratch {
        suffices = false;
        override qCheckSuffices(): boolean {
          return this.suffices;
        }
        override value(state: ArrayLike<number>) {
          const v = super.value(state);
          return this.getTheta()[1] > 2.5 ? { ...v, status: "primal_infeasible" as const, ok: false } : v;
        }
      }
      const run = (suffices: boolean): number => {
        const mpc = new VBreaks([0, 2.45, 0.5, 1], gamma);
        mpc.suffices = suffices;
        const q = new QLearning(mpc, plant(0.2), config({ optimizer: { kind: "sgd", lr: 50 }, exploration: { kind: "none" }, replay: { size: 1, sample: 1 }, safety: { checkFeasibility: "eager" } }));
        q.beginEpisode(0);
        let maxT1 = 0;
        for (let k = 0; k < 10; k++) {
          q.step();
          maxT1 = Math.max(maxT1, mpc.getTheta()[1]);
        }
        return maxT1;
      };
      // V checked: t1 never passes 2.5; Q allowed to stand for V: the same updates are accepted
      expect(run(false)).toBeLessThanOrEqual(2.5);
      expect(run(true)).toBeGreaterThan(2.5);
    });

    it("rejects an update under which Q and V at the next state stop early while the current parameters solve them", () => {
      class StopsEarly extends FromScratch {
        override value(state: ArrayLike<number>) {
          const v = super.value(state);
          return this.getTheta()[1] > 3 ? { ...v, status: "max_iterations" as const } : v;
        }
        protected override checkQ(r: ValueResult): ValueResult {
          return this.getTheta()[1] > 3 ? { ...r, status: "max_iterations" } : r;
        }
      }
      const mpc = new StopsEarly([0, 2.9, 0.5, 1], gamma);
      expectRejectedAboveT1(mpc, 3);
    });
  });
});

describe("hostile controllers", () => {
  it("never produce non-finite parameters, whatever values and gradients the controller returns", async () => {
    const fc = (await import("fast-check")).default;
    const weird = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1e308, 0));
    fc.assert(
      fc.property(fc.array(fc.tuple(weird, weird, weird, weird, weird, fc.boolean()), { minLength: 5, maxLength: 30 }), fc.constantFrom("newton", "sgd", "adam"), (script, opt) => {
        const mpc = new QuadraticQ([0, 2, 0, 2], gamma);
        let k = 0;
        // replace the Q gradient and value by scripted (possibly absurd) numbers
        mpc.gradQvalue = () => {
          const [v, g0, g1, g2, g3, ok] = script[k++ % script.length];
          return { value: v, status: ok ? "solved" : "max_iterations", iterations: 1, ok, grad: Float64Array.of(g0, g1, g2, g3) };
        };
        const optimizer = opt === "newton" ? { kind: "newton" as const, lr: 0.1 } : opt === "sgd" ? { kind: "sgd" as const, lr: 0.1, momentum: 0.5 } : { kind: "adam" as const, lr: 0.1 };
        const q = new QLearning(mpc, plant(), config({ optimizer, replay: { size: 5, sample: 3 }, safety: { checkFeasibility: false } }));
        q.beginEpisode(0);
        for (let i = 0; i < script.length; i++) {
          q.step();
          expect(mpc.getTheta().every(Number.isFinite)).toBe(true);
        }
      }),
      { seed: 20261205, numRuns: 200 },
    );
  });
});
