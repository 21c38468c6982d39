// Lowers a nonlinear controller (`solver sqp` / `solver rti`) to the NLP IR (compiler/ir/nlp.ts):
// the same scopes, parameters, runtime values and constants as the QP lowering (ControllerLowering),
// with the stage's state and input bound to the leaves `x`/`u` of the expression pool instead of QP
// decision variables, so any smooth expression of them is a node. Per stage k:
//  - cost: the top-level addends of each term; `sumsq(r)` and `c*sumsq(r)` with a constant c >= 0
//    become least-squares rows (sqrt(c) r; Gauss-Newton Hessian 2 J'J), every other addend goes to
//    the general term g_k (its exact Hessian; for the terms the checker admits without `hessian
//    exact` it is the constant PSD Hessian of a convex quadratic, so nothing is convexified);
//  - constraints: lo <= e <= hi gives the rows e - hi <= 0 and lo - e <= 0, present at every stage
//    and -Infinity where the constraint's stage range excludes k or where a side is an infinite bound
//    on its "no bound" side at k (`e <= inf`, `x[0] <= w[k]` with w[k] = inf: no bound at that stage,
//    as in the linear lowering; on the wrong side MPC4026); soft rows
//    fold a stage-dependent linear (or constant quadratic) weight into the row, w (e - hi) <= eps
//    (sqrt(w) for a quadratic one); a quadratic weight that moves with theta stays the slack's L2
//    weight instead (NlpStageIr.softWeight, w eps^2 with e - hi <= eps), whose derivative in theta
//    is finite on the whole box, w = 0 included (that of sqrt(w) is not);
//  - bounds: constant `in [lo, hi]` of states and inputs become boxes; bounds with learnables become
//    hard rows (the box of the QP must not move with theta inside one solve's data);
//  - dynamics: f(x, u) once (stage-invariant), discrete or continuous with the runtime's integrator
//    (so what differs between stages, `k` through a let or a disturbance forecast, is refused there
//    by the checker: language/check/names.ts, MPC2012);
//  - `prev(u)`: the previous input is carried as extra trailing states p
//    (OcpModel.carriedInputs: p_{k+1} = u_k, added by the runtime), so prev(u) at every stage k is
//    the leaf p_k of the stage's own x: u_{k-1} for k >= 1 (by the carried dynamics, exactly), and
//    at k = 0 the runtime slot `prev_<u>` (the input applied at the last step; NonlinearMpc appends
//    it to the measured state). A term in u_k - u_{k-1} then has its cross derivatives within one
//    stage block (Gauss-Newton and exact Hessians alike). In the dynamics (an input delay) the
//    same leaf makes F read the carried states (NlpIr.dynamicsReadsCarried);
//  - soft rows at k = N: the OcpModel's terminal soft constraint (its own slacks, penalty gamma^N);
//    a soft equality e == c is the two soft rows e - c and c - e; a hard one is the row e - c with
//    its lower bound 0 where it applies (OcpModel.constraintLower): one equality row of each QP.

import type { Constraint, Dynamics, Expr } from "../../language/ast.js";
import type { NlpIr, NlpIntegrator, NlpStageIr } from "../ir/nlp.js";
import type { Mat, Poly } from "../ir/poly.js";
import { ControllerLowering, type LowerOptions, type StageScope, type VarBlock } from "./controller.js";
import type { NameRef } from "../../language/ast.js";
import { mat, type Val } from "./value.js";
import { CompilerCodes, LowerError } from "./errors.js";
import { agreedNumber, fitShape } from "./scope.js";
import type { Span } from "../../language/diagnostics.js";
import type { ControllerBlock, Program } from "../../language/ast.js";

export interface NlpLowerOptions extends LowerOptions {
  readonly method: "sqp" | "rti";
  readonly hessian: "gauss_newton" | "exact";
  /** Integrator substeps of continuous dynamics (default 1). */
  readonly substeps?: number;
  /** The `solver` item's options (absent: the runtime's defaults). */
  readonly maxIterations?: number;
  readonly tolerance?: number;
}

