// Derivatives of QP solutions checked against central finite differences of an independent
// reference (dense solve on the perturbed problem, certified optimal by its KKT conditions), plus
// the forward/adjoint dot-product identity and the degenerate cases.

import { describe, expect, it } from "vitest";
import { QpSensitivity, ROW_EQUALITY, ROW_INACTIVE, ROW_LOWER, ROW_UPPER } from "../sensitivity.js";
import type { QpProblem } from "../types.js";
import {
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

/** Central differences of (z, y) along d, each side solved and certified independently. */
function centralDiff(p: QpProblem, side: Int8Array, d: Direction, eps: number): { dz: Float64Array; dy: Float64Array } {
  const plus = solveWithActiveSet(perturb(p, d, eps), side);
  const minus = solveWithActiveSet(perturb(p, d, -eps), side);
  expect(plus.certified, plus.why).toBe(true);
  expect(minus.certified, minus.why).toBe(true);
  const dz = plus.z.map((v, j) => (v - minus.z[j]) / (2 * eps));
  const dy = plus.y.map((v, i) => (v - minus.y[i]) / (2 * eps));
  return { dz, dy };
}

/** Checks forward mode and adjoint mode against central differences along d. */
function checkAgainstFd(p: QpProblem, z: ArrayLike<number>, y: ArrayLike<number>, d: Direction, rand: () => number, eps = 1e-6): void {
  const sens = new QpSensitivity(p, z, y);
  expect(sens.status, sens.message).toBe("ok");
  const side = sidesFromDuals(p, y);
  const fd = centralDiff(p, side, d, eps);
  const fw = sens.forward(d);
  expect(relErr(fw.dz, fd.dz)).toBeLessThan(1e-4);
  expect(relErr(fw.dy, fd.dy)).toBeLessThan(1e-4);
  // adjoint: the directional derivative of L = gz'z + gy'y along d equals <grad L, d>
  const gz = Float64Array.from({ length: p.n }, () => 2 * rand() - 1);
  const gy = Float64Array.from({ length: p.m }, () => 2 * rand() - 1);
  const grad = sens.adjoint(gz, gy);
  const fdL = dot(gz, fd.dz) + dot(gy, fd.dy);
  const adL = dotDirection(grad, d);
  expect(Math.abs(adL - fdL)).toBeLessThan(1e-4 * Math.max(1e-6, Math.abs(fdL)));
}

describe("QpSensitivity on random QPs with a known solution", () => {
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
  it.each(seeds)("seed %i: classification matches the construction", (seed) => {
    const { problem, z, y } = randomQp(seed);
    const sens = new QpSensitivity(problem, z, y);
    expect(sens.status).toBe("ok");
    for (let i = 0; i < problem.m; i++) {
      const expected = i < 2 ? ROW_EQUALITY : i < 4 ? ROW_LOWER : i < 6 ? ROW_UPPER : ROW_INACTIVE;
      expect(sens.rowState[i]).toBe(expected);
    }
    expect(sens.activeCount).toBe(6);
  });

  it.each(seeds)("seed %i: forward and adjoint agree with central differences (all data)", (seed) => {
    const { problem, z, y } = randomQp(seed);
    const rand = mulberry32(1000 + seed);
    for (const parts of [{ dq: true }, { dl: true, du: true }, { dP: true }, { dA: true }, { dP: true, dq: true, dA: true, dl: true, du: true }]) {
      checkAgainstFd(problem, z, y, randomDirection(problem, rand, parts), rand);
    }
  });

  it.each(seeds)("seed %i: dot-product test <gz, dz> + <gy, dy> = <adjoint(gz, gy), d>", (seed) => {
    const { problem, z, y } = randomQp(seed);
    const rand = mulberry32(2000 + seed);
    const sens = new QpSensitivity(problem, z, y);
    for (let rep = 0; rep < 3; rep++) {
      const d = randomDirection(problem, rand, { dP: true, dq: true, dA: true, dl: true, du: true });
      // independent dl/du on equality rows too: the convention must be consistent both ways
      for (let i = 0; i < problem.m; i++) if (Number.isFinite(problem.u[i])) d.du[i] = 2 * rand() - 1;
      const gz = Float64Array.from({ length: problem.n }, () => 2 * rand() - 1);
      const gy = Float64Array.from({ length: problem.m }, () => 2 * rand() - 1);
      const fw = sens.forward(d);
      const lhs = dot(gz, fw.dz) + dot(gy, fw.dy);
      const rhs = dotDirection(sens.adjoint(gz, gy), d);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10 * Math.max(1, Math.abs(lhs)));
    }
  });

  it("inactive rows have zero dy and zero gradients of their data", () => {
    const { problem, z, y } = randomQp(11);
    const sens = new QpSensitivity(problem, z, y);
    const rand = mulberry32(5);
    const fw = sens.forward(randomDirection(problem, rand, { dq: true, dA: true }));
    const g = sens.adjoint(Float64Array.from({ length: problem.n }, () => rand() - 0.5));
    for (let i = 6; i < problem.m; i++) {
      expect(fw.dy[i]).toBe(0);
      expect(g.dl[i]).toBe(0);
      expect(g.du[i]).toBe(0);
    }
    for (let j = 0; j < problem.n; j++) {
      for (let k = problem.A.colPtr[j]; k < problem.A.colPtr[j + 1]; k++) {
        if (problem.A.rowIdx[k] >= 6) expect(g.dA[k]).toBe(0);
      }
    }
  });
});

