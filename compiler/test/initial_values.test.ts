// Structured initial values as documented (docs/language.md): a scalar s of a `psd`, `factor` or
// `diag` learnable means s*I. theta holds the diagonal (diag), L (factor) or the factor L of
// P = L L' (psd), lower triangle by rows.
import { describe, expect, it } from "vitest";
import { dataLayout } from "../../runtime/mpc/template.js";
import { compileToModule } from "../index.js";

function spec(decl: string, weight: string, n: number): string {
  return `controller C {
  state x[${n}]
  input u[1]
  horizon 2
  ${decl}
  dynamics x+ = x + ones(${n}, 1)*u
  minimize stage u'*u + terminal quad(x, ${weight})
}
`;
}

/** theta0 of the single learnable, and the terminal weight it gives (the Hessian block of x_N / 2). */
function lowered(decl: string, weight: string, n: number): { theta0: number[]; W: number[][] } {
  const { module, diagnostics } = compileToModule(spec(decl, weight, n));
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const t = module!.template;
  const L = dataLayout(t);
  const d = new Float64Array(L.length);
  t.fill(t.theta0, new Float64Array(t.nRuntime), d);
  const W = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const off = 2 * n; // x_N starts at N * nx
  for (let j = 0; j < t.n; j++) {
    for (let k = t.P.colPtr[j]; k < t.P.colPtr[j + 1]; k++) {
      const i = t.P.rowIdx[k];
      if (i >= off && i < off + n && j >= off && j < off + n) {
        W[i - off][j - off] = d[L.P + k] / 2;
        W[j - off][i - off] = d[L.P + k] / 2;
      }
    }
  }
  return { theta0: Array.from(t.theta0), W };
}

const eye = (n: number, s: number): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? s : 0)));
const lowerTri = (M: number[][]): number[] => M.flatMap((row, i) => row.slice(0, i + 1));
const close = (a: number[][], b: number[][]): void => a.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(b[i][j], 12)));

describe("structured initial values", () => {
  it("psd P[4] = 10 is 10*I (theta = sqrt(10)*I), not a rank-one ones matrix", () => {
    const r = lowered("learnable psd P[4] = 10", "P", 4);
    expect(r.theta0).toEqual(lowerTri(eye(4, Math.sqrt(10))));
    close(r.W, eye(4, 10));
  });

  it("psd P[2] = 3 compiles to 3*I", () => {
    const r = lowered("learnable psd P[2] = 3", "P", 2);
    close(r.W, eye(2, 3));
  });

  it("a psd matrix initial value is P itself (its Cholesky factor is stored)", () => {
    const r = lowered("learnable psd P[2] = [[4, 2], [2, 5]]", "P", 2);
    expect(r.theta0).toEqual([2, 1, 2]);
    close(r.W, [
      [4, 2],
      [2, 5],
    ]);
  });

  it("a semidefinite psd initial value is accepted (zero pivot)", () => {
    const r = lowered("learnable psd P[2] = [[1, 1], [1, 1]]", "P", 2);
    close(r.W, [
      [1, 1],
      [1, 1],
    ]);
    const zero = lowered("learnable psd P[3] = 0", "P", 3);
    expect(zero.theta0).toEqual(new Array(6).fill(0));
  });

  it("a psd initial value that is not PSD is MPC4606", () => {
    const { diagnostics } = compileToModule(spec("learnable psd P[2] = [[1, 2], [2, 1]]", "P", 2));
    expect(diagnostics.map((d) => d.code)).toContain("MPC4606");
  });

  it("factor L[2] = 2 is 2*I, not [[2, 0], [2, 2]]", () => {
    const r = lowered("learnable factor L[2] = 2", "L*L'", 2);
    expect(r.theta0).toEqual([2, 0, 2]);
    close(r.W, eye(2, 4));
  });

  it("diag Q[3] = 2 is 2*I", () => {
    const r = lowered("learnable diag Q[3] = 2 in [0, 10]", "Q", 3);
    expect(r.theta0).toEqual([2, 2, 2]);
    close(r.W, eye(3, 2));
  });
});