interface RowSpec {
  readonly xLower: number[];
  readonly xUpper: number[];
  readonly uLower: number[];
  readonly uUpper: number[];
  /** node per stage k = 0..N (or -Infinity node when absent) */
  readonly hard: number[][];
  /** Per hard row: an equality h = 0 (where it applies) rather than h <= 0. */
  readonly hardEquality: boolean[];
  readonly soft: number[][];
  /** Per soft row and stage k = 0..N, the factor of its L2 weight (a learnable quadratic weight, else 1). */
  readonly softWeight: number[][];
  readonly softL1: number[];
  readonly softL2: number[];
  /** Weights of the soft rows at k = N (the stage's own, which may differ from the path's). */
  readonly terminalSoftL1: number[];
  readonly terminalSoftL2: number[];
}

export class NlpLowering extends ControllerLowering {
  private readonly nlpOptions: NlpLowerOptions;
  /** Input blocks whose previous value is carried (prev), with their first carried state (after the model's). */
  private readonly carried: { readonly block: VarBlock; readonly offset: number }[] = [];
  private nCarried = 0;
  /** While the dynamics are lowered; whether they read a previous input (an input delay). */
  private inDynamics = false;
  private dynamicsReadsCarried = false;

  constructor(program: Program, source: string, block: ControllerBlock, options: NlpLowerOptions) {
    super(program, source, block, options);
    this.nlpOptions = options;
  }

  protected override stateVars(b: VarBlock): Mat {
    const out: Poly[] = [];
    for (let i = 0; i < b.size; i++) out.push(this.alg.constant(this.pool.x(b.offset + i)));
    return this.alg.mat(b.size, 1, out);
  }

  protected override inputVars(b: VarBlock): Mat {
    const out: Poly[] = [];
    for (let i = 0; i < b.size; i++) out.push(this.alg.constant(this.pool.u(b.offset + i)));
    return this.alg.mat(b.size, 1, out);
  }

  /** `prev(u)`: the carried state p_k (u_{k-1} for k >= 1, the runtime slot `prev_<u>` at k = 0).
   *  In the dynamics (an input delay) F then reads the carried states (dynamicsReadsCarried). */
  override prevOf(name: string, span: Span, _stage: StageScope, ref?: NameRef): Val {
    if (this.inDynamics) this.dynamicsReadsCarried = true;
    // the runtime slot of stage 0 (validates the name; registered once, fed by the rollouts)
    super.prevOf(name, span, this.stage(0), ref);
    const b = this.inputs.find((s) => s.name === name);
    if (b === undefined) throw new LowerError(`\`prev\` takes an input; \`${name}\` is not one`, span, CompilerCodes.unsupported);
    let c = this.carried.find((q) => q.block === b);
    if (c === undefined) {
      c = { block: b, offset: this.nCarried };
      this.carried.push(c);
      this.nCarried += b.size;
    }
    const first = this.nx + c.offset;
    return mat(this.alg.mat(b.size, 1, Array.from({ length: b.size }, (_, i) => this.alg.constant(this.pool.x(first + i)))));
  }

