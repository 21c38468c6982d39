// The QP data of the program actually compiled, bounded over every admissible parameter: a
// backstop of the checker's finiteness and 1e20 rules (docs/soundness.md sections 1 and 5), run by
// `check` inside its lowering. Each datum is a node of the IR's expression pool, affine in theta
// under DPP; its interval over the admissible values (learnables in their boxes inside +-1e20,
// runtime values in their declared ranges inside +-1e20: what the runtime accepts) is computed by
// interval arithmetic on the pool (exact for an affine node: each theta entry enters once). Then,
// as the runtime validates a solve's data (runtime/qp/validate.ts):
//   - a coefficient of P, q or A that may be infinite or NaN is MPC4025 (every solve would be
//     refused, status invalid_input), and so is the cost's constant term (V and Q would be infinite);
//   - a lower bound that may reach 1e20, or an upper bound -1e20, is MPC4026: the QP format reads
//     it as infinite on the wrong side, and every such solve is refused.
// Strictly beyond 1e20 for bounds, as in the checker: an unbounded learnable alone ranges up to the
// limit, which it never reaches. A node this evaluator does not bound (a quotient by an interval
// that contains 0, `tan`, a non-integer power) is not judged here: the checker judged its source
// expression. What this adds: the numbers the compiler builds from the source, e.g. the constant
// part of an rk4 step or of a zero-order hold (Gd c), or Gd B(theta) (red team 2: `using zoh` with
// a learnable input gain; `using rk4` with an unbounded learnable offset).

import type { ControllerBlock } from "../../language/ast.js";
import type { Diagnostic, Span } from "../../language/diagnostics.js";
import type { ExprPool } from "../ir/expr.js";
import type { QpIr } from "../ir.js";
import { INFTY } from "../../runtime/qp/settings.js";
// (the checker's number format, so that both verdicts print ranges alike)
import { fmt } from "../../language/check/affinity.js";

/** Intervals of every pool node up to `count` (NaN endpoints: not bounded by this evaluator). */
function nodeIntervals(pool: ExprPool, theta: readonly [number, number][], rt: readonly [number, number][], count: number): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(count);
  const hi = new Float64Array(count);
  const set = (id: number, l: number, h: number): void => {
    // (a NaN from inf - inf or 0 * inf: nothing is known)
    lo[id] = Number.isNaN(l) || Number.isNaN(h) ? NaN : l;
    hi[id] = Number.isNaN(l) || Number.isNaN(h) ? NaN : h;
  };
  for (let id = 0; id < count; id++) {
    const node = pool.nodes[id];
    switch (node.op) {
      case "const":
        set(id, node.value, node.value);
        break;
      case "theta":
        set(id, theta[node.index][0], theta[node.index][1]);
        break;
      case "rt":
        set(id, rt[node.index][0], rt[node.index][1]);
        break;
      case "x":
      case "u":
        set(id, NaN, NaN);
        break;
      case "neg":
        set(id, -hi[node.a], -lo[node.a]);
        break;
      case "abs": {
        const [l, h] = [lo[node.a], hi[node.a]];
        set(id, l >= 0 ? l : h <= 0 ? -h : 0, Math.max(-l, h));
        break;
      }
      case "sin":
      case "cos":
      case "tanh":
        set(id, Number.isNaN(lo[node.a]) ? NaN : -1, Number.isNaN(lo[node.a]) ? NaN : 1);
        break;
      case "exp":
        set(id, Math.exp(lo[node.a]), Math.exp(hi[node.a]));
        break;
      case "sqrt":
        if (lo[node.a] >= 0) set(id, Math.sqrt(lo[node.a]), Math.sqrt(hi[node.a]));
        else set(id, NaN, NaN);
        break;
      case "log":
        if (lo[node.a] > 0) set(id, Math.log(lo[node.a]), Math.log(hi[node.a]));
        else set(id, NaN, NaN);
        break;
      case "tan":
        set(id, NaN, NaN);
        break;
      case "add":
        set(id, lo[node.a] + lo[node.b], hi[node.a] + hi[node.b]);
        break;
      case "sub":
        set(id, lo[node.a] - hi[node.b], hi[node.a] - lo[node.b]);
        break;
      case "mul": {
        const p = [lo[node.a] * lo[node.b], lo[node.a] * hi[node.b], hi[node.a] * lo[node.b], hi[node.a] * hi[node.b]];
        set(id, Math.min(...p), Math.max(...p));
        break;
      }
      case "div": {
        const [bl, bh] = [lo[node.b], hi[node.b]];
        if (!(bl > 0 || bh < 0)) {
          set(id, NaN, NaN);
          break;
        }
        const p = [lo[node.a] / bl, lo[node.a] / bh, hi[node.a] / bl, hi[node.a] / bh];
        set(id, Math.min(...p), Math.max(...p));
        break;
      }
      case "pow": {
        const e = pool.constValue(node.b);
        const [l, h] = [lo[node.a], hi[node.a]];
        if (e === undefined || !Number.isInteger(e) || e < 0 || Number.isNaN(l)) {
          set(id, NaN, NaN);
          break;
        }
        const m = Math.max(Math.abs(l), Math.abs(h));
        // |v|^e <= m^e; an even power is >= 0
        set(id, e % 2 === 0 ? 0 : -(m ** e), m ** e);
        break;
      }
      case "max":
        set(id, Math.max(lo[node.a], lo[node.b]), Math.max(hi[node.a], hi[node.b]));
        break;
      case "min":
        set(id, Math.min(lo[node.a], lo[node.b]), Math.min(hi[node.a], hi[node.b]));
        break;
    }
  }
  return { lo, hi };
}

