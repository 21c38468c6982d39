// The one KKT layer in the controller: after `act` / `qvalue`, the derivative calls at the same
// state (and input), theta and runtime values reuse that solve, and `policySensitivity` adopts the
// active-set solver's final factorization instead of factoring again. Results equal those of the
// path without reuse (re-solve and the sensitivity's own, equilibrated factorization) to 1e-12.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../../compiler/index.js";
import { ActiveKkt } from "../../qp/kkt.js";

const data = new URL("../../../../shared/data/anchors/", import.meta.url);
const nominal = JSON.parse(readFileSync(new URL("gz_nominal_mpcrl_5000.json", data), "utf8")) as { states: number[][] };
const src = readFileSync(new URL("../../../examples/gros_zanon/linear_mpc.mpcrl", import.meta.url), "utf8");
const gz = compileToModule(src, { fileName: "linear_mpc.mpcrl" }).module!;

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return d;
}

describe("factorization reuse (MpcController + QpSensitivity on ActiveKkt)", () => {
  it("act then policySensitivity and gradValue at the same state: no new solve or factorization, results equal the non-reused path to 1e-12", () => {
    const reuse = gz.createController();
    const fresh = gz.createController({ reuseFactorization: false });
    let adopted = 0;
    for (let k = 0; k < 60; k++) {
      const s = nominal.states[k];
      const a = reuse.act(s);
      const b = fresh.act(s);
      expect(a.status).toBe("solved");
      expect(Array.from(a.u)).toEqual(Array.from(b.u));
      const solves = reuse.stats.activeSet + reuse.stats.admm;
      const factorizations = reuse.stats.factorizations;
      const total = ActiveKkt.factorizations;
      const before = { ...reuse.stats };
      const sa = reuse.policySensitivity(s);
      const reusedTotal = ActiveKkt.factorizations;
      const sb = fresh.policySensitivity(s);
      expect(sa.ok).toBe(true);
      expect(sb.ok).toBe(true);
      // the V solve of act was reused: no solve, no active-set factorization
      expect(reuse.stats.activeSet + reuse.stats.admm).toBe(solves);
      expect(reuse.stats.factorizations).toBe(factorizations);
      expect(reuse.stats.reusedSolves).toBe(before.reusedSolves + 1);
      if (reuse.stats.reusedFactorizations > before.reusedFactorizations) {
        // the sensitivity adopted the active-set factorization: no factorization at all
        adopted++;
        expect(reuse.stats.sensitivityFactorizations).toBe(before.sensitivityFactorizations);
        expect(reusedTotal).toBe(total);
      }
      expect(maxRelDiff(sa.u, sb.u)).toBeLessThanOrEqual(1e-12);
      expect(maxRelDiff(sa.jacobian, sb.jacobian)).toBeLessThanOrEqual(1e-12);
      const ga = reuse.gradValue(s);
      const gb = fresh.gradValue(s);
      expect(reuse.stats.reusedSolves).toBe(before.reusedSolves + 2);
      expect(maxRelDiff(ga.grad, gb.grad)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(ga.value - gb.value)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(gb.value)));
    }
    // the controller without reuse factors in QpSensitivity every time
    expect(fresh.stats.reusedSolves).toBe(0);
    expect(fresh.stats.reusedFactorizations).toBe(0);
    expect(fresh.stats.sensitivityFactorizations).toBeGreaterThanOrEqual(60);
    // on the GZ loop the active set's factorization is (almost) always the one the sensitivity needs
    expect(adopted).toBeGreaterThanOrEqual(55);
  });

  it("qvalue then gradQvalue at the same (s, a) reuses the Q solve; gradQvalue at another input or theta solves again, and back at the solve's theta reuses it", () => {
    const c = gz.createController();
    const ref = gz.createController({ reuseFactorization: false });
    const s = nominal.states[3];
    const a = c.act(s).u;
    const input = [a[0] + 0.01];
    c.qvalue(s, input);
    const solves = c.stats.activeSet + c.stats.admm;
    const g1 = c.gradQvalue(s, input);
    expect(c.stats.activeSet + c.stats.admm).toBe(solves);
    expect(c.stats.reusedSolves).toBe(1);
    ref.act(s);
    const r1 = ref.gradQvalue(s, input);
    expect(maxRelDiff(g1.grad, r1.grad)).toBeLessThanOrEqual(1e-12);
    // another input: a new solve
    c.gradQvalue(s, [input[0] + 0.01]);
    expect(c.stats.reusedSolves).toBe(1);
    expect(c.stats.activeSet + c.stats.admm).toBe(solves + 1);
    // theta's values key the last solve: other values solve again ...
    const theta = c.getTheta();
    const other = Float64Array.from(theta);
    other[0] += 0.1; // V0
    c.qvalue(s, input);
    c.setTheta(other);
    c.gradQvalue(s, input);
    expect(c.stats.reusedSolves).toBe(1);
    // ... and a solve made with other values serves a later call once they are set again, with no
    // solve in the mode since (a learner that tries candidate parameters and keeps them)
    c.setTheta(theta);
    c.qvalue(s, input);
    c.setTheta(other);
    c.setTheta(theta);
    const g2 = c.gradQvalue(s, input);
    expect(c.stats.reusedSolves).toBe(2);
    expect(maxRelDiff(g2.grad, r1.grad)).toBeLessThanOrEqual(1e-12);
    // a new runtime value or state invalidates; an unchanged runtime value does not
    c.act(s);
    c.policySensitivity(nominal.states[4]);
    expect(c.stats.reusedSolves).toBe(2);
    c.act(s);
    c.policySensitivity(s, {});
    expect(c.stats.reusedSolves).toBe(3);
  });

  it("a factorization refactored by its owner after adoption is noticed: forward/adjoint redo the analysis with their own", () => {
    const c = gz.createController();
    const s = nominal.states[10];
    c.act(s);
    const j1 = c.policySensitivity(s).jacobian;
    expect(c.stats.reusedFactorizations).toBe(1);
    // the same state after another solve: no reuse, but the same answer
    c.act(nominal.states[11]);
    const j2 = c.policySensitivity(s).jacobian;
    expect(maxRelDiff(j1, j2)).toBeLessThanOrEqual(1e-12);
  });
});
