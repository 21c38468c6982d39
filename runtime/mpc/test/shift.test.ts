// The receding-horizon shift of the working set (shift.ts): the row map on a compiled template,
// and the closed loop it warm starts, whose actions equal those of cold solves (a fresh controller
// per state) while it needs fewer working sets.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../../compiler/index.js";
import { learnSplit, rowStages, shiftHead, stageShift, shiftWorkingSet } from "../shift.js";
import { QLearning } from "../../learn/q_learning.js";
import { RecordedDisturbance } from "../../plants/disturbance.js";

const data = new URL("../../../../shared/data/anchors/", import.meta.url);
const anchor = JSON.parse(readFileSync(new URL("gz_qlearning_mpcrl_5000.json", data), "utf8")) as { noise_e: number[] };
const src = readFileSync(new URL("../../../examples/gros_zanon/linear_mpc.mpcrl", import.meta.url), "utf8");

function gzWithHorizon(N: number) {
  const { module } = compileToModule(src.replace("horizon 10", `horizon ${N}`), { fileName: "linear_mpc.mpcrl" });
  if (module === undefined) throw new Error("the example must compile");
  return module;
}

/** Columns of each row of A. */
function rowColumns(t: ReturnType<typeof gzWithHorizon>["template"]): number[][] {
  const rows: number[][] = Array.from({ length: t.m }, () => []);
  for (let j = 0; j < t.n; j++) for (let p = t.A.colPtr[j]; p < t.A.colPtr[j + 1]; p++) rows[t.A.rowIdx[p]].push(j);
  return rows;
}

describe("stageShift", () => {
  it("maps each row to the row of the same role one stage later (states +nx, inputs +nu, its own next slack), and last-stage rows to -1", () => {
    const t = gzWithHorizon(6).template;
    const shift = stageShift(t);
    const rows = rowColumns(t);
    const xEnd = t.stateOffset + (t.horizon + 1) * t.nx;
    const uEnd = t.inputOffset + t.horizon * t.nu;
    let mapped = 0;
    for (let r = 0; r < t.m; r++) {
      const s = shift[r];
      if (s < 0) continue;
      mapped++;
      const moved = rows[r].filter((j) => j < uEnd).map((j) => (j < xEnd ? j + t.nx : j + t.nu));
      expect(rows[s].filter((j) => j < uEnd)).toEqual(moved);
      // slack rows keep their slack count; the slack itself is a different one
      expect(rows[s].filter((j) => j >= t.slackOffset).length).toBe(rows[r].filter((j) => j >= t.slackOffset).length);
      if (rows[r].some((j) => j >= t.slackOffset)) expect(rows[s].find((j) => j >= t.slackOffset)).not.toBe(rows[r].find((j) => j >= t.slackOffset));
    }
    // GZ: per stage 2 dynamics rows, 1 input-bound row, and 2 x (2 soft sides + 1 slack sign) rows;
    // everything but the last stage's rows (and the x0 rows, whose look-alikes are the bound rows) maps
    expect(mapped).toBeGreaterThan(0.7 * t.m);
    for (const r of [...t.x0Rows, ...t.u0Rows]) expect(shift[r]).toBe(-1);
    const last = t.horizon;
    for (let r = 0; r < t.m; r++) {
      const stages = rows[r].filter((j) => j < xEnd).map((j) => Math.floor((j - t.stateOffset) / t.nx));
      if (stages.length > 0 && Math.max(...stages) === last) expect(shift[r]).toBe(-1);
    }
  });

  it("shiftWorkingSet moves flags one stage earlier and keeps rows without a successor", () => {
    const shift = Int32Array.from([1, 2, -1, -1]);
    const out = new Int8Array(4);
    shiftWorkingSet(Int8Array.from([0, 1, -1, 1]), shift, out);
    expect(Array.from(out)).toEqual([1, -1, -1, 1]);
  });
});

