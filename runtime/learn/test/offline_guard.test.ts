// The conservative offline method (runtime/learn/offline.ts, guard "model"): identification of
// the dynamics from data (sysid.ts), the guard rejecting an update its model-based off-policy
// estimate says is worse, and a short run on the Gros & Zanon spec whose learned policy is not
// worse than the behaviour policy on held-out episodes.

import { describe, expect, it } from "vitest";
import { compileToModule } from "../../../compiler/index.js";
import { readRepo } from "../../../compiler/test/helpers.js";
import { RandomDisturbance } from "../../plants/disturbance.js";
import { LinearPlant } from "../../plants/linear.js";
import { Rng } from "../../rng.js";
import { recordRollouts, type Rollout, type Transition } from "../dataset.js";
import { evaluateHeldOut } from "../evaluate.js";
import { controllerOptions, makeTrainer } from "../factory.js";
import { DEFAULT_GUARD, OfflineQLearning } from "../offline.js";
import { identifyAffine } from "../sysid.js";
import { QuadraticQ, scalarDlqr } from "./doubles.js";

describe("identification from a data set", () => {
  it("recovers known affine dynamics within 4 standard errors (and 0.02 absolute)", () => {
    // s' = A s + B a + c + w, w ~ N(0, 0.02^2 I), inputs exciting (uniform), 20 x 100 transitions
    const A = [0.9, 0.35, -0.1, 1.05];
    const B = [0.0813, 0.2];
    const c = [-0.05, 0.01];
    const sigma = 0.02;
    const rng = new Rng(7, "sysid");
    const data: Rollout[] = [];
    for (let r = 0; r < 20; r++) {
      let s = Float64Array.of(rng.uniform(-1, 1), rng.uniform(-1, 1));
      const ro: Transition[] = [];
      for (let k = 0; k < 100; k++) {
        // a stabilizing feedback plus excitation (closed-loop data, as recorded from a controller)
        const a = Float64Array.of(-0.5 * s[0] - 1.5 * s[1] + rng.uniform(-1, 1));
        const n = Float64Array.of(
          A[0] * s[0] + A[1] * s[1] + B[0] * a[0] + c[0] + rng.normal(0, sigma),
          A[2] * s[0] + A[3] * s[1] + B[1] * a[0] + c[1] + rng.normal(0, sigma),
        );
        ro.push({ s, a, cost: 0, sNext: n, violations: 0 });
        s = n;
      }
      data.push(ro);
    }
    const m = identifyAffine(data, 2, 1);
    const truth = [
      [A[0], A[1], B[0], c[0]],
      [A[2], A[3], B[1], c[1]],
    ];
    const est = [
      [m.A[0], m.A[1], m.B[0], m.c[0]],
      [m.A[2], m.A[3], m.B[1], m.c[1]],
    ];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 4; j++) {
        const se = m.stdErr[i * 4 + j];
        // the standard error of each coefficient is sigma sqrt([(Phi'Phi)^-1]_jj): with 2000
        // closed-loop samples (states of standard deviation ~0.1-0.3) about 1e-3 to 3e-3; 4
        // standard errors bound the estimation error with probability > 0.9999 per coefficient
        expect(se).toBeLessThan(5e-3);
        expect(Math.abs(est[i][j] - truth[i][j])).toBeLessThan(Math.max(4 * se, 1e-12));
        expect(Math.abs(est[i][j] - truth[i][j])).toBeLessThan(0.02);
      }
      // the residuals are the noise: their RMS is sigma within 10 %
      expect(Math.abs(m.rmse[i] - sigma) / sigma).toBeLessThan(0.1);
    }
    expect(m.residuals).toHaveLength(20);
    expect(m.residuals[3]).toHaveLength(100);
  });
});

/** Exposes a forced proposal: the learner's iterate set to `theta`, then the pass ends (the guard runs). */
class Probe extends OfflineQLearning {
  propose(theta: ArrayLike<number>): void {
    this.theta.set(theta);
    this.mpc.setTheta(this.theta);
  }
  current(): Float64Array {
    return Float64Array.from(this.theta);
  }
}

