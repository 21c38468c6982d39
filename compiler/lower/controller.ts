// Lowers a controller block to the QP IR (compiler/ir.ts).
//
// Decision vector z = [x_0..x_N, u_0..u_{N-1}, slacks]. Rows of A, in order:
//   x_0 = x0 (identity, nx rows; the controller writes the bounds), dynamics for k = 0..N-1,
//   u_0 bounds (identity, nu rows: the Q-function pins them), input bounds for k = 1..N-1,
//   state bounds (`state x in [lb, ub]`) for k = 1..N, the `subject to` constraints, slacks >= 0.
// Default stage ranges of a constraint: one that mentions an input (or prev) applies to
// k = 0..N-1, one on states only to k = 1..N, `terminal` to k = N; `for k in a..b` overrides.
// Soft constraints get one slack per constrained scalar row and stage, shared by both sides:
//   lo - s <= e <= hi + s, s >= 0, with cost  w_lin * s + w_quad * s^2.
// Costs: the unlabelled/initial term at k = 0, `stage` summed over k = 0..N-1, `terminal` at k = N;
// quadratic parts go to P (the Hessian: 2*coef on the diagonal), linear to q, constant to c.
// Discounting is explicit in the spec (gamma^k); `discount` is reported to learners only.

import type { Constraint, ControllerBlock, Decl, Dynamics, Expr, LetDecl, NameRef, Program } from "../../language/ast.js";
import type { Span } from "../../language/diagnostics.js";
import type { SymbolInfo } from "../../language/semantic.js";
import type { Model } from "../../language/check/model.js";
import { PREV_SLOT_PREFIX } from "../../language/check/reserved.js";
import { expm } from "../../runtime/linalg/expm.js";
import { dense, psdFactor } from "../../runtime/linalg/dense.js";
import type { IrCsc, IrJacEntry, IrParam, IrRuntime, QpIr } from "../ir.js";
import { ExprPool } from "../ir/expr.js";
import { PolyAlg, QKEY, type Mat, type Poly } from "../ir/poly.js";
import { Evaluator, LoweringAssertion, type Scope } from "./evaluate.js";
import { CompilerCodes, LowerError } from "./errors.js";
import { agreed, agreedDims, agreedNumber, fitShape, symbolDims, walkExpr } from "./scope.js";
import { mat, type Val } from "./value.js";

export interface VarBlock {
  readonly decl: Decl;
  readonly name: string;
  readonly size: number;
  /** offset inside the stage vector */
  readonly offset: number;
}

interface Row {
  readonly lin: ReadonlyMap<number, number>;
  readonly lo: number;
  readonly hi: number;
  readonly origin: string | undefined;
}

export interface LowerOptions {
  readonly fileName: string;
  readonly target?: string;
  /** The checker's model of the program: names, shapes, the horizon, settings and constants. */
  readonly model: Model;
}

export class ControllerLowering {
  readonly pool = new ExprPool();
  readonly alg = new PolyAlg(this.pool);
  readonly ev = new Evaluator(this.alg, { checked: true });
  readonly model: Model;
  private readonly lines: string[];
  /** Values of `const`/`param` symbols (top level or this block), by symbol. */
  private readonly constants = new Map<SymbolInfo, Val>();
  private readonly busy = new Set<SymbolInfo>();
  protected readonly states: VarBlock[] = [];
  protected readonly inputs: VarBlock[] = [];
  protected readonly params: IrParam[] = [];
  private readonly paramVals = new Map<SymbolInfo, Val>();
  protected readonly runtime: IrRuntime[] = [];
  private readonly runtimeNodes = new Map<string, number[]>();
  protected nRuntime = 0;
  protected nTheta = 0;
  protected nx = 0;
  protected nu = 0;
  protected N = 0;
  protected discount = 1;
  protected timestep: number | undefined;
  private inputOffset = 0;
  private slackOffset = 0;
  private nSlack = 0;
  private readonly rows: Row[] = [];
  private cost: Poly;
  private readonly costOrigin = new Map<number, string>();
  private costConstOrigin: string | undefined;
  private readonly letCache = new Map<string, Val>();
  private overrideCounter = 0;

  constructor(
    readonly program: Program,
    readonly source: string,
    readonly block: ControllerBlock,
    readonly options: LowerOptions,
  ) {
    this.model = options.model;
    this.lines = source.split(/\r?\n/);
    this.cost = this.alg.num(0);
  }

  origin(span: Span): string {
    const text = (this.lines[span.startLine - 1] ?? "").trim();
    return `${this.options.fileName}:${span.startLine} ${text}`;
  }

  // ------------------------------------------------------------------ scopes

  /** The block scope without stage: constants, parameters, runtime values. */
  protected readonly blockScope: Scope = {
    lookup: (name, span) => {
      throw new LoweringAssertion(`\`${name}\` looked up by name, not through the checker's model`, span);
    },
    ref: (ref) => this.valueOfRef(ref, undefined),
    prev: (name, span) => {
      throw new LowerError(`\`prev(${name})\` is only defined in stage expressions`, span, CompilerCodes.unsupported);
    },
  };

  /** The symbol the checker resolved a name reference to. */
  private symbolOf(ref: NameRef): SymbolInfo {
    const sym = this.model.resolve(ref);
    if (sym === undefined) throw new LoweringAssertion(`the checker did not resolve \`${ref.name}\``, ref.span);
    return sym;
  }