describe("QpSensitivity on the shared MPC problems", () => {
  const aCases = ["0.5_0.5", "0.8_0.2", "0.3_-0.3", "0.1_0.8"];
  it.each(aCases)("a_2state x0 = %s: derivatives match central differences", (tag) => {
    const base = loadMpc("a_2state");
    const ref = loadRef(`a_2state_x0_${tag}_reference.json`);
    expect(ref.status).toBe("optimal");
    const p = withX0(base, ref.x0);
    const rand = mulberry32(77);
    // the initial state (the controller's main use), then random q, P, A directions
    const dx0 = randomDirection(p, rand, {});
    dx0.dl[0] = dx0.du[0] = 1;
    dx0.dl[1] = dx0.du[1] = -0.5;
    checkAgainstFd(p, ref.x, ref.y, dx0, rand);
    checkAgainstFd(p, ref.x, ref.y, randomDirection(p, rand, { dq: true }), rand);
    checkAgainstFd(p, ref.x, ref.y, randomDirection(p, rand, { dP: true, dA: true }), rand);
  });

  it.each(["c_quadrotor", "b_random12x4"])("%s: derivatives match central differences", (name) => {
    const p = loadMpc(name);
    const ref = loadRef(name === "c_quadrotor" ? "c_quadrotor_x0_0_reference.json" : "b_random12x4_x0_recipe_reference.json");
    expect(ref.status).toBe("optimal");
    const rand = mulberry32(name.length);
    for (let rep = 0; rep < 2; rep++) {
      checkAgainstFd(p, ref.x, ref.y, randomDirection(p, rand, { dq: true, dl: true, du: true }), rand);
    }
    checkAgainstFd(p, ref.x, ref.y, randomDirection(p, rand, { dP: true, dA: true }), rand, 1e-7);
  });

  it("a_2state x0 = [1, -0.5] (non-unique duals): reported, and one-sided derivative for x0 moving inside", () => {
    const base = loadMpc("a_2state");
    const ref = loadRef("a_2state_x0_1_-0.5_reference.json");
    expect(ref.status).toBe("optimal");
    const p = withX0(base, ref.x0);
    const sens = new QpSensitivity(p, ref.x, ref.y);
    // x0[0] = 1 sits on the bound x_0[0] <= 1, a row dependent on the row that pins x0[0]
    expect(sens.status).toBe("not_differentiable");
    expect(sens.dependentCount).toBe(1);
    expect(sens.message).toMatch(/multipliers not unique/);
    expect(new QpSensitivity(p, ref.x, ref.y, { maxDependentDrops: 0 }).status).toBe("singular");
    // x0[0] decreasing (rows hold -x0, so l = u increase there) frees the bound: right derivative
    const d = randomDirection(p, mulberry32(9), {});
    d.dl[0] = d.du[0] = 1;
    d.dl[1] = d.du[1] = 0.25;
    const side = sidesFromDuals(p, ref.y);
    for (let i = 0; i < p.m; i++) if (sens.dependentRows[i]) side[i] = 0;
    const t = 1e-6;
    const at0 = solveWithActiveSet(p, side);
    const plus = solveWithActiveSet(perturb(p, d, t), side);
    expect(at0.certified, at0.why).toBe(true);
    expect(plus.certified, plus.why).toBe(true);
    const oneSided = plus.z.map((v, j) => (v - at0.z[j]) / t);
    expect(relErr(sens.forward(d).dz, oneSided)).toBeLessThan(1e-4);
  });
});
