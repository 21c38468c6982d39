// The controller's exact active-set path on the Gros & Zanon closed loop: the same inputs, values
// and value gradients as the ADMM path (tight tolerances, polishing) on mpcrl's recorded nominal
// states, and the Q function at the greedy action equal to V (the same QP solution).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../compiler/index.js";

const data = new URL("../../../shared/data/anchors/", import.meta.url);
const nominal = JSON.parse(readFileSync(new URL("gz_nominal_mpcrl_5000.json", data), "utf8")) as { states: number[][] };
const src = readFileSync(new URL("linear_mpc.mpcrl", import.meta.url), "utf8");
const gz = compileToModule(src, { fileName: "linear_mpc.mpcrl" }).module!;

describe("active-set path on the Gros & Zanon closed loop", () => {
  it("gives the ADMM solutions (inputs, values, gradients) on 400 recorded states, mostly from the previous active set alone", () => {
    const exact = gz.createController({ firstInputBounds: "removed" });
    const admm = gz.createController({ firstInputBounds: "removed", activeSet: false, settings: { epsAbs: 1e-9, epsRel: 1e-9 } });
    let compared = 0;
    for (let k = 0; k < 400; k++) {
      const s = nominal.states[k];
      const a = exact.act(s);
      const b = admm.act(s);
      expect(a.status).toBe("solved");
      if (b.status !== "solved") continue;
      compared++;
      expect(Math.abs(a.u[0] - b.u[0])).toBeLessThan(1e-6);
      expect(Math.abs(a.value - b.value)).toBeLessThan(1e-6 * (1 + Math.abs(b.value)));
      if (k % 20 === 0) {
        const ga = exact.gradValue(s);
        const gb = admm.gradValue(s);
        for (let i = 0; i < ga.grad.length; i++) expect(Math.abs(ga.grad[i] - gb.grad[i])).toBeLessThan(1e-5 * (1 + Math.abs(gb.grad[i])));
      }
    }
    expect(compared).toBe(400);
    // the ADMM fallback is rare: the working set of the last solve is usually right
    expect(exact.stats.admm).toBeLessThan(10);
    expect(exact.stats.factorizations / (exact.stats.activeSet + exact.stats.admm)).toBeLessThan(4);
  });

  it("Q(s, pi(s)) = V(s) with the same gradient", () => {
    const c = gz.createController({ firstInputBounds: "removed" });
    for (const k of [0, 17, 123, 321]) {
      const s = nominal.states[k];
      const a = c.act(s);
      const gv = c.gradValue(s);
      const gq = c.gradQvalue(s, a.u);
      expect(Math.abs(gq.value - gv.value)).toBeLessThan(1e-9 * (1 + Math.abs(gv.value)));
      for (let i = 0; i < gv.grad.length; i++) expect(Math.abs(gq.grad[i] - gv.grad[i])).toBeLessThan(1e-7 * (1 + Math.abs(gv.grad[i])));
    }
  });
});