  /** The value of a name reference (at a stage, or in the block scope): which declaration it refers
   *  to is the checker's resolution, so shadowing and stage indices are decided in one place. */
  valueOfRef(ref: NameRef, stage: StageScope | undefined): Val {
    const sym = this.symbolOf(ref);
    const name = sym.name;
    const span = ref.span;
    switch (sym.kind) {
      case "stage-index":
        if (stage === undefined) throw new LoweringAssertion(`the stage index \`${name}\` is used outside a stage expression`, span);
        return mat(this.alg.scalar(this.alg.num(stage.k)));
      case "builtin":
        if (name === "N") return mat(this.alg.scalar(this.alg.num(this.N)));
        if (name === "I") return { kind: "eye", s: this.alg.num(1) };
        if (name === "inf") return mat(this.alg.scalar(this.alg.num(Infinity)));
        throw new LoweringAssertion(`unknown built-in \`${name}\``, span);
      case "const":
      case "param":
        return this.constant(sym, span);
      case "let": {
        const d = sym.decl;
        if (d === undefined || d.kind !== "Let") throw new LoweringAssertion(`\`${name}\` is a let without its declaration`, span);
        if (stage === undefined) throw new LowerError(`\`${name}\` is a per-stage expression and cannot be used here`, span, CompilerCodes.unsupported);
        return stage.letValue(d);
      }
      case "learnable": {
        const v = this.paramVals.get(sym);
        if (v === undefined) throw new LowerError(`\`${name}\` is used before its declaration is lowered`, span, CompilerCodes.missing);
        return v;
      }
      case "runtime": {
        const nodes = this.runtimeNodes.get(name);
        if (nodes === undefined) throw new LowerError(`runtime value \`${name}\` is not available here`, span, CompilerCodes.missing);
        const [r, c] = symbolDims(this.model, this.declOf(sym, span));
        return mat(this.alg.mat(r, c, nodes.map((n) => this.alg.constant(n))));
      }
      case "disturbance": {
        const nodes = this.runtimeNodes.get(name);
        if (nodes === undefined) throw new LowerError(`disturbance \`${name}\` is not available here`, span, CompilerCodes.missing);
        const [r, c] = symbolDims(this.model, this.declOf(sym, span));
        const size = r * c;
        // one value per stage k = 0..N-1 (the stages whose dynamics it enters); stage N reads the
        // last one, d_{N-1}, held over the last step (docs/language.md, "Declarations")
        const k = stage === undefined ? 0 : Math.min(stage.k, this.N - 1);
        return mat(this.alg.mat(r, c, nodes.slice(k * size, (k + 1) * size).map((n) => this.alg.constant(n))));
      }
      case "state": {
        if (stage === undefined) throw new LowerError(`state \`${name}\` is a decision variable and cannot be used here`, span, CompilerCodes.unsupported);
        const ov = stage.overrides.get(name);
        if (ov !== undefined) return ov;
        const b = this.states.find((s) => s.decl === sym.decl);
        if (b === undefined) throw new LoweringAssertion(`\`${name}\` is not a state of this controller`, span);
        return mat(this.stateVars(b, stage.k, span));
      }
      case "input": {
        if (stage === undefined) throw new LowerError(`input \`${name}\` is a decision variable and cannot be used here`, span, CompilerCodes.unsupported);
        const b = this.inputs.find((s) => s.decl === sym.decl);
        if (b === undefined) throw new LoweringAssertion(`\`${name}\` is not an input of this controller`, span);
        const k = stage.k;
        if (k >= this.N) throw new LowerError(`input \`${name}\` has no value at the terminal stage k = N`, span, CompilerCodes.unsupported, "restrict the term or constraint to k in 0..N-1");
        return mat(this.inputVars(b, k));
      }
      default:
        throw new LoweringAssertion(`\`${name}\` (a ${sym.kind}) is not a value`, span);
    }
  }

  private declOf(sym: SymbolInfo, span: Span): Decl {
    const d = sym.decl;
    if (d === undefined || d.kind !== "Decl") throw new LoweringAssertion(`\`${sym.name}\` has no declaration`, span);
    return d;
  }

  /** The value of a `const` or `param` (top level or this block), by symbol, once: the checker's
   *  folded value (`agreed`: evaluated here too, and both must agree). */
  private constant(sym: SymbolInfo, span: Span): Val {
    const hit = this.constants.get(sym);
    if (hit !== undefined) return hit;
    const d = this.declOf(sym, span);
    if (d.init === undefined) throw new LoweringAssertion(`\`${sym.name}\` has no value`, d.name.span);
    if (this.busy.has(sym)) throw new LoweringAssertion(`\`${sym.name}\` is defined in terms of itself`, span);
    this.busy.add(sym);
    let out: Val;
    try {
      const v = this.ev.eval(d.init, this.blockScope);
      if (d.dims === undefined || d.dims.length === 0) out = v; // shape inferred from the value
      else {
        const [r, c] = agreedDims(this.ev, this.model, d, this.blockScope);
        out = mat(fitShape(this.ev, this.ev.toMat(v, d.init.span, r), r, c, d.init.span, `the value of \`${sym.name}\``));
      }
    } finally {
      this.busy.delete(sym);
    }
    if (out.kind === "mat" && !out.m.e.every((p) => this.alg.isConstant(p))) this.ev.notConstantError(`the value of \`${sym.name}\` must not depend on decision variables`, d.init.span);
    out = agreed(this.ev, out, this.model.symbolValue(sym), d.init, `the value of \`${sym.name}\``);
    this.constants.set(sym, out);
    return out;
  }

  /** A constant expression (a bound, an initial value): the checker's fold when it has one (a bound
   *  with learnables has none: it is lowered as an expression of theta). */
  protected constExpr(e: Expr, what: string): Val {
    return agreed(this.ev, this.ev.eval(e, this.blockScope), this.model.valueOf(e), e, what);
  }

  /** The numbers of a constant expression (a default, a bound). */
  protected numbers(e: Expr, what: string, n?: number): number[] {
    const computed = this.ev.evalNumbers(e, this.blockScope, what, n);
    const v = agreed(this.ev, mat(this.alg.mat(computed.rows, computed.cols, computed.values.map((x) => this.alg.num(x)))), this.model.valueOf(e), e, what);
    return this.ev.toMat(v, e.span, n).e.map((p) => this.pool.constValue(p.c) ?? NaN);
  }

  protected stateVars(b: VarBlock, k: number, span: Span): Mat {
    if (k < 0 || k > this.N) throw new LowerError(`stage ${k} is outside 0..N`, span, CompilerCodes.shape);
    const out: Poly[] = [];
    for (let i = 0; i < b.size; i++) out.push(this.alg.variable(k * this.nx + b.offset + i));
    return this.alg.mat(b.size, 1, out);
  }

  protected inputVars(b: VarBlock, k: number): Mat {
    const out: Poly[] = [];
    for (let i = 0; i < b.size; i++) out.push(this.alg.variable(this.inputOffset + k * this.nu + b.offset + i));
    return this.alg.mat(b.size, 1, out);
  }