  lowerNlp(): NlpIr {
    this.prepare();
    const N = this.N;
    const pool = this.pool;
    const items = this.block.items;
    const ninf = pool.num(-Infinity);
    // dynamics: one equation per state block, stacked in state order
    const f: number[] = new Array<number>(this.nx).fill(pool.zero);
    let integrator: NlpIntegrator | undefined;
    for (const b of this.states) {
      const dyn = items.filter((x): x is Dynamics => x.kind === "Dynamics" && x.target.name === b.name);
      if (dyn.length === 0) throw new LowerError(`state \`${b.name}\` has no dynamics`, b.decl.name.span, CompilerCodes.missing, `add \`dynamics ${b.name}+ = ...\``);
      if (dyn.length > 1) throw new LowerError(`state \`${b.name}\` has more than one dynamics equation`, dyn[1].span, CompilerCodes.unsupported);
      const d = dyn[0];
      const here = this.integratorOf(d);
      if (integrator !== undefined && JSON.stringify(integrator) !== JSON.stringify(here)) {
        throw new LowerError("every state of a nonlinear controller needs the same discretization", d.span, CompilerCodes.unsupported, "use one `using` method for all dynamics equations");
      }
      integrator = here;
      this.inDynamics = true;
      let rhs;
      try {
        rhs = fitShape(this.ev, this.ev.evalMat(d.rhs, this.stage(0)), b.size, 1, d.rhs.span, "the right-hand side");
      } finally {
        this.inDynamics = false;
      }
      for (let i = 0; i < b.size; i++) f[b.offset + i] = rhs.e[i].c;
    }
    // boxes (constant) and bounds with learnables (hard rows)
    const xLower = new Array<number>((N + 1) * this.nx).fill(-Infinity);
    const xUpper = new Array<number>((N + 1) * this.nx).fill(Infinity);
    const uLower = new Array<number>(N * this.nu).fill(-Infinity);
    const uUpper = new Array<number>(N * this.nu).fill(Infinity);
    const rows: RowSpec = { xLower, xUpper, uLower, uUpper, hard: [], hardEquality: [], soft: [], softWeight: [], softL1: [], softL2: [], terminalSoftL1: [], terminalSoftL2: [] };
    const hardRow = (nodes: number[]): void => {
      rows.hard.push(nodes);
      rows.hardEquality.push(false);
    };
    const boundRows = (b: VarBlock, isState: boolean): void => {
      const [lo, hi] = this.declBounds(b);
      for (let i = 0; i < b.size; i++) {
        const leaf = isState ? pool.x(b.offset + i) : pool.u(b.offset + i);
        const stages = isState ? [1, N] : [0, N - 1];
        const lv = pool.constValue(lo[i]);
        const hv = pool.constValue(hi[i]);
        for (let k = stages[0]; k <= stages[1]; k++) {
          if (isState) {
            if (lv !== undefined) xLower[k * this.nx + b.offset + i] = lv;
            if (hv !== undefined) xUpper[k * this.nx + b.offset + i] = hv;
          } else {
            if (lv !== undefined) uLower[k * this.nu + b.offset + i] = lv;
            if (hv !== undefined) uUpper[k * this.nu + b.offset + i] = hv;
          }
        }
        const perStage = (node: number): number[] => Array.from({ length: N + 1 }, (_, k) => (k >= stages[0] && k <= stages[1] ? node : ninf));
        if (lv === undefined) hardRow(perStage(pool.sub(lo[i], leaf)));
        if (hv === undefined) hardRow(perStage(pool.sub(leaf, hi[i])));
      }
    };
    for (const b of this.states) if (b.decl.bounds) boundRows(b, true);
    for (const b of this.inputs) if (b.decl.bounds) boundRows(b, false);
    // constraints
    for (const it of items) {
      if (it.kind !== "SubjectTo") continue;
      for (const c of it.constraints) this.lowerNlpConstraint(c, rows);
    }
    // costs
    const residual: number[][] = Array.from({ length: N + 1 }, () => []);
    const general: number[] = new Array<number>(N + 1).fill(pool.zero);
    for (const it of items) {
      if (it.kind !== "Objective") continue;
      for (const term of it.terms) {
        const ks = term.costKind === "initial" ? [0] : term.costKind === "terminal" ? [N] : range(0, N - 1);
        for (const k of ks) {
          for (const { expr, negated } of addends(term.expr)) {
            const st = this.stage(k);
            const ls = negated ? undefined : this.leastSquares(expr, k);
            if (ls !== undefined) {
              residual[k].push(...ls);
              continue;
            }
            const m = this.ev.evalMat(expr, st);
            if (m.rows !== 1 || m.cols !== 1) this.ev.shapeError(`a cost term must be a scalar, this one is ${m.rows}x${m.cols}`, expr.span);
            const v = m.e[0].c;
            general[k] = negated ? pool.sub(general[k], v) : pool.add(general[k], v);
          }
        }
      }
    }
    // residual rows: the same count at every stage 0..N-1 (pad with zeros)
    const nres = Math.max(0, ...residual.slice(0, N).map((r) => r.length));
    // a term present at some stages only (e.g. `initial sumsq(...)`): the others get zero rows
    for (let k = 0; k < N; k++) while (residual[k].length < nres) residual[k].push(pool.zero);
    // a row outside its stage range: the constant -1 (zero Jacobian, always strictly satisfied)
    const off = pool.num(-1);
    const live = (node: number): number => (node === ninf ? off : node);
    // an equality row is one only where it applies (elsewhere the vacuous -1 <= 0)
    const stageOf = (k: number): NlpStageIr => ({
      residual: residual[k],
      general: general[k],
      hard: rows.hard.map((r) => live(r[k])),
      hardEquality: rows.hard.map((r, i) => rows.hardEquality[i] && r[k] !== ninf),
      soft: rows.soft.map((r) => live(r[k])),
      softWeight: rows.softWeight.map((w) => w[k]),
    });
    const stages = range(0, N - 1).map(stageOf);
    // the terminal node keeps only rows that apply at N (the OcpModel's terminal functions)
    const termRows = rows.hard.map((r, i) => (r[N] !== ninf ? i : -1)).filter((i) => i >= 0);
    const termSoft = rows.soft.map((r, i) => (r[N] !== ninf ? i : -1)).filter((i) => i >= 0);
    // learnable quadratic penalty weights (SoftConstraint.weight), only where some row has one
    const weighted = (ws: readonly number[]): boolean => ws.some((w) => w !== pool.one);
    const termWeight = termSoft.map((i) => rows.softWeight[i][N]);
    const terminal: NlpStageIr = {
      residual: residual[N],
      general: general[N],
      hard: termRows.map((i) => rows.hard[i][N]),
      hardEquality: termRows.map((i) => rows.hardEquality[i]),
      soft: termSoft.map((i) => rows.soft[i][N]),
      ...(weighted(termWeight) ? { softWeight: termWeight } : {}),
    };
    // path rows that never apply at k < N are dropped from the stages
    const pathHard = rows.hard.map((r, i) => (r.slice(0, N).some((x) => x !== ninf) ? i : -1)).filter((i) => i >= 0);
    const pathSoft = rows.soft.map((r, i) => (r.slice(0, N).some((x) => x !== ninf) ? i : -1)).filter((i) => i >= 0);
    const pathWeighted = stages.some((s) => weighted(pathSoft.map((i) => s.softWeight![i])));
    const stagesPruned = stages.map(({ softWeight, ...s }): NlpStageIr => ({
      ...s,
      hard: pathHard.map((i) => s.hard[i]),
      hardEquality: pathHard.map((i) => s.hardEquality[i]),
      soft: pathSoft.map((i) => s.soft[i]),
      ...(pathWeighted ? { softWeight: pathSoft.map((i) => softWeight![i]) } : {}),
    }));
    const u0Lower = uLower.slice(0, this.nu);
    const u0Upper = uUpper.slice(0, this.nu);
    // carried previous inputs: states nx..nx+nc-1 of every node, without boxes (p_k = u_{k-1} is boxed as an input)
    const nxa = this.nx + this.nCarried;
    const widen = (a: number[], fill: number): number[] => {
      const out = new Array<number>((N + 1) * nxa).fill(fill);
      for (let k = 0; k <= N; k++) for (let i = 0; i < this.nx; i++) out[k * nxa + i] = a[k * this.nx + i];
      return out;
    };
    const carriedInputs = this.carried.flatMap((c) => Array.from({ length: c.block.size }, (_, i) => c.block.offset + i));
    return {
      kind: "nlp",
      name: this.block.name.name,
      fileName: this.options.fileName,
      nx: this.nx,
      nu: this.nu,
      horizon: N,
      carriedInputs,
      dynamicsReadsCarried: this.dynamicsReadsCarried,
      discount: this.discount,
      method: this.nlpOptions.method,
      hessian: this.nlpOptions.hessian,
      ...(this.nlpOptions.maxIterations !== undefined ? { maxIterations: this.nlpOptions.maxIterations } : {}),
      ...(this.nlpOptions.tolerance !== undefined ? { tolerance: this.nlpOptions.tolerance } : {}),
      stateNames: this.states.map((s) => ({ name: s.name, size: s.size })),
      inputNames: this.inputs.map((s) => ({ name: s.name, size: s.size })),
      pool,
      params: this.params,
      nTheta: this.nTheta,
      runtime: this.runtime,
      nRuntime: this.nRuntime,
      dynamics: f,
      integrator: integrator ?? { kind: "discrete" },
      stages: stagesPruned,
      terminal,
      softL1: pathSoft.map((i) => rows.softL1[i]),
      softL2: pathSoft.map((i) => rows.softL2[i]),
      terminalSoftL1: termSoft.map((i) => rows.terminalSoftL1[i]),
      terminalSoftL2: termSoft.map((i) => rows.terminalSoftL2[i]),
      xLower: widen(xLower, -Infinity),
      xUpper: widen(xUpper, Infinity),
      uLower,
      uUpper,
      u0Lower,
      u0Upper,
    };
  }