describe("shifting the first stages only", () => {
  // six rows of stages 0, 0, 1, 1, 2 and an unstaged one (placed after the last stage, 3)
  const stage = Int32Array.from([0, 0, 1, 1, 2, 3]);
  const unshifted = Int8Array.from([0, 1, 1, 0, -1, 1]);
  const shifted = Int8Array.from([1, 1, 0, 0, 0, 1]);

  it("shiftHead takes the shifted flags below the split and the unshifted ones from it on", () => {
    const out = new Int8Array(6);
    shiftHead(unshifted, shifted, stage, 1, out);
    expect(Array.from(out)).toEqual([1, 1, 1, 0, -1, 1]);
    shiftHead(unshifted, shifted, stage, 4, out);
    expect(Array.from(out)).toEqual(Array.from(shifted));
    shiftHead(unshifted, shifted, stage, 0, out);
    expect(Array.from(out)).toEqual(Array.from(unshifted));
  });

  it("learnSplit picks the split with the fewest misses, ties to the most shift, and weighs older solves by the decay", () => {
    const work = new Int32Array(8);
    // the optimal set agrees with the shifted flags on stage 0 and with the unshifted ones after it
    const final = Int8Array.from([1, 1, 1, 0, -1, 1]);
    const cost = new Float64Array(5);
    expect(learnSplit(final, unshifted, shifted, stage, work, cost, 0.8)).toBe(1);
    // misses of splits 0..4: 1 (row 0), 0, 1 (row 2), 2 (row 4 too), 2
    expect(Array.from(cost)).toEqual([1, 0, 1, 2, 2]);
    // then a final set equal to the shifted one: new misses of splits 0..4 are 3, 2, 1, 0, 0, added
    // to 0.8 x the old costs: 3.8, 2, 1.8, 1.6, 1.6 (the tie goes to the larger split)
    expect(learnSplit(Int8Array.from(shifted), unshifted, shifted, stage, work, cost, 0.8)).toBe(4);
    expect(Array.from(cost).map((c) => Math.round(c * 10) / 10)).toEqual([3.8, 2, 1.8, 1.6, 1.6]);
    // with no memory, a final set equal to the unshifted flags gives split 0 at once
    expect(learnSplit(Int8Array.from(unshifted), unshifted, shifted, stage, work, new Float64Array(5), 0)).toBe(0);
  });
});

describe("closed loop warm started from the shifted working set", () => {
  /** Closed loop from the warm controller's actions; beside each step, a fresh controller's cold solve of the same state. */
  function warmAndCold(N: number, steps: number) {
    const gz = gzWithHorizon(N);
    const mpc = gz.createController({ firstInputBounds: "removed" });
    const plant = gz.createPlant!({ disturbance: new RecordedDisturbance(anchor.noise_e.map((e) => [e, 0])) });
    let state = Float64Array.from(plant.reset(0));
    let coldFactorizations = 0;
    let maxDu = 0;
    for (let k = 0; k < steps; k++) {
      const warm = mpc.act(state);
      const fresh = gz.createController({ firstInputBounds: "removed" });
      const cold = fresh.act(state);
      coldFactorizations += fresh.stats.factorizations;
      expect(warm.status).toBe("solved");
      expect(cold.status).toBe("solved");
      maxDu = Math.max(maxDu, Math.abs(warm.u[0] - cold.u[0]));
      state = Float64Array.from(plant.step(warm.u).observation);
    }
    return { stats: mpc.stats, coldFactorizations, maxDu };
  }

  it("gives the actions of cold solves to 1e-9 (Gros & Zanon, N = 20, 150 steps)", () => {
    const r = warmAndCold(20, 150);
    expect(r.maxDu).toBeLessThanOrEqual(1e-9);
    expect(r.stats.shiftedGuesses).toBeGreaterThan(30);
    expect(r.stats.admm).toBe(0);
    // measured: 276 factorizations warm, 219 cold. Cold solves start from the empty set, which the
    // solver completes with the slacks' bounds (blockFlatColumns); on a horizon this short that
    // guess is as good as the shifted one, and both stay under two factorizations per step
    expect(r.stats.factorizations).toBeLessThan(2 * 150);
    expect(r.coldFactorizations).toBeLessThan(2 * 150);
  });

  it("needs far fewer factorizations than cold solves on a long horizon (N = 80, 100 steps)", () => {
    const r = warmAndCold(80, 100);
    // the cold solves that leave the walk for the interior-point fallback end within the
    // controller's KKT tolerance (1e-6) of the same point: measured |du| up to 3.5e-9
    expect(r.maxDu).toBeLessThanOrEqual(1e-8);
    expect(r.stats.admm).toBe(0);
    // measured: 295 factorizations warm against 1120 cold
    expect(r.stats.factorizations).toBeLessThan(0.5 * r.coldFactorizations);
  });
});

