// The QP data as compiled, bounded over every admissible parameter inside `check`
// (compiler/lower/data_ranges.ts): specs whose source the checker accepts, but whose compiled data
// the runtime refuses at an admissible value (an rk4 step's or a zero-order hold's constant part,
// a zero-order hold's input gain), are rejected; each rejection is shown to be real by filling the
// compiled data at that value (the runtime's rule: a lower bound of 1e20 or more is +inf, data
// must be finite; runtime/qp/validate.ts), and near-misses stay accepted.

import { describe, expect, it } from "vitest";
import { check } from "../../language/index.js";
import { spec } from "../../language/test/soundness.specs.js";
import { dataLayout } from "../../runtime/mpc/template.js";
import { lowerChecked, verify } from "../index.js";

const continuous = (decls: string, rhs: string): string => spec(decls, "u'*u + x'*x").replace("x+ = x + u", `der(x) = ${rhs}`);
const errorCodes = (source: string): string[] => verify(source).diagnostics.filter((d) => d.severity === "error").map((d) => d.code);

/** What the runtime would refuse in the compiled data at theta = value (all entries). */
function refusedAt(source: string, value: number): string[] {
  const { program } = check(source);
  const t = lowerChecked(program, source, { skipNumericChecks: true }).template!;
  const L = dataLayout(t);
  const d = new Float64Array(L.length);
  t.fill(new Float64Array(t.nTheta).fill(value), new Float64Array(t.nRuntime), d);
  const out: string[] = [];
  for (let k = 0; k < L.l; k++) if (!Number.isFinite(d[k])) out.push(`datum ${k} = ${d[k]}`);
  for (let i = 0; i < t.m; i++) {
    if (d[L.l + i] >= 1e20) out.push(`row ${i}: lower bound ${d[L.l + i]}`);
    if (d[L.u + i] <= -1e20) out.push(`row ${i}: upper bound ${d[L.u + i]}`);
  }
  return out;
}

describe("the compiled QP data over the admissible parameters", () => {
  const rejected: { name: string; source: string; code: string; at: number }[] = [
    // one rk4 step of x' = x + u + b over 2 time units has constant part 6 b: at b = 6e19 a bound of 3.6e20
    { name: "an rk4 step's constant part with b unbounded", source: continuous("  timestep 2\n  learnable b = 0", "x + u + b using rk4"), code: "MPC4026", at: 6e19 },
    // a zero-order hold over 700 time units of x' = x + b u: Gd ~ e^700 ~ 1e304, so Gd b is infinite at b = 1e19
    { name: "a zero-order hold's input gain (red team 2)", source: continuous("  timestep 700\n  learnable b = 1 in [-1e19, 1e19]", "x + b*u using zoh"), code: "MPC4025", at: 1e19 },
    { name: "a zero-order hold's constant part", source: continuous("  timestep 3\n  learnable b = 0", "x + u + b using zoh"), code: "MPC4026", at: 6e19 },
  ];
  it("rejects a constant coefficient the checker could not bound (a 600 x 600 constant: too large to evaluate), infinite after discretization", () => {
    const source = continuous("  const big[600, 600] = ones(600, 600)\n  timestep 1e305", "-(ones(1, 600)*big*ones(600, 1))*x + u using euler");
    expect(check(source).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const d = verify(source).diagnostics.find((x) => x.code === "MPC4025");
    expect(d?.message).toBe("a constraint or dynamics coefficient of the compiled QP is not finite");
    expect(refusedAt(source, 0).length).toBeGreaterThan(0);
  });
  for (const c of rejected) {
    it(`rejects ${c.name} (${c.code}), which the runtime refuses at ${c.at}`, () => {
      expect(check(c.source).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(errorCodes(c.source)).toContain(c.code);
      expect(refusedAt(c.source, c.at).length).toBeGreaterThan(0);
    });
  }
  const accepted: { name: string; source: string }[] = [
    { name: "an rk4 step of a stable model with b unbounded", source: continuous("  timestep 0.1\n  learnable b = 0", "-x + u + b using rk4") },
    { name: "a zero-order hold with an unbounded input gain over a short step", source: continuous("  timestep 0.1\n  learnable b = 1", "x + b*u using zoh") },
    { name: "a zero-order hold's constant part b of a stable model", source: continuous("  timestep 0.1\n  learnable b = 0", "-x + u + b using zoh") },
  ];
  for (const c of accepted) {
    it(`accepts ${c.name}`, () => {
      expect(errorCodes(c.source)).toEqual([]);
    });
  }
  it("points at the statement the datum comes from, with its range", () => {
    const d = verify(rejected[0].source).diagnostics.find((x) => x.code === "MPC4026")!;
    expect(rejected[0].source.slice(d.span.start, d.span.end)).toMatch(/^dynamics der\(x\) = x \+ u \+ b using rk4/);
    expect(d.message).toMatch(/lower bound of the compiled QP may reach 1e20/);
    expect(d.label).toMatch(/ranges over \[-6e\+20, 6e\+20\]/);
    expect(d.help).toMatch(/bound the learnables/);
  });
});
