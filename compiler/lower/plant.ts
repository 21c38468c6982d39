// Lowers a plant block to straight-line numeric code material: expression nodes over the plant's
// state s, action a and disturbance e (runtime leaves of one ExprPool), evaluated at the pre-step
// state. Noise declarations become per-entry distributions sampled by the runtime's seeded streams.

import type { Decl, Dynamics, Expr, NameRef, PlantBlock, Program } from "../../language/ast.js";
import type { Span } from "../../language/diagnostics.js";
import type { SymbolInfo } from "../../language/semantic.js";
import type { Model } from "../../language/check/model.js";
import { dense } from "../../runtime/linalg/dense.js";
import { expm } from "../../runtime/linalg/expm.js";
import { ExprPool } from "../ir/expr.js";
import { PolyAlg, type Mat, type Poly } from "../ir/poly.js";
import { Evaluator, LoweringAssertion, type Scope } from "./evaluate.js";
import { CompilerCodes, LowerError } from "./errors.js";
import { agreed, agreedDims, agreedNumber, fitShape } from "./scope.js";
import { mat, type Val } from "./value.js";

export type DistributionIr =
  | { readonly kind: "constant"; readonly value: number }
  | { readonly kind: "uniform"; readonly low: number; readonly high: number }
  | { readonly kind: "normal"; readonly mean: number; readonly std: number };

export interface PlantConstraintIr {
  readonly e: number;
  readonly lo: number;
  readonly hi: number;
}

export interface PlantIr {
  readonly name: string;
  readonly pool: ExprPool;
  readonly nx: number;
  readonly nu: number;
  readonly nd: number;
  /** Initial state, entry by entry: a constant or a draw from the plant's "init" stream. */
  readonly initial: readonly DistributionIr[];
  /** rt leaves of the node expressions below: s at 0..nx-1, a at nx..nx+nu-1, e at nx+nu..,
   *  and, when `prevInput`, prev(a) (the input applied at the previous step, 0 at the first step
   *  of an episode) at nx+nu+nd..nx+nu+nd+nu-1. */
  readonly next: readonly number[];
  /** Whether the dynamics, cost or constraints read prev(a). */
  readonly prevInput: boolean;
  readonly cost: number;
  readonly constraints: readonly PlantConstraintIr[];
  readonly disturbance: readonly DistributionIr[];
  readonly episode: number | undefined;
  readonly stateName: string;
  readonly inputName: string;
  readonly line: number;
}

