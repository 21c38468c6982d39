// Specs written to reproduce the shared MPC QPs compile to controllers with the reference optima
// (cvxopt, tolerance 1e-10) and first inputs; infeasible cases report primal_infeasible.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../index.js";
import { readJson, readRepo, sharedData } from "./helpers.js";

interface Ref {
  x0: number[];
  lp_feasible: boolean;
  cvxopt: { status: string; x: number[] | null; obj: number };
}
interface Problem {
  u0_slice: [number, number];
  r: number;
}

const cases: [string, string, string][] = [
  ["a_2state", "examples/a_2state/a_2state.mpcrl", "a_2state.json"],
  ["c_quadrotor", "examples/quadrotor/quadrotor.mpcrl", "c_quadrotor.json"],
];

describe.each(cases)("%s", (prefix, specPath, problemFile) => {
  const { module, diagnostics } = compileToModule(readRepo(specPath), { fileName: specPath });
  const problem = readJson<Problem>(`${sharedData}qp/mpc/${problemFile}`);
  const refs = readdirSync(`${sharedData}qp/mpc/refs`).filter((f) => f.startsWith(`${prefix}_x0`));

  it("compiles without errors", () => {
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(module).toBeDefined();
  });

  it.each(refs)("%s", (file) => {
    const ref = readJson<Ref>(`${sharedData}qp/mpc/refs/${file}`);
    const c = module!.createController();
    const act = c.act(ref.x0);
    if (!ref.lp_feasible) {
      expect(act.status).toBe("primal_infeasible");
      expect(act.fallback).toBe(true);
      return;
    }
    expect(act.status).toBe("solved");
    // The spec's cost has no constant term beyond the reference's r (0 here).
    const refObj = ref.cvxopt.obj + problem.r;
    expect(Math.abs(act.value - refObj) / Math.max(1, Math.abs(refObj))).toBeLessThan(1e-6);
    const [a, b] = problem.u0_slice;
    const uRef = ref.cvxopt.x!.slice(a, b);
    for (let j = 0; j < uRef.length; j++) expect(Math.abs(act.u[j] - uRef[j])).toBeLessThan(1e-5);
    // value() is the same optimum
    expect(Math.abs(c.value(ref.x0).value - refObj) / Math.max(1, Math.abs(refObj))).toBeLessThan(1e-6);
  });
});
