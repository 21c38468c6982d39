// The stages a statement of a controller is evaluated at, as the compiler lowers it (compiler/lower/
// controller.ts and nlp.ts), and the checker's view of the stage index over them: the one notion of
// a statement's stage range that every per-stage judgement uses (signs and curvature in affinity.ts
// and nlp.ts, domains and indices in domain.ts, lb <= ub and penalty signs in consistency.ts):
//   - a `stage` cost term and the dynamics at 0..N-1, the `initial` term at 0, `terminal` at N;
//   - a constraint (and its penalty) over its `for k in a..b`, `terminal` at N, else by default
//     0..N-1 when it mentions an input (directly, through a let or `prev`) and 1..N on states only;
//   - a `let` at the stages of the statements that use it (directly or through other lets: the hull
//     of their ranges, `letStages`; used nowhere: 0..N), anything else over 0..N.
// Also which inputs a statement reads (MPC4018): `prev(u)` at stage k is u_{k-1} (at k = 0 the
// runtime value `prev_<u>`), so it exists at every stage 0..N, u itself at 0..N-1 only; what makes
// an expression differ between stages, through lets (`stageDependence`: `k`, a disturbance, `prev`),
// and which dynamics the compiler evaluates once for every stage (`dynamicsEvaluatedOnce`), where
// that is not defined (names.ts, MPC2012).

import { children, type ControllerBlock, type Dynamics, type Expr } from "../ast.js";
import type { Ctx, Root, Sym } from "./context.js";
import { constInt, horizonOf } from "./const_eval.js";
import { withStageRange } from "./interval.js";

/** Whether a `let` reads an input (by mode), memoised per let: a chain of lets is walked once. */
const letReads: readonly WeakMap<Ctx, Map<Sym, boolean>>[] = [new WeakMap(), new WeakMap()];

/**
 * The first input an expression refers to (following lets): a controller input by name, and, with
 * `withPrev`, a `prev(...)` call too (the compiler's rule for a constraint's default stages counts
 * both; what exists at stage N counts the input only: prev(u) there is u_{N-1}).
 */
export function inputIn(ctx: Ctx, e: Expr, withPrev: boolean): Expr | undefined {
  if (e.kind === "Name") {
    const s = ctx.resolution.get(e.id);
    if (s?.kind === "input" && s.blockKind === "controller") return e;
    if (s?.kind === "let" && s.decl?.kind === "Let") {
      const memos = letReads[withPrev ? 1 : 0];
      let memo = memos.get(ctx);
      if (!memo) memos.set(ctx, (memo = new Map()));
      let uses = memo.get(s);
      if (uses === undefined) {
        memo.set(s, false); // a cycle (reported elsewhere) uses nothing
        uses = inputIn(ctx, s.decl.value, withPrev) !== undefined;
        memo.set(s, uses);
      }
      return uses ? e : undefined;
    }
    return undefined;
  }
  // `prev(u)` names u, but reads the input of the stage before (or a runtime value at stage 0)
  if (e.kind === "Call" && e.callee.name === "prev") return withPrev ? e : undefined;
  for (const c of children(e)) {
    const hit = inputIn(ctx, c, withPrev);
    if (hit) return hit;
  }
  return undefined;
}

/** What `stagesOf` needs of a root: its block, role and statement (and, for a `let`, its symbol). */
export type StageSite = Pick<Root, "block" | "role" | "stmt"> & { readonly owner?: Sym };

/** Roles evaluated once, outside every stage: a let there is MPC2012 (names.ts), not a stage use. */
const NO_STAGE_ROLES = new Set(["dim", "init", "bound", "setting", "range"]);

/** The lets a definition or statement names directly (not entering their definitions). */
function directLets(ctx: Ctx, e: Expr, out: Set<Sym>): Set<Sym> {
  if (e.kind === "Name") {
    const s = ctx.resolution.get(e.id);
    if (s?.kind === "let" && s.decl?.kind === "Let") out.add(s);
    return out;
  }
  for (const c of children(e)) directLets(ctx, c, out);
  return out;
}

/** Per run: the stages each `let` of a controller is evaluated at (absent: used nowhere). */
const letStageMemo = new WeakMap<object, Map<Sym, [number, number]>>();