export function lowerPlant(program: Program, block: PlantBlock, model: Model): PlantIr {
  const pool = new ExprPool();
  const alg = new PolyAlg(pool);
  const ev = new Evaluator(alg, { checked: true });
  const states = block.items.filter((i): i is Decl => i.kind === "Decl" && i.declKind === "state");
  const inputs = block.items.filter((i): i is Decl => i.kind === "Decl" && i.declKind === "input");
  const dists = block.items.filter((i): i is Decl => i.kind === "Decl" && i.declKind === "disturbance");
  if (states.length !== 1) throw new LowerError("a plant needs exactly one state declaration", block.name.span, CompilerCodes.unsupported);
  if (inputs.length !== 1) throw new LowerError("a plant needs exactly one input declaration", block.name.span, CompilerCodes.unsupported);
  if (dists.length > 1) throw new LowerError("a plant may declare at most one disturbance", dists[1].span, CompilerCodes.unsupported);
  const symbolOf = (ref: NameRef): SymbolInfo => {
    const sym = model.resolve(ref);
    if (sym === undefined) throw new LoweringAssertion(`the checker did not resolve \`${ref.name}\``, ref.span);
    return sym;
  };
  // `const`/`param` values (top level or this plant) by symbol: the checker's fold, else evaluated here
  const constants = new Map<SymbolInfo, Val>();
  const constant = (sym: SymbolInfo, span: Span): Val => {
    const hit = constants.get(sym);
    if (hit !== undefined) return hit;
    const d = sym.decl;
    if (d === undefined || d.kind !== "Decl" || d.init === undefined) throw new LoweringAssertion(`\`${sym.name}\` has no value`, span);
    const v = ev.eval(d.init, constScope);
    let out: Val;
    if (d.dims === undefined || d.dims.length === 0) out = v;
    else {
      const [r, c] = agreedDims(ev, model, d, constScope);
      out = mat(fitShape(ev, ev.toMat(v, d.init.span, r), r, c, d.init.span, `the value of \`${sym.name}\``));
    }
    if (out.kind === "mat" && !out.m.e.every((p) => alg.isConstant(p))) ev.notConstantError(`the value of \`${sym.name}\` must not depend on the plant's state`, d.init.span);
    out = agreed(ev, out, model.symbolValue(sym), d.init, `the value of \`${sym.name}\``);
    constants.set(sym, out);
    return out;
  };
  const byName = (name: string, span: Span): never => {
    throw new LoweringAssertion(`\`${name}\` looked up by name, not through the checker's model`, span);
  };
  // prev(a) in the dynamics, cost and constraints: the input applied at the previous step (leaves
  // after the disturbance); nowhere else (initial state, disturbance, settings)
  const noPrev = (name: string, span: Span): never => {
    throw new LowerError(`\`prev(${name})\` is only defined in a plant's dynamics, cost and constraints`, span, CompilerCodes.unsupported);
  };
  let prevInput = false;
  let prevVal: Mat | undefined;
  const prev = (_name: string, span: Span, ref?: NameRef): Val => {
    if (ref === undefined || symbolOf(ref).decl !== inputs[0]) throw new LoweringAssertion("`prev` of something other than the plant's input", span);
    prevInput = true;
    prevVal ??= leaves(nx + nu + nd, nu);
    return mat(prevVal);
  };
  /** Names that do not depend on the plant's state: constants, parameters, `I`. */
  const constRef = (ref: NameRef): Val => {
    const sym = symbolOf(ref);
    if (sym.kind === "const" || sym.kind === "param") return constant(sym, ref.span);
    if (sym.kind === "builtin" && sym.name === "I") return { kind: "eye", s: alg.num(1) };
    if (sym.kind === "builtin" && sym.name === "inf") return mat(alg.scalar(alg.num(Infinity)));
    throw new LoweringAssertion(`\`${ref.name}\` (a ${sym.kind}) has no value here`, ref.span);
  };
  const constScope: Scope = { lookup: byName, ref: constRef, prev: noPrev };
  const [sr, sc] = agreedDims(ev, model, states[0], constScope);
  const [ar, ac] = agreedDims(ev, model, inputs[0], constScope);
  const nx = sr * sc;
  const nu = ar * ac;
  const dDims = dists.length === 1 ? agreedDims(ev, model, dists[0], constScope) : [0, 0];
  const nd = dDims[0] * dDims[1];
  const leaves = (off: number, n: number): Mat => alg.mat(n, 1, Array.from({ length: n }, (_, i) => alg.constant(pool.rt(off + i))));
  const sVal = leaves(0, nx);
  const aVal = leaves(nx, nu);
  const eVal = leaves(nx + nu, nd);
  const make = (sBinding: Mat): Scope => {
    const scope: Scope = {
      lookup: byName,
      ref: (ref: NameRef): Val => {
        const sym = symbolOf(ref);
        if (sym.decl === states[0]) return mat(sBinding);
        if (sym.decl === inputs[0]) return mat(aVal);
        if (dists.length === 1 && sym.decl === dists[0]) return mat(eVal);
        const l = sym.decl;
        if (sym.kind === "let" && l !== undefined && l.kind === "Let") return ev.eval(l.value, scope);
        return constRef(ref);
      },
      prev,
    };
    return scope;
  };
  // Entries that are constants or single draws (`uniform(lo, hi)`, `normal(mean, std)`).
  const distributions = (e: Expr, n: number, what: string): DistributionIr[] => {
    const draws = new Map<number, DistributionIr>();
    let count = 0;
    const noiseScope: Scope = {
      lookup: byName,
      ref: constRef,
      prev: noPrev,
      noise: (dist, args) => {
        const leaf = pool.rt(1_000_000 + draws.size + count++);
        draws.set(leaf, dist === "uniform" ? { kind: "uniform", low: args[0], high: args[1] } : { kind: "normal", mean: args[0], std: args[1] });
        return alg.constant(leaf);
      },
    };
    const m = fitShape(ev, ev.evalMat(e, noiseScope), n, 1, e.span, what);
    return m.e.map((p) => {
      const v = alg.isConstant(p) ? pool.constValue(p.c) : undefined;
      const draw = draws.get(p.c);
      if (v !== undefined) return { kind: "constant", value: v };
      if (draw !== undefined) return draw;
      throw new LowerError(`each entry of ${what} must be a constant or a single \`uniform(lo, hi)\` / \`normal(mean, std)\` draw`, e.span, CompilerCodes.unsupported);
    });
  };
  // initial state
  const sDecl = states[0];
  if (sDecl.init === undefined) throw new LowerError("the plant's state needs an initial value", sDecl.name.span, CompilerCodes.missing, `write \`state ${sDecl.name.name}[${nx}] = [...]\``);
  const initial = distributions(sDecl.init, nx, "the initial state");
  // disturbance distributions
  const disturbance: DistributionIr[] = [];
  if (dists.length === 1) {
    const d = dists[0];
    if (d.init === undefined) for (let i = 0; i < nd; i++) disturbance.push({ kind: "constant", value: 0 });
    else disturbance.push(...distributions(d.init, nd, "the disturbance"));
  }
  // dynamics
  const dyn = block.items.filter((i): i is Dynamics => i.kind === "Dynamics");
  if (dyn.length !== 1) throw new LowerError("a plant needs exactly one dynamics equation", block.name.span, CompilerCodes.missing);
  const dy = dyn[0];
  let dt: number | undefined;
  let episode: number | undefined;
  for (const it of block.items) {
    if (it.kind !== "ScalarSetting") continue;
    const v = agreedNumber(ev, model, it.value, constScope, `\`${it.key}\``);
    if (it.key === "timestep") dt = v;
    if (it.key === "episode") episode = v;
  }
  const f = (s: Mat): Mat => fitShape(ev, ev.evalMat(dy.rhs, make(s)), nx, 1, dy.rhs.span, "the right-hand side");
  let next: Mat;
  if (dy.form === "discrete") next = f(sVal);
  else {
    if (dt === undefined) throw new LowerError("continuous dynamics need a `timestep`", dy.span, CompilerCodes.missing);
    const method = dy.method ?? "rk4";
    const h = dt;
    const axpy = (x: Mat, a: number, y: Mat): Mat => alg.zip(x, y, (p, q) => alg.add(p, alg.scale(q, pool.num(a))), "add");
    if (method === "euler") next = axpy(sVal, h, f(sVal));
    else if (method === "rk4") {
      const k1 = f(sVal);
      const k2 = f(axpy(sVal, h / 2, k1));
      const k3 = f(axpy(sVal, h / 2, k2));
      const k4 = f(axpy(sVal, h, k3));
      next = axpy(sVal, h / 6, axpy(axpy(axpy(k1, 2, k2), 2, k3), 1, k4));
    } else {
      const rhs = f(sVal);
      if (prevInput) throw new LowerError("`prev()` in continuous plant dynamics `using zoh`: the exact discretization holds the current input only", dy.rhs.span, CompilerCodes.unsupported, "use `using rk4` (or `euler`), or carry the previous input as a state");
      next = zohPlant(alg, rhs, nx, nu, nd, h, dy.rhs.span);
    }
  }
  // cost
  const costItem = block.items.find((i) => i.kind === "PlantCost");
  let cost = pool.zero;
  if (costItem && costItem.kind === "PlantCost") {
    const m = ev.evalMat(costItem.expr, make(sVal));
    if (m.rows !== 1 || m.cols !== 1) ev.shapeError("the plant's cost must be a scalar", costItem.expr.span);
    cost = costItem.sense === "reward" ? pool.neg(m.e[0].c) : m.e[0].c;
  }
  // constraints whose violations are counted
  const constraints: PlantConstraintIr[] = [];
  for (const it of block.items) {
    if (it.kind !== "SubjectTo") continue;
    for (const c of it.constraints) {
      const ops = c.operands.map((o) => ev.evalMat(o, make(sVal)));
      const size = Math.max(...ops.map((o) => o.e.length));
      const at = (m: Mat, i: number): number => (m.e.length === 1 ? m.e[0] : m.e[i]).c;
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < c.ops.length; j++) {
          const a = at(ops[j], i);
          const b = at(ops[j + 1], i);
          const op = c.ops[j];
          // a <= b  <=>  -inf <= b - a ; a == b as lo = hi
          if (op === "<=") constraints.push({ e: pool.sub(b, a), lo: pool.zero, hi: pool.num(Infinity) });
          else if (op === ">=") constraints.push({ e: pool.sub(a, b), lo: pool.zero, hi: pool.num(Infinity) });
          else constraints.push({ e: pool.sub(a, b), lo: pool.zero, hi: pool.zero });
        }
      }
    }
  }
  return {
    name: block.name.name,
    pool,
    nx,
    nu,
    nd,
    initial,
    next: next.e.map((p: Poly) => p.c),
    prevInput,
    cost,
    constraints,
    disturbance,
    episode,
    stateName: states[0].name.name,
    inputName: inputs[0].name.name,
    line: block.span.startLine,
  };
}