describe("rowStages", () => {
  it("gives each row the stage of its state / input columns (a slack's rows theirs)", () => {
    const t = gzWithHorizon(6).template;
    const stage = rowStages(t);
    const cols = rowColumns(t);
    const stageOfColumn = (j: number): number => {
      if (j >= t.stateOffset && j < t.stateOffset + (t.horizon + 1) * t.nx) return Math.floor((j - t.stateOffset) / t.nx);
      if (j >= t.inputOffset && j < t.inputOffset + t.horizon * t.nu) return Math.floor((j - t.inputOffset) / t.nu);
      return -1;
    };
    for (let r = 0; r < t.m; r++) {
      const own = Math.max(...cols[r].map(stageOfColumn));
      // a row of states or inputs: their largest stage; a slack's own row (slack >= 0): its rows' stage
      if (own >= 0) expect(stage[r]).toBe(own);
      else expect(stage[r]).toBeGreaterThanOrEqual(1);
    }
    for (const r of t.x0Rows) expect(stage[r]).toBe(0);
  });
});

describe("a long discounted horizon (Gros & Zanon, N = 160)", () => {
  it("warm walks in stage order settle without the interior-point method at almost every step, with the actions of cold solves", () => {
    const gz = gzWithHorizon(160);
    const mpc = gz.createController({ firstInputBounds: "removed" });
    const plant = gz.createPlant!({ disturbance: new RecordedDisturbance(anchor.noise_e.map((e) => [e, 0])) });
    let state = Float64Array.from(plant.reset(0));
    for (let k = 0; k < 60; k++) {
      const warm = mpc.act(state);
      expect(warm.status).toBe("solved");
      if (k % 20 === 19) {
        const cold = gz.createController({ firstInputBounds: "removed" }).act(state);
        expect(Math.abs(warm.u[0] - cold.u[0])).toBeLessThanOrEqual(1e-7);
      }
      state = Float64Array.from(plant.step(warm.u).observation);
    }
    // measured: no interior-point solve (the cold first one included) and 642 working sets in 60
    // steps; corrections of the most violated row first needed the IPM at about half the steps
    expect(mpc.stats.interiorPoint).toBeLessThanOrEqual(2);
    expect(mpc.stats.factorizations).toBeLessThanOrEqual(900);
    expect(mpc.stats.admm).toBe(0);
  });
});

describe("Q-learning on a long discounted horizon (Gros & Zanon, N = 80)", () => {
  it("keeps the exact solutions of cold solves while the warm sets follow the parameter updates", () => {
    const gz = gzWithHorizon(80);
    const mpc = gz.createController({ firstInputBounds: "removed" });
    const plant = gz.createPlant!({ disturbance: new RecordedDisturbance(anchor.noise_e.map((e) => [e, 0])) });
    const learner = new QLearning(mpc, plant, { seed: 69, optimizer: { kind: "newton", lr: 5e-2 }, replay: { size: 1, sample: 1 } });
    learner.beginEpisode(0);
    let updates = 0;
    for (let k = 0; k < 60; k++) {
      const r = learner.step();
      if (r.updated && r.rejected === null) updates++;
      if (k % 15 === 14) {
        // at this step's state with the learned parameters, against a cold controller's action
        const fresh = gz.createController({ firstInputBounds: "removed", theta: mpc.getTheta() });
        const s = Float64Array.from(r.state);
        expect(Math.abs(mpc.act(s).u[0] - fresh.act(s).u[0])).toBeLessThanOrEqual(1e-7);
      }
    }
    expect(updates).toBeGreaterThan(40);
    // measured: 902 working sets and 3 interior-point solves in 60 steps (three solves each: Q(s, a),
    // V(s'), the validator's V(s') with the candidate; and the four checks); shifting every stage of
    // the warm sets took 1730 and 11: the rows deep in the discounted horizon keep their stage when
    // the parameters move (shift.ts learnSplit)
    expect(mpc.stats.factorizations).toBeLessThanOrEqual(1200);
    expect(mpc.stats.interiorPoint).toBeLessThanOrEqual(8);
    expect(mpc.stats.admm).toBe(0);
  });
});
