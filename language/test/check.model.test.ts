// The SemanticModel on real specs: resolution, shapes, classes, positions, scopes, and the
// constants the compiler reads, checked against the reference QP data in ../shared/data and the
// Riccati equation.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { check, type Expr, type NameRef, type Program } from "../index.js";
import { constValue, declaredBox, declaredValue, type Mat } from "../check/index.js";
import type { SemanticModel, SymbolInfo } from "../semantic.js";

const examples = new URL("../../examples/", import.meta.url);
const shared = new URL("../../../shared/data/qp/mpc/", import.meta.url);
const read = (u: URL): string => readFileSync(fileURLToPath(u), "utf8");

/** Every expression node of a program (depth first). */
function allExprs(program: Program): Expr[] {
  const out: Expr[] = [];
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (!v || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) return v.forEach(visit);
    const o = v as Record<string, unknown>;
    if (typeof o.kind === "string" && typeof o.id === "number" && ["Number", "Name", "Array", "Unary", "Binary", "Transpose", "Index", "Call", "Paren"].includes(o.kind))
      out.push(o as unknown as Expr);
    for (const [k, x] of Object.entries(o)) if (k !== "span" && k !== "opSpan") visit(x);
  };
  visit(program.items);
  return out;
}

function load(text: string) {
  const r = check(text);
  const exprs = allExprs(r.program);
  /** The expression whose source text is exactly `src` (the n-th occurrence). */
  const expr = (src: string, n = 0): Expr => {
    const hits = exprs.filter((e) => text.slice(e.span.start, e.span.end) === src).sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end);
    if (!hits[n]) throw new Error(`no expression \`${src}\``);
    return hits[n];
  };
  const sym = (name: string, scope?: string): SymbolInfo => {
    const s = r.model.symbolsIn(scope).find((x) => x.name === name);
    if (!s) throw new Error(`no symbol ${name}`);
    return s;
  };
  return { ...r, text, expr, sym };
}