/**
 * The stages a `let` is evaluated at: the hull of the stage ranges of the statements that use it,
 * directly or through other lets (the compiler evaluates a let at the stage of each use); undefined
 * when no statement evaluated per stage uses it. Computed once per run for every let: each
 * statement's own lets, then carried along the lets' definitions to a fixpoint (a hull only grows,
 * inside 0..N).
 */
function letStages(ctx: Ctx, sym: Sym): [number, number] | undefined {
  // (keyed by the run's roots, which every view of the run shares: computed once per run)
  let memo = letStageMemo.get(ctx.roots);
  if (!memo) {
    memo = new Map();
    letStageMemo.set(ctx.roots, memo);
    const join = (s: Sym, r: readonly [number, number]): boolean => {
      const old = memo!.get(s);
      if (old && old[0] <= r[0] && old[1] >= r[1]) return false;
      memo!.set(s, old ? [Math.min(old[0], r[0]), Math.max(old[1], r[1])] : [r[0], r[1]]);
      return true;
    };
    const uses = new Map<Sym, Set<Sym>>();
    for (const root of ctx.roots) {
      if (root.block.kind !== "controller" || NO_STAGE_ROLES.has(root.role)) continue;
      if (root.role === "let") {
        if (root.owner) uses.set(root.owner, directLets(ctx, root.expr, new Set()));
        continue;
      }
      const r = stagesOf(ctx, root);
      if (!r) continue;
      for (const s of directLets(ctx, root.expr, new Set())) join(s, r);
    }
    const work = [...memo.keys()];
    while (work.length > 0) {
      const s = work.pop()!;
      const r = memo.get(s)!;
      for (const t of uses.get(s) ?? []) if (join(t, r)) work.push(t);
    }
  }
  return memo.get(sym);
}

/**
 * The stages [first, last] a root of a controller is evaluated at, as the compiler lowers it (a
 * superset where it is not known: a `let`, the hull of its uses' stages; a stage range that is not
 * valid (MPC4015), 0..N);
 * undefined outside a controller or without a horizon.
 */
export function stagesOf(ctx: Ctx, root: StageSite): [number, number] | undefined {
  // (asked for every judgement of a statement: memoised per root, which belongs to one run)
  // (a constraint's or cost term's stages are its statement's, whatever the site object)
  const key: object = root.stmt?.kind === "Constraint" || root.stmt?.kind === "CostTerm" ? root.stmt : root;
  const memo = stagesMemo.get(key);
  if (memo !== undefined) return memo ?? undefined;
  const r = computeStages(ctx, root);
  stagesMemo.set(key, r ?? null);
  return r;
}

const stagesMemo = new WeakMap<object, [number, number] | null>();

function computeStages(ctx: Ctx, root: StageSite): [number, number] | undefined {
  if (root.block.kind !== "controller") return undefined;
  const n = horizonOf(ctx, root.block.name);
  if (n === undefined || n < 1) return undefined;
  const st = root.stmt;
  if (st?.kind === "Constraint") {
    if (st.terminal) return st.range ? [0, n] : [n, n];
    if (st.range) {
      const a = constInt(ctx, st.range.from);
      const b = constInt(ctx, st.range.to);
      return a !== undefined && b !== undefined && a >= 0 && a <= b && b <= n ? [a, b] : [0, n];
    }
    return st.operands.some((o) => inputIn(ctx, o, true) !== undefined) ? [0, n - 1] : [1, n];
  }
  if (st?.kind === "CostTerm") return st.costKind === "stage" ? [0, n - 1] : st.costKind === "terminal" ? [n, n] : [0, 0];
  if (root.role === "dynamics") return [0, n - 1];
  // a let: where its uses are evaluated (used nowhere: judged over 0..N, as before)
  if (root.role === "let" && root.owner) return letStages(ctx, root.owner) ?? [0, n];
  return [0, n];
}

/**
 * The checker run as a root sees it: the stage index over the stages the root is evaluated at
 * (`withStageRange`), or the run itself when those are all of 0..N (or unknown). Every interval,
 * sign and domain judgement of a statement is made on this view: a `stage` term's `1/(N - k)` is
 * in [1/N, 1] (k <= N-1), a constraint's `1/k` over `for k in 1..N` in [1/N, 1].
 */
export function stageView(ctx: Ctx, root: StageSite): Ctx {
  const stages = stagesOf(ctx, root);
  if (!stages) return ctx;
  const n = horizonOf(ctx, root.block.name);
  return n !== undefined && (stages[0] > 0 || stages[1] < n) ? withStageRange(ctx, stages[0], stages[1]) : ctx;
}

