// One rule for learnables under rk4/euler/zoh (docs/language.md, "Discretization"): the discretized
// dynamics must be affine in the learnables (the DPP rule), reported by `check` (compiler/verify.ts)
// with the checker's code for a product written by hand, MPC4005.
import { describe, expect, it } from "vitest";
import { dataLayout } from "../../runtime/mpc/template.js";
import { check } from "../../language/index.js";
import { compile, compileToModule, verify } from "../index.js";

function spec(rhs: string, method: string, extra = ""): string {
  return `controller C {
  state x[2]
  input u[1]
  horizon 3
  timestep 0.1
  learnable kk = 1 in [0.5, 2]
  learnable bb[2,1] = [[0], [1]]
  ${extra}
  dynamics der(x) = ${rhs} using ${method}
  minimize stage x'*x + u'*u
}
`;
}

const errors = (src: string): string[] => verify(src).diagnostics.filter((d) => d.severity === "error").map((d) => d.code);

describe("learnables under rk4/euler/zoh", () => {
  it("a learnable in the state matrix: accepted with euler (affine), MPC4005 with rk4 and zoh, at check time", () => {
    const rhs = "[[0, kk], [-1, 0]]*x + [[0], [1]]*u";
    expect(errors(spec(rhs, "euler"))).toEqual([]);
    for (const m of ["rk4", "zoh"]) {
      const src = spec(rhs, m);
      const v = verify(src).diagnostics.filter((d) => d.severity === "error");
      expect(v.map((d) => d.code)).toEqual(["MPC4005"]);
      expect(src.slice(v[0].span.start, v[0].span.end)).toBe("kk");
      expect(v[0].message).toContain(`using ${m}`);
      expect(compile(src).diagnostics.filter((d) => d.severity === "error").map((d) => d.code)).toEqual(["MPC4005"]);
    }
  });

  it("the same product written by hand is the checker's MPC4005", () => {
    const src = spec("kk*kk*x + [[0], [1]]*u", "euler").replace("der(x) = kk*kk*x + [[0], [1]]*u using euler", "x+ = kk*kk*x + [[0], [1]]*u");
    expect(errors(src)).toEqual(["MPC4005"]);
  });

  it("learnables in the input matrix and the offset stay affine: accepted under every method", () => {
    for (const m of ["euler", "rk4", "zoh"]) expect(errors(spec("[[0, 1], [0, 0]]*x + bb*u + [kk; 0]", m))).toEqual([]);
  });

  it("a learnable state matrix and input matrix under rk4 (A*B products) is MPC4005", () => {
    expect(errors(spec("[[0, kk], [0, 0]]*x + bb*u", "rk4"))).toEqual(["MPC4005"]);
  });

  it("zoh with a learnable input matrix: Gd*B equals the constant-B discretization", () => {
    const data = (src: string): Float64Array => {
      const t = compileToModule(src).module!.template;
      const L = dataLayout(t);
      const d = new Float64Array(L.length);
      t.fill(t.theta0, new Float64Array(t.nRuntime), d);
      return d.slice(L.A, L.l);
    };
    const a = data(spec("[[0, 1], [0, -0.5]]*x + bb*u", "zoh"));
    const b = data(spec("[[0, 1], [0, -0.5]]*x + [[0], [1]]*u", "zoh"));
    expect(a.length).toBe(b.length);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 14));
  });

  it("a runtime value in the state matrix under zoh is MPC4605 (it cannot be exponentiated at compile time)", () => {
    expect(errors(spec("[[0, rr], [0, 0]]*x + [[0], [1]]*u", "zoh", "runtime rr = 1"))).toEqual(["MPC4605"]);
    expect(errors(spec("[[0, rr], [0, 0]]*x + [[0], [1]]*u", "rk4", "runtime rr = 1"))).toEqual([]);
  });
});

