// Compiled controllers at extreme states and with huge runtime values: every call ends within a
// bounded number of working sets and iterations (counted by the controller's statistics, never
// timed) with a status and a message; runtime values of magnitude >= 1e20 are refused naming them.

import { describe, expect, it } from "vitest";
import type { CompiledModule, NlpModule } from "../../compiler/index.js";
import { MpcController } from "../mpc/controller.js";
import { ENTRY_POINTS, loadExample } from "./load_example.js";
import { NonlinearMpc } from "../nmpc/learnable.js";

const load = loadExample;
const gz = load("examples/gros_zanon/linear_mpc.mpcrl") as CompiledModule;
const tracking = load("examples/rate_tracking/rate_tracking.mpcrl") as CompiledModule;
const cstr = load("examples/cstr/cstr.mpcrl") as NlpModule;

/** The controller's own budgets (controller.ts): warm sets, crossover sets, ADMM iterations. */
const WARM_SETS = 100;
const CROSSOVER_SETS = 100;
/** Interior-point factorizations of one of these solves (14 to 16 measured; its own cap is 100
 *  iterations) and ADMM's maxIter (defaultMpcSettings), with its one cold retry. */
const IPM_FACTORIZATIONS = 50;
const ADMM_ITERATIONS = 2 * 20000;

const calls = ENTRY_POINTS;
const EXTREME = [[1e9, 0.1], [1e10, 0], [1e11, 0], [1e12, 0], [-1e12, 0.3], [1e13, 0.1], [1e14, 0], [0, 1e10], [3e13, -1e13]];

describe("states of 1e9 to 1e14 (finding: three walks of 100 inconsistent working sets each before solved_inaccurate)", () => {
  for (const [name, call] of calls) {
    it(`${name}: one crossover fewer, a status and a message, within the budgets`, () => {
      for (const s of EXTREME) {
        const c = gz.createController() as MpcController;
        const r = call(c, s);
        const what = `${JSON.stringify(s)}: ${r.status} ${r.message ?? ""} ${JSON.stringify(c.stats)}`;
        expect(["solved", "solved_inaccurate", "invalid_input"], what).toContain(r.status);
        if (r.status !== "solved") expect(r.message, what).toMatch(/\S/);
        // the warm walk and at most one crossover (the interior-point method's); ADMM's answer gets
        // none after the interior-point point missed a row's own scale (before: 316 sets and
        // factorizations, now 216 to 217)
        expect(c.stats.factorizations, what).toBeLessThanOrEqual(WARM_SETS + CROSSOVER_SETS + IPM_FACTORIZATIONS);
        expect(c.stats.admm, what).toBeLessThanOrEqual(1);
        if (r.iterations !== undefined) expect(r.iterations, what).toBeLessThanOrEqual(ADMM_ITERATIONS + WARM_SETS + 2 * CROSSOVER_SETS);
      }
    });
  }

  it("in sequence on one controller (the walks' failures counted across calls): the same bounds per call, fewer once the walks are given up", () => {
    const c = gz.createController() as MpcController;
    let before = 0;
    const perCall: number[] = [];
    for (let k = 0; k < 24; k++) {
      const s = EXTREME[k % EXTREME.length];
      const a = c.act(s);
      expect(["solved", "solved_inaccurate"]).toContain(a.status);
      if (a.status !== "solved") expect(a.message).toMatch(/own scale/);
      perCall.push(c.stats.factorizations - before);
      before = c.stats.factorizations;
    }
    for (const n of perCall) expect(n).toBeLessThanOrEqual(WARM_SETS + CROSSOVER_SETS + IPM_FACTORIZATIONS);
    // after 3 failures of each kind the walks get 8 sets, then only probes
    expect(Math.max(...perCall.slice(8))).toBeLessThan(WARM_SETS);
  });

  it("an accepted inaccurate answer says why (before: acceptInaccurate answers had no message)", () => {
    const c = gz.createController({ acceptInaccurate: true }) as MpcController;
    const a = c.act([1e10, 0]);
    expect(a.status).toBe("solved_inaccurate");
    expect(a.fallback).toBe(false);
    expect(a.message).toMatch(/on that (row|variable)'s own scale/);
    const v = c.value([1e10, 0]);
    expect(v.ok).toBe(true);
    expect(v.message).toMatch(/own scale/);
    // ordinary states: solved, no message, as before
    const o = c.act([0.5, 0.1]);
    expect(o.status).toBe("solved");
    expect(o.message).toBeUndefined();
  });
});

describe("runtime values of magnitude >= 1e20 in compiled controllers (finding: accepted without a declared range)", () => {
  it("linear: a disturbance forecast entry of 1e25 is invalid_input naming it (before: a numeric breakdown blamed on the state 0.1)", () => {
    const c = tracking.createController() as MpcController;
    const fresh = tracking.createController() as MpcController;
    const d = new Array(30).fill(0);
    d[29] = 1e25;
    for (const r of [c.act([0.1, 0.1], { d }), c.value([0.1, 0.1], { d }), c.gradValue([0.1, 0.1], { d }), c.policySensitivity([0.1, 0.1], { d }), c.qvalue([0.1, 0.1], [0], { d }), c.gradQvalue([0.1, 0.1], [0], { d })]) {
      expect(r.status).toBe("invalid_input");
      expect(r.message).toMatch(/^runtime value `d\[29\]` = 1e\+25 is too large for the solver/);
    }
    expect(c.act([0.1, 0.1], { r: [-1e21, 0] }).message).toMatch(/^runtime value `r\[0\]` = -1e\+21 is too large/);
    // nothing was written
    expect(c.act([0.1, 0.1]).u[0]).toBe(fresh.act([0.1, 0.1]).u[0]);
  });

  it("nonlinear: prev_F of 1e25 is invalid_input at every entry point; NmpcController.setRuntime throws naming the entry and keeps its values", () => {
    const S = [0.8, 0.5, 134.14, 130];
    const c = cstr.createController() as NonlinearMpc;
    const fresh = cstr.createController() as NonlinearMpc;
    const rt = { prev_F: [1e25] };
    for (const r of [c.act(S, rt), c.value(S, rt), c.qvalue(S, [10, -1000], rt), c.gradValue(S, rt), c.gradQvalue(S, [10, -1000], rt), c.policySensitivity(S, rt)]) {
      expect(r.status).toBe("invalid_input");
      expect(r.message).toMatch(/^runtime value `prev_F` = 1e\+25 is too large for the solver/);
    }
    expect(c.value(S).value).toBe(fresh.value(S).value);
    const n = c.template.runtime.reduce((k, r) => k + r.size, 0);
    expect(() => c.nlp.setRuntime(new Array(n).fill(1e20))).toThrow(/^runtime value entry 0 = 100000000000000000000 is too large for the solver/);
    expect(() => c.nlp.setRuntime([NaN, 0].slice(0, n))).toThrow(RangeError);
    expect(() => c.nlp.setRuntime(new Array(n + 1).fill(0))).toThrow(/^runtime values have length/);
    expect(c.value(S).value).toBe(fresh.value(S).value);
  });
});
