// The checker's soundness suite (issue 9; rules in docs/soundness.md): for each class of hole a
// red team found, specs that must be rejected (with their code) and near-misses that must be
// accepted; structured learnables' intervals against sampled values; linear cost of long let chains.
// compiler/test/soundness.random.test.ts checks the accepted specs numerically on the lowered QP.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check } from "../index.js";
import { intervalStats } from "../check/interval.js";
import { declaredBox, declaredDefault } from "../check/index.js";
import type { SymbolInfo } from "../semantic.js";
import { ACCEPTED, REJECTED, spec } from "./soundness.specs.js";

const errors = (src: string) => check(src).diagnostics.filter((d) => d.severity === "error");

describe("specs the checker must reject", () => {
  for (const c of REJECTED) {
    it(`${c.code}: ${c.name}`, () => {
      const errs = errors(c.source);
      expect(errs.map((d) => d.code)).toContain(c.code);
      // each rejection says what could not be proven and how to fix it
      const d = errs.find((x) => x.code === c.code)!;
      expect(d.help ?? d.notes?.join(" ")).toBeTruthy();
      expect(errs.filter((x) => x.code === "MPC2999")).toEqual([]);
    });
  }
});

describe("near-misses the checker must accept", () => {
  for (const c of ACCEPTED) {
    it(c.name, () => {
      expect(errors(c.source).map((d) => `${d.code} ${d.message}`)).toEqual([]);
    });
  }
});

