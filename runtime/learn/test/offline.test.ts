import { describe, expect, it } from "vitest";
import { RandomDisturbance } from "../../plants/disturbance.js";
import { LinearPlant } from "../../plants/linear.js";
import { datasetToJsonl, parseDataset, recordRollouts } from "../dataset.js";
import { OfflineQLearning } from "../offline.js";
import { Rng } from "../../rng.js";
import { QuadraticQ, scalarDlqr } from "./doubles.js";

const plant = () =>
  new LinearPlant({
    A: [0.9],
    B: [0.5],
    initialState: [1],
    Q: [2],
    R: [2],
    disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std: 0.05 }]),
  });

describe("offline Q-learning", () => {
  it("round-trips a data set through JSONL and CSV", () => {
    const rng = new Rng(2, "behaviour");
    const data = recordRollouts(plant(), (s) => Float64Array.of(-0.2 * s[0] + rng.normal(0, 0.3)), 3, 5, 9);
    const back = parseDataset(datasetToJsonl(data), 1, 1);
    expect(back).toHaveLength(3);
    expect(back[2][4].cost).toBe(data[2][4].cost);
    expect(Array.from(back[1][3].sNext)).toEqual(Array.from(data[1][3].sNext));
    const csv = "episode,s0,a0,cost,n0\n0,1,0.5,2,0.3\n0,0.3,0,0.1,0.2\n1,1,0,1,0.9\n";
    const c = parseDataset(csv, 1, 1);
    expect(c.map((r) => r.length)).toEqual([2, 1]);
    expect(() => parseDataset('{"s":[1],"a":[0],"cost":"x","s_next":[1]}', 1, 1)).toThrow(/line 1: `cost`/);
    expect(() => parseDataset("s0,a0,cost\n1,2,3", 1, 1)).toThrow(/lacks the column `n0`/);
  });

  it("ends a recorded rollout before a plant step with a non-finite state and reports it", () => {
    // an infinite action on the third step of each rollout (the policy is called once per step)
    let k = 0;
    const failures: string[] = [];
    const data = recordRollouts(plant(), () => Float64Array.of(k++ % 3 === 2 ? Infinity : 0), 2, 5, 9, (r, step, why) => failures.push(`${r}:${step}:${why}`));
    expect(data.map((ro) => ro.length)).toEqual([2, 2]);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatch(/^0:2:the plant's (next state\[0\]|stage cost) is (Infinity|NaN)/);
  });

  it("learns a better greedy policy from exploratory data than the behaviour policy's gain", () => {
    const { K } = scalarDlqr(0.9, 0.5, 1, 1, 0.9);
    const rng = new Rng(5, "behaviour");
    // behaviour policy: a poor gain (0.1) plus exploration noise
    const data = recordRollouts(plant(), (s) => Float64Array.of(-0.1 * s[0] + rng.normal(0, 0.4)), 60, 50, 11);
    const mpc = new QuadraticQ([0, 2, 0.2, 2], 0.9); // greedy gain 0.1
    const off = new OfflineQLearning(mpc, plant(), data, {
      seed: 1,
      discount: 0.9,
      optimizer: { kind: "newton", lr: 0.05 },
      replay: { size: 50, sample: 20 },
      evaluation: { every: 20, episodes: 3, steps: 50 },
    });
    for (let e = 0; e < data.length; e++) {
      off.beginEpisode(e);
      for (let k = 0; k < data[e].length; k++) off.step();
      off.endEpisode();
    }
    const t = mpc.getTheta();
    expect(Math.abs(t[2] / t[3] - K)).toBeLessThan(Math.abs(0.1 - K) / 2);
    expect(off.evaluations).toHaveLength(3);
    expect(off.evaluations.every((e) => Number.isFinite(e.cost))).toBe(true);
  });
});