// A `let` of the stage index in the dynamics (language/check/names.ts, MPC2012): the QP lowering
// evaluates `x+ = ...`, `using euler` and `using rk4` at each stage k (so the let takes each stage's
// value), `using zoh` once (one matrix exponential: the let's value at stage 0 for every stage), as
// the nonlinear lowering does for every method (one model f(x, u)). The checker rejects the let
// where the compiler would evaluate it once; these are the compiler's facts it relies on.
describe("a let of the stage index in the dynamics", () => {
  const staged = (dyn: string, solver = ""): string => `controller C {
  state x[1]
  input u[1]
  horizon 4
${solver}  timestep 0.1
  let g = 1 + k
  dynamics ${dyn}
  minimize stage ${solver ? "sumsq(x) + sumsq(u)" : "x'*x + u'*u"}
}
`;
  /** The coefficient of x_k in the dynamics row of stage k (x_{k+1} - a_k x_k - b_k u_k = c_k), k = 0..N-1. */
  const stateCoefficients = (src: string): number[] => {
    const t = compileToModule(src).module!.template;
    const L = dataLayout(t);
    const d = new Float64Array(L.length);
    t.fill(t.theta0, new Float64Array(t.nRuntime), d);
    const at = (row: number, col: number): number => {
      for (let p = t.A.colPtr[col]; p < t.A.colPtr[col + 1]; p++) if (t.A.rowIdx[p] === row) return d[L.A + p];
      return 0;
    };
    // rows: x_0 (1), then one dynamics row per stage; x_k at column stateOffset + k
    return Array.from({ length: t.horizon }, (_, k) => at(1 + k, t.stateOffset + k));
  };

  it("is evaluated at each stage by `x+ = ...`, `using euler` and `using rk4`: the state coefficient follows g = 1 + k", () => {
    const disc = stateCoefficients(staged("x+ = 0.1*g*x + u").replace("  timestep 0.1\n", ""));
    disc.forEach((a, k) => expect(a).toBeCloseTo(-0.1 * (1 + k), 14));
    const euler = stateCoefficients(staged("der(x) = -g*x + u using euler"));
    euler.forEach((a, k) => expect(a).toBeCloseTo(-(1 - 0.1 * (1 + k)), 14));
    const rk4 = stateCoefficients(staged("der(x) = -g*x + u using rk4"));
    rk4.forEach((a, k) => {
      const z = -0.1 * (1 + k);
      expect(a).toBeCloseTo(-(1 + z + z ** 2 / 2 + z ** 3 / 6 + z ** 4 / 24), 14);
    });
  });

  it("would be taken at stage 0 by `using zoh` and by a nonlinear controller: rejected by check (MPC2012), before the lowering", () => {
    for (const src of [staged("der(x) = -g*x + u using zoh"), staged("der(x) = -g*sin(x) + u using rk4", "  solver sqp\n"), staged("x+ = 0.1*g*sin(x) + u", "  solver sqp\n").replace("  timestep 0.1\n", "")]) {
      expect(errors(src)).toEqual(["MPC2012"]);
      expect(compile(src).diagnostics.filter((d) => d.severity === "error").map((d) => d.code)).toEqual(["MPC2012"]);
    }
    // with the stage-free value the same zoh compiles: exp(-0.1) at every stage
    const fixed = staged("der(x) = -g*x + u using zoh").replace("let g = 1 + k", "let g = 1");
    expect(errors(fixed)).toEqual([]);
    stateCoefficients(fixed).forEach((a) => expect(a).toBeCloseTo(-Math.exp(-0.1), 14));
  });

  // `k` itself in the dynamics is the same value as through the let (it was MPC2012 everywhere, the
  // let accepted where the dynamics are built per stage): the same verdicts and the same coefficients
  const bare = (src: string): string => src.replace("  let g = 1 + k\n", "").replace(/\bg\b/g, "(1 + k)");

  it("a bare `k` is evaluated at each stage by `x+ = ...`, `using euler` and `using rk4`, exactly as the let", () => {
    for (const dyn of ["x+ = 0.1*g*x + u", "der(x) = -g*x + u using euler", "der(x) = -g*x + u using rk4"]) {
      const viaLet = staged(dyn);
      const src = bare(viaLet);
      const withK = dyn.startsWith("x+") ? src.replace("  timestep 0.1\n", "") : src;
      expect(withK).not.toContain("let g");
      expect(errors(withK)).toEqual([]);
      const expected = stateCoefficients(dyn.startsWith("x+") ? viaLet.replace("  timestep 0.1\n", "") : viaLet);
      const got = stateCoefficients(withK);
      expect(got).toHaveLength(4);
      got.forEach((a, k) => expect(a).toBe(expected[k]));
    }
    // the coefficients themselves: x+ = 0.1*(1 + k)*x + u at stage k
    stateCoefficients(bare(staged("x+ = 0.1*g*x + u")).replace("  timestep 0.1\n", "")).forEach((a, k) => expect(a).toBeCloseTo(-0.1 * (1 + k), 14));
  });

  it("a bare `k` where the dynamics are lowered once (`using zoh`, a nonlinear controller) is MPC2012, as the let", () => {
    for (const src of [staged("der(x) = -g*x + u using zoh"), staged("der(x) = -g*sin(x) + u using rk4", "  solver sqp\n"), staged("x+ = 0.1*g*sin(x) + u", "  solver sqp\n").replace("  timestep 0.1\n", "")]) {
      const ds = check(bare(src)).diagnostics.filter((d) => d.severity === "error");
      expect(ds.map((d) => d.code)).toEqual(["MPC2012"]);
      expect(ds[0].message).toBe("the stage index `k` is not defined here");
      expect(ds[0].notes?.[0]).toMatch(/once/);
      expect(compile(bare(src)).diagnostics.filter((d) => d.severity === "error").map((d) => d.code)).toEqual(["MPC2012"]);
    }
  });
});
