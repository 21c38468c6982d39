// The verdict's statistics against known values (Student's t table, a hand-computed paired
// interval), its edge cases (one episode, zero variance, failed episodes), the hint rules on
// constructed diagnostics, and the held-out rollouts (paired, failures counted, deterministic).

import { describe, expect, it } from "vitest";
import { LinearPlant } from "../../plants/linear.js";
import { RandomDisturbance } from "../../plants/disturbance.js";
import type { Plant } from "../../plants/types.js";
import { evaluateHeldOut } from "../evaluate.js";
import {
  buildVerdict,
  explorationLevel,
  learningDiagnostics,
  pairedComparison,
  studentTCdf,
  tQuantile,
  tQuantileByInversion,
  verdictHints,
  verdictLine,
  type ArmEpisode,
  type DiagnosticsInput,
  type VerdictEpisode,
} from "../verdict.js";
import { QuadraticQ } from "./doubles.js";

const ep = (cost: number, extra: Partial<ArmEpisode> = {}): ArmEpisode => ({ cost, steps: 10, violationSteps: 0, solverFailures: 0, fallbacks: 0, ...extra });

describe("Student's t quantile", () => {
  // two-sided 95 % (p = 0.975) and other entries of the standard table (6+ digits)
  const table: [number, number, number][] = [
    [0.975, 1, 12.7062047],
    [0.975, 2, 4.30265273],
    [0.975, 3, 3.18244631],
    [0.975, 4, 2.77644511],
    [0.975, 5, 2.57058184],
    [0.975, 9, 2.26215716],
    [0.975, 10, 2.22813885],
    [0.975, 29, 2.04522964],
    [0.975, 30, 2.04227246],
    [0.975, 120, 1.97993041],
    [0.95, 9, 1.83311293],
    [0.995, 4, 4.60409487],
    [0.9, 20, 1.32534071],
  ];
  it("matches the table (t_{0.975,9} = 2.262, t_{0.975,4} = 2.776)", () => {
    for (const [p, df, t] of table) expect(Math.abs(tQuantile(p, df) - t), `t_${p},${df}`).toBeLessThan(1e-7);
    expect(tQuantile(0.975, 9).toFixed(3)).toBe("2.262");
    expect(tQuantile(0.975, 4).toFixed(3)).toBe("2.776");
  });
  it("tends to the normal quantile, is odd in p - 0.5 and inverts the CDF", () => {
    expect(Math.abs(tQuantile(0.975, 1e7) - 1.959964)).toBeLessThan(1e-5);
    expect(tQuantile(0.025, 7)).toBeCloseTo(-tQuantile(0.975, 7), 12);
    expect(tQuantile(0.5, 3)).toBe(0);
    for (const df of [3, 4.5, 17, 300]) for (const p of [0.6, 0.9, 0.975, 0.999]) expect(studentTCdf(tQuantile(p, df), df)).toBeCloseTo(p, 12);
  });
  it("the general inversion agrees with the closed forms for 1 and 2 degrees of freedom", () => {
    for (const p of [0.6, 0.9, 0.975, 0.999]) {
      expect(tQuantileByInversion(p, 1)).toBeCloseTo(tQuantile(p, 1), 8);
      expect(tQuantileByInversion(p, 2)).toBeCloseTo(tQuantile(p, 2), 8);
    }
  });
  it("rejects invalid arguments with NaN", () => {
    expect(tQuantile(1.2, 3)).toBeNaN();
    expect(tQuantile(0.9, 0)).toBeNaN();
  });
});