const rows = (m: Mat): number[][] => Array.from({ length: m.rows }, (_, i) => [...m.data.slice(i * m.cols, (i + 1) * m.cols)]);
const close = (a: readonly number[], b: readonly number[], tol = 1e-12): void => {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]), `element ${i}: ${x} vs ${b[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]))));
};

describe("Gros & Zanon: resolution, shapes and classes", () => {
  const g = load(read(new URL("gros_zanon/linear_mpc.mpcrl", examples)));
  const model: SemanticModel = g.model;

  it("resolves names to their declarations with shapes", () => {
    const a = g.expr("A", 0);
    expect(a.kind).toBe("Name");
    const s = model.resolve(a as NameRef);
    expect(s?.kind).toBe("learnable");
    expect(s?.shape).toEqual({ rows: 2, cols: 2 });
    expect(s?.scope).toBe("LinearMpc");
    const w = model.resolve(g.expr("w", 1) as NameRef);
    expect(w?.kind).toBe("const");
    expect(w?.scope).toBeUndefined();
  });

  it("computes shapes of concatenations and products", () => {
    expect(model.shapeOf(g.expr("[x; u]").id)).toEqual({ rows: 3, cols: 1 });
    expect(model.shapeOf(g.expr("f'").id)).toEqual({ rows: 1, cols: 3 });
    expect(model.shapeOf(g.expr("f'*[x; u]").id)).toEqual({ rows: 1, cols: 1 });
    expect(model.shapeOf(g.expr("[[0.9, 0.35], [0, 1.1]]").id)).toEqual({ rows: 2, cols: 2 });
    expect(model.shapeOf(g.expr("[[0.0813], [0.2]]").id)).toEqual({ rows: 2, cols: 1 });
    expect(model.shapeOf(g.expr("[uniform(-0.1, 0), 0]").id)).toEqual({ rows: 2, cols: 1 });
    // `I` takes its size from its dlqr argument position: Q is n x n, R is m x m.
    expect(model.shapeOf(g.expr("0.5*I").id)).toEqual({ rows: 2, cols: 2 });
    expect(model.shapeOf(g.expr("0.25*I").id)).toEqual({ rows: 1, cols: 1 });
  });

  it("classifies degree and curvature in the decision variables", () => {
    expect(model.classOf(g.expr("A*x").id)).toMatchObject({ degree: "affine", learnable: true });
    expect(model.classOf(g.expr("A*x + B*u + b").id)).toMatchObject({ degree: "affine", learnable: true, runtime: false });
    expect(model.classOf(g.expr("x'*x").id)).toMatchObject({ degree: "quadratic", curvature: "convex" });
    expect(model.classOf(g.expr("0.5*gamma^k*(x'*x + 0.5*u'*u)").id)).toMatchObject({ degree: "quadratic", curvature: "convex" });
    expect(model.classOf(g.expr("quad(x, dlqr(A0, B0, 0.5*I, 0.25*I))").id)).toMatchObject({ degree: "quadratic", curvature: "convex", learnable: false });
    expect(model.classOf(g.expr("V0").id)).toMatchObject({ degree: "constant", learnable: true });
    expect(model.classOf(g.expr("max(0, s - [1, 1])").id)?.degree).toBe("nonlinear");
  });

  it("finds symbols by position, their references, and the symbols of each scope", () => {
    const declAt = g.text.indexOf("x_lb[2]") + 1;
    const s = model.symbolAt(declAt);
    expect(s?.name).toBe("x_lb");
    const refs = model.references(s!);
    expect(refs.map((r) => g.text.slice(r.start, r.end))).toEqual(["x_lb", "x_lb"]);
    expect(refs[0].start).toBe(declAt - 1);
    const useAt = g.text.indexOf("+ x_ub") + 3;
    expect(model.symbolAt(useAt)?.name).toBe("x_ub");
    expect(model.symbolsIn("LinearMpc").map((x) => x.name)).toEqual(["x", "u", "V0", "x_lb", "x_ub", "b", "f", "A", "B"]);
    expect(model.symbolsIn(undefined).map((x) => x.name).sort()).toEqual(["A0", "B0", "LinearMpc", "LtiSystem", "gamma", "w"]);
    expect(model.symbolsIn("LtiSystem").map((x) => `${x.kind} ${x.name}`)).toEqual(["state s", "input a", "disturbance e"]);
  });

  it("resolves the block names of `train`", () => {
    const train = g.program.items.find((i) => i.kind === "Train");
    if (!train || train.kind !== "Train") throw new Error("no train block");
    expect(model.resolve(train.controller)?.kind).toBe("controller");
    expect(model.resolve(train.plant)?.kind).toBe("plant");
  });

  it("folds dlqr to the DARE solution (checked by the Riccati equation itself)", () => {
    const S = constValue(model, g.expr("dlqr(A0, B0, 0.5*I, 0.25*I)"));
    if (!S) throw new Error("dlqr not folded");
    const [[a, b], [c, d]] = [
      [1, 0.25],
      [0, 1],
    ];
    const B = [0.0312, 0.25];
    const s = rows(S);
    // S = A'SA - A'SB (R + B'SB)^-1 B'SA + Q with Q = 0.5 I, R = 0.25.
    const SA = [
      [s[0][0] * a + s[0][1] * c, s[0][0] * b + s[0][1] * d],
      [s[1][0] * a + s[1][1] * c, s[1][0] * b + s[1][1] * d],
    ];
    const AtSA = [
      [a * SA[0][0] + c * SA[1][0], a * SA[0][1] + c * SA[1][1]],
      [b * SA[0][0] + d * SA[1][0], b * SA[0][1] + d * SA[1][1]],
    ];
    const SB = [s[0][0] * B[0] + s[0][1] * B[1], s[1][0] * B[0] + s[1][1] * B[1]];
    const AtSB = [a * SB[0] + c * SB[1], b * SB[0] + d * SB[1]];
    const g0 = 0.25 + B[0] * SB[0] + B[1] * SB[1];
    const residual = [0, 1].flatMap((i) => [0, 1].map((j) => AtSA[i][j] - (AtSB[i] * AtSB[j]) / g0 + (i === j ? 0.5 : 0) - s[i][j]));
    for (const r of residual) expect(Math.abs(r)).toBeLessThan(1e-9);
    expect(s[0][0]).toBeGreaterThan(0);
    expect(s[0][0] * s[1][1] - s[0][1] * s[1][0]).toBeGreaterThan(0);
  });

  it("gives learnable initial values and (unbounded) boxes", () => {
    expect(declaredValue(model, g.sym("x_ub", "LinearMpc"))?.data).toEqual([1, 0]);
    expect(declaredValue(model, g.sym("A", "LinearMpc"))?.data).toEqual([1, 0.25, 0, 1]);
    expect(declaredValue(model, g.sym("f", "LinearMpc"))?.data).toEqual([0, 0, 0]);
    const box = declaredBox(model, g.sym("x_lb", "LinearMpc"));
    expect(box?.lo).toEqual([-Infinity, -Infinity]);
    expect(box?.hi).toEqual([Infinity, Infinity]);
  });
});

interface QpData {
  Ad: number[][];
  Bd: number[][];
  N: number;
  P: { indptr: number[]; indices: number[]; data: number[] };
  q: number[];
  l: number[];
  u: number[];
  nx: number;
  nu: number;
}

/** Diagonal of an upper-triangular CSC matrix (the reference P are diagonal). */
function diagonal(P: QpData["P"], n: number): number[] {
  const d = new Array<number>(n).fill(0);
  for (let j = 0; j < n; j++) for (let p = P.indptr[j]; p < P.indptr[j + 1]; p++) if (P.indices[p] === j) d[j] = P.data[p];
  return d;
}
const inf = (v: number): number => (v >= 1e20 ? Infinity : v <= -1e20 ? -Infinity : v);

describe("a_2state.mpcrl reproduces the numbers of a_2state.json", () => {
  const data = JSON.parse(read(new URL("a_2state.json", shared))) as QpData;
  const s = load(read(new URL("a_2state/a_2state.mpcrl", examples)));
  const { nx, nu, N } = data;

  it("model, horizon and weights", () => {
    expect(rows(declaredValue(s.model, s.sym("A"))!)).toEqual(data.Ad);
    expect(rows(declaredValue(s.model, s.sym("B"))!)).toEqual(data.Bd);
    expect(constValue(s.model, s.expr("10"))?.data[0]).toBe(N);
    const P = diagonal(data.P, (N + 1) * nx + N * nu);
    // 0.5*quad(x, Q) and 0.5*quad(x, QN) give Hessian blocks Q and QN; 0.5*R*u'*u gives R.
    const Q = rows(declaredValue(s.model, s.sym("Q"))!);
    const QN = rows(declaredValue(s.model, s.sym("QN"))!);
    close(P.slice(0, nx), [Q[0][0], Q[1][1]]);
    close(P.slice(N * nx, (N + 1) * nx), [QN[0][0], QN[1][1]]);
    close([P[(N + 1) * nx]], [declaredValue(s.model, s.sym("R"))!.data[0]]);
  });

  it("bounds", () => {
    // Rows after the (N+1)*nx equality rows: x[0] in [0, 1] and x[1] free for k = 0..N, then u.
    const first = (N + 1) * nx;
    expect(inf(data.l[first])).toBe(constValue(s.model, s.expr("0", 0))!.data[0]);
    expect(inf(data.u[first])).toBe(constValue(s.model, s.expr("1", 1))!.data[0]);
    expect(inf(data.l[first + 1])).toBe(-Infinity);
    const ub = declaredBox(s.model, s.sym("u", "TwoState"))!;
    expect(data.l[first + (N + 1) * nx]).toBe(ub.lo[0]);
    expect(data.u[first + (N + 1) * nx]).toBe(ub.hi[0]);
  });
});

describe("quadrotor.mpcrl reproduces the numbers of c_quadrotor.json", () => {
  const data = JSON.parse(read(new URL("c_quadrotor.json", shared))) as QpData;
  const s = load(read(new URL("quadrotor/quadrotor.mpcrl", examples)));
  const { nx, nu, N } = data;
  const P = diagonal(data.P, (N + 1) * nx + N * nu);

  it("model", () => {
    expect(rows(declaredValue(s.model, s.sym("Ad"))!)).toEqual(data.Ad);
    expect(rows(declaredValue(s.model, s.sym("Bd"))!)).toEqual(data.Bd.map((r) => r.map((v) => v + 0)));
  });

  it("cost: Hessian diagonal and linear term", () => {
    close(P.slice(0, nx), [...constValue(s.model, s.expr("diag(Q)"))!.data.filter((_, i) => i % (nx + 1) === 0)]);
    close(P.slice(N * nx, (N + 1) * nx), [...declaredValue(s.model, s.sym("QN"))!.data]);
    const R = declaredValue(s.model, s.sym("R"))!.data[0];
    close(P.slice((N + 1) * nx), new Array<number>(N * nu).fill(R));
    // q = -[Q xr; ...; QN xr; 0]
    const qStage = constValue(s.model, s.expr("diag(Q)*xr"))!.data.map((v) => -v);
    const qTerm = constValue(s.model, s.expr("diag(QN)*xr"))!.data.map((v) => -v);
    close(data.q.slice(0, nx), qStage);
    close(data.q.slice(N * nx, (N + 1) * nx), qTerm);
    close(data.q.slice((N + 1) * nx), new Array<number>(N * nu).fill(0));
  });

  it("bounds", () => {
    const first = (N + 1) * nx;
    const xmin = declaredValue(s.model, s.sym("xmin"))!.data;
    const xmax = declaredValue(s.model, s.sym("xmax"))!.data;
    for (let k = 0; k <= N; k++) {
      expect(data.l.slice(first + k * nx, first + (k + 1) * nx).map(inf)).toEqual([...xmin]);
      expect(data.u.slice(first + k * nx, first + (k + 1) * nx).map(inf)).toEqual([...xmax]);
    }
    const ub = declaredBox(s.model, s.sym("u", "Quadrotor"))!;
    const uRows = first + (N + 1) * nx;
    expect(data.l.slice(uRows, uRows + nu)).toEqual(ub.lo);
    expect(data.u.slice(uRows, uRows + nu)).toEqual(ub.hi);
  });
});

describe("rate_tracking: lets, prev, structured learnables, stage ranges", () => {
  const t = load(read(new URL("rate_tracking/rate_tracking.mpcrl", examples)));
  const model = t.model;

  it("lets take the shape and class of their value", () => {
    const e = model.resolve(t.expr("e", 0) as NameRef);
    expect(e?.kind).toBe("let");
    expect(e?.shape).toEqual({ rows: 2, cols: 1 });
    expect(model.classOf(t.expr("u - prev(u)").id)).toMatchObject({ degree: "affine", runtime: true });
    expect(model.classOf(t.expr("quad(du, L*L')").id)).toMatchObject({ degree: "quadratic", curvature: "convex", learnable: true });
  });

  it("a diag learnable is a square matrix whose box covers its diagonal", () => {
    const q = t.sym("Q", "Tracker");
    expect(q.shape).toEqual({ rows: 2, cols: 2 });
    expect(declaredValue(model, q)?.data).toEqual([10, 1]);
    const box = declaredBox(model, q)!;
    expect(box.lo).toEqual([0, 0, 0, 0]);
    expect(box.hi).toEqual([100, 0, 0, 100]);
  });

  it("a stage range binds its index; `N` resolves to the horizon", () => {
    const at = t.text.indexOf("for k in 1..N") + "for ".length;
    const k = model.symbolAt(at);
    expect(k?.kind).toBe("stage-index");
    const n = t.expr("N");
    expect(model.resolve(n as NameRef)?.kind).toBe("builtin");
    expect(constValue(model, n)?.data).toEqual([15]);
  });

  it("references of a let include its uses in costs and constraints", () => {
    const du = t.sym("du", "Tracker");
    const refs = model.references(du).map((r) => t.text.slice(r.start, r.end));
    expect(refs).toEqual(["du", "du", "du"]);
  });
});
