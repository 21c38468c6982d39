import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Rng } from "../../rng.js";
import { RandomDisturbance } from "../../plants/disturbance.js";
import { LinearPlant } from "../../plants/linear.js";
import { erfcx, logExpectedImprovement, logH, normalCdf } from "../bayesopt/acquisition.js";
import { BayesOpt } from "../bayesopt/bayesopt.js";
import { GaussianProcess } from "../bayesopt/gp.js";
import { latinHypercube } from "../bayesopt/lhs.js";
import { QuadraticQ, scalarDlqr } from "./doubles.js";

describe("acquisition", () => {
  it("erfcx and the normal CDF match reference values", () => {
    // erfcx(0) = 1, erfcx(1) = 0.42758357615580700, erfcx(5) = 0.11070463773306863, erfcx(30) = 0.018795888861416751
    expect(erfcx(0)).toBeCloseTo(1, 15);
    expect(erfcx(1) / 0.427583576155807 - 1).toBeLessThan(1e-12);
    expect(Math.abs(erfcx(5) / 0.11070463773306863 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(erfcx(30) / 0.018795888861416751 - 1)).toBeLessThan(1e-12);
    expect(normalCdf(0)).toBe(0.5);
    expect(Math.abs(normalCdf(-1.959963984540054) - 0.025)).toBeLessThan(1e-14);
  });

  it("log h(z) matches the direct formula where that is accurate, and stays finite far in the tail", () => {
    fc.assert(
      fc.property(fc.double({ min: -5, max: 5, noNaN: true }), (z) => {
        const phi = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
        const direct = Math.log(phi + z * normalCdf(z));
        expect(Math.abs(logH(z) - direct)).toBeLessThan(1e-9 * (1 + Math.abs(direct)));
      }),
      { seed: 20261205 },
    );
    for (const z of [-40, -1e3, -1e6]) {
      expect(Number.isFinite(logH(z))).toBe(true);
      expect(logH(z)).toBeLessThan(logH(z / 2));
    }
    // EI of a sure improvement of 1 with tiny std is about log(1)
    expect(logExpectedImprovement(0, 1e-12, 1)).toBeCloseTo(0, 6);
  });
});

describe("latin hypercube", () => {
  it("hits every stratum of every dimension once", () => {
    const pts = latinHypercube(10, 3, new Rng(1, "lhs"));
    for (let j = 0; j < 3; j++) {
      const strata = pts.map((p) => Math.floor(p[j] * 10)).sort((a, b) => a - b);
      expect(strata).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });
});

describe("Gaussian process (Matern 5/2)", () => {
  it("interpolates a smooth function and is uncertain far from the data", () => {
    const f = (x: number) => Math.sin(6 * x) + 0.5 * x;
    const X = Array.from({ length: 12 }, (_, i) => [i / 11]);
    const gp = new GaussianProcess(1);
    gp.fit(X, X.map((x) => f(x[0])));
    for (const x of [0.13, 0.5, 0.77]) {
      const p = gp.predict([x]);
      expect(Math.abs(p.mean - f(x))).toBeLessThan(0.05);
    }
    expect(gp.predict([0.5]).std).toBeLessThan(gp.predict([3]).std);
    // the fitted hyperparameters beat a poor guess on marginal likelihood
    const ys = X.map((x) => f(x[0]));
    const m = ys.reduce((a, b) => a + b) / ys.length;
    const sd = Math.sqrt(ys.reduce((a, b) => a + (b - m) ** 2, 0) / ys.length);
    const z = ys.map((v) => (v - m) / sd);
    expect(GaussianProcess.logLikelihood(X, z, gp.hyper)).toBeGreaterThan(
      GaussianProcess.logLikelihood(X, z, { lengthScales: [5], signal: 0.1, noise: 0.5 }),
    );
  });
});

describe("Bayesian optimization", () => {
  it("improves on the initial parameters of a scalar LQR policy", () => {
    const { K } = scalarDlqr(0.9, 0.5, 1, 1, 0.9);
    // tune t2 (the gain is t2 / t3 with t3 = 2) within [-1, 3]; the start has gain 0
    const mpc = new QuadraticQ([0, 2, 0, 2], 0.9, -Infinity, Infinity, [-Infinity, -Infinity, -1, -Infinity], [Infinity, Infinity, 3, Infinity]);
    const plant = new LinearPlant({
      A: [0.9],
      B: [0.5],
      initialState: [1],
      Q: [2],
      R: [2],
      disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std: 0.05 }]),
    });
    const bo = new BayesOpt(mpc, plant, { seed: 4, indices: [2], initialDesign: 4 });
    const scores: number[] = [];
    for (let e = 0; e < 14; e++) {
      bo.beginEpisode(e);
      for (let k = 0; k < 60; k++) bo.step();
      scores.push(bo.endEpisode().cost);
    }
    expect(bo.bestObjective).toBeLessThan(scores[0]);
    const best = bo.getTheta();
    expect(Math.abs(best[2] / best[3] - K)).toBeLessThan(0.1);
  });
});