describe("paired comparison", () => {
  it("gives the hand-computed interval", () => {
    // d = [-1, -2, -1, -2, 0]: mean -1.2, s_d = sqrt(0.7), half-width t_{0.975,4} s_d / sqrt(5)
    const c = pairedComparison([10, 12, 11, 13, 9].map((x) => ep(x)), [9, 10, 10, 11, 9].map((x) => ep(x)));
    const half = (2.77644511 * Math.sqrt(0.7)) / Math.sqrt(5);
    expect(c.n).toBe(5);
    expect(c.meanDifference).toBeCloseTo(-1.2, 12);
    expect(c.sdDifference).toBeCloseTo(Math.sqrt(0.7), 12);
    expect(c.ci95![0]).toBeCloseTo(-1.2 - half, 7);
    expect(c.ci95![1]).toBeCloseTo(-1.2 + half, 7);
    expect(c.relativePercent).toBeCloseTo((-1.2 / 11) * 100, 10);
    expect(c.significant).toBe(true);
    expect(c.outcome).toBe("helped");
    expect(verdictLine(c)).toBe("learning helped: cost -10.9 % (95% CI -20.4 % to -1.5 %, 5 paired episodes)");
  });
  it("worse, and no significant difference", () => {
    const worse = pairedComparison([1, 2, 3].map((x) => ep(x)), [2, 3.1, 4].map((x) => ep(x)));
    expect(worse.outcome).toBe("worse");
    expect(verdictLine(worse)).toMatch(/^learning made it worse: cost \+/);
    const same = pairedComparison([1, 2, 3].map((x) => ep(x)), [1.5, 1.5, 3].map((x) => ep(x)));
    expect(same.outcome).toBe("no_difference");
    expect(verdictLine(same)).toMatch(/^no significant difference: cost 0\.0 %|^no significant difference: cost [+-]/);
  });
  it("one episode: no interval, said so", () => {
    const c = pairedComparison([ep(10)], [ep(8)]);
    expect(c.n).toBe(1);
    expect(c.ci95).toBeNull();
    expect(c.outcome).toBe("inconclusive");
    expect(verdictLine(c)).toMatch(/no confidence interval from one episode/);
  });
  it("zero variance: identical costs are no difference; a constant shift is significant", () => {
    const same = pairedComparison([ep(1), ep(2)], [ep(1), ep(2)]);
    expect(same.outcome).toBe("no_difference");
    expect(verdictLine(same)).toMatch(/^no difference: the same cost on every held-out episode/);
    const shift = pairedComparison([ep(2), ep(4)], [ep(1), ep(3)]);
    expect(shift.sdDifference).toBe(0);
    expect(shift.ci95).toEqual([-1, -1]);
    expect(shift.outcome).toBe("helped");
  });
  it("identical episodes (a replayed disturbance) are one episode: inconclusive, with a hint", () => {
    const c = pairedComparison([ep(5), ep(5), ep(5)], [ep(4), ep(4), ep(4)]);
    expect(c.distinct).toBe(1);
    expect(c.ci95).toBeNull();
    expect(c.outcome).toBe("inconclusive");
    expect(verdictLine(c)).toMatch(/^inconclusive: cost -20\.0 % on one episode: all 3 held-out episodes were identical/);
    const d = learningDiagnostics(input({ td: [] }));
    const v = buildVerdict({ episodes: 3, steps: 10, seed: 1, source: "defaults" }, [0, 1, 2].map((k) => ({ episode: k, plantSeed: k, initial: ep(5), learned: ep(4) })), d);
    expect(rules(v.hints)).toContain("identical_episodes");
  });
  it("leaves out pairs with a failed episode and counts them", () => {
    const c = pairedComparison([ep(3), ep(NaN, { error: "boom" }), ep(4), ep(5)], [ep(2), ep(1), ep(3), ep(4.5)]);
    expect(c.n).toBe(3);
    expect(c.excluded).toBe(1);
    expect(verdictLine(c)).toMatch(/1 failed and left out/);
    const none = pairedComparison([ep(NaN, { error: "x" })], [ep(1)]);
    expect(none.n).toBe(0);
    expect(verdictLine(none)).toMatch(/^no verdict/);
  });
  it("reports absolute figures when the initial mean cost is not positive", () => {
    const c = pairedComparison([ep(-1), ep(-2), ep(-3)], [ep(-2), ep(-3), ep(-4.1)]);
    expect(c.relativePercent).toBeNull();
    expect(verdictLine(c)).toMatch(/^learning helped: cost -1\.033 \(95% CI/);
  });
});

function input(over: Partial<DiagnosticsInput> = {}): DiagnosticsInput {
  const n = 400;
  return {
    algorithm: "q_learning",
    totalSteps: n,
    episodes: 1,
    td: Array.from({ length: n }, (_, t) => ({ t, abs: 1 + 0.01 * Math.sin(t) })), // flat
    updatesAttempted: n,
    rejectedReasons: [],
    parameterChanges: Array.from({ length: 100 }, (_, i) => ({ t: i, norm: 0.01 })),
    policyGradientNorms: [],
    thetaNames: ["a", "b", "c"],
    thetaInitial: [0, 0.5, 1],
    thetaFinal: [0.1, 0.5, 1],
    lower: [null, 0, 0],
    upper: [null, 1, 1],
    exploration: { kind: "none" },
    ...over,
  };
}

const rules = (h: readonly { rule: string }[]) => h.map((x) => x.rule);

describe("learning diagnostics and hint rules", () => {
  it("a flat TD error with no significant gain: td_noise_level, with the step it settled from", () => {
    const d = learningDiagnostics(input());
    expect(d.td!.ratio).toBeCloseTo(1, 1);
    expect(d.td!.settledStep).toBe(0);
    const c = pairedComparison([1, 2, 3].map((x) => ep(x)), [1.5, 1.5, 3].map((x) => ep(x)));
    const h = verdictHints(d, { comparison: c, initial: { episodes: 3, failedEpisodes: 0, meanCost: 2, violationSteps: 0, violatingEpisodes: 0, solverFailures: 0, fallbacks: 0 }, learned: { episodes: 3, failedEpisodes: 0, meanCost: 2, violationSteps: 0, violatingEpisodes: 0, solverFailures: 0, fallbacks: 0 } });
    expect(rules(h)).toContain("td_noise_level");
    expect(h.find((x) => x.rule === "td_noise_level")!.text).toMatch(/at its noise level \(1\) from step 0: it fell only from 1 .* near-optimal/);
  });
  it("a falling TD error that settles: the settled step, no td_noise_level; td_settled_early when learning helped", () => {
    const td = Array.from({ length: 400 }, (_, t) => ({ t, abs: t < 60 ? 10 - t / 10 : 1 }));
    const d = learningDiagnostics(input({ td }));
    expect(d.td!.settledStep).toBe(60);
    expect(d.td!.ratio!).toBeLessThan(0.8);
    const helped = pairedComparison([10, 12, 11].map((x) => ep(x)), [5, 6, 5.5].map((x) => ep(x)));
    const totals = { episodes: 3, failedEpisodes: 0, meanCost: 1, violationSteps: 0, violatingEpisodes: 0, solverFailures: 0, fallbacks: 0 };
    const h = rules(verdictHints(d, { comparison: helped, initial: totals, learned: totals }));
    expect(h).not.toContain("td_noise_level");
    expect(h).toContain("td_settled_early");
  });
  it("a rising TD error: td_rising", () => {
    const td = Array.from({ length: 100 }, (_, t) => ({ t, abs: 1 + t / 20 }));
    expect(rules(verdictHints(learningDiagnostics(input({ td }))))).toContain("td_rising");
  });
  it("parameters at their bounds: at_bounds counts them and says which started there", () => {
    const d = learningDiagnostics(input({ thetaFinal: [0.1, 1, 0] }));
    expect(d.atBounds).toEqual([
      { name: "b", side: "upper", value: 1, initially: false },
      { name: "c", side: "lower", value: 0, initially: false },
    ]);
    const h = verdictHints(d).find((x) => x.rule === "at_bounds")!;
    expect(h.text).toMatch(/^2 parameter entries ended at their bounds \(b at its upper bound, c at its lower bound\): .*widen/);
    const d2 = learningDiagnostics(input({ thetaInitial: [0, 0, 1], thetaFinal: [0.1, 0, 1] }));
    expect(verdictHints(d2).find((x) => x.rule === "at_bounds")!.text).toMatch(/2 of them started there/);
  });
  it("rejected updates (>= 10 %), no updates, unchanged parameters", () => {
    const rej = verdictHints(learningDiagnostics(input({ updatesAttempted: 20, rejectedReasons: ["nan", "infeasible", "infeasible"] })));
    expect(rej.find((x) => x.rule === "rejected_many")!.text).toMatch(/^3 of 20 updates \(15 %\) were rejected \(most often: infeasible\)/);
    expect(rules(verdictHints(learningDiagnostics(input({ updatesAttempted: 40, rejectedReasons: ["nan", "nan", "nan"] }))))).not.toContain("rejected_many");
    expect(rules(verdictHints(learningDiagnostics(input({ updatesAttempted: 0 }))))).toContain("no_updates");
    // Bayesian optimization evaluates per episode and marks no step as an update
    expect(rules(verdictHints(learningDiagnostics(input({ algorithm: "bayesopt", updatesAttempted: 0 }))))).not.toContain("no_updates");
    expect(rules(verdictHints(learningDiagnostics(input({ thetaFinal: [0, 0.5, 1] }))))).toContain("params_unchanged");
  });
  it("vanishing parameter changes and policy gradients", () => {
    const shrink = Array.from({ length: 100 }, (_, i) => ({ t: i, norm: i < 25 ? 1 : 1e-4 }));
    expect(rules(verdictHints(learningDiagnostics(input({ parameterChanges: shrink }))))).toContain("updates_vanished");
    expect(rules(verdictHints(learningDiagnostics(input({ algorithm: "dpg", policyGradientNorms: shrink }))))).toContain("gradient_vanished");
    expect(rules(verdictHints(learningDiagnostics(input())))).not.toContain("updates_vanished");
  });
  it("evaluation rules: worse, more violations, failed episodes, one episode, a wide interval", () => {
    const d = learningDiagnostics(input({ td: [] }));
    const eps = (i: number[], l: number[], lv = 0, fail = false): VerdictEpisode[] =>
      i.map((x, k) => ({ episode: k, plantSeed: k, initial: ep(x), learned: ep(l[k], { violationSteps: lv, ...(fail && k === 0 ? { error: "solver", cost: NaN } : {}) }) }));
    const proto = { episodes: 3, steps: 10, seed: 1000, source: "defaults" };
    expect(rules(buildVerdict(proto, eps([1, 2, 3], [2, 3.1, 4]), d).hints)).toEqual(expect.arrayContaining(["worse"]));
    // a flat TD error with a worse verdict is not read as "already near-optimal"
    const worseFlat = rules(buildVerdict(proto, eps([1, 2, 3], [2, 3.1, 4]), learningDiagnostics(input())).hints);
    expect(worseFlat).toContain("worse");
    expect(worseFlat).not.toContain("td_noise_level");
    expect(rules(buildVerdict(proto, eps([1, 2, 3], [1, 2, 3], 2), d).hints)).toContain("violations_up");
    const failed = buildVerdict(proto, eps([1, 2, 3], [0.5, 1.5, 2.5], 0, true), d);
    expect(failed.learned.failedEpisodes).toBe(1);
    expect(failed.comparison.n).toBe(2);
    expect(rules(failed.hints)).toContain("eval_failures");
    expect(rules(buildVerdict(proto, eps([1], [0.5]), d).hints)).toContain("single_episode");
    expect(rules(buildVerdict(proto, eps([10, 20, 30], [15, 15, 30]), d).hints)).toContain("wide_interval");
  });
  it("exploration level: schedules stepped per episode, relative to the input range", () => {
    const e = explorationLevel({ kind: "additive", distribution: "normal", scale: { kind: "exponential", value: 0.2, factor: 0.5 } }, 3, [-1], [1]);
    expect(e).toEqual({ kind: "additive", initial: 0.2, final: 0.05, relativeToInputRange: 0.025 });
    expect(explorationLevel({ kind: "epsilon_greedy", epsilon: 0.5, strength: 0.4 }, 1, [0], [2])!.relativeToInputRange).toBeCloseTo(0.1, 12);
    expect(explorationLevel({ kind: "none" }, 1)!.final).toBe(0);
  });
});

describe("held-out rollouts", () => {
  const plant = (): LinearPlant =>
    new LinearPlant({ A: [0.9], B: [0.5], initialState: [1], Q: [2], R: [2], disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std: 0.1 }]) });
  const opts = { seed: 1000, episodes: 4, steps: 30 };
  it("pairs the episodes (same plant seeds) and is deterministic", () => {
    const a = evaluateHeldOut(new QuadraticQ([0, 1, 0, 1]), plant(), [0, 1, 0, 1], opts);
    const b = evaluateHeldOut(new QuadraticQ([0, 1, 0, 1]), plant(), [0, 1, 0.5, 1], opts);
    const again = evaluateHeldOut(new QuadraticQ([0, 1, 0, 1]), plant(), [0, 1, 0.5, 1], opts);
    expect(a.map((e) => e.plantSeed)).toEqual(b.map((e) => e.plantSeed));
    expect(new Set(a.map((e) => e.plantSeed)).size).toBe(4);
    expect(b).toEqual(again);
    expect(a.every((e) => e.steps === 30 && Number.isFinite(e.cost) && e.error === undefined)).toBe(true);
    // feedback a = -0.5 s costs less on this plant than none (a = 0), on every episode
    const c = pairedComparison(a, b);
    expect(c.outcome).toBe("helped");
  });
  it("a rollout that throws is recorded and the next episode runs", () => {
    const p = plant();
    let calls = 0;
    const flaky: Plant = {
      nx: 1,
      nu: 1,
      reset: (s) => p.reset(s),
      step: (u) => {
        if (++calls === 5) throw new Error("plant exploded");
        return p.step(u);
      },
    } as Plant;
    const r = evaluateHeldOut(new QuadraticQ([0, 1, 0.2, 1]), flaky, [0, 1, 0.2, 1], opts);
    expect(r.length).toBe(4);
    expect(r[0].error).toMatch(/step 4: plant exploded/);
    expect(Number.isNaN(r[0].cost)).toBe(true);
    expect(r.slice(1).every((e) => e.error === undefined)).toBe(true);
  });
});
