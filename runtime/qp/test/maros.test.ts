// A fast subset of the Maros-Meszaros set (the whole set runs in `npm run bench:qp`): solved,
// objective within 1e-4 relative of the reference (constant r included), tight settings.

import { describe, expect, it } from "vitest";
import { QpSolver } from "../osqp.js";
import { loadQp } from "./helpers.js";

const tight = { epsAbs: 1e-6, epsRel: 1e-6, polish: true, maxIter: 100000 };
const fast = [
  "DPKLO1", "DUAL1", "DUAL2", "DUAL4", "DUALC1", "DUALC5", "DUALC8", "GENHS28", "GOULDQP3",
  "HS118", "HS21", "HS35", "HS35MOD", "HS51", "HS52", "HS53", "HS76", "LOTSCHD", "QAFIRO",
  "QPTEST", "QSC205", "ZECEVIC2", "CVXQP2_S",
];

describe("Maros-Meszaros fast subset", () => {
  for (const name of fast) {
    it(`${name}: solved to the reference objective`, () => {
      const p = loadQp(`maros/${name}.json`);
      const r = new QpSolver(p, tight).solve();
      expect(r.status).toBe("solved");
      const ref = p.objectiveReference as number;
      expect(Math.abs(r.objective + p.r - ref)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ref)));
    });
  }
  // native OSQP 1.0 reports all five dual/primal infeasible although they have finite optima
  // (ANCHORS.md section 2): none of them may get an infeasibility verdict from us
  for (const name of ["PRIMALC1", "PRIMALC2", "PRIMALC5", "PRIMALC8", "QPCBOEI2"]) {
    it(`${name}: no wrong infeasibility verdict within 4000 iterations`, () => {
      const p = loadQp(`maros/${name}.json`);
      const r = new QpSolver(p, { ...tight, maxIter: 4000 }).solve();
      expect(r.status).not.toBe("dual_infeasible");
      expect(r.status).not.toBe("primal_infeasible");
    });
  }
});