/** Exact zero-order hold for a plant with linear constant dynamics in (s, a, e). */
function zohPlant(alg: PolyAlg, rhs: Mat, nx: number, nu: number, nd: number, dt: number, span: Span): Mat {
  const pool = alg.pool;
  const nin = nu + nd;
  const na = nx + nin + 1;
  const M = dense(na, na);
  // Differentiate symbolically is not needed: entries are affine in the rt leaves; read coefficients
  // by evaluating at unit vectors.
  const vals = new Float64Array(pool.nodes.length);
  const leavesCount = nx + nin;
  const evalAt = (vec: Float64Array): number[] => {
    pool.evaluate([], vec, vals);
    return rhs.e.map((p) => vals[p.c]);
  };
  const base = evalAt(new Float64Array(leavesCount));
  for (let j = 0; j < leavesCount; j++) {
    const v = new Float64Array(leavesCount);
    v[j] = 1;
    const col = evalAt(v);
    for (let i = 0; i < nx; i++) M.data[i * na + j] = (col[i] - base[i]) * dt;
  }
  for (let i = 0; i < nx; i++) M.data[i * na + nx + nin] = base[i] * dt;
  if (!rhs.e.every((p) => Number.isFinite(vals[p.c]))) throw new LowerError("`using zoh` needs linear dynamics", span, CompilerCodes.zohNotConstant);
  const E = expm(M);
  const out: Poly[] = [];
  for (let i = 0; i < nx; i++) {
    let node = pool.num(E.data[i * na + nx + nin]);
    for (let j = 0; j < leavesCount; j++) node = pool.add(node, pool.mul(pool.num(E.data[i * na + j]), pool.rt(j)));
    out.push(alg.constant(node));
  }
  return alg.mat(nx, 1, out);
}
