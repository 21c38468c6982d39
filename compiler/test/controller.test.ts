// Properties of the runtime MpcController on compiled controllers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dataLayout } from "../../runtime/mpc/template.js";
import { compileToModule } from "../index.js";
import { readRepo } from "./helpers.js";

const gz = compileToModule(readRepo("examples/gros_zanon/linear_mpc.mpcrl")).module!;

describe("MpcController", () => {
  // On a controller with hard constraints and quadratic costs (degenerate points have measure zero;
  // with linear slack penalties, as in Gros & Zanon, trajectories rest on kinks where Q and V only
  // have subgradients), also skipping the points the policy sensitivity reports as degenerate.
  it("Q(s, pi(s)) = V(s) and their gradients agree at the optimal first input", () => {
    const smooth = compileToModule(`
controller Smooth {
  state x[2] in [-1, 1]
  input u[1] in [-0.5, 0.5]
  horizon 8
  learnable A[2,2] = [[1, 0.2], [0, 1]]
  learnable B[2,1] = [[0.02], [0.2]]
  learnable diag q[2] = [1, 0.5] in [0.01, 10]
  learnable r = 0.3 in [0.01, 10]
  learnable c[2] = [0, 0]
  dynamics x+ = A*x + B*u
  minimize stage quad(x, q) + r*u'*u + c'*x + terminal 5*x'*x
}
`).module!;
    const c = smooth.createController();
    let checked = 0;
    fc.assert(
      fc.property(fc.double({ min: -0.9, max: 0.9, noNaN: true }), fc.double({ min: -0.9, max: 0.9, noNaN: true }), (a, b) => {
        const s = [a, b];
        const act = c.act(s);
        fc.pre(act.status === "solved" && c.policySensitivity(s).ok);
        const q = c.gradQvalue(s, act.u);
        const v = c.gradValue(s);
        fc.pre(q.ok && v.ok);
        checked++;
        expect(Math.abs(q.value - v.value)).toBeLessThan(1e-6 * Math.max(1, Math.abs(v.value)));
        expect(Math.abs(act.value - v.value)).toBeLessThan(1e-6 * Math.max(1, Math.abs(v.value)));
        for (let i = 0; i < c.nTheta; i++) expect(Math.abs(q.grad[i] - v.grad[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(v.grad[i])));
      }),
      { seed: 20261205, numRuns: 40 },
    );
    expect(checked).toBeGreaterThan(20);
  });

  it("never returns NaN inputs: a failed solve falls back to the shifted plan, then to a clipped safe input", () => {
    const c = gz.createController({ settings: { maxIter: 1 }, refineTolerance: 0, activeSet: false });
    const r = c.act([0, 0.15]);
    expect(r.fallback).toBe(true);
    expect(Number.isFinite(r.u[0])).toBe(true);
    expect(Math.abs(r.u[0])).toBeLessThanOrEqual(1);
    expect(r.value).toBeNaN();
    const ok = gz.createController();
    const first = ok.act([0, 0.15]);
    expect(first.fallback).toBe(false);
  });

  it("first_input_bounds: removed pins any input; kept reports primal_infeasible outside the bounds", () => {
    const removed = gz.createController({ firstInputBounds: "removed" });
    const kept = gz.createController({ firstInputBounds: "kept" });
    expect(removed.qvalue([0.2, 0.1], [1.5]).ok).toBe(true);
    expect(kept.qvalue([0.2, 0.1], [1.5]).status).toBe("primal_infeasible");
    expect(kept.qvalue([0.2, 0.1], [0.5]).value).toBeCloseTo(removed.qvalue([0.2, 0.1], [0.5]).value, 8);
  });

  it("setTheta refuses non-finite or wrongly sized theta and keeps the old one", () => {
    const c = gz.createController();
    const before = c.getTheta();
    expect(() => c.setTheta(new Float64Array(3))).toThrow(/length/);
    const bad = Float64Array.from(before);
    bad[2] = NaN;
    expect(() => c.setTheta(bad)).toThrow(/finite/);
    expect(c.getTheta()).toEqual(before);
  });

  it("runtime values are checked by name and size", () => {
    const rate = compileToModule(`
controller C {
  state x[1]
  input u[1] in [-5, 5]
  horizon 3
  runtime r = 1
  dynamics x+ = x + u
  minimize stage (x - r)'*(x - r) + u'*u
}
`).module!;
    const c = rate.createController();
    expect(() => c.act([0], { r: [1, 2] })).toThrow(/entries/);
    const v1 = c.value([0], { r: 1 }).value;
    const v2 = c.value([0], { r: 2 }).value;
    expect(v2).toBeGreaterThan(v1);
    // the default is restored only by passing it again (values persist between calls)
    expect(c.value([0]).value).toBeCloseTo(v2, 10);
  });
});

// A disturbance forecast has one value per stage k = 0..N-1 (the stages whose dynamics it enters);
// a statement evaluated at stage N reads the last one, d_{N-1} (docs/language.md, "Declarations"):
// held over the last step. The bound of a terminal constraint `x <= 1 + d` follows the forecast's
// last stage, and a constraint over 1..N reads d_k at k < N and d_{N-1} again at N.
describe("a disturbance at stage N reads the forecast of stage N-1", () => {
  const N = 4;
  const src = (constraint: string): string => `
controller C {
  state x[1]
  input u[1] in [-5, 5]
  disturbance d[1] = 0 in [-10, 10]
  horizon ${N}
  dynamics x+ = x + u + d
  minimize stage x'*x + u'*u
  subject to
    ${constraint}
}
`;
  /** The upper bounds of the rows that bound x_k alone (coefficient 1), by stage k, with the forecast d_k = 1 + k. */
  const boundsByStage = (constraint: string): Map<number, number> => {
    const out = compileToModule(src(constraint));
    expect(out.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const t = out.module!.template;
    const L = dataLayout(t);
    const slot = t.runtime.find((r) => r.name === "d")!;
    expect(slot.size).toBe(N);
    const runtime = new Float64Array(t.nRuntime);
    for (let k = 0; k < N; k++) runtime[slot.offset + k] = 1 + k;
    const data = new Float64Array(L.length);
    t.fill(t.theta0, runtime, data);
    const bounds = new Map<number, number>();
    const nnz = new Array<number>(t.m).fill(0);
    for (let col = 0; col < t.n; col++) for (let p = t.A.colPtr[col]; p < t.A.colPtr[col + 1]; p++) nnz[t.A.rowIdx[p]]++;
    for (let k = 1; k <= N; k++) {
      const col = t.stateOffset + k;
      for (let p = t.A.colPtr[col]; p < t.A.colPtr[col + 1]; p++) {
        const row = t.A.rowIdx[p];
        if (nnz[row] === 1 && data[L.A + p] === 1 && Number.isFinite(data[L.u + row]) && data[L.l + row] === -Infinity) bounds.set(k, data[L.u + row]);
      }
    }
    return bounds;
  };

  it("a terminal constraint `x <= 1 + d`: the bound is 1 + d_{N-1}", () => {
    expect([...boundsByStage("terminal x <= 1 + d")]).toEqual([[N, 1 + N]]);
  });

  it("over 1..N: d_k at stages 1..N-1, d_{N-1} again at N", () => {
    const b = boundsByStage("x <= 1 + d for k in 1..N");
    expect([...b.keys()].sort()).toEqual([1, 2, 3, 4]);
    for (let k = 1; k < N; k++) expect(b.get(k)).toBe(2 + k);
    expect(b.get(N)).toBe(1 + N);
  });
});
