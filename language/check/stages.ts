// The stages a statement of a controller is evaluated at, as the compiler lowers it (compiler/lower/
// controller.ts and nlp.ts), and the checker's view of the stage index over them: the one notion of
// a statement's stage range that every per-stage judgement uses (signs and curvature in affinity.ts
// and nlp.ts, domains and indices in domain.ts, lb <= ub and penalty signs in consistency.ts):
//   - a `stage` cost term and the dynamics at 0..N-1, the `initial` term at 0, `terminal` at N;
//   - a constraint (and its penalty) over its `for k in a..b`, `terminal` at N, else by default
//     0..N-1 when it mentions an input (directly, through a let or `prev`) and 1..N on states only;
//   - anything else (a `let`, evaluated at the stages of each statement that uses it) over 0..N.
// Also which inputs a statement reads (MPC4018): `prev(u)` at stage k is u_{k-1} (at k = 0 the
// runtime value `prev_<u>`), so it exists at every stage 0..N, u itself at 0..N-1 only.

import { children, type Expr } from "../ast.js";
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

/** What `stagesOf` needs of a root: its block, role and statement. */
export type StageSite = Pick<Root, "block" | "role" | "stmt">;

/**
 * The stages [first, last] a root of a controller is evaluated at, as the compiler lowers it (a
 * superset, 0..N, where it is not known: a `let`, a stage range that is not valid (MPC4015));
 * undefined outside a controller or without a horizon.
 */
export function stagesOf(ctx: Ctx, root: StageSite): [number, number] | undefined {
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