  private integratorOf(d: Dynamics): NlpIntegrator {
    if (d.form === "discrete") return { kind: "discrete" };
    const dt = this.timestep;
    if (dt === undefined) throw new LowerError("continuous dynamics need a `timestep`", d.span, CompilerCodes.missing, "add e.g. `timestep 0.1`");
    const method = d.method ?? "rk4";
    if (method === "zoh") {
      throw new LowerError("`using zoh` (the matrix exponential) needs linear dynamics; a nonlinear controller integrates with `using rk4` or `using euler`", d.methodSpan ?? d.span, CompilerCodes.unsupported, "write `using rk4`");
    }
    const substeps = (d as Dynamics & { readonly substeps?: number }).substeps ?? this.nlpOptions.substeps ?? 1;
    return { kind: method, dt, substeps };
  }

  /** `sumsq(r)` or `c * sumsq(r)` / `sumsq(r) * c` with a constant c >= 0: the rows sqrt(c) r at stage k.
   *  Read off the syntax, not Model.costTermClass: the checker classes `sumsq` of an affine r as a
   *  convex quadratic, and least-squares rows are the cheaper exact form of that too. */
  private leastSquares(e: Expr, k: number): number[] | undefined {
    const pool = this.pool;
    const inner = e.kind === "Paren" ? e.inner : e;
    let call: Expr | undefined;
    let scale = 1;
    if (inner.kind === "Call" && inner.callee.name === "sumsq" && inner.args.length === 1) call = inner.args[0].value;
    else if (inner.kind === "Binary" && inner.op === "*") {
      for (const [s, other] of [
        [inner.left, inner.right],
        [inner.right, inner.left],
      ] as const) {
        const o = other.kind === "Paren" ? other.inner : other;
        if (o.kind !== "Call" || o.callee.name !== "sumsq" || o.args.length !== 1) continue;
        const m = this.ev.evalMat(s, this.stage(k));
        if (m.rows !== 1 || m.cols !== 1 || !this.alg.isConstant(m.e[0])) continue;
        const c = pool.constValue(m.e[0].c);
        if (c === undefined || !(c >= 0) || !Number.isFinite(c)) continue;
        call = o.args[0].value;
        scale = Math.sqrt(c);
        break;
      }
    }
    if (call === undefined) return undefined;
    const r = this.ev.evalMat(call, this.stage(k));
    return r.e.map((p) => (scale === 1 ? p.c : pool.mul(pool.num(scale), p.c)));
  }