  /**
   * The declared `in [lo, hi]` of a declaration, per entry (a scalar bound broadcasts), repeated
   * `repeat` times (a disturbance forecast holds one block per stage); +-inf where not declared.
   */
  private declRange(d: Decl, size: number, repeat: number, what: string): { lower: Float64Array; upper: Float64Array } {
    const lower = new Float64Array(size * repeat).fill(-Infinity);
    const upper = new Float64Array(size * repeat).fill(Infinity);
    if (d.bounds === undefined) return { lower, upper };
    for (const [e, out] of [
      [d.bounds.lower, lower],
      [d.bounds.upper, upper],
    ] as const) {
      const b = this.numbers(e, what, symbolDims(this.model, d)[0]); // the rows size a bare `I`
      if (b.length !== 1 && b.length !== size) this.ev.shapeError(`a bound of \`${d.name.name}\` has ${b.length} entries, expected 1 or ${size}`, d.bounds.span);
      for (let i = 0; i < size * repeat; i++) out[i] = b.length === 1 ? b[0] : b[i % size];
    }
    return { lower, upper };
  }

  /** The runtime range a value must lie in at run time (the checker's proofs assume it); none when undeclared. */
  private rangeOf(d: Decl, size: number, repeat: number): Pick<IrRuntime, "lower" | "upper"> {
    if (d.bounds === undefined) return {};
    const { lower, upper } = this.declRange(d, size, repeat, "a runtime bound");
    return { lower: Array.from(lower), upper: Array.from(upper) };
  }

  /**
   * The default of a runtime value or of one stage of a disturbance forecast: the checker's
   * (`Model.runtimeDefault`: the `= value` broadcast to the declared shape, zeros without one; it
   * proved the default lies in the declared range, MPC4023). The value is still evaluated here as
   * a cross-check (`numbers` compares it with the checker's fold).
   */
  private runtimeDefault(d: Decl, rows: number, cols: number): number[] {
    const sym = this.model.declared(d);
    const v = sym === undefined ? undefined : this.model.runtimeDefault(sym);
    if (v === undefined || v.data.length !== rows * cols) throw new LoweringAssertion(`the checker gives no default for \`${d.name.name}\``, (d.init ?? d.name).span);
    if (d.init !== undefined) {
      const computed = this.numbers(d.init, `the default of \`${d.name.name}\``, rows);
      const at = (i: number): number => computed[computed.length === 1 ? 0 : i];
      const agrees = (computed.length === 1 || computed.length === v.data.length) && v.data.every((x, i) => x === at(i) || (Number.isNaN(x) && Number.isNaN(at(i))));
      if (!agrees) throw new LoweringAssertion(`the default of \`${d.name.name}\` is [${computed.join(", ")}] here but [${v.data.join(", ")}] for the checker`, d.init.span);
    }
    return [...v.data];
  }

  private addRuntime(name: string, size: number, defaults: readonly number[], extra: Pick<IrRuntime, "lower" | "upper" | "previousInput"> = {}): number[] {
    const nodes: number[] = [];
    for (let i = 0; i < size; i++) nodes.push(this.pool.rt(this.nRuntime + i));
    this.runtime.push({ name, size, offset: this.nRuntime, defaultValue: defaults, ...extra });
    this.nRuntime += size;
    this.runtimeNodes.set(name, nodes);
    return nodes;
  }

  stage(k: number): StageScope {
    return new StageScope(this, k);
  }

  prevOf(name: string, span: Span, stage: StageScope, ref?: NameRef): Val {
    const sym = ref === undefined ? undefined : this.symbolOf(ref);
    const b = this.inputs.find((s) => (sym === undefined ? s.name === name : s.decl === sym.decl));
    if (b === undefined) throw new LowerError(`\`prev\` takes an input; \`${name}\` is not one`, span, CompilerCodes.unsupported);
    const k = stage.k;
    if (k > 0) return mat(this.inputVars(b, k - 1));
    const key = `${PREV_SLOT_PREFIX}${name}`;
    const nodes = this.runtimeNodes.get(key) ?? this.addRuntime(key, b.size, new Array<number>(b.size).fill(0), { previousInput: b.offset });
    return mat(this.alg.mat(b.size, 1, nodes.map((n) => this.alg.constant(n))));
  }

  evalLet(d: LetDecl, stage: StageScope): Val {
    const key = `${d.id}@${stage.k}@${stage.overrideKey}`;
    const hit = this.letCache.get(key);
    if (hit !== undefined) return hit;
    const v = this.ev.eval(d.value, stage);
    this.letCache.set(key, v);
    return v;
  }

  // ------------------------------------------------------------------ lowering

  /** The horizon, the settings, the variables, the parameters and the runtime values (shared by
   *  the QP lowering and the nonlinear one, compiler/lower/nlp.ts). */
  protected prepare(): void {
    const items = this.block.items;
    // the horizon first: settings and constants may use `N` (`discount 1 - 1/N` before `horizon 4`)
    this.N = this.model.horizon(this.block.name.name) ?? 0;
    // settings: the checker's folds
    let horizonSeen = false;
    for (const it of items) {
      if (it.kind !== "ScalarSetting") continue;
      const v = agreedNumber(this.ev, this.model, it.value, this.blockScope, `\`${it.key}\``);
      if (it.key === "horizon") {
        if (!Number.isInteger(v) || v < 1 || v !== this.N) throw new LoweringAssertion(`the horizon ${v} is not the checker's (${this.N})`, it.value.span);
        horizonSeen = true;
      } else if (it.key === "discount") this.discount = v;
      else if (it.key === "timestep") this.timestep = v;
    }
    if (!horizonSeen) throw new LowerError(`controller \`${this.block.name.name}\` has no \`horizon\``, this.block.name.span, CompilerCodes.missing, "add e.g. `horizon 10`");
    const N = this.N;
    // variables
    for (const it of items) {
      if (it.kind !== "Decl") continue;
      if (it.declKind === "state" || it.declKind === "input") {
        const [r, c] = agreedDims(this.ev, this.model, it, this.blockScope);
        const list = it.declKind === "state" ? this.states : this.inputs;
        const offset = it.declKind === "state" ? this.nx : this.nu;
        list.push({ decl: it, name: it.name.name, size: r * c, offset });
        if (it.declKind === "state") this.nx += r * c;
        else this.nu += r * c;
      }
    }
    if (this.nx === 0) throw new LowerError("the controller declares no state", this.block.name.span, CompilerCodes.missing);
    if (this.nu === 0) throw new LowerError("the controller declares no input", this.block.name.span, CompilerCodes.missing);
    this.inputOffset = (N + 1) * this.nx;
    this.slackOffset = this.inputOffset + N * this.nu;
    // parameters and runtime values, in declaration order
    for (const it of items) {
      if (it.kind !== "Decl") continue;
      if (it.declKind === "learnable") this.lowerLearnable(it);
      else if (it.declKind === "runtime") {
        const [r, c] = agreedDims(this.ev, this.model, it, this.blockScope);
        this.addRuntime(it.name.name, r * c, this.runtimeDefault(it, r, c), this.rangeOf(it, r * c, 1));
      } else if (it.declKind === "disturbance") {
        const [r, c] = agreedDims(this.ev, this.model, it, this.blockScope);
        // a forecast: one value per stage k = 0..N-1 (row k), each the declared default
        const def = this.runtimeDefault(it, r, c);
        const forecast: number[] = [];
        for (let k = 0; k < N; k++) forecast.push(...def);
        this.addRuntime(it.name.name, N * r * c, forecast, this.rangeOf(it, r * c, N));
      }
    }
  }

