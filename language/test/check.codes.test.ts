// The checker on whole files: every invalid fixture under fixtures/check reports the code its
// name starts with (independently of the golden rendering), valid fixtures and the shipped
// examples check clean, and suggestions/edits are attached where the docs promise them.

import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { check, type Diagnostic } from "../index.js";
import { specFiles } from "./spec_files.js";

const fixturesDir = fileURLToPath(new URL("./fixtures/check/", import.meta.url));
const examplesDir = fileURLToPath(new URL("../../examples/", import.meta.url));

/** Example folders written for the checker: these have no warnings either. */
const CHECKER_EXAMPLES = ["a_2state/", "quadrotor/", "double_integrator/", "rate_tracking/", "pendulum_offline/"];

const diagnosticsOf = (file: string): readonly Diagnostic[] => check(readFileSync(file, "utf8")).diagnostics;
const source = (text: string): string => text;

describe("check fixtures report their code", () => {
  const fixtures = specFiles(fixturesDir);
  it("has a fixture for every checker code family and at least 35 in all", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(35);
    for (const family of ["2", "3", "4", "5"]) expect(fixtures.some((f) => relative(fixturesDir, f).startsWith(`mpc${family}`))).toBe(true);
  });
  for (const file of fixtures) {
    const name = relative(fixturesDir, file);
    const m = /^mpc(\d{4})_/.exec(name);
    it(name, () => {
      const diags = diagnosticsOf(file);
      if (m) expect(diags.map((d) => d.code)).toContain(`MPC${m[1]}`);
      else expect(diags).toEqual([]); // valid_*: no diagnostics at all
      // No syntax errors: the checker fixtures exercise the checker only.
      expect(diags.filter((d) => d.code.startsWith("MPC1"))).toEqual([]);
      expect(diags.filter((d) => d.code === "MPC2999")).toEqual([]);
    });
  }
});