/** What `stageDependence` looks for: the stage index, a controller disturbance (a forecast, one
 *  value per stage), a `prev(...)` call (u_{k-1}: the runtime value `prev_<u>` at stage 0). */
export type StageDependence = "k" | "disturbance" | "prev";

const depMemos: Record<StageDependence, WeakMap<Ctx, Map<Sym, Expr | null>>> = { k: new WeakMap(), disturbance: new WeakMap(), prev: new WeakMap() };

function isDependence(ctx: Ctx, e: Expr, what: StageDependence): boolean {
  if (what === "prev") return e.kind === "Call" && e.callee.name === "prev";
  if (e.kind !== "Name") return false;
  const s = ctx.resolution.get(e.id);
  return what === "k" ? s?.kind === "stage-index" : s?.kind === "disturbance" && s.blockKind === "controller";
}

/**
 * The first node of `e` that makes it differ between stages, of one kind (`what`), following lets:
 * the node itself (inside the let's definition when it comes through a let, so a diagnostic can
 * point at it). Memoised per let: a chain of lets is walked once; a cycle (reported elsewhere)
 * depends on nothing.
 */
export function stageDependence(ctx: Ctx, e: Expr, what: StageDependence): Expr | undefined {
  if (isDependence(ctx, e, what)) return e;
  if (e.kind === "Name") {
    const s = ctx.resolution.get(e.id);
    if (s?.kind !== "let" || s.decl?.kind !== "Let") return undefined;
    let memo = depMemos[what].get(ctx);
    if (!memo) depMemos[what].set(ctx, (memo = new Map()));
    const hit = memo.get(s);
    if (hit !== undefined) return hit ?? undefined;
    memo.set(s, null);
    const found = stageDependence(ctx, s.decl.value, what) ?? null;
    memo.set(s, found);
    return found ?? undefined;
  }
  for (const c of children(e)) {
    const hit = stageDependence(ctx, c, what);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * Whether the compiler evaluates a dynamics equation of a controller once for every stage rather
 * than at each stage k: a nonlinear MPC integrates one model f(x, u) (compiler/lower/nlp.ts), and a
 * linear one discretizes `using zoh` (the default method) with one matrix exponential
 * (compiler/lower/controller.ts, lowerZoh). Discrete dynamics and `using euler|rk4` of a linear
 * controller are evaluated at every stage k. What differs between stages (`k` through a let, a
 * disturbance forecast, in a linear zoh also `prev(u)`) is therefore not defined in the former.
 */
export function dynamicsEvaluatedOnce(block: ControllerBlock, d: Dynamics): "nlp" | "zoh" | undefined {
  // a nonlinear MPC: its first `solver` item says sqp or rti (nlp.ts, nonlinearSolver)
  const solver = block.items.find((i) => i.kind === "Solver");
  if (solver?.kind === "Solver" && solver.method !== "qp") return "nlp";
  // (no `using` is zoh for the compiler, and MPC4012; an unknown method is MPC1018's alone)
  if (d.form === "continuous" && (d.method === "zoh" || (d.method === undefined && d.methodSpan === undefined))) return "zoh";
  return undefined;
}

const varMemo = new WeakMap<Ctx, Map<Sym, boolean>>();

/**
 * Whether an expression reads a state or input of its controller other than through `prev(...)`
 * (following lets): what makes a constraint involve a decision variable at stage 0, where
 * `prev(u)` is the runtime value `prev_<u>` (the input applied at the last step).
 */
export function readsVariableBesidesPrev(ctx: Ctx, e: Expr): boolean {
  if (e.kind === "Name") {
    const s = ctx.resolution.get(e.id);
    if (s?.isDecisionVar) return true;
    if (s?.kind !== "let" || s.decl?.kind !== "Let") return false;
    let memo = varMemo.get(ctx);
    if (!memo) varMemo.set(ctx, (memo = new Map()));
    const hit = memo.get(s);
    if (hit !== undefined) return hit;
    memo.set(s, false);
    const r = readsVariableBesidesPrev(ctx, s.decl.value);
    memo.set(s, r);
    return r;
  }
  if (e.kind === "Call" && e.callee.name === "prev") return false;
  return children(e).some((c) => readsVariableBesidesPrev(ctx, c));
}