describe("diagnostics of the new rules", () => {
  it("an unknown sign names the factor, its range and a fix (with an edit for an unbounded learnable)", () => {
    const d = errors(spec("  learnable a = 1", "u'*u + a*x'*x")).find((x) => x.code === "MPC4019")!;
    // (an unbounded learnable ranges over +-1e20: the runtime refuses a larger parameter)
    expect(d.label).toContain("[-1e+20, 1e+20]");
    expect(d.help).toContain("in [0, inf]");
    expect(d.edits?.[0]?.newText).toBe(" in [0, inf]");
  });
  it("a stage-dependent let reports its range over the stages", () => {
    // a stage term is evaluated at k = 0..N-1 (N = 4): s = k - 2 in [-2, 1]
    const d = errors(spec("  let s = k - 2", "u'*u + s*x'*x")).find((x) => x.code === "MPC4019")!;
    expect(d.label).toContain("[-2, 1]");
    expect(d.related?.some((r) => r.label === "defined here")).toBe(true);
  });
  it("a psd penalty reports the range of P derived from the box of L", () => {
    const d = errors(spec("  learnable psd P[2] = [[1, 0], [0, 1]] in [-1, 1]", "u'*u + x'*x", "soft x <= 1 penalty linear 1 - P[1, 1]")).find((x) => x.code === "MPC4009")!;
    expect(d.label).toContain("[-1, 1]");
  });
  it("a sign that is wrong for every value is not reported as unknown", () => {
    const codes = errors(spec("  let s = -1 - k", "u'*u + s*x'*x")).map((d) => d.code);
    expect(codes).toContain("MPC4002");
    expect(codes).not.toContain("MPC4019");
  });
  it("a const outside its bounds points at the value and the bounds", () => {
    const d = errors(spec("  const c = 2 in [0, 1]", "u'*u + c*x'*x")).find((x) => x.code === "MPC4023")!;
    expect(d.label).toContain("outside [0, 1]");
    expect(d.related?.[0]?.label).toContain("bounds");
  });
  it("a runtime default outside its range is MPC4023 on the default, with the range and an edit to the nearest value", () => {
    const src = spec("  runtime r = -1 in [0, 3]", "u'*u + x'*x", "soft x[0] <= 1 penalty linear r");
    const d = errors(src).find((x) => x.code === "MPC4023")!;
    expect(d.message).toBe("the default of the runtime value `r` lies outside its declared range");
    expect(src.slice(d.span.start, d.span.end)).toBe("-1");
    expect(d.label).toBe("this is -1, outside [0, 3]");
    expect(d.related?.map((r) => [src.slice(r.span.start, r.span.end), r.label])).toEqual([["in [0, 3]", "the declared range"]]);
    expect(d.help).toContain("widen the range");
    expect(d.edits?.map((e) => e.newText)).toEqual(["0"]);
    const fixed = src.slice(0, d.edits![0].span.start) + d.edits![0].newText + src.slice(d.edits![0].span.end);
    expect(errors(fixed)).toEqual([]);
  });
  it("a disturbance default is checked entry by entry, and so is a scalar value against vector bounds", () => {
    const src = spec("  disturbance d[2] = [0.5, 3] in [0.2, 1]", "u'*u + x'*x + d'*u", "", 2);
    const d = errors(src).find((x) => x.code === "MPC4023")!;
    expect(d.message).toBe("the default of the disturbance `d` lies outside its declared range");
    expect(d.label).toBe("element [1] is 3, outside [0.2, 1]");
    expect(d.edits?.map((e) => e.newText)).toEqual(["[0.5, 1]"]);
    const c = errors(spec("  const c[2] = 2 in [0, [1, 3]]", "u'*u + x'*x + c'*u", "", 2)).find((x) => x.code === "MPC4023")!;
    expect(c.label).toBe("element [0] is 2, outside [0, 1]");
  });
  it("without `= value` the default is 0: outside the range it is MPC4023 on the name, with an edit that adds a default", () => {
    const src = spec("  runtime lo in [0.1, 0.5]", "u'*u + x'*x", "lo <= u[0] <= 1");
    const d = errors(src).find((x) => x.code === "MPC4023")!;
    expect(d.message).toBe("the implicit default 0 of the runtime value `lo` lies outside its declared range");
    expect(src.slice(d.span.start, d.span.end)).toBe("lo");
    expect(d.label).toBe("no `= value`: it defaults to 0, outside [0.1, 0.5]");
    const fixed = src.slice(0, d.edits![0].span.start) + d.edits![0].newText + src.slice(d.edits![0].span.end);
    expect(fixed).toContain("runtime lo = 0.1 in [0.1, 0.5]");
    expect(errors(fixed)).toEqual([]);
    // 0 inside the range, or no range: nothing to report
    expect(errors(spec("  runtime lo in [-0.5, 0.5]", "u'*u + x'*x", "lo <= u[0] <= 1"))).toEqual([]);
  });
  it("a runtime or disturbance default must be finite, with or without a range (MPC4023, an edit to a finite value)", () => {
    for (const [decl, fix] of [
      ["  runtime r = inf in [0, inf]", "0"],
      ["  runtime r = inf", "0"],
      ["  runtime r = -inf in [1, 2]", "1"],
    ] as const) {
      const src = spec(decl, "u'*u + x'*x + r*u[0]");
      const ds = errors(src);
      expect(ds.map((d) => d.code), decl).toEqual(["MPC4023"]);
      expect(ds[0].message).toBe("the default of the runtime value `r` must be a finite number");
      expect(src.slice(ds[0].span.start, ds[0].span.end)).toBe(decl.includes("-inf") ? "-inf" : "inf");
      expect(ds[0].help).toContain("finite");
      expect(ds[0].edits?.map((e) => e.newText)).toEqual([fix]);
      const fixed = src.slice(0, ds[0].edits![0].span.start) + ds[0].edits![0].newText + src.slice(ds[0].edits![0].span.end);
      expect(errors(fixed)).toEqual([]);
    }
    const d = errors(spec("  disturbance d[2] = [0.5, inf]", "u'*u + x'*x + d'*u", "", 2));
    expect(d.map((x) => [x.code, x.label])).toEqual([["MPC4023", "element [1] is inf"]]);
    // 0/0 is the domain's error (MPC4021), not reported twice; finite defaults and learnables' bounds are fine
    expect(errors(spec("  runtime r = 0/0", "u'*u + x'*x + r*u[0]")).map((x) => x.code)).toEqual(["MPC4021"]);
    expect(errors(spec("  runtime r = 2 in [0, inf]", "u'*u + x'*x + r*u[0]"))).toEqual([]);
    expect(errors(spec("  learnable a = 1 in [0, inf]", "u'*u + a*x'*x"))).toEqual([]);
  });
  it("a controller disturbance default must be a constant (MPC2015); a plant's disturbances are distributions", () => {
    const codes = errors(spec("  runtime r = 0.5 in [0, 1]\n  disturbance d[1] = [r]", "u'*u + x'*x + d[0]*u[0]")).map((d) => d.code);
    expect(codes).toEqual(["MPC2015"]);
  });
  it("a controller runtime range must be a constant (MPC2015): the template holds it as numbers", () => {
    const d = errors(spec("  learnable a = 1 in [0, 2]\n  runtime w = 0 in [0, a]", "u'*u + a*x'*x + w*u[0]"));
    expect(d.map((x) => [x.code, x.message])).toEqual([["MPC2015", "the bounds of `w` must be a compile-time constant, but `a` is a learnable"]]);
  });
  it("the model's runtime default is the one the checker judged: broadcast, zeros without a value", () => {
    const { model } = check(spec("  runtime r[2] = 0.5 in [0, 1]\n  runtime s[2]\n  disturbance d[2] = [0.3, 0.4]\n  learnable a = 1 in [0, 2]", "u'*u + x'*x + a*r'*u + s'*u + d'*u", "", 2));
    const value = (name: string) => {
      const sym = model.symbolsIn("C").find((x) => x.name === name)!;
      return declaredDefault(model, sym);
    };
    expect(value("r")).toEqual({ rows: 2, cols: 1, data: [0.5, 0.5] });
    expect(value("s")).toEqual({ rows: 2, cols: 1, data: [0, 0] });
    expect(value("d")).toEqual({ rows: 2, cols: 1, data: [0.3, 0.4] });
    expect(value("a")).toBeUndefined();
  });
  it("a soft constraint with unprovable lb <= ub is a warning, a hard one an error", () => {
    const soft = check(spec("  learnable lb = 0", "u'*u + x'*x", "soft lb <= x <= 1 penalty linear 1")).diagnostics.map((d) => `${d.severity} ${d.code}`);
    expect(soft).toEqual(["warning MPC4008"]);
    const hard = check(spec("  learnable lb = 0", "u'*u + x'*x", "lb <= x <= 1")).diagnostics.map((d) => `${d.severity} ${d.code}`);
    expect(hard).toEqual(["error MPC4024"]);
  });
  it("an error in a definition is not repeated as an unknown sign (no cascade)", () => {
    const codes = errors(spec("  const c = 2*x", "u'*u + c*x'*x")).map((d) => d.code);
    expect(codes).toEqual(["MPC2015"]);
  });
});

