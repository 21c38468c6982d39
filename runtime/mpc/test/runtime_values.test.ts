// Runtime values (references, disturbance forecasts, prev(u)) of magnitude >= 1e20 are refused like
// a state of that size (bounds.ts `tooLargeRuntime`), declared range or not (finding: accepted
// without a range; with tiny.ts's rate limit prev_u - 0.1 <= u_0 <= prev_u + 0.1 at prev_u = 1e25
// the interior-point method answered primal_infeasible and ADMM, reading the row's bounds as
// infinite, broke down on NaN iterates, reported as a breakdown "at this state" (the state was
// 0.2); r = 1e25 was answered `solved`).

import { describe, expect, it } from "vitest";
import { MpcController } from "../controller.js";
import { runtimeValueViolation, runtimeVectorViolation } from "../bounds.js";
import type { RuntimeValues } from "../types.js";
import { tinyTemplate } from "./tiny.js";

type Call = (c: MpcController, rt: RuntimeValues) => { status: string; message?: string };
const calls: [string, Call][] = [
  ["act", (c, rt) => c.act([0.2], rt)],
  ["value", (c, rt) => c.value([0.2], rt)],
  ["qvalue", (c, rt) => c.qvalue([0.2], [0.1], rt)],
  ["gradValue", (c, rt) => c.gradValue([0.2], rt)],
  ["gradQvalue", (c, rt) => c.gradQvalue([0.2], [0.1], rt)],
  ["policySensitivity", (c, rt) => c.policySensitivity([0.2], rt)],
];

describe("a runtime value of magnitude >= 1e20 is invalid_input naming it, at every entry point", () => {
  for (const [name, call] of calls) {
    it(`${name}: prev_u (a bound of the rate row) and r without a declared range; nothing is written`, () => {
      const c = new MpcController(tinyTemplate({ rate: 0.1, noRange: true }));
      const fresh = new MpcController(tinyTemplate({ rate: 0.1, noRange: true }));
      for (const [rt, what] of [
        [{ prev_u: 1e25 }, "prev_u"],
        [{ prev_u: -1e20 }, "prev_u"],
        [{ r: 1e20 }, "r"],
        [{ r: [-3e300] }, "r"],
        [{ r: 0.5, prev_u: 1e21 }, "prev_u"],
      ] as const) {
        const res = call(c, rt);
        expect(res.status, JSON.stringify(rt)).toBe("invalid_input");
        expect(res.message).toMatch(new RegExp(`^runtime value \`${what}\` = \\S+ is too large for the solver: the QP's data are computed from it, and a value of magnitude >= 1e\\+20 means infinite there`));
      }
      // the refused values were not written: the next call (without runtime values) is a fresh controller's
      expect(c.value([0.2]).value).toBe(fresh.value([0.2]).value);
      expect(c.act([0.2]).u[0]).toBe(fresh.act([0.2]).u[0]);
      // below the limit the values are taken (a pinned prev_u of 9.9e19 makes the QP infeasible: a
      // verdict on a posed problem, not a refusal)
      expect(call(c, { r: 0.7 }).status).not.toBe("invalid_input");
      expect(c.value([0.2], { prev_u: 9.9e19 }).status).not.toBe("invalid_input");
    });
  }

  it("a declared range is checked first (its message unchanged); non-finite values as before", () => {
    const c = new MpcController(tinyTemplate());
    expect(c.value([0.2], { r: 1e25 }).message).toBe("runtime value `r` = 1e+25 is outside its declared range [0, 1]");
    expect(c.value([0.2], { r: NaN }).message).toBe("runtime value `r` is NaN, not a finite number");
    const layout = tinyTemplate({ noRange: true }).runtime[0];
    expect(runtimeValueViolation(layout, 9.99e19)).toBeNull();
    expect(runtimeValueViolation(layout, [-1e20])).toMatch(/^runtime value `r` = -100000000000000000000 is too large/);
  });

  it("a runtime vector by position (NmpcController's option and setRuntime): length, finiteness, size", () => {
    expect(runtimeVectorViolation([1, 2], 2)).toBeNull();
    expect(runtimeVectorViolation([1], 2)).toBe("runtime values have length 1, expected 2");
    expect(runtimeVectorViolation([1, Infinity], 2)).toBe("runtime value entry 1 is Infinity, not a finite number");
    expect(runtimeVectorViolation([1e20, 0], 2)).toMatch(/^runtime value entry 0 = 100000000000000000000 is too large for the solver/);
  });
});
