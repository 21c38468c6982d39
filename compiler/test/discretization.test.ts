// One rule for learnables under rk4/euler/zoh (docs/language.md, "Discretization"): the discretized
// dynamics must be affine in the learnables (the DPP rule), reported by `check` (compiler/verify.ts)
// with the checker's code for a product written by hand, MPC4005.
import { describe, expect, it } from "vitest";
import { dataLayout } from "../../runtime/mpc/template.js";
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