/** Interval of a learnable's value vs values sampled from the box of its theta. */
describe("intervals of structured learnables come from the box of theta", () => {
  const symOf = (src: string, name: string): { box: ReturnType<typeof declaredBox>; sym: SymbolInfo } => {
    const r = check(src);
    const sym = r.model.symbolsIn("C").find((s) => s.name === name)!;
    return { box: declaredBox(r.model, sym), sym };
  };
  const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

  it("psd: P = L*L' with L lower triangular in the box contains every sample (corners included)", () => {
    const src = spec("  learnable psd P[3] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]] in [-1, 1.5]", "u'*u + x'*x + quad([x; u; x], P)");
    const { box } = symOf(src, "P");
    expect(box).toBeDefined();
    // the diagonal of P is a sum of squares: [0, i+1 times 2.25]
    expect(box!.lo[0]).toBe(0);
    expect(box!.hi[8]).toBeCloseTo(3 * 2.25);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), (seed) => {
        const r = lcg(seed);
        const L = [0, 0, 0, 0, 0, 0, 0, 0, 0];
        for (let i = 0; i < 3; i++) for (let j = 0; j <= i; j++) L[i * 3 + j] = r() < 0.3 ? -1 : r() < 0.4 ? 1.5 : -1 + 2.5 * r();
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            let p = 0;
            for (let k = 0; k < 3; k++) p += L[i * 3 + k] * L[j * 3 + k];
            expect(p).toBeGreaterThanOrEqual(box!.lo[i * 3 + j] - 1e-12);
            expect(p).toBeLessThanOrEqual(box!.hi[i * 3 + j] + 1e-12);
          }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("factor: the upper triangle is exactly 0, the lower triangle is the box", () => {
    const { box } = symOf(spec("  learnable factor L[2] = [[1, 0], [1, 1]] in [0.5, 2]", "u'*u + quad([x; u], L*L')"), "L");
    expect(box!.lo).toEqual([0.5, 0, 0.5, 0.5]);
    expect(box!.hi).toEqual([2, 0, 2, 2]);
  });

  it("psd with one bound per entry of L (row by row)", () => {
    const { box } = symOf(spec("  learnable psd P[2] = [[1, 0], [0, 1]] in [[0.5, -1, 0.5], [2, 1, 2]]", "quad([x; u], P)"), "P");
    // P00 = L00^2 in [0.25, 4]; P01 = L00*L10 in [-2, 2]; P11 = L10^2 + L11^2 in [0.25, 5]
    expect(box!.lo).toEqual([0.25, -2, -2, 0.25]);
    expect(box!.hi).toEqual([4, 2, 2, 5]);
  });

  it("diag: the diagonal is the box, off-diagonal entries are 0", () => {
    const { box } = symOf(spec("  learnable diag Q[2] = [1, 2] in [0.5, 10]", "quad([x; u], Q)"), "Q");
    expect(box!.lo).toEqual([0.5, 0, 0, 0.5]);
    expect(box!.hi).toEqual([10, 0, 0, 10]);
  });
});

describe("availability: interval evaluation is linear in the size of a let chain", () => {
  const chain = (n: number, form: (prev: string) => string): string => {
    const lets = ["  let a0 = 1 + 0*k"];
    for (let i = 1; i <= n; i++) lets.push(`  let a${i} = ${form(`a${i - 1}`)}`);
    return spec(lets.join("\n"), `u'*u + a${n}*x'*x`, `-a${n} <= u <= a${n}\n    terminal x <= a${n}`);
  };
  for (const [name, form] of [
    ["a + a", (p: string) => `${p} + ${p}`],
    ["a * a", (p: string) => `${p}*${p}`],
    ["0.5*(a + a)", (p: string) => `0.5*(${p} + ${p})`],
  ] as const) {
    it(`a chain of 200 lets \`${name}\`: evaluations grow linearly, the check takes well under a second`, () => {
      const count = (n: number): number => {
        const before = intervalStats.computed;
        check(chain(n, form));
        return intervalStats.computed - before;
      };
      const c100 = count(100);
      const t = performance.now();
      const c200 = count(200);
      const ms = performance.now() - t;
      // linear: doubling the chain adds about as many evaluations as the first 100 lets took
      expect(c200).toBeLessThan(2.5 * c100);
      expect(c200).toBeLessThan(20 * 200);
      expect(ms).toBeLessThan(5000);
    });
  }
});