  private lowerNlpConstraint(c: Constraint, rows: RowSpec): void {
    const N = this.N;
    const pool = this.pool;
    const ninf = pool.num(-Infinity);
    let stages: number[];
    if (c.range) {
      const a = agreedNumber(this.ev, this.model, c.range.from, this.blockScope, "a stage range start");
      const b = agreedNumber(this.ev, this.model, c.range.to, this.blockScope, "a stage range end");
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > N) this.ev.shapeError(`the stage range ${a}..${b} must lie within 0..N (N = ${N})`, c.range.span);
      stages = range(a, b);
    } else if (c.terminal) stages = [N];
    else stages = c.operands.some((o) => this.mentionsInput(o)) ? range(0, N - 1) : range(1, N);
    // rows per stage: pieces (e - hi <= 0, lo - e <= 0, e - c = 0) of every entry, in a fixed order
    const perStage = new Map<number, SoftPiece[]>();
    let count = -1;
    for (const k of stages) {
      const pieces = this.constraintPieces(c, k);
      if (count >= 0 && pieces.length !== count) throw new LowerError("this constraint has a different number of rows at different stages", c.span, CompilerCodes.unsupported);
      count = pieces.length;
      perStage.set(k, pieces);
    }
    if (count <= 0) return;
    for (let i = 0; i < count; i++) {
      const nodes = range(0, N).map((k) => perStage.get(k)?.[i].node ?? ninf);
      if (!c.soft) {
        const equality = perStage.get(stages[0])![i].equality;
        // (pieces are matched by position: an infinite side that vanishes at some stages only could
        // pair an equality with an inequality)
        if (stages.some((k) => perStage.get(k)![i].equality !== equality)) {
          throw new LowerError("this constraint has an equality row at some stages and an inequality row at others", c.span, CompilerCodes.unsupported, "split it into one constraint per relation");
        }
        // a constant bound on one state or input entry is a box (simple bounds of the QP)
        // (a stage where the row is absent, `x[0] <= w[k]` with w[k] = inf, has no bound there)
        if (!equality && stages.every((k) => nodes[k] === ninf || this.toBox(nodes[k], k, rows, false))) {
          for (const k of stages) if (nodes[k] !== ninf) this.toBox(nodes[k], k, rows, true);
          continue;
        }
        rows.hard.push(nodes);
        rows.hardEquality.push(equality);
        continue;
      }
      // weights: those of the first path stage, and the terminal stage's own (stage-dependent
      // weights are folded into the rows, so these differ only for mixed linear + quadratic penalties,
      // whose weights the checker requires to be the same at every path stage: consistency.ts, MPC2015)
      const first = perStage.get(stages[0])![i];
      const last = perStage.get(N)?.[i] ?? first;
      rows.soft.push(nodes);
      rows.softWeight.push(range(0, N).map((k) => perStage.get(k)?.[i].weightNode ?? pool.one));
      rows.softL1.push(first.weightL1);
      rows.softL2.push(first.weightL2);
      rows.terminalSoftL1.push(last.weightL1);
      rows.terminalSoftL2.push(last.weightL2);
    }
  }

  /** Whether row `node` <= 0 at stage k is `leaf - c <= 0` or `c - leaf <= 0` for a state or input
   *  entry and a constant c: then it tightens that entry's box and is no row. Node 0's state is
   *  the measured one, so a bound on it stays a row (the QP would be infeasible, not the bound moved).
   *  With `apply` false it only answers (a row is a box at all its stages or at none). */
  private toBox(node: number, k: number, rows: RowSpec, apply: boolean): boolean {
    const pool = this.pool;
    const n = pool.nodes[node];
    if (n.op !== "sub") return false;
    const a = pool.nodes[n.a];
    const b = pool.nodes[n.b];
    const leaf = a.op === "x" || a.op === "u" ? a : b.op === "x" || b.op === "u" ? b : undefined;
    const other = leaf === a ? b : a;
    if (leaf === undefined || other.op !== "const" || !Number.isFinite(other.value)) return false;
    if (leaf.op === "x" && k === 0) return false;
    // a carried previous input (prev) has no box of its own: the bound stays a row
    if (leaf.op === "x" && leaf.index >= this.nx) return false;
    if (leaf.op === "u" && k >= this.N) return false;
    if (!apply) return true;
    const upper = leaf === a; // leaf - c <= 0
    const idx = leaf.op === "x" ? k * this.nx + leaf.index : k * this.nu + leaf.index;
    const lo = leaf.op === "x" ? rows.xLower : rows.uLower;
    const hi = leaf.op === "x" ? rows.xUpper : rows.uUpper;
    if (upper) hi[idx] = Math.min(hi[idx], other.value);
    else lo[idx] = Math.max(lo[idx], other.value);
    return true;
  }

  /** The rows of constraint c at stage k: h <= 0 or h = 0 (hard) or c <= eps (soft, weights folded in). */
  private constraintPieces(c: Constraint, k: number): SoftPiece[] {
    const pool = this.pool;
    const ninf = pool.num(-Infinity);
    const st = this.stage(k);
    const ops = c.operands.map((o) => this.ev.evalMat(o, st));
    let R = 1;
    for (const m of ops) if (m.rows * m.cols > 1) R = m.rows * m.cols;
    const at = (m: Mat, i: number): number => (m.e.length === 1 ? m.e[0] : m.e[i]).c;
    const raw: number[] = [];
    const entryOf: number[] = [];
    const isEquality: boolean[] = [];
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < c.ops.length; j++) {
        const a = at(ops[j], i);
        const b = at(ops[j + 1], i);
        const op = c.ops[j];
        // an infinite side (at this stage: `x[0] <= w[k]` with w[k] = inf): on the "no bound" side
        // the row is absent at this stage (the marker -inf: the constant -1 on a path stage, dropped at
        // N; the row keeps its position, so every stage has the same rows); on the wrong side, or in
        // an equality, the constraint can never hold: the linear lowering's MPC4026
        const [va, vb] = [pool.constValue(a), pool.constValue(b)];
        const wrong = op === "==" ? isInfinite(va) || isInfinite(vb) : op === "<=" ? va === Infinity || vb === -Infinity : va === -Infinity || vb === Infinity;
        if (wrong) {
          throw new LowerError(`this constraint can never hold at stage ${k}: it bounds an expression by inf from below or by -inf from above`, c.span, "MPC4026", "an infinite bound means no bound: write `inf` as an upper bound and `-inf` as a lower one, or use a finite bound");
        }
        if (op !== "==" && (isInfinite(va) || isInfinite(vb))) {
          raw.push(ninf);
          entryOf.push(i);
          isEquality.push(false);
          continue;
        }
        if (op === "==" && c.soft) {
          // a soft equality: both sides, each with its slack (|e - c| or (e - c)^2 penalized)
          raw.push(pool.sub(a, b), pool.sub(b, a));
          entryOf.push(i, i);
          isEquality.push(false, false);
          continue;
        }
        if (op === "==") {
          // a hard equality: one row e - c = 0 (its linearization is one equality row of the QP)
          raw.push(pool.sub(a, b));
          entryOf.push(i);
          isEquality.push(true);
          continue;
        }
        const lhs = op === "<=" ? a : b;
        const rhs = op === "<=" ? b : a;
        raw.push(pool.sub(lhs, rhs));
        entryOf.push(i);
        isEquality.push(false);
      }
    }
    // a row whose terms cancel (`x - x >= 1`: the pool folds x - x to 0) involves no decision
    // variable: the linear lowering's MPC4601, inside `check` (it was accepted, and every solve was
    // infeasible or the row had no effect); the absent marker (-inf) is constant on purpose
    for (const node of raw) {
      const v = pool.constValue(node);
      if (v !== undefined && node !== ninf) throw new LowerError(`this constraint does not involve any decision variable at stage ${k}`, c.span, CompilerCodes.unsupported);
    }
    if (!c.soft) return raw.map((node, j) => ({ node, weightL1: 0, weightL2: 0, equality: isEquality[j] }));
    if (c.penalty === undefined || (c.penalty.linear === undefined && c.penalty.quadratic === undefined)) {
      throw new LowerError("a soft constraint needs a penalty", c.span, CompilerCodes.missing, "add `penalty linear w` and/or `penalty quadratic w`");
    }
    const wl = c.penalty.linear ? fitShape(this.ev, this.ev.evalMat(c.penalty.linear, st), R, 1, c.penalty.linear.span, "the linear penalty") : undefined;
    const wq = c.penalty.quadratic ? fitShape(this.ev, this.ev.evalMat(c.penalty.quadratic, st), R, 1, c.penalty.quadratic.span, "the quadratic penalty") : undefined;
    const constant = (m: Mat | undefined, i: number, span: Span | undefined): number | undefined => {
      if (m === undefined) return undefined;
      const v = pool.constValue(this.alg.constantNode(m.e[i], "a penalty weight"));
      if (v === undefined && span !== undefined) {
        throw new LowerError("a penalty weight of a nonlinear controller that mixes linear and quadratic penalties must be a constant", span, CompilerCodes.notConstant);
      }
      return v;
    };
    // a row absent at this stage keeps the marker (no weight folded into it) and the weights a
    // present row would have
    const piece = (node: number, r: number): SoftPiece => {
      const i = entryOf[r];
      if (wl !== undefined && wq === undefined) {
        // w (e - hi) <= eps with an L1 weight 1: w * max(0, e - hi) for w >= 0 (MPC4009)
        return { node: pool.mul(this.alg.constantNode(wl.e[i], "a penalty weight"), node), weightL1: 1, weightL2: 0, equality: false };
      }
      if (wq !== undefined && wl === undefined) {
        const w = this.alg.constantNode(wq.e[i], "a penalty weight");
        // a weight that moves with theta stays the slack's weight, w eps^2 with e - hi <= eps (the
        // runtime's SoftConstraint.weight): folded in as sqrt(w) (e - hi) <= eps, its derivative in
        // theta would be infinite at w = 0, an admissible corner of the box (MPC4009 proves w >= 0)
        if (pool.dependsOn(w).length > 0) return { node, weightL1: 0, weightL2: 1, equality: false, weightNode: w };
        // sqrt(w) (e - hi) <= eps with an L2 weight 1: w max(0, e - hi)^2 for a constant (or runtime) w >= 0
        return { node: pool.mul(pool.unary("sqrt", w), node), weightL1: 0, weightL2: 1, equality: false };
      }
      return { node, weightL1: constant(wl, i, c.penalty?.linear?.span) ?? 0, weightL2: constant(wq, i, c.penalty?.quadratic?.span) ?? 0, equality: false };
    };
    return raw.map((node, r) => (node === ninf ? { ...piece(pool.zero, r), node: ninf } : piece(node, r)));
  }
}

/** A row of a constraint at one stage: its node, penalty weights (soft rows) and kind; a learnable
 *  quadratic penalty weight is `weightNode` (the slack's L2 weight factor), not folded into the row. */
interface SoftPiece {
  readonly node: number;
  readonly weightL1: number;
  readonly weightL2: number;
  readonly equality: boolean;
  readonly weightNode?: number;
}

/** The addends of a sum, with whether each enters negated. */
function addends(e: Expr, negated = false, out: { expr: Expr; negated: boolean }[] = []): { expr: Expr; negated: boolean }[] {
  if (e.kind === "Paren") return addends(e.inner, negated, out);
  if (e.kind === "Binary" && (e.op === "+" || e.op === "-")) {
    addends(e.left, negated, out);
    addends(e.right, e.op === "-" ? !negated : negated, out);
    return out;
  }
  if (e.kind === "Unary") return addends(e.operand, e.op === "-" ? !negated : negated, out);
  out.push({ expr: e, negated });
  return out;
}

const isInfinite = (v: number | undefined): boolean => v === Infinity || v === -Infinity;

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}
