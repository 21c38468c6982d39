// Derivatives at solutions of the project's own QP solver, checked against central differences
// that re-solve the perturbed QP with the same solver at tight settings with polishing, and along
// the a_2state closed loop against the certified dense reference of sensitivity_ref.ts.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pinInitialState } from "../io.js";
import { QpSolver, solveQp } from "../osqp.js";
import { QpSensitivity } from "../sensitivity.js";
import type { QpProblem, QpResult } from "../types.js";
import {
  dataDir,
  dot,
  dotDirection,
  loadMpc,
  loadRef,
  mulberry32,
  perturb,
  randomDirection,
  randomQp,
  relErr,
  sidesFromDuals,
  solveWithActiveSet,
  withX0,
  type Direction,
} from "./sensitivity_ref.js";

const tight = { epsAbs: 1e-10, epsRel: 1e-10, polish: true, maxIter: 200000, polishRefineIter: 10 };

function solveTight(p: QpProblem): QpResult {
  const r = solveQp(p, tight);
  expect(r.status).toBe("solved");
  expect(r.polishStatus).toBe("success");
  return r;
}

function checkWithSolver(p: QpProblem, d: Direction, rand: () => number, eps: number): void {
  const r0 = solveTight(p);
  const sens = new QpSensitivity(p, r0.x, r0.y);
  expect(sens.status, sens.message).toBe("ok");
  const plus = solveTight(perturb(p, d, eps));
  const zp = Float64Array.from(plus.x);
  const yp = Float64Array.from(plus.y);
  const minus = solveTight(perturb(p, d, -eps));
  const fdz = zp.map((v, j) => (v - minus.x[j]) / (2 * eps));
  const fdy = yp.map((v, i) => (v - minus.y[i]) / (2 * eps));
  const fw = sens.forward(d);
  expect(relErr(fw.dz, fdz)).toBeLessThan(1e-4);
  expect(relErr(fw.dy, fdy)).toBeLessThan(1e-4);
  const gz = Float64Array.from({ length: p.n }, () => 2 * rand() - 1);
  const fdL = dot(gz, fdz);
  const adL = dotDirection(sens.adjoint(gz), d);
  expect(Math.abs(adL - fdL)).toBeLessThan(1e-4 * Math.max(1e-6, Math.abs(fdL)));
}

describe("QpSensitivity against finite differences of QpSolver (tight, polished)", () => {
  it("a_2state at the reference initial states, x0 direction and random q", () => {
    const base = loadMpc("a_2state");
    const rand = mulberry32(3);
    for (const tag of ["0.5_0.5", "0.8_0.2", "0.1_0.8"]) {
      const p = withX0(base, loadRef(`a_2state_x0_${tag}_reference.json`).x0);
      const dx0 = randomDirection(p, rand, {});
      dx0.dl[0] = dx0.du[0] = 0.7;
      dx0.dl[1] = dx0.du[1] = 0.3;
      checkWithSolver(p, dx0, rand, 1e-6);
      checkWithSolver(p, randomDirection(p, rand, { dq: true }), rand, 1e-6);
    }
  });

  it("c_quadrotor, random directions in q, l, u", () => {
    const p = loadMpc("c_quadrotor");
    const rand = mulberry32(4);
    checkWithSolver(p, randomDirection(p, rand, { dq: true, dl: true, du: true }), rand, 1e-6);
  });

  it("random QPs (equality rows, rows active at lower and upper bounds), all data", () => {
    for (const seed of [21, 22, 23]) {
      const { problem } = randomQp(seed);
      const rand = mulberry32(seed);
      checkWithSolver(problem, randomDirection(problem, rand, { dP: true, dq: true, dA: true, dl: true, du: true }), rand, 1e-6);
    }
  });
});

describe("QpSensitivity along the a_2state closed loop (QpSolver, tight + polish)", () => {
  it("never throws; every 'ok' step matches central differences in x0; degenerate steps say why", () => {
    const p = loadMpc("a_2state");
    const states = readFileSync(new URL("a_2state_closedloop_states_osqp_tight.txt", dataDir), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.trim().split(/\s+/).map(Number));
    const solver = new QpSolver(p, { epsAbs: 1e-6, epsRel: 1e-6, polish: true });
    const l = Float64Array.from(p.l);
    const u = Float64Array.from(p.u);
    let sens: QpSensitivity | undefined;
    const seen = new Map<string, number>();
    for (const x0 of states) {
      pinInitialState(p, x0, l, u);
      solver.updateBounds(l, u);
      const r = solver.solve();
      const pr: QpProblem = { ...p, l: Float64Array.from(l), u: Float64Array.from(u) };
      if (sens === undefined) sens = new QpSensitivity(pr, r.x, r.y);
      else sens.update(pr, r.x, r.y);
      seen.set(sens.status, (seen.get(sens.status) ?? 0) + 1);
      if (sens.status !== "ok") {
        expect(sens.message.length).toBeGreaterThan(0);
        continue;
      }
      const d = { dl: new Float64Array(p.m), du: new Float64Array(p.m) };
      d.dl[0] = d.du[0] = 1;
      d.dl[1] = d.du[1] = -0.5;
      const dir = { dP: new Float64Array(p.P.values.length), dq: new Float64Array(p.n), dA: new Float64Array(p.A.values.length), ...d };
      const side = sidesFromDuals(pr, r.y);
      const eps = 1e-7;
      const plus = solveWithActiveSet(perturb(pr, dir, eps), side);
      const minus = solveWithActiveSet(perturb(pr, dir, -eps), side);
      expect(plus.certified && minus.certified, plus.why + minus.why).toBe(true);
      const fd = plus.z.map((v, j) => (v - minus.z[j]) / (2 * eps));
      expect(relErr(sens.forward(d).dz, fd)).toBeLessThan(1e-4);
    }
    // the loop drives the state onto the bound x_1 >= 0 where the problem is degenerate
    expect(seen.get("ok") ?? 0).toBeGreaterThan(10);
    expect(seen.get("not_differentiable") ?? 0).toBeGreaterThan(10);
  });
});
