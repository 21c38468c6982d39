// Learning on a long horizon stays inside what the controller can solve (issue 14): the Gros &
// Zanon Q-learning example with horizon 80 (and 320) instead of 10. Every update the learner accepts
// was validated on the state met next (the eager check, q_learning.ts): the next step's solves are
// exact (at 320: interior-point answers to the tolerance), never a solver failure or a fallback.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../../compiler/index.js";
import { controllerOptions, makeTrainer } from "../factory.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

describe("Q-learning on long horizons (80 and 320)", () => {
  it("never applies an update after which the next solve fails (200 steps, seeds 1 and 2)", () => {
    const source = readFileSync(`${root}examples/gros_zanon/linear_mpc.mpcrl`, "utf8").replace("  horizon 10\n", "  horizon 80\n");
    const live = compileToModule(source).module!;
    expect(live.ir.horizon).toBe(80);
    for (const seed of [1, 2]) {
      const spec = { ...live.trainConfig, steps: 200, seed };
      const mpc = live.createController(controllerOptions(spec));
      const trainer = makeTrainer(spec, mpc, live.createPlant!(), { seed, learn: true, inputLower: live.ir.u0Lower, inputUpper: live.ir.u0Upper });
      trainer.beginEpisode(0);
      let accepted = 0;
      let previousAccepted = false;
      for (let k = 0; k < 200; k++) {
        const r = trainer.step();
        if (previousAccepted) {
          expect(r.solverFailure, `step ${r.t} after an accepted update`).toBe(false);
          expect(r.fallback, `step ${r.t} after an accepted update`).toBe(false);
        }
        previousAccepted = r.updated && r.rejected === null;
        if (previousAccepted) accepted++;
        expect(trainer.getTheta().every(Number.isFinite)).toBe(true);
      }
      trainer.endEpisode();
      expect(accepted).toBeGreaterThan(150);
    }
  });

  it("horizon 320 (interior-point answers, the tail's curvature 0.9^k ~ 1e-15): every solve answered, none by ADMM; the eager check's Q solve is the next step's", () => {
    const source = readFileSync(`${root}examples/gros_zanon/linear_mpc.mpcrl`, "utf8").replace("  horizon 10\n", "  horizon 320\n");
    const live = compileToModule(source).module!;
    const spec = { ...live.trainConfig, steps: 12, seed: 69 };
    const mpc = live.createController(controllerOptions(spec));
    const trainer = makeTrainer(spec, mpc, live.createPlant!(), { seed: 69, learn: true, inputLower: live.ir.u0Lower, inputUpper: live.ir.u0Upper });
    trainer.beginEpisode(0);
    let accepted = 0;
    for (let k = 0; k < 12; k++) {
      const r = trainer.step();
      expect(r.solverFailure).toBe(false);
      expect(r.fallback).toBe(false);
      if (r.updated && r.rejected === null) accepted++;
    }
    const s = mpc.stats as { activeSet: number; interiorPoint: number; admm: number; factorizations: number; reusedSolves: number };
    // measured: 12 accepted updates, 0 ADMM fallbacks (ADMM answered 10 of 178 solves in 60 steps
    // before the interior-point method's regularization and gap test: runtime/qp/ipm.ts)
    expect(accepted).toBe(12);
    expect(s.admm).toBe(0);
    expect(s.interiorPoint).toBeGreaterThan(12);
    // from the fourth step on, Q's warm starts are given up (the interior-point method answers from
    // scratch) and the eager check solves the next step's Q, which that step reuses: measured 8
    // reused solves, 26 interior-point solves and 941 factorizations in 12 steps (0, 34 and 1151
    // when the check solved V; 1592 factorizations with the interior-point method's former fixed
    // regularization 1e-9 and per-row complementarity test)
    expect(mpc.qCheckSuffices([0.5])).toBe(true);
    // an action outside the first input's bounds [-1, 1] (first_input_bounds removed): Q solvable
    // there says nothing about V
    expect(mpc.qCheckSuffices([1.5])).toBe(false);
    expect(mpc.qCheckSuffices([Number.NaN])).toBe(false);
    expect(s.reusedSolves).toBeGreaterThanOrEqual(8);
    expect(s.interiorPoint).toBeLessThanOrEqual(28);
    expect(s.factorizations).toBeLessThanOrEqual(1000);
    // a derivative call right after an interior-point answer at the same point reuses it
    const x = [0.1, 0.05];
    const before = { ipm: s.interiorPoint, reused: (mpc.stats as { reusedSolves: number }).reusedSolves };
    const v = mpc.value(x);
    const g = mpc.gradValue(x);
    const after = mpc.stats as { interiorPoint: number; reusedSolves: number };
    expect(v.status).toBe("solved");
    expect(g.ok).toBe(true);
    expect(g.value).toBe(v.value);
    expect(after.interiorPoint).toBe(before.ipm + 1);
    expect(after.reusedSolves).toBe(before.reused + 1);
  });
});
