// Short run of the CSTR's Bayesian optimization (cstr_bayesopt.mpcrl): the spec compiles to a
// nonlinear controller, and a few short evaluations solve every step and keep the tuned weight and
// back-off inside their boxes.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../compiler/index.js";
import { makeTrainer } from "../../runtime/learn/factory.js";

describe("cstr_bayesopt.mpcrl", () => {
  it("runs 3 short Bayesian-optimization episodes without a solver failure, inside the boxes", () => {
    const live = compileToModule(readFileSync(new URL("cstr_bayesopt.mpcrl", import.meta.url), "utf8")).nlpModule!;
    const spec = { ...live.trainConfig, episodes: 3, steps: 20, initialDesign: 2 };
    const mpc = live.createController();
    const trainer = makeTrainer(spec, mpc, live.createPlant!(), { seed: 1, learn: true, inputLower: [5, -8500], inputUpper: [100, 0] });
    for (let e = 0; e < 3; e++) {
      trainer.beginEpisode(e);
      for (let k = 0; k < 20; k++) expect(trainer.step().solverFailure).toBe(false);
      trainer.endEpisode();
      const [wF, backoff] = Array.from(trainer.getTheta());
      expect(wF).toBeGreaterThanOrEqual(0.001);
      expect(wF).toBeLessThanOrEqual(1);
      expect(backoff).toBeGreaterThanOrEqual(0);
      expect(backoff).toBeLessThanOrEqual(10);
    }
  });
});
