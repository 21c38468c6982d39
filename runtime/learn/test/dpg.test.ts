import { describe, expect, it } from "vitest";
import { RandomDisturbance } from "../../plants/disturbance.js";
import { LinearPlant } from "../../plants/linear.js";
import { Dpg } from "../dpg.js";
import { luSolve } from "../../linalg/dense.js";
import { quadraticFeatures } from "../linalg.js";
import { QuadraticQ, scalarDlqr } from "./doubles.js";

describe("deterministic policy gradient (compatible LSTD critic)", () => {
  it("moves the policy gain toward the LQR gain", () => {
    const { K } = scalarDlqr(0.9, 0.5, 1, 1, 0.9);
    const mpc = new QuadraticQ([0, 2, 0, 2], 0.9); // gain t2/t3 = 0 at the start
    const plant = new LinearPlant({
      A: [0.9],
      B: [0.5],
      initialState: [1],
      Q: [2],
      R: [2],
      disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std: 0.05 }]),
    });
    const dpg = new Dpg(mpc, plant, {
      seed: 1,
      discount: 0.9,
      optimizer: { kind: "sgd", lr: 0.05 },
      rolloutLength: 50,
      exploration: { kind: "additive", distribution: "normal", scale: 0.1 },
    });
    const gains: number[] = [];
    for (let e = 0; e < 40; e++) {
      dpg.beginEpisode(e);
      for (let k = 0; k < 50; k++) dpg.step();
      dpg.endEpisode();
      const t = mpc.getTheta();
      gains.push(t[2] / t[3]);
    }
    // the first update goes the right way, and the gain ends much closer to K than it started
    expect(gains[0]).toBeGreaterThan(0);
    expect(Math.abs(gains[gains.length - 1] - K)).toBeLessThan(0.1 * K);
    expect(dpg.rolloutCosts.length).toBe(40);
  });

  it("solves small linear systems and builds quadratic features", () => {
    const A = Float64Array.of(0, 2, 1, 1);
    const b = Float64Array.of(4, 3);
    expect(luSolve(A, b, 2)).toBe(true);
    expect(Array.from(b)).toEqual([1, 2]);
    expect(Array.from(quadraticFeatures([2, 3], new Float64Array(6)))).toEqual([1, 2, 3, 4, 6, 9]);
  });
});
