// The shared MPC reference solutions (cvxopt, tolerance 1e-10): ../shared/data/qp/mpc/refs.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pinInitialState } from "../io.js";
import { QpSolver } from "../osqp.js";
import { dataDir, loadQp } from "./helpers.js";

interface Ref {
  x0: number[];
  lp_feasible: boolean;
  cvxopt: { status: string; x: number[] | null; y: number[] | null; obj: number };
  /** Native OSQP 1.0 with default settings on the same case (reference_summary.json's source). */
  osqp_default: { status: string; iter: number; obj: number };
}

const refDir = `${dataDir}mpc/refs/`;
const cases = readdirSync(refDir).filter((f) => f.endsWith("_reference.json")).sort();

describe("MPC reference solutions", () => {
  it("finds all nine reference cases", () => {
    expect(cases.length).toBe(9);
  });
  for (const f of cases) {
    const ref = JSON.parse(readFileSync(refDir + f, "utf8")) as Ref;
    const prob = loadQp(`mpc/${f.split("_x0")[0]}.json`);
    const l = prob.l.slice(), u = prob.u.slice();
    pinInitialState(prob, ref.x0, l, u);
    const problem = { ...prob, l, u };
    if (ref.lp_feasible) {
      it(`${f}: tight settings match objective (1e-6 rel) and solution (1e-5)`, () => {
        const r = new QpSolver(problem, { epsAbs: 1e-6, epsRel: 1e-6, polish: true }).solve();
        expect(r.status).toBe("solved");
        expect(Math.abs(r.objective + prob.r - ref.cvxopt.obj)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ref.cvxopt.obj)));
        const x = ref.cvxopt.x as number[];
        for (let j = 0; j < prob.n; j++) expect(Math.abs(r.x[j] - x[j])).toBeLessThanOrEqual(1e-5);
        if (f.includes("x0_1_-0.5")) {
          // degenerate: the dual solution is not unique; polishing may fail, and says so
          expect(["success", "failed"]).toContain(r.polishStatus);
        } else {
          expect(r.polishStatus).toBe("success");
        }
      });
      it(`${f}: default settings take native OSQP's iterations and reach its accuracy`, () => {
        const r = new QpSolver(problem).solve();
        expect(r.status).toBe("solved");
        expect(r.iterations).toBe(ref.osqp_default.iter);
        // native's own error against cvxopt (up to 7.4e-4 relative on b_random12x4) is the bar
        const scale = Math.max(1, Math.abs(ref.cvxopt.obj));
        const nativeErr = Math.abs(ref.osqp_default.obj - ref.cvxopt.obj);
        expect(Math.abs(r.objective + prob.r - ref.cvxopt.obj)).toBeLessThanOrEqual(1.01 * nativeErr + 1e-9 * scale);
      });
    } else {
      it(`${f}: reported primal infeasible with a valid certificate`, () => {
        for (const settings of [{}, { epsAbs: 1e-6, epsRel: 1e-6, polish: true }]) {
          const r = new QpSolver(problem, settings).solve();
          expect(r.status).toBe("primal_infeasible");
          const c = r.primalInfeasibilityCertificate as Float64Array;
          // A'y ~ 0 and u'y+ + l'y- < 0
          const aty = new Float64Array(prob.n);
          let sup = 0;
          for (let j = 0; j < prob.n; j++) for (let p = prob.A.colPtr[j]; p < prob.A.colPtr[j + 1]; p++) aty[j] += prob.A.values[p] * c[prob.A.rowIdx[p]];
          for (let i = 0; i < prob.m; i++) sup += c[i] > 0 ? u[i] * c[i] : c[i] < 0 ? l[i] * c[i] : 0;
          expect(Math.max(...Array.from(aty, Math.abs))).toBeLessThan(1e-4);
          expect(sup).toBeLessThan(0);
        }
      });
    }
  }
});

interface NativeRun {
  case: string;
  lp_feasible: boolean;
  osqp_default_status: string;
  osqp_default_iter: number;
  osqp_tight_status: string;
  osqp_tight_iter: number;
}

describe("fidelity to native OSQP 1.0 (reference_summary.json)", () => {
  const summary = JSON.parse(readFileSync(`${dataDir}mpc/reference_summary.json`, "utf8")) as NativeRun[];
  for (const run of summary.filter((c) => c.lp_feasible)) {
    it(`${run.case}: same status and iteration count at default and tight settings`, () => {
      const [name, x0text] = run.case.split("_x0=");
      const prob = loadQp(`mpc/${name}.json`);
      const l = prob.l.slice(), u = prob.u.slice();
      const x0 = x0text === "recipe" || x0text === "0" ? Array.from(prob.x0 ?? []) : x0text.split(",").map(Number);
      pinInitialState(prob, x0, l, u);
      const def = new QpSolver({ ...prob, l, u }).solve();
      expect(def.status).toBe(run.osqp_default_status);
      expect(def.iterations).toBe(run.osqp_default_iter);
      const tight = new QpSolver({ ...prob, l, u }, { epsAbs: 1e-6, epsRel: 1e-6, polish: true }).solve();
      expect(tight.status).toBe(run.osqp_tight_status);
      expect(tight.iterations).toBe(run.osqp_tight_iter);
    });
  }
});
