// Failures the learners and the closed loop must not sum away or learn from (red-team finding 06):
//  - a gradient or sensitivity that is not ok (e.g. a non-finite derivative the controller refused)
//    never enters an update: Q-learning and DPG keep their parameters;
//  - a plant step with a non-finite state or stage cost stops the episode with a message
//    (StepRecord.failure), the episode's cost is NaN, the monitors count it, the run's J is NaN
//    (never the sum of the finite steps) with `plantFailures`, and a held-out evaluation reports it.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Plant, PlantStep } from "../../plants/types.js";
import { LinearPlant } from "../../plants/linear.js";
import { runTraining } from "../../run/driver.js";
import { Dpg } from "../dpg.js";
import { evaluateHeldOut, PolicyEvaluation } from "../evaluate.js";
import { QLearning } from "../q_learning.js";
import { QuadraticQ } from "./doubles.js";

const root = mkdtempSync(join(tmpdir(), "mpcrl-failures-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function linear(): LinearPlant {
  return new LinearPlant({ A: [0.9], B: [0.5], initialState: [1], Q: [2], R: [2] });
}

/** s+ = 0.9 s + 0.5 a, cost s^2 + a^2; the next state at step `failAt` is `bad` (or the cost, with `cost`). */
class FailingPlant implements Plant {
  readonly nx = 1;
  readonly nu = 1;
  private s = 1;
  private t = 0;
  constructor(
    readonly failAt: number,
    readonly bad: number,
    readonly where: "state" | "cost" = "state",
  ) {}
  reset(): Float64Array {
    this.s = 1;
    this.t = 0;
    return Float64Array.of(this.s);
  }
  step(action: ArrayLike<number>): PlantStep {
    const a = action[0];
    let cost = this.s * this.s + a * a;
    let next = 0.9 * this.s + 0.5 * a;
    if (this.t === this.failAt) {
      if (this.where === "state") next = this.bad;
      else cost = this.bad;
    }
    this.t++;
    this.s = next;
    return { observation: Float64Array.of(next), cost, terminated: false, truncated: false, info: { violations: 0 } };
  }
}

describe("a derivative that is not ok never enters an update", () => {
  it("Q-learning: gradQvalue ok false (with a finite, bogus gradient) leaves theta unchanged and counts the step", () => {
    const mpc = new QuadraticQ([0, 2, 0, 2], 0.9);
    const base = mpc.gradQvalue.bind(mpc);
    // a solved value whose gradient the controller refused (the shape of the safety net's answer)
    mpc.gradQvalue = (s, a) => ({ ...base(s, a), ok: false, grad: Float64Array.of(1e6, -1e6, 1e6, -1e6), message: "dQ/dtheta with respect to `H` entry H[0] is NaN, not a finite number" });
    const q = new QLearning(mpc, linear(), { seed: 1, discount: 0.9, optimizer: { kind: "newton", lr: 0.5 }, replay: { size: 5, sample: 3 }, exploration: { kind: "additive", distribution: "normal", scale: 0.3 } });
    const theta0 = mpc.getTheta();
    q.beginEpisode(0);
    for (let k = 0; k < 20; k++) {
      const r = q.step();
      expect(r.updated).toBe(false);
      expect(r.solverFailure).toBe(true);
      expect(Number.isNaN(r.tdError)).toBe(true);
    }
    q.endEpisode();
    expect(Array.from(mpc.getTheta())).toEqual(Array.from(theta0));
  });

  it("DPG: policySensitivity ok false leaves theta unchanged", () => {
    const mpc = new QuadraticQ([0, 2, 0, 2], 0.9);
    const base = mpc.policySensitivity.bind(mpc);
    mpc.policySensitivity = (s) => ({ ...base(s), status: "not_differentiable", ok: false, jacobian: Float64Array.of(1e6, 1e6, 1e6, 1e6), message: "du_0/dtheta is NaN" });
    const dpg = new Dpg(mpc, linear(), { seed: 1, discount: 0.9, optimizer: { kind: "sgd", lr: 0.5 }, rolloutLength: 10, exploration: { kind: "additive", distribution: "normal", scale: 0.1 } });
    const theta0 = mpc.getTheta();
    for (let e = 0; e < 3; e++) {
      dpg.beginEpisode(e);
      for (let k = 0; k < 20; k++) dpg.step();
      dpg.endEpisode();
    }
    expect(Array.from(mpc.getTheta())).toEqual(Array.from(theta0));
  });
});

describe("a plant step with a non-finite state or stage cost", () => {
  for (const [where, bad] of [
    ["state", NaN],
    ["state", Infinity],
    ["cost", NaN],
  ] as const) {
    it(`stops the episode with a message, cost NaN, counted (${where} ${bad})`, () => {
      const ev = new PolicyEvaluation(new QuadraticQ([0, 2, 0.5, 2], 0.9), new FailingPlant(2, bad, where), { seed: 1 });
      ev.beginEpisode(0);
      const records = [];
      for (let k = 0; k < 10; k++) {
        const r = ev.step();
        records.push({ done: r.done, failure: r.failure });
        if (r.done) break;
      }
      // steps 0 and 1 are fine, step 2 fails and ends the episode
      expect(records.length).toBe(3);
      expect(records[0].failure).toBeUndefined();
      expect(records[2].done).toBe(true);
      const what = where === "state" ? `the plant's next state[0] is ${bad}` : `the plant's stage cost is ${bad}`;
      expect(records[2].failure).toBe(`${what} at step 2 of episode 0: the episode stops (a closed loop outside the plant's domain has no cost)`);
      const er = ev.endEpisode();
      expect(Number.isNaN(er.cost)).toBe(true);
      expect(er.totals.plantFailures).toBe(1);
      expect(ev.monitor.run.plantFailures).toBe(1);
      // the next episode starts clean
      ev.beginEpisode(1);
      expect(ev.step().failure).toBeUndefined();
    });
  }

  it("Q-learning: the episode stops, no non-finite number reaches theta", () => {
    const mpc = new QuadraticQ([0, 2, 0, 2], 0.9);
    const q = new QLearning(mpc, new FailingPlant(5, NaN), { seed: 1, discount: 0.9, optimizer: { kind: "newton", lr: 0.05 }, replay: { size: 5, sample: 3 }, exploration: { kind: "additive", distribution: "normal", scale: 0.3 } });
    q.beginEpisode(0);
    let steps = 0;
    for (; steps < 20; steps++) if (q.step().done) break;
    expect(steps).toBe(5);
    expect(q.record.failure).toMatch(/next state\[0\] is NaN at step 5/);
    expect(mpc.getTheta().every(Number.isFinite)).toBe(true);
    expect(Number.isNaN(q.endEpisode().cost)).toBe(true);
  });

  it("Q-learning: the failed step's refused V(s+) neither rejects an update nor counts toward a restore", () => {
    // a controller that refuses a non-finite state, as MpcController does (invalid_input, fallback)
    const mpc = new QuadraticQ([0, 2, 0, 2], 0.9);
    const act = mpc.act.bind(mpc);
    mpc.act = (s) => (Number.isFinite(s[0]) ? act(s) : { ...act([0]), status: "invalid_input", value: NaN, fallback: true });
    mpc.value = (s) => {
      const r = mpc.act(s);
      return { value: r.value, status: r.status, iterations: 1, ok: !r.fallback };
    };
    const q = new QLearning(mpc, new FailingPlant(5, NaN), { seed: 1, discount: 0.9, optimizer: { kind: "newton", lr: 0.05 }, replay: { size: 5, sample: 3 }, safety: { restoreAfterFailures: 1 }, exploration: { kind: "additive", distribution: "normal", scale: 0.3 } });
    q.beginEpisode(0);
    let r = q.step();
    while (!r.done) r = q.step();
    expect(r.failure).toMatch(/NaN/);
    expect(r.rejected).toBeNull();
    expect(r.updated).toBe(false);
    expect(q.safety.rejections).toEqual([]);
    q.endEpisode();
    expect(mpc.getTheta().every(Number.isFinite)).toBe(true);
  });

  it("a run's J is NaN (null in summary.json) with plantFailures, never the sum of the finite steps", async () => {
    const dir = join(root, "eval");
    const trainer = new PolicyEvaluation(new QuadraticQ([0, 2, 0.5, 2], 0.9), new FailingPlant(1, NaN), { seed: 1 });
    const { summary } = await runTraining({ dir, trainer, layout: [], settings: { algorithm: "evaluation", episodes: 2, steps: 5, seed: 1 } });
    expect(Number.isNaN(summary.J)).toBe(true);
    expect(summary.plantFailures?.map((f) => [f.t, f.episode])).toEqual([
      [1, 0],
      [3, 1],
    ]);
    expect(summary.plantFailures?.[0].message).toMatch(/the plant's next state\[0\] is NaN at step 1 of episode 0/);
    const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => typeof l.failure === "string").length).toBe(2);
    expect(lines.filter((l) => l.type === "episode").map((l) => [l.cost, l.plant_failures])).toEqual([
      [null, 1],
      [null, 1],
    ]);
    const written = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { J: unknown; plantFailures: unknown[] };
    expect(written.J).toBeNull();
    expect(written.plantFailures.length).toBe(2);
    // a healthy run keeps its J and has no plantFailures
    const ok = await runTraining({ dir: join(root, "ok"), trainer: new PolicyEvaluation(new QuadraticQ([0, 2, 0.5, 2], 0.9), linear(), { seed: 1 }), layout: [], settings: { algorithm: "evaluation", episodes: 1, steps: 5, seed: 1 } });
    expect(Number.isFinite(ok.summary.J)).toBe(true);
    expect(ok.summary.plantFailures).toBeUndefined();
  });

  it("a held-out evaluation records the failure as the episode's error", () => {
    const out = evaluateHeldOut(new QuadraticQ([0, 2, 0.5, 2], 0.9), new FailingPlant(1, NaN), [0, 2, 0.5, 2], { seed: 1, episodes: 2, steps: 5 });
    expect(out.map((e) => e.steps)).toEqual([2, 2]);
    for (const e of out) expect(e.error).toMatch(/the plant's next state\[0\] is NaN at step 1/);
  });
});