  lower(): QpIr {
    this.prepare();
    const items = this.block.items;
    const N = this.N;
    // x_0 rows
    const x0Rows: number[] = [];
    for (let i = 0; i < this.nx; i++) x0Rows.push(this.pushRow(new Map([[i, this.pool.one]]), this.pool.zero, this.pool.zero, undefined));
    // dynamics
    for (const b of this.states) {
      const dyn = items.filter((x): x is Dynamics => x.kind === "Dynamics" && x.target.name === b.name);
      if (dyn.length === 0) throw new LowerError(`state \`${b.name}\` has no dynamics`, b.decl.name.span, CompilerCodes.missing, `add \`dynamics ${b.name}+ = ...\``);
      if (dyn.length > 1) throw new LowerError(`state \`${b.name}\` has more than one dynamics equation`, dyn[1].span, CompilerCodes.unsupported);
      this.lowerDynamics(dyn[0], b);
    }
    // u_0 rows and input bounds
    const u0Rows: number[] = [];
    const u0Lower: number[] = [];
    const u0Upper: number[] = [];
    for (let k = 0; k < N; k++) {
      for (const b of this.inputs) {
        const [lo, hi] = this.declBounds(b);
        for (let i = 0; i < b.size; i++) {
          const z = this.inputOffset + k * this.nu + b.offset + i;
          if (k === 0) {
            u0Rows.push(this.pushRow(new Map([[z, this.pool.one]]), lo[i], hi[i], b.decl.bounds ? this.origin(b.decl.span) : undefined));
            u0Lower.push(this.pool.constValue(lo[i]) ?? -Infinity);
            u0Upper.push(this.pool.constValue(hi[i]) ?? Infinity);
          } else if (b.decl.bounds) this.pushRow(new Map([[z, this.pool.one]]), lo[i], hi[i], this.origin(b.decl.span));
        }
      }
    }
    // state bounds
    for (const b of this.states) {
      if (!b.decl.bounds) continue;
      const [lo, hi] = this.declBounds(b);
      for (let k = 1; k <= N; k++) {
        for (let i = 0; i < b.size; i++) this.pushRow(new Map([[k * this.nx + b.offset + i, this.pool.one]]), lo[i], hi[i], this.origin(b.decl.span));
      }
    }
    // cost
    for (const it of items) {
      if (it.kind !== "Objective") continue;
      for (const term of it.terms) {
        const ks = term.costKind === "initial" ? [0] : term.costKind === "terminal" ? [N] : range(0, N - 1);
        for (const k of ks) {
          const st = this.stage(k);
          const m = this.ev.evalMat(term.expr, st);
          if (m.rows !== 1 || m.cols !== 1) this.ev.shapeError(`a cost term must be a scalar, this one is ${m.rows}x${m.cols}`, term.expr.span);
          this.addCost(m.e[0], this.origin(term.span));
        }
      }
    }
    // constraints
    for (const it of items) {
      if (it.kind !== "SubjectTo") continue;
      for (const c of it.constraints) this.lowerConstraint(c);
    }
    return this.assemble(x0Rows, u0Rows, u0Lower, u0Upper);
  }

  protected declBounds(b: VarBlock): [number[], number[]] {
    const n = b.size;
    const inf = this.pool.num(Infinity);
    const ninf = this.pool.num(-Infinity);
    if (!b.decl.bounds) return [new Array<number>(n).fill(ninf), new Array<number>(n).fill(inf)];
    // folded by the checker when constant; a bound with learnables is an expression of theta
    const side = (e: Expr): Mat => this.ev.toMat(this.constExpr(e, "a bound"), e.span);
    const lo = fitShape(this.ev, side(b.decl.bounds.lower), n, 1, b.decl.bounds.lower.span, "the lower bound");
    const hi = fitShape(this.ev, side(b.decl.bounds.upper), n, 1, b.decl.bounds.upper.span, "the upper bound");
    return [lo.e.map((p) => this.alg.constantNode(p, "a bound")), hi.e.map((p) => this.alg.constantNode(p, "a bound"))];
  }

