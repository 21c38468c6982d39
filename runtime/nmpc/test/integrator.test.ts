// RK4 / Euler steps with forward sensitivities and the second-order adjoint Hessian
// (integrator.ts) against central finite differences; hand-written model Jacobians against
// hyper-dual numbers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StepIntegrator } from "../integrator.js";
import type { Integrator } from "../types.js";
import { cartpoleDynamics, cartpoleDynamicsHessian, cartpoleHd, cstrScaledDynamics, cstrScaledHd, cstrScaledHessian } from "./models.js";
import { jacobianOf } from "./hyperdual.js";

const rt = new Float64Array(0);

function split(w: number[], nx: number, nu: number): [Float64Array, Float64Array, Float64Array] {
  return [Float64Array.from(w.slice(0, nx)), Float64Array.from(w.slice(nx, nx + nu)), Float64Array.from(w.slice(nx + nu))];
}

function checkJacobians(make: () => StepIntegrator, w0: number[], scale: number[], tol: number): void {
  const integ = make();
  const { nx, nu, nTheta, nw } = integ;
  const [x, u, th] = split(w0, nx, nu);
  const out = integ.step(x, u, th, rt);
  const J = (i: number, j: number): number =>
    j < nx ? out.fx[i * nx + j] : j < nx + nu ? out.fu[i * nu + j - nx] : out.ftheta[i * nTheta + j - nx - nu];
  const Jc = Array.from({ length: nx }, (_, i) => Array.from({ length: nw }, (_, j) => J(i, j)));
  const other = make();
  for (let j = 0; j < nw; j++) {
    const h = 1e-6 * scale[j];
    const wp = w0.slice();
    const wm = w0.slice();
    wp[j] += h;
    wm[j] -= h;
    const fp = Float64Array.from(other.step(...split(wp, nx, nu), rt).f);
    const fm = Float64Array.from(other.step(...split(wm, nx, nu), rt).f);
    for (let i = 0; i < nx; i++) {
      const fd = (fp[i] - fm[i]) / (2 * h);
      expect(Math.abs(fd - Jc[i][j])).toBeLessThanOrEqual(tol * (1 + Math.abs(fd)));
    }
  }
}

function checkHessian(make: () => StepIntegrator, w0: number[], lambda: number[], scale: number[], tol: number): void {
  const integ = make();
  const { nx, nu, nTheta, nw } = integ;
  integ.step(...split(w0, nx, nu), rt);
  const H = new Float64Array(nw * nw);
  expect(integ.hessian(lambda, H)).toBe(true);
  // central differences of the gradient lambda'J
  const other = make();
  const grad = (w: number[]): number[] => {
    const o = other.step(...split(w, nx, nu), rt);
    const g = new Array<number>(nw).fill(0);
    for (let i = 0; i < nx; i++)
      for (let j = 0; j < nw; j++) {
        const v = j < nx ? o.fx[i * nx + j] : j < nx + nu ? o.fu[i * nu + j - nx] : o.ftheta[i * nTheta + j - nx - nu];
        g[j] += lambda[i] * v;
      }
    return g;
  };
  let hmax = 1;
  for (let t = 0; t < nw * nw; t++) hmax = Math.max(hmax, Math.abs(H[t]));
  for (let j = 0; j < nw; j++) {
    const h = 1e-5 * scale[j];
    const wp = w0.slice();
    const wm = w0.slice();
    wp[j] += h;
    wm[j] -= h;
    const gp = grad(wp);
    const gm = grad(wm);
    for (let i = 0; i < nw; i++) {
      const fd = (gp[i] - gm[i]) / (2 * h);
      expect(Math.abs(fd - H[i * nw + j])).toBeLessThanOrEqual(tol * hmax);
    }
  }
  for (let i = 0; i < nw; i++) for (let j = 0; j < nw; j++) expect(H[i * nw + j]).toBeCloseTo(H[j * nw + i], 10);
}

const kinds: Integrator[] = [
  { kind: "rk4", dt: 0.02, substeps: 1 },
  { kind: "rk4", dt: 0.05, substeps: 3 },
  { kind: "euler", dt: 0.02, substeps: 4 },
];