describe("examples check clean", () => {
  const examples = specFiles(examplesDir);
  it("ships the required examples", () => {
    const names = examples.map((f) => relative(examplesDir, f).split("\\").join("/"));
    for (const n of ["gros_zanon/linear_mpc.mpcrl", "a_2state/a_2state.mpcrl", "quadrotor/quadrotor.mpcrl"]) expect(names).toContain(n);
  });
  for (const file of examples) {
    const name = relative(examplesDir, file);
    it(name, () => {
      const diags = diagnosticsOf(file);
      expect(diags.filter((d) => d.severity === "error")).toEqual([]);
      const rel = name.split("\\").join("/");
      if (rel === "gros_zanon/linear_mpc.mpcrl") {
        // mpcrl's bound offsets x_lb, x_ub are unbounded: lb <= ub cannot be proven (one warning).
        expect(diags.map((d) => d.code)).toEqual(["MPC4008"]);
      } else if (CHECKER_EXAMPLES.some((dir) => rel.startsWith(dir))) expect(diags).toEqual([]);
    });
  }
  it("the examples together use every construct", () => {
    const all = examples.map((f) => source(readFileSync(f, "utf8"))).join("\n");
    const constructs = [
      /der\(/, /using zoh/, /using rk4/, /timestep/, /prev\(u\)/, /runtime /, /disturbance /, /param /, /let /,
      /learnable diag/, /learnable factor/, /learnable psd/, /soft .*penalty.*quadratic/, /terminal [^q]/, /for k in/,
      /algorithm q_learning/, /algorithm dpg/, /algorithm bayesopt/, /algorithm offline_q/, /dataset /,
      /sin\(/, /cos\(/, /exp\(/, /sqrt\(/, /abs\(/, /max\(/, /min\(/, /normal\(/, /uniform\(/, /dlqr\(/, /reward /,
      /episode \d/, /discount /, /==/, /\.\//, /norm1\(/, /sumsq\(/, /quad\(/, /sum\(/, /eye\(/, /I\(2\)/, /zeros\(/, /ones\(/,
    ];
    for (const c of constructs) expect(all, String(c)).toMatch(c);
  });
});

describe("help and suggested edits", () => {
  const at = (text: string, code: string): Diagnostic => {
    const d = check(text).diagnostics.find((x) => x.code === code);
    if (!d) throw new Error(`no ${code} in: ${check(text).diagnostics.map((x) => x.code).join(", ")}`);
    return d;
  };
  const base = (body: string): string => `controller C {
  state x[2]
  input u[1] in [-1, 1]
  learnable x_lb[2] = [0, 0]
  horizon 5
  dynamics x+ = x + [[0], [0.1]]*u
${body}
}`;

  it("an undefined name suggests the similar one, with an edit over the exact name", () => {
    const text = base("  minimize stage sumsq(x)\n  subject to\n    x_lbb <= x");
    const d = at(text, "MPC2001");
    expect(d.help).toContain("`x_lb`");
    expect(text.slice(d.span.start, d.span.end)).toBe("x_lbb");
    expect(d.edits?.[0]?.newText).toBe("x_lb");
  });

  it("a learnable free weight gets the L*L' help and edits that make it a factor", () => {
    const text = `controller C {
  state x[2]
  input u[1] in [-1, 1]
  learnable Q[2,2] = [[1, 0], [0, 1]]
  horizon 5
  dynamics x+ = x + [[0], [0.1]]*u
  minimize stage quad(x, Q) + sumsq(u)
}`;
    const d = at(text, "MPC4003");
    expect(d.help).toMatch(/L\*L'/);
    const newTexts = (d.edits ?? []).map((e) => e.newText);
    expect(newTexts).toContain("Q*Q'");
    expect(newTexts).toContain("learnable factor");
    // Applying the edits gives a spec without the error.
    const edits = [...(d.edits ?? [])].sort((a, b) => b.span.start - a.span.start);
    let fixed = text;
    for (const e of edits) fixed = fixed.slice(0, e.span.start) + e.newText + fixed.slice(e.span.end);
    expect(check(fixed).diagnostics.filter((x) => x.severity === "error")).toEqual([]);
  });

  it("a shape mismatch names both shapes and labels both operands", () => {
    const text = base("  runtime r[3] = [0, 0, 0]\n  minimize stage sumsq(x - r)");
    const d = at(text, "MPC3001");
    expect(d.message).toContain("2x1");
    expect(d.message).toContain("3x1");
    expect(text.slice(d.span.start, d.span.end)).toBe("-");
    expect(d.related?.map((r) => r.label)).toEqual(["this is 2x1", "this is 3x1"]);
  });

  it("a non-affine constraint points at the product and explains why", () => {
    const text = base("  minimize stage sumsq(x)\n  subject to\n    x'*x <= 1");
    const d = at(text, "MPC4001");
    expect(text.slice(d.span.start, d.span.end)).toBe("x'*x");
    expect(d.notes?.join(" ")).toMatch(/`A\*x` is fine/);
  });

  it("the unused-learnable warning carries the unnecessary tag", () => {
    const d = at(base("  minimize stage sumsq(x)"), "MPC2004");
    expect(d.severity).toBe("warning");
    expect(d.tags).toEqual(["unnecessary"]);
  });

  it("a duplicate declaration points at both", () => {
    const text = base("  input u in [-2, 2]\n  minimize stage sumsq(x)");
    const d = at(text, "MPC2002");
    expect(d.related?.[0]?.label).toBe("first declared here");
    expect(d.related![0].span.start).toBeLessThan(d.span.start);
  });

  it("diagnostics are one line, lower-case, without a trailing period", () => {
    for (const file of specFiles(fixturesDir)) {
      for (const d of diagnosticsOf(file)) {
        expect(d.message, d.message).not.toMatch(/\n/);
        expect(d.message, d.message).not.toMatch(/\.$/);
        expect(d.message[0], d.message).toBe(d.message[0].toLowerCase());
      }
    }
  });
});