  private lowerLearnable(d: Decl): void {
    const name = d.name.name;
    const sym = this.model.declared(d);
    if (sym === undefined) throw new LoweringAssertion(`the checker has no symbol for \`${name}\``, d.name.span);
    const [r, c] = agreedDims(this.ev, this.model, d, this.blockScope);
    const structure = d.structure;
    if (d.init === undefined) throw new LowerError(`learnable \`${name}\` needs an initial value`, d.name.span, CompilerCodes.missing, `write \`learnable ${name} = ...\``);
    const initV = this.constExpr(d.init, `the initial value of \`${name}\``);
    const offset = this.nTheta;
    let initial: number[];
    let value: Mat;
    let rows = r;
    let cols = c;
    let kind: IrParam["structure"];
    const numbersOf = (m: Mat): number[] =>
      m.e.map((p) => {
        const v = this.alg.isConstant(p) ? this.pool.constValue(p.c) : undefined;
        if (v === undefined || !Number.isFinite(v)) throw new LowerError(`the initial value of \`${name}\` must be a finite constant`, d.init!.span, CompilerCodes.notConstant);
        return v;
      });
    if (structure === "diag") {
      const n = r;
      rows = n;
      cols = n;
      let m = this.ev.toMat(initV, d.init.span, n);
      if (m.rows === n && m.cols === n && n > 1) m = this.alg.mat(n, 1, range(0, n - 1).map((i) => m.e[i * n + i]));
      initial = numbersOf(fitShape(this.ev, m, n, 1, d.init.span, `the initial value of \`${name}\``));
      const th = initial.map((_, i) => this.alg.constant(this.pool.theta(offset + i)));
      const e: Poly[] = new Array<Poly>(n * n).fill(this.alg.num(0));
      for (let i = 0; i < n; i++) e[i * n + i] = th[i];
      value = this.alg.mat(n, n, e);
      kind = "diag";
    } else if (structure === "factor" || structure === "psd") {
      // `factor L[n]` / `psd P[n]` (or [n, n]) declare n x n matrices
      if (c !== 1 && r !== c) this.ev.shapeError(`a ${structure} parameter must be square`, d.span);
      const n = r;
      // The initial value is the matrix itself (P for psd, L for factor); a scalar s means s*I
      // (docs/language.md), never s broadcast to every entry.
      const init0 = this.ev.toMat(initV, d.init.span, n);
      const m =
        init0.rows === 1 && init0.cols === 1 && n > 1
          ? this.alg.mat(n, n, range(0, n * n - 1).map((i) => (i % (n + 1) === 0 ? init0.e[0] : this.alg.num(0))))
          : fitShape(this.ev, init0, n, n, d.init.span, `the initial value of \`${name}\``);
      const full = numbersOf(m);
      let lower: number[];
      if (structure === "psd") {
        // theta holds the factor L of P = L L' (its box bounds L): the initial L is P's Cholesky
        // factor (semidefinite P allowed), so s*I gives sqrt(s)*I.
        const L = psdFactor(full, n);
        if (L === undefined) throw new LowerError(`the initial value of psd parameter \`${name}\` must be symmetric positive semidefinite`, d.init.span, CompilerCodes.nonconvex);
        lower = [];
        for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) lower.push(L[i * n + j]);
      } else {
        lower = [];
        for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) lower.push(full[i * n + j]);
      }
      initial = lower;
      const Lm: Poly[] = new Array<Poly>(n * n).fill(this.alg.num(0));
      let t = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) Lm[i * n + j] = this.alg.constant(this.pool.theta(offset + t++));
      const L = this.alg.mat(n, n, Lm);
      // factor: the matrix is L itself; psd: the matrix is L L' (PSD for every theta)
      value = structure === "psd" ? this.alg.matmul(L, this.alg.transpose(L)) : L;
      kind = structure;
      // the parameter layout has always recorded the declared second dim (1 for `psd P[n]`) as cols;
      // consumers use rows (the matrix is n x n, as the checker says): kept so the emitted layout is stable
      cols = d.dims !== undefined && d.dims.length > 1 ? c : 1;
    } else {
      const m = fitShape(this.ev, this.ev.toMat(initV, d.init.span, r), r, c, d.init.span, `the initial value of \`${name}\``);
      initial = numbersOf(m);
      value = this.alg.mat(r, c, initial.map((_, i) => this.alg.constant(this.pool.theta(offset + i))));
      kind = d.dims === undefined || d.dims.length === 0 ? "scalar" : d.dims.length === 1 ? "vector" : "matrix";
    }
    const size = initial.length;
    // the box of theta: the checker's (`paramBox`, the box its proofs range over), cross-checked
    const computed = this.declRange(d, size, 1, "a parameter bound");
    const box = this.model.thetaBox(sym);
    if (box !== undefined && (box.lo.length !== size || box.lo.some((x, i) => x !== computed.lower[i]) || box.hi.some((x, i) => x !== computed.upper[i]))) {
      throw new LoweringAssertion(`the box of \`${name}\` differs from the checker's`, d.bounds?.span ?? d.name.span);
    }
    const lower = box === undefined ? computed.lower : Float64Array.from(box.lo);
    const upper = box === undefined ? computed.upper : Float64Array.from(box.hi);
    if (d.bounds) {
      for (let i = 0; i < size; i++) {
        // the checker proves it (MPC4014)
        if (!(initial[i] >= lower[i] && initial[i] <= upper[i])) throw new LoweringAssertion(`the initial value of \`${name}\` is outside its bounds`, d.bounds.span);
      }
    }
    this.params.push({ name, rows, cols, offset, size, structure: kind, lower, upper, initial, line: d.span.startLine });
    this.paramVals.set(sym, mat(value));
    this.nTheta += size;
  }

  private lowerDynamics(dyn: Dynamics, b: VarBlock): void {
    const N = this.N;
    const origin = this.origin(dyn.span);
    if (dyn.form === "discrete") {
      for (let k = 0; k < N; k++) {
        const rhs = fitShape(this.ev, this.ev.evalMat(dyn.rhs, this.stage(k)), b.size, 1, dyn.rhs.span, "the right-hand side");
        this.addEquality(this.stateVars(b, k + 1, dyn.span), rhs, dyn.rhs.span, origin);
      }
      return;
    }
    const dt = this.timestep;
    if (dt === undefined) throw new LowerError("continuous dynamics need a `timestep`", dyn.span, CompilerCodes.missing, "add e.g. `timestep 0.1`");
    const method = dyn.method ?? "zoh";
    if (method === "zoh") {
      this.lowerZoh(dyn, b, dt, origin);
      return;
    }
    // Euler and RK4 of an affine right-hand side, built symbolically with x bound to expressions.
    for (let k = 0; k < N; k++) {
      const xk = this.stateVars(b, k, dyn.span);
      const f = (x: Mat): Mat => {
        const st = this.stage(k);
        st.overrides.set(b.name, mat(x));
        st.overrideKey = `rk${this.overrideCounter++}`;
        return fitShape(this.ev, this.ev.evalMat(dyn.rhs, st), b.size, 1, dyn.rhs.span, "the right-hand side");
      };
      const axpy = (x: Mat, a: number, y: Mat): Mat => this.alg.zip(x, y, (p, q) => this.alg.add(p, this.alg.scale(q, this.pool.num(a))), "add");
      let next: Mat;
      if (method === "euler") next = axpy(xk, dt, f(xk));
      else {
        // classical RK4 with the input held over the step
        const k1 = f(xk);
        const k2 = f(axpy(xk, dt / 2, k1));
        const k3 = f(axpy(xk, dt / 2, k2));
        const k4 = f(axpy(xk, dt, k3));
        const sum = axpy(axpy(axpy(k1, 2, k2), 2, k3), 1, k4);
        next = axpy(xk, dt / 6, sum);
      }
      this.requireAffineInTheta(next, dyn, method);
      this.addEquality(this.stateVars(b, k + 1, dyn.span), next, dyn.rhs.span, origin);
    }
  }

  /** The discretization rule (docs/language.md): the discretized dynamics, like all QP data, must be
   *  affine in the learnables (the DPP rule, reported with the checker's MPC4005). Euler keeps
   *  x + h*f(x, u) affine; RK4 multiplies the state matrix by itself (a learnable there gives powers up
   *  to 4) and zoh exponentiates it, so a learnable in the state matrix is accepted only with euler;
   *  learnables in the input matrix or the offset stay affine under every method. */
  private requireAffineInTheta(next: Mat, dyn: Dynamics, method: string): void {
    const pool = this.pool;
    for (const p of next.e) {
      for (const node of [p.c, ...p.lin.values()]) {
        for (const t of pool.dependsOn(node)) {
          if (pool.dependsOn(pool.diff(node, t)).length === 0) continue;
          this.notDppDiscretization(dyn, method, t);
        }
      }
    }
  }

  private notDppDiscretization(dyn: Dynamics, method: string, theta: number): never {
    const param = this.params.find((q) => theta >= q.offset && theta < q.offset + q.size);
    const name = param?.name ?? "a learnable";
    let span = dyn.rhs.span;
    walkExpr(dyn.rhs, (x) => {
      if (x.kind === "Name" && x.name === name && span === dyn.rhs.span) span = x.span;
    });
    const how = method === "zoh" ? "`using zoh` takes the matrix exponential of the state matrix" : "`using rk4` multiplies the state matrix by itself (powers up to 4)";
    throw new LowerError(
      `\`${name}\` in the state matrix of \`der(${dyn.target.name})\` is not DPP under \`using ${method}\`: the discretized dynamics would not be affine in the learnable parameters`,
      span,
      "MPC4005",
      `${how}; use \`using euler\` (x + h*f(x, u) stays affine), a discrete model \`${dyn.target.name}+ = ...\` with a learnable discrete-time matrix, or keep learnables in the input matrix and the offset (affine under every method)`,
    );
  }

  /** Exact zero-order hold (one discretization for every stage, evaluated at stage 0: what differs
   *  between stages, `k` through a let, a disturbance, `prev(u)`, is refused by the checker, MPC2012):
   *  expm([[A, B, I], [0, 0, 0]] * dt) = [[Ad, Bd, Gd], [0, I, 0]] for constant
   *  A and B; the offset c (which may be learnable or a runtime value) enters as x+ = Ad x + Bd u + Gd c,
   *  and a non-constant entry of B as Gd B (Bd = Gd B for the input held over the step)
   *  (Van Loan 1978, "Computing integrals involving the matrix exponential"). */
  private lowerZoh(dyn: Dynamics, b: VarBlock, dt: number, origin: string): void {
    const nx = this.nx;
    const nu = this.nu;
    if (b.size !== nx) throw new LowerError("zero-order hold needs one state vector with one dynamics equation", dyn.span, CompilerCodes.unsupported);
    const rhs = fitShape(this.ev, this.ev.evalMat(dyn.rhs, this.stage(0)), nx, 1, dyn.rhs.span, "the right-hand side");
    const na = nx + nu + nx;
    const M = dense(na, na);
    // the state matrix must be constant (a learnable there is not DPP, a runtime value cannot be
    // exponentiated at compile time); a non-constant input coefficient B_ij enters as Gd B (exact,
    // affine in B), so learnable and runtime values are allowed in B and in the offset
    const stateCoef = (node: number): number => {
      const v = this.pool.constValue(node);
      if (v !== undefined) return v;
      const t = this.pool.dependsOn(node);
      if (t.length > 0) this.notDppDiscretization(dyn, "zoh", t[0]);
      throw new LowerError("`using zoh` needs a constant state matrix (no runtime values multiplying the state)", dyn.rhs.span, CompilerCodes.zohNotConstant, "use `using rk4` or `using euler`, or a discrete model");
    };
    const varying: { i: number; j: number; node: number }[] = [];
    for (let i = 0; i < nx; i++) {
      const p = rhs.e[i];
      if (!this.alg.isAffine(p)) throw new LowerError("`using zoh` needs linear dynamics", dyn.rhs.span, CompilerCodes.zohNotConstant);
      for (const [z, node] of p.lin) {
        if (z < nx) M.data[i * na + z] = stateCoef(node);
        else if (z >= this.inputOffset && z < this.inputOffset + nu) {
          const v = this.pool.constValue(node);
          if (v !== undefined) M.data[i * na + nx + (z - this.inputOffset)] = v;
          else varying.push({ i, j: z - this.inputOffset, node });
        } else throw new LowerError("the dynamics may only use the current state and input", dyn.rhs.span, CompilerCodes.unsupported);
      }
      M.data[i * na + nx + nu + i] = 1;
    }
    for (let i = 0; i < M.data.length; i++) M.data[i] *= dt;
    const E = expm(M);
    const pool = this.pool;
    for (let k = 0; k < this.N; k++) {
      const next: Poly[] = [];
      for (let i = 0; i < nx; i++) {
        let c = pool.zero;
        for (let j = 0; j < nx; j++) c = pool.add(c, pool.mul(pool.num(E.data[i * na + nx + nu + j]), rhs.e[j].c));
        let p = this.alg.constant(c);
        for (let j = 0; j < nx; j++) p = this.alg.add(p, this.alg.scale(this.alg.variable(k * nx + j), pool.num(E.data[i * na + j])));
        for (let j = 0; j < nu; j++) p = this.alg.add(p, this.alg.scale(this.alg.variable(this.inputOffset + k * nu + j), pool.num(E.data[i * na + nx + j])));
        for (const v of varying) p = this.alg.add(p, this.alg.scale(this.alg.variable(this.inputOffset + k * nu + v.j), pool.mul(pool.num(E.data[i * na + nx + nu + v.i]), v.node)));
        next.push(p);
      }
      this.addEquality(this.stateVars(b, k + 1, dyn.span), this.alg.mat(nx, 1, next), dyn.rhs.span, origin);
    }
  }

  /** Rows lhs - rhs = 0. */
  private addEquality(lhs: Mat, rhs: Mat, span: Span, origin: string): void {
    for (let i = 0; i < lhs.e.length; i++) {
      const e = this.alg.add(lhs.e[i], rhs.e[i], -1);
      if (!this.alg.isAffine(e)) throw new LowerError("the dynamics must be affine in the state and input for a QP", span, CompilerCodes.degree);
      const c = this.pool.neg(e.c);
      this.pushRow(e.lin, c, c, origin);
    }
  }

  private pushRow(lin: ReadonlyMap<number, number>, lo: number, hi: number, origin: string | undefined): number {
    this.rows.push({ lin, lo, hi, origin });
    return this.rows.length - 1;
  }

  private addCost(p: Poly, origin: string): void {
    for (const k of p.lin.keys()) if (!this.costOrigin.has(k)) this.costOrigin.set(k, origin);
    for (const k of p.quad.keys()) if (!this.costOrigin.has(-1 - k)) this.costOrigin.set(-1 - k, origin);
    if (this.costConstOrigin === undefined && !this.pool.isConst(p.c)) this.costConstOrigin = origin;
    this.cost = this.alg.add(this.cost, p);
  }

  /** Whether a constraint operand uses an input (directly, through `prev` or a let), by the
   *  checker's resolution of its names. */
  protected mentionsInput(e: Expr, seen = new Set<SymbolInfo>()): boolean {
    let found = false;
    walkExpr(e, (x) => {
      if (found) return;
      if (x.kind === "Call" && x.callee.name === "prev") found = true;
      if (x.kind !== "Name") return;
      const sym = this.symbolOf(x);
      if (sym.kind === "input") found = true;
      const d = sym.decl;
      if (sym.kind === "let" && d !== undefined && d.kind === "Let" && !seen.has(sym)) {
        seen.add(sym);
        if (this.mentionsInput(d.value, seen)) found = true;
      }
    });
    return found;
  }

  private lowerConstraint(c: Constraint): void {
    const N = this.N;
    let stages: number[];
    if (c.range) {
      const a = agreedNumber(this.ev, this.model, c.range.from, this.blockScope, "a stage range start");
      const b = agreedNumber(this.ev, this.model, c.range.to, this.blockScope, "a stage range end");
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > N) this.ev.shapeError(`the stage range ${a}..${b} must lie within 0..N (N = ${N})`, c.range.span);
      stages = range(a, b);
    } else if (c.terminal) stages = [N];
    else stages = c.operands.some((o) => this.mentionsInput(o)) ? range(0, N - 1) : range(1, N);
    const origin = this.origin(c.span);
    for (const k of stages) this.lowerConstraintAt(c, k, origin);
  }

  private lowerConstraintAt(c: Constraint, k: number, origin: string): void {
    const st = this.stage(k);
    const ops = c.operands.map((o) => this.ev.evalMat(o, st));
    let rows = 1;
    let cols = 1;
    for (const m of ops) {
      if (m.rows * m.cols > 1) {
        if (rows * cols > 1 && (m.rows !== rows || m.cols !== cols)) this.ev.shapeError(`the sides of this constraint have different shapes (${rows}x${cols} and ${m.rows}x${m.cols})`, c.span);
        rows = m.rows;
        cols = m.cols;
      }
    }
    const R = rows * cols;
    const at = (m: Mat, i: number): Poly => (m.e.length === 1 ? m.e[0] : m.e[i]);
    const pool = this.pool;
    const inf = pool.num(Infinity);
    const ninf = pool.num(-Infinity);
    // scalar pieces lo <= e <= hi, grouped per entry
    const pieces: { e: Poly; lo: number; hi: number }[][] = [];
    for (let i = 0; i < R; i++) {
      const list: { e: Poly; lo: number; hi: number }[] = [];
      const opsHere = c.ops;
      const isConst = (p: Poly): boolean => this.alg.isConstant(p);
      if (opsHere.length === 2 && opsHere[0] === opsHere[1] && opsHere[0] !== "==" && isConst(at(ops[0], i)) && isConst(at(ops[2], i))) {
        const [lo, hi] = opsHere[0] === "<=" ? [at(ops[0], i), at(ops[2], i)] : [at(ops[2], i), at(ops[0], i)];
        list.push({ e: at(ops[1], i), lo: lo.c, hi: hi.c });
      } else {
        for (let j = 0; j < opsHere.length; j++) {
          const e = this.alg.add(at(ops[j], i), at(ops[j + 1], i), -1);
          const op = opsHere[j];
          list.push(op === "<=" ? { e, lo: ninf, hi: pool.zero } : op === ">=" ? { e, lo: pool.zero, hi: inf } : { e, lo: pool.zero, hi: pool.zero });
        }
      }
      for (const p of list) {
        if (!this.alg.isAffine(p.e)) throw new LowerError("a constraint must be affine in the decision variables for a QP", c.span, CompilerCodes.degree);
        // (the checker reports `prev(u)` alone at stage 0 first, MPC4016: there it is the runtime value prev_u)
        if (p.e.lin.size === 0) {
          throw new LowerError(
            `this constraint does not involve any decision variable at stage ${k}`,
            c.span,
            CompilerCodes.unsupported,
            k === 0 ? "at stage 0 `prev(u)` is the runtime value `prev_u`, not a decision: start the range at 1" : undefined,
          );
        }
      }
      pieces.push(list);
    }
    // a bound minus the row's constant: an infinite bound stays itself (`x <= [1; inf]` makes e's
    // constant -inf, and -inf - (-inf) was NaN); a side that can never hold is refused with the
    // checker's code (MPC4026): the checker reports a constant side first, and an infinite constant
    // inside an expression (`x + inf <= 0`, MPC4025: language/check/domain.ts); what only a stage
    // tells (`x <= w[k]` with w[1] = -inf) is found here
    const shift = (b: number, cst: number): number => {
      const v = pool.constValue(b);
      return v === Infinity || v === -Infinity ? b : pool.sub(b, cst);
    };
    for (const list of pieces) {
      for (const p of list) {
        p.lo = shift(p.lo, p.e.c);
        p.hi = shift(p.hi, p.e.c);
        if (pool.constValue(p.lo) === Infinity || pool.constValue(p.hi) === -Infinity) {
          throw new LowerError(`this constraint can never hold at stage ${k}: it bounds an expression by inf from below or by -inf from above`, c.span, "MPC4026", "an infinite bound means no bound: write `inf` as an upper bound and `-inf` as a lower one, or use a finite bound");
        }
      }
    }
    if (!c.soft) {
      for (const list of pieces) for (const p of list) this.pushRow(p.e.lin, p.lo, p.hi, origin);
      return;
    }
    if (c.penalty === undefined || (c.penalty.linear === undefined && c.penalty.quadratic === undefined)) {
      throw new LowerError("a soft constraint needs a penalty", c.span, CompilerCodes.missing, "add `penalty linear w` and/or `penalty quadratic w`");
    }
    const wl = c.penalty.linear ? fitShape(this.ev, this.ev.evalMat(c.penalty.linear, st), R, 1, c.penalty.linear.span, "the linear penalty") : undefined;
    const wq = c.penalty.quadratic ? fitShape(this.ev, this.ev.evalMat(c.penalty.quadratic, st), R, 1, c.penalty.quadratic.span, "the quadratic penalty") : undefined;
    for (let i = 0; i < R; i++) {
      const s = this.slackOffset + this.nSlack++;
      for (const p of pieces[i]) {
        const { lo, hi } = p;
        const loInf = pool.constValue(lo) === -Infinity;
        const hiInf = pool.constValue(hi) === Infinity;
        // lo - s <= e  <=>  e + s >= lo ;  e <= hi + s  <=>  e - s <= hi
        if (!loInf) this.pushRow(withVar(p.e.lin, s, pool.one), lo, inf, origin);
        if (!hiInf) this.pushRow(withVar(p.e.lin, s, pool.num(-1)), ninf, hi, origin);
      }
      this.pushRow(new Map([[s, pool.one]]), pool.zero, inf, origin);
      let cost = this.alg.num(0);
      if (wl) cost = this.alg.add(cost, this.alg.scale(this.alg.variable(s), this.alg.constantNode(wl.e[i], "a penalty weight")));
      if (wq) cost = this.alg.add(cost, this.alg.scale(this.alg.mul(this.alg.variable(s), this.alg.variable(s)), this.alg.constantNode(wq.e[i], "a penalty weight")));
      this.addCost(cost, origin);
    }
  }

  // ------------------------------------------------------------------ assembly

  private assemble(x0Rows: number[], u0Rows: number[], u0Lower: number[], u0Upper: number[]): QpIr {
    const pool = this.pool;
    const n = this.slackOffset + this.nSlack;
    const m = this.rows.length;
    // P (upper triangle) from the cost's quadratic part; the Hessian has 2*coef on the diagonal.
    const pEntries: { i: number; j: number; node: number; key: number }[] = [];
    for (const [key, node] of this.cost.quad) {
      const i = Math.floor(key / QKEY);
      const j = key % QKEY;
      pEntries.push({ i, j, node: i === j ? pool.mul(pool.num(2), node) : node, key });
    }
    pEntries.sort((a, b) => a.j - b.j || a.i - b.i);
    const P = toCsc(n, n, pEntries.map((e) => ({ r: e.i, c: e.j, node: e.node })));
    const aEntries: { r: number; c: number; node: number }[] = [];
    this.rows.forEach((row, r) => {
      for (const [c, node] of row.lin) if (pool.constValue(node) !== 0) aEntries.push({ r, c, node });
    });
    aEntries.sort((a, b) => a.c - b.c || a.r - b.r);
    const A = toCsc(m, n, aEntries);
    const q: number[] = [];
    for (let i = 0; i < n; i++) q.push(this.cost.lin.get(i) ?? pool.zero);
    const l = this.rows.map((r) => r.lo);
    const u = this.rows.map((r) => r.hi);
    const c = this.cost.c;
    const data = [...P.nodes, ...q, ...A.nodes, ...l, ...u, c];
    const dataOrigin: (string | undefined)[] = [
      ...pEntries.map((e) => this.costOrigin.get(-1 - e.key)),
      ...q.map((_, i) => this.costOrigin.get(i)),
      ...aEntries.map((e) => this.rows[e.r].origin),
      ...this.rows.map((r) => r.origin),
      ...this.rows.map((r) => r.origin),
      this.costConstOrigin,
    ];
    const jac: IrJacEntry[] = [];
    data.forEach((node, row) => {
      for (const col of pool.dependsOn(node)) {
        const d = pool.diff(node, col);
        if (pool.constValue(d) !== 0) jac.push({ row, col, node: d });
      }
    });
    return {
      name: this.block.name.name,
      fileName: this.options.fileName,
      nx: this.nx,
      nu: this.nu,
      horizon: this.N,
      discount: this.discount,
      n,
      m,
      stateOffset: 0,
      inputOffset: this.inputOffset,
      slackOffset: this.slackOffset,
      nSlack: this.nSlack,
      x0Rows,
      u0Rows,
      stateNames: this.states.map((s) => ({ name: s.name, size: s.size })),
      inputNames: this.inputs.map((s) => ({ name: s.name, size: s.size })),
      pool,
      P,
      A,
      q,
      l,
      u,
      c,
      data,
      dataOrigin,
      jac,
      params: this.params,
      nTheta: this.nTheta,
      runtime: this.runtime,
      nRuntime: this.nRuntime,
      u0Lower,
      u0Upper,
    };
  }
}