describe("StepIntegrator", () => {
  it("hand-written cart-pole and CSTR Jacobians equal hyper-dual ones", () => {
    const cp = { f: new Float64Array(4), fx: new Float64Array(16), fu: new Float64Array(4), ftheta: new Float64Array(12) };
    const w = [0.3, -0.2, 0.7, 1.1, 3.0, 0.1, 0.5, 0.2];
    cartpoleDynamics(Float64Array.from(w.slice(0, 4)), Float64Array.of(w[4]), Float64Array.from(w.slice(5)), rt, cp);
    const J = jacobianOf(cartpoleHd, w);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) expect(cp.fx[i * 4 + j]).toBeCloseTo(J[i][j], 12);
      expect(cp.fu[i]).toBeCloseTo(J[i][4], 12);
      for (let j = 0; j < 3; j++) expect(cp.ftheta[i * 3 + j]).toBeCloseTo(J[i][5 + j], 12);
    }
    const cs = { f: new Float64Array(4), fx: new Float64Array(16), fu: new Float64Array(8), ftheta: new Float64Array(12) };
    const v = [0.8, 0.5, 1.3414, 1.3, 0.1, -0.5, 1.02, 0.97, 0.6];
    cstrScaledDynamics(Float64Array.from(v.slice(0, 4)), Float64Array.from(v.slice(4, 6)), Float64Array.from(v.slice(6)), rt, cs);
    const Jc = jacobianOf(cstrScaledHd, v);
    for (let i = 0; i < 4; i++) {
      expect(cs.f[i]).toBeCloseTo(cstrScaledHd(v.map((a) => ({ a, b: 0, c: 0, d: 0 }) as never))[i].a, 10);
      const rel = (a: number, b: number): number => Math.abs(a - b) / (1 + Math.abs(b));
      for (let j = 0; j < 4; j++) expect(rel(cs.fx[i * 4 + j], Jc[i][j])).toBeLessThan(1e-12);
      for (let j = 0; j < 2; j++) expect(rel(cs.fu[i * 2 + j], Jc[i][4 + j])).toBeLessThan(1e-12);
      for (let j = 0; j < 3; j++) expect(rel(cs.ftheta[i * 3 + j], Jc[i][6 + j])).toBeLessThan(1e-12);
    }
  });

  for (const spec of kinds) {
    it(`${spec.kind} x${spec.kind === "discrete" ? 1 : spec.substeps}: Jacobians and Hessian vs central differences (cart-pole)`, () => {
      const make = (): StepIntegrator => new StepIntegrator(4, 1, 3, cartpoleDynamics, spec, cartpoleDynamicsHessian);
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 9, maxLength: 9 }),
          (r) => {
            const w0 = [r[0], r[1], 2 * r[2], 2 * r[3], 8 * r[4], 0.1 + 0.05 * r[5], 0.5 + 0.2 * r[6], 0.1 * r[7]];
            checkJacobians(make, w0, [1, 1, 1, 1, 1, 0.1, 0.1, 1], 1e-7);
            checkHessian(make, w0, [1, -0.5, 0.3, r[8]], [1, 1, 1, 1, 1, 0.1, 0.1, 1], 1e-6);
          },
        ),
        { seed: 42, numRuns: 10 },
      );
    });
  }

  it("CSTR (scaled, stiff exponentials): RK4 Jacobians and Hessian vs central differences", () => {
    const make = (): StepIntegrator => new StepIntegrator(4, 2, 3, cstrScaledDynamics, { kind: "rk4", dt: 0.005, substeps: 2 }, cstrScaledHessian);
    const w0 = [0.8, 0.5, 1.3414, 1.3, 0.2, -1.5, 1, 1, 0.6];
    const scale = [1, 1, 1, 1, 1, 1, 1, 1, 1];
    checkJacobians(make, w0, scale, 1e-7);
    checkHessian(make, w0, [0.7, -1.2, 0.4, 0.9], scale, 1e-6);
  });

  it("a non-finite stage value does not poison the next steps (the stage-0 point is the state itself)", () => {
    // x' = exp(x) - 1 + u overflows at x = 800; the same integrator must then still give finite values
    const f = (x: Float64Array, u: Float64Array, _t: Float64Array, _r: Float64Array, o: { f: Float64Array; fx: Float64Array; fu: Float64Array; ftheta: Float64Array }): void => {
      o.f[0] = Math.exp(x[0]) - 1 + u[0];
      o.fx[0] = Math.exp(x[0]);
      o.fu[0] = 1;
    };
    const integ = new StepIntegrator(1, 1, 0, f, { kind: "rk4", dt: 0.1, substeps: 2 });
    const none = new Float64Array(0);
    const first = Array.from(integ.step(Float64Array.of(0.5), Float64Array.of(0), none, none).f);
    expect(Number.isFinite(integ.step(Float64Array.of(800), Float64Array.of(0), none, none).f[0])).toBe(false);
    const again = integ.step(Float64Array.of(0.5), Float64Array.of(0), none, none);
    expect(Array.from(again.f)).toEqual(first);
    expect(Number.isFinite(again.fx[0])).toBe(true);
  });

  it("a discrete model is its own map", () => {
    const integ = new StepIntegrator(4, 1, 3, cartpoleDynamics, { kind: "discrete" }, cartpoleDynamicsHessian);
    const x = Float64Array.of(0.1, 0.2, 0.3, 0.4);
    const out = integ.step(x, Float64Array.of(1), Float64Array.of(0.1, 0.5, 0), rt);
    expect(out.f[0]).toBe(0.2);
  });
});
