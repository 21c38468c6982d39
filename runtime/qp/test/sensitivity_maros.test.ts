// Derivatives on small Maros-Meszaros problems (../shared/data/qp/maros) at solutions of QpSolver
// (tight, polished), against central differences of the certified dense reference.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { qpFromJson } from "../io.js";
import { solveQp } from "../osqp.js";
import { QpSensitivity } from "../sensitivity.js";
import { dot, dotDirection, mulberry32, perturb, randomDirection, relErr, sidesFromDuals, solveWithActiveSet } from "./sensitivity_ref.js";

const marosDir = new URL("../../../../shared/data/qp/maros/", import.meta.url);

describe("QpSensitivity on Maros-Meszaros problems", () => {
  it.each(["HS118", "HS51", "HS76", "GENHS28", "DUAL1", "DUAL2", "DUAL4", "DPKLO1"])("%s: forward and adjoint match central differences", (name) => {
    const p = qpFromJson(JSON.parse(readFileSync(new URL(`${name}.json`, marosDir), "utf8")));
    const r = solveQp(p, { epsAbs: 1e-9, epsRel: 1e-9, polish: true, maxIter: 100000 });
    expect(r.status).toBe("solved");
    expect(r.polishStatus).toBe("success");
    const sens = new QpSensitivity(p, r.x, r.y);
    expect(sens.status, sens.message).toBe("ok");
    const side = sidesFromDuals(p, r.y);
    const rand = mulberry32(name.length * 7919);
    for (const parts of [{ dq: true, dl: true, du: true }, { dP: true, dA: true }]) {
      const d = randomDirection(p, rand, parts);
      const eps = 1e-6;
      const plus = solveWithActiveSet(perturb(p, d, eps), side);
      const minus = solveWithActiveSet(perturb(p, d, -eps), side);
      expect(plus.certified && minus.certified, plus.why + minus.why).toBe(true);
      const fdz = plus.z.map((v, j) => (v - minus.z[j]) / (2 * eps));
      const fdy = plus.y.map((v, i) => (v - minus.y[i]) / (2 * eps));
      const fw = sens.forward(d);
      expect(relErr(fw.dz, fdz, 1e-6)).toBeLessThan(1e-4);
      expect(relErr(fw.dy, fdy, 1e-6)).toBeLessThan(1e-4);
      const gz = Float64Array.from({ length: p.n }, () => 2 * rand() - 1);
      const fdL = dot(gz, fdz);
      expect(Math.abs(dotDirection(sens.adjoint(gz), d) - fdL)).toBeLessThan(1e-4 * Math.max(1e-6, Math.abs(fdL)));
    }
  });
});