describe("the guard", () => {
  const plant = () =>
    new LinearPlant({ A: [0.9], B: [0.5], initialState: [1], Q: [2], R: [2], disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std: 0.05 }]) });
  const stageCost = (s: Float64Array, a: Float64Array) => s[0] * s[0] + a[0] * a[0];

  function probe(): { off: Probe; data: Rollout[]; thetaB: number[] } {
    const rng = new Rng(5, "behaviour");
    // behaviour: greedy gain 0.1 of theta_b plus exploration noise
    const data = recordRollouts(plant(), (s) => Float64Array.of(-0.1 * s[0] + rng.normal(0, 0.3)), 20, 30, 11);
    const thetaB = [0, 2, 0.2, 2];
    const mpc = new QuadraticQ(thetaB, 0.9);
    const off = new Probe(mpc, plant(), data, {
      seed: 1,
      discount: 0.9,
      optimizer: { kind: "sgd", lr: 0 },
      guard: { ...DEFAULT_GUARD, support: 20, searchPairs: 0, stageCost },
    });
    return { off, data, thetaB };
  }

  function pass(off: Probe, data: Rollout[], e: number): void {
    off.beginEpisode(e);
    for (let k = 0; k < data[e].length; k++) off.step();
  }

  it("rejects an update whose off-policy estimate is worse than the behaviour policy's", () => {
    const { off, data, thetaB } = probe();
    pass(off, data, 0);
    // a destabilizing gain: a = +0.95 s (closed loop 0.9 + 0.475 > 1)
    const bad = [0, 2, -1.9, 2];
    off.propose(bad);
    const ep = off.endEpisode();
    expect(Array.from(off.current())).toEqual(thetaB);
    expect(Array.from(off.mpc.getTheta())).toEqual(thetaB);
    const g = off.guardLog[0];
    expect(g.accepted).toBe(false);
    expect(g.candidate).toBeGreaterThan(g.behaviour);
    expect(g.incumbent).toBe(g.behaviour);
    expect(ep.extra).toMatchObject({ guard_accepted: 0, ope_estimate: g.behaviour, ope_behaviour: g.behaviour });
  });

  it("accepts a better one (the LQR gain) and then never goes back above it", () => {
    const { off, data } = probe();
    const { K } = scalarDlqr(0.9, 0.5, 1, 1, 1);
    pass(off, data, 0);
    const good = [0, 2, 2 * K, 2];
    off.propose(good);
    off.endEpisode();
    expect(off.guardLog[0].accepted).toBe(true);
    expect(off.guardLog[0].incumbent).toBeLessThan(off.guardLog[0].behaviour);
    pass(off, data, 1);
    off.propose([0, 2, 0.2, 2]); // back to the behaviour gain: worse than the incumbent
    off.endEpisode();
    expect(off.guardLog[1].accepted).toBe(false);
    expect(Array.from(off.current())).toEqual(good);
  });
});

describe("resume", () => {
  it("a run restored from a mid-pass checkpoint ends with the same parameters and guard log", () => {
    const mk = () => {
      const rng = new Rng(5, "behaviour");
      const data = recordRollouts(
        new LinearPlant({ A: [0.9], B: [0.5], initialState: [1], Q: [2], R: [2], disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std: 0.05 }]) }),
        (s) => Float64Array.of(-0.1 * s[0] + rng.normal(0, 0.3)),
        6,
        20,
        11,
      );
      const mpc = new QuadraticQ([0, 2, 0.2, 2], 0.9);
      const plant = new LinearPlant({ A: [0.9], B: [0.5], initialState: [1], Q: [2], R: [2] });
      return new OfflineQLearning(mpc, plant, data, {
        seed: 1,
        discount: 0.9,
        optimizer: { kind: "newton", lr: 0.05 },
        replay: { size: 50, sample: 10 },
        guard: { ...DEFAULT_GUARD, stageCost: (s, a) => s[0] * s[0] + a[0] * a[0] },
      });
    };
    const run = (t: OfflineQLearning, from: number, to: number, stopAt?: number) => {
      for (let e = from; e < to; e++) {
        t.beginEpisode(e);
        for (let k = 0; k < t.data[e].length; k++) {
          t.step();
          if (e === to - 1 && stopAt !== undefined && k + 1 === stopAt) return;
        }
        t.endEpisode();
      }
    };
    const a = mk();
    run(a, 0, 6);
    const b = mk();
    run(b, 0, 3, 7); // stops after 7 steps of pass 2
    const cp = JSON.parse(JSON.stringify(b.checkpoint()));
    const c = mk();
    c.restore(cp);
    for (let k = 7; k < c.data[2].length; k++) c.step();
    c.endEpisode();
    run(c, 3, 6);
    expect(Array.from(c.mpc.getTheta())).toEqual(Array.from(a.mpc.getTheta()));
    expect(c.guardLog).toEqual(a.guardLog);
    expect(a.guardLog.every((g) => g.incumbent <= g.behaviour)).toBe(true);
    expect(a.guardLog.some((g) => g.accepted)).toBe(true);
    expect(a.guardLog.some((g) => !g.accepted)).toBe(true);
  });
});

describe("a short conservative offline run on Gros & Zanon", () => {
  it("is not worse than the behaviour policy on held-out episodes", () => {
    const mod = compileToModule(readRepo("examples/gros_zanon/linear_mpc_offline.mpcrl")).module!;
    const spec = { ...mod.trainConfig, episodes: 8, steps: 60, evaluation: { every: 0, episodes: 0 } };
    expect(spec.guard).toBe("model");
    const mpc = mod.createController(controllerOptions(spec));
    const plant = mod.createPlant!();
    const thetaB = mpc.getTheta();
    const box = { inputLower: [-1], inputUpper: [1] };
    const trainer = makeTrainer(spec, mpc, plant, { seed: 3, learn: true, ...box }) as OfflineQLearning;
    for (let e = 0; e < trainer.data.length; e++) {
      trainer.beginEpisode(e);
      for (let k = 0; k < trainer.data[e].length; k++) trainer.step();
      trainer.endEpisode();
    }
    const learned = mpc.getTheta();
    const held = { seed: 1000, episodes: 5, steps: 60, ...box };
    const cost = (theta: Float64Array) => {
      const eps = evaluateHeldOut(mod.createController(controllerOptions(spec)), mod.createPlant!(), theta, held);
      return eps.reduce((a, e) => a + e.cost, 0) / eps.length;
    };
    const jb = cost(thetaB);
    const jl = cost(learned);
    // every accepted estimate is at most the behaviour policy's
    expect(trainer.guardLog.every((g) => g.incumbent <= g.behaviour)).toBe(true);
    expect(jl).toBeLessThanOrEqual(jb);
  }, 20000);
});
