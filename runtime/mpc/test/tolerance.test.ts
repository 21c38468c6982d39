// The controller accepts an active-set walk's working set at its own KKT tolerance (kktTolerance,
// default 1e-6) instead of the solver's default 1e-9: on the discounted Gros & Zanon horizon the
// walks then stop chasing the tiny violations of degenerate arcs, and the actions agree with those
// of a controller verifying at 1e-9 to far below that tolerance, from the same states.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../../compiler/index.js";
import { RecordedDisturbance } from "../../plants/disturbance.js";

const data = new URL("../../../../shared/data/anchors/", import.meta.url);
const anchor = JSON.parse(readFileSync(new URL("gz_qlearning_mpcrl_5000.json", data), "utf8")) as { noise_e: number[] };
const src = readFileSync(new URL("../../../examples/gros_zanon/linear_mpc.mpcrl", import.meta.url), "utf8");

describe("the active-set tolerance of MpcController", () => {
  it("at kktTolerance 1e-6 gives the actions and values of a 1e-9 controller (u_0 within 1e-7, V within 1e-9 relative) with fewer working sets, horizon 80", () => {
    const { module } = compileToModule(src.replace("horizon 10", "horizon 80"), { fileName: "linear_mpc.mpcrl" });
    if (module === undefined || module.createPlant === undefined) throw new Error("the example must compile with its plant");
    const strict = module.createController({ firstInputBounds: "removed", kktTolerance: 1e-9 });
    const loose = module.createController({ firstInputBounds: "removed" });
    const plant = module.createPlant({ disturbance: new RecordedDisturbance(anchor.noise_e.map((e) => [e, 0])) });
    let s = plant.reset(0);
    let du = 0;
    let dv = 0;
    for (let k = 0; k < 200; k++) {
      const a = strict.act(s);
      const b = loose.act(s);
      expect(a.status).toBe("solved");
      expect(b.status).toBe("solved");
      du = Math.max(du, Math.abs(a.u[0] - b.u[0]));
      dv = Math.max(dv, Math.abs(a.value - b.value) / Math.max(1, Math.abs(a.value)));
      s = plant.step(a.u).observation;
    }
    expect(du).toBeLessThanOrEqual(1e-7);
    expect(dv).toBeLessThanOrEqual(1e-9);
    // the same states, the same warm starts' logic: the looser verification needs fewer sets
    expect(loose.stats.factorizations).toBeLessThan(strict.stats.factorizations);
    expect(loose.stats.interiorPoint).toBeLessThanOrEqual(strict.stats.interiorPoint);
  });
});