/** [lo, hi] clipped to the admissible magnitude (the runtime refuses values of 1e20 or more). */
function admissible(lo: number, hi: number): [number, number] {
  return [Math.max(lo, -INFTY), Math.min(hi, INFTY)];
}

/** The statement of `block` that a datum's origin ("file:LINE text") points at, else the block's name. */
function spanOfOrigin(block: ControllerBlock, fileName: string, origin: string | undefined): Span {
  const m = origin !== undefined && origin.startsWith(`${fileName}:`) ? /^(\d+) /.exec(origin.slice(fileName.length + 1)) : null;
  const line = m ? Number(m[1]) : NaN;
  for (const it of block.items) {
    if (it.kind === "SubjectTo") {
      for (const c of it.constraints) if (c.span.startLine === line) return c.span;
    } else if (it.span.startLine <= line && line <= it.span.endLine) return it.span;
  }
  return block.name.span;
}

export function dataRangeChecks(ir: QpIr, block: ControllerBlock): Diagnostic[] {
  const theta: [number, number][] = new Array(ir.nTheta).fill(null).map((): [number, number] => [-INFTY, INFTY]);
  for (const p of ir.params) for (let i = 0; i < p.size; i++) theta[p.offset + i] = admissible(p.lower[i], p.upper[i]);
  const rt: [number, number][] = new Array(ir.nRuntime).fill(null).map((): [number, number] => [-INFTY, INFTY]);
  for (const r of ir.runtime) for (let i = 0; i < r.size; i++) rt[r.offset + i] = admissible(r.lower?.[i] ?? -Infinity, r.upper?.[i] ?? Infinity);
  let count = 0;
  for (const node of ir.data) count = Math.max(count, node + 1);
  const { lo, hi } = nodeIntervals(ir.pool, theta, rt, count);
  const nP = ir.P.nodes.length, n = ir.n, nA = ir.A.nodes.length, m = ir.m;
  const lStart = nP + n + nA;
  const uStart = lStart + m;
  const diags: Diagnostic[] = [];
  const reported = new Set<string>();
  const report = (k: number, d: Omit<Diagnostic, "span">): void => {
    const origin = ir.dataOrigin[k];
    // one diagnostic per statement and kind (a horizon repeats the same row N times)
    const key = `${d.code} ${origin ?? ""}`;
    if (reported.has(key)) return;
    reported.add(key);
    diags.push({ ...d, span: spanOfOrigin(block, ir.fileName, origin) } as Diagnostic);
  };
  for (let k = 0; k < ir.data.length; k++) {
    const node = ir.data[k];
    const [l, h] = [lo[node], hi[node]];
    if (Number.isNaN(l)) continue;
    const cEntry = k === uStart + m;
    if (k < lStart || cEntry) {
      if (Number.isFinite(l) && Number.isFinite(h)) continue;
      const what = cEntry ? "the cost's constant term" : k < nP ? "a cost Hessian entry" : k < nP + n ? "a linear cost coefficient" : "a constraint or dynamics coefficient";
      report(k, {
        severity: "error",
        code: "MPC4025",
        message: l === h ? `${what} of the compiled QP is not finite` : `${what} of the compiled QP may be infinite for some admissible parameter`,
        label: `the compiler builds it from this statement; over the admissible learnables and runtime values it ranges over [${fmt(l)}, ${fmt(h)}]`,
        notes: ["the runtime refuses QP data that are not finite (every such solve ends with status invalid_input)"],
        help: "bound the learnables or runtime values this statement uses, or rescale the model (a smaller timestep, other units)",
      });
    } else if (k < uStart ? h > INFTY : l < -INFTY) {
      const lower = k < uStart;
      report(k, {
        severity: "error",
        code: "MPC4026",
        message: `${lower ? "a lower" : "an upper"} bound of the compiled QP may reach ${lower ? "" : "-"}1e20, which the QP reads as ${lower ? "+" : "-"}infinite`,
        label: `the compiler builds the row's bound from this statement; over the admissible learnables and runtime values it ranges over [${fmt(l)}, ${fmt(h)}]`,
        notes: ["bounded by +inf from below (or -inf from above) the row holds for no value, and every such solve is refused (status invalid_input)"],
        help: "bound the learnables or runtime values this statement uses so that its constant part stays below 1e20 in magnitude, or rescale the model",
      });
    }
  }
  return diags;
}
