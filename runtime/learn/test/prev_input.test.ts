// train / eval feed prev(u) the applied input: with a rate limit |u_0 - prev(u)| <= 0.1 on a
// controller that wants u = 1 from u = 0, the applied inputs climb 0.1 per step and respect the
// limit between consecutive steps (fed 0 at every step, they would stay at 0.1).

import { describe, expect, it } from "vitest";
import { MpcController } from "../../mpc/controller.js";
import { tinyTemplate } from "../../mpc/test/tiny.js";
import type { Plant } from "../../plants/types.js";
import { PolicyEvaluation } from "../evaluate.js";
import { QLearning } from "../q_learning.js";
import type { EpisodicTrainer } from "../types.js";

/** A plant that stays at state 0 (so the MPC asks for the same u = (1 + r)/2 = 1 at every step). */
function still(): Plant {
  return {
    nx: 1,
    nu: 1,
    reset: () => Float64Array.of(0),
    step: (a) => ({ observation: Float64Array.of(0), cost: (a[0] - 1) ** 2, terminated: false, truncated: false, info: { violations: 0 } }),
  };
}

function appliedInputs(trainer: EpisodicTrainer, steps: number, episode = 0): number[] {
  trainer.beginEpisode(episode);
  const out: number[] = [];
  for (let k = 0; k < steps; k++) out.push(trainer.step().action[0]);
  trainer.endEpisode();
  return out;
}

const RATE = 0.1;

function expectRateLimited(u: number[], start: number): void {
  let prev = start;
  for (const v of u) {
    expect(Math.abs(v - prev)).toBeLessThanOrEqual(RATE + 1e-9);
    prev = v;
  }
}

describe("prev(u) is the previously applied input", () => {
  for (const explicitPrev of [false, true]) {
    it(`evaluation: applied inputs respect the rate limit and reach the target (${explicitPrev ? "declared slot" : "slot found by name"})`, () => {
      const mpc = new MpcController(tinyTemplate({ rate: RATE, uLower: -2, uUpper: 2, explicitPrev, theta0: [1, -1] }));
      expect(mpc.previousInputs.map((p) => [p.name, p.offset, p.size])).toEqual([["prev_u", 0, 1]]);
      const ev = new PolicyEvaluation(mpc, still(), { seed: 1, runtime: { r: 1 } });
      const u = appliedInputs(ev, 20);
      expectRateLimited(u, 0);
      expect(u[0]).toBeCloseTo(0.1, 9);
      expect(u[5]).toBeCloseTo(0.6, 9);
      expect(u[19]).toBeCloseTo(1, 9);
      // a new episode starts again from the initial value
      const again = appliedInputs(ev, 3, 1);
      expect(again[0]).toBeCloseTo(0.1, 9);
      expect(ev.monitor.run.solverFailures).toBe(0);
    });
  }

  it("the first step uses prev_u from the runtime values when given (else the declared default)", () => {
    const mpc = new MpcController(tinyTemplate({ rate: RATE, uLower: -2, uUpper: 2, theta0: [1, -1] }));
    const u = appliedInputs(new PolicyEvaluation(mpc, still(), { seed: 1, runtime: { r: 1, prev_u: 0.5 } }), 8);
    expect(u[0]).toBeCloseTo(0.6, 9);
    expectRateLimited(u, 0.5);
  });

  it("Q-learning: Q(s_t, a_t) sees prev(u) = a_{t-1}, so the pinned a_t is feasible; inputs respect the limit", () => {
    const mpc = new MpcController(tinyTemplate({ rate: RATE, uLower: -2, uUpper: 2, theta0: [1, -1] }), { firstInputBounds: "kept" });
    const q = new QLearning(mpc, still(), { seed: 3, runtime: { r: 1 }, optimizer: { kind: "sgd", lr: 1e-4 } });
    const u = appliedInputs(q, 25);
    expectRateLimited(u, 0);
    expect(u[24]).toBeGreaterThan(0.9);
    expect(q.monitor.run.solverFailures).toBe(0);
  });

  it("a mid-episode checkpoint restores prev(u) by replaying the applied inputs", () => {
    const make = () => new PolicyEvaluation(new MpcController(tinyTemplate({ rate: RATE, uLower: -2, uUpper: 2, theta0: [1, -1] })), still(), { seed: 1, runtime: { r: 1 } });
    const full = appliedInputs(make(), 12);
    const a = make();
    a.beginEpisode(0);
    for (let k = 0; k < 5; k++) a.step();
    const cp = a.checkpoint();
    const b = make();
    b.restore(cp);
    const rest: number[] = [];
    for (let k = 5; k < 12; k++) rest.push(b.step().action[0]);
    expect(rest).toEqual(full.slice(5));
  });
});

describe("checkpoints outside the boxes", () => {
  it("restoring a checkpoint whose parameters leave their boxes is refused, naming the entry", () => {
    const ev = new PolicyEvaluation(new MpcController(tinyTemplate()), still(), { seed: 1 });
    ev.beginEpisode(0);
    ev.step();
    const cp = ev.checkpoint();
    const other = new PolicyEvaluation(new MpcController(tinyTemplate()), still(), { seed: 1 });
    expect(() => other.restore({ ...cp, theta: [1, 5.5] })).toThrow(/checkpoint's parameters are refused: parameter `g` entry g = 5.5 is outside its declared box \[-5, 5\]/);
    expect(() => other.restore({ ...cp, theta: [1, 0] })).not.toThrow();
  });
});