/** A stage scope: the stage index, decision variables of stage k, lets, prev(). */
export class StageScope implements Scope {
  readonly overrides = new Map<string, Val>();
  overrideKey = "";

  constructor(
    readonly owner: ControllerLowering,
    readonly k: number,
  ) {}

  lookup(name: string, span: Span): Val | undefined {
    throw new LoweringAssertion(`\`${name}\` looked up by name, not through the checker's model`, span);
  }

  ref(ref: NameRef): Val {
    return this.owner.valueOfRef(ref, this);
  }

  prev(name: string, span: Span, ref?: NameRef): Val {
    return this.owner.prevOf(name, span, this, ref);
  }

  letValue(d: LetDecl): Val {
    return this.owner.evalLet(d, this);
  }
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

function withVar(lin: ReadonlyMap<number, number>, z: number, coef: number): Map<number, number> {
  const out = new Map(lin);
  out.set(z, coef);
  return out;
}

function toCsc(rows: number, cols: number, entries: readonly { r: number; c: number; node: number }[]): IrCsc {
  const colPtr = new Array<number>(cols + 1).fill(0);
  for (const e of entries) colPtr[e.c + 1]++;
  for (let j = 0; j < cols; j++) colPtr[j + 1] += colPtr[j];
  return { rows, cols, colPtr, rowIdx: entries.map((e) => e.r), nodes: entries.map((e) => e.node) };
}
