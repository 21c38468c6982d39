// Straight-line code for expression nodes: one `const vN = ...;` per interior node (in id order,
// which is topological), leaves inlined. Mirrors ir/expr.ts evalNode operation by operation, so
// the emitted code computes bit-identical values to the in-process template.

import type { ExprPool } from "../ir/expr.js";
import { numLit } from "./safe.js";

export interface NodeNames {
  theta: string;
  rt: string;
  /** Names of the stage's state and input arrays (nonlinear controllers). */
  x?: string;
  u?: string;
}

export class NodeCode {
  private readonly defined = new Set<number>();

  constructor(
    readonly pool: ExprPool,
    readonly names: NodeNames,
  ) {}

  /** The expression that yields node `id` (a leaf literal or a defined local). */
  ref(id: number): string {
    const n = this.pool.nodes[id];
    switch (n.op) {
      case "const":
        return numLit(n.value);
      case "theta":
        return `${this.names.theta}[${n.index}]`;
      case "rt":
        return `${this.names.rt}[${n.index}]`;
      case "x":
        return `${this.names.x ?? "x"}[${n.index}]`;
      case "u":
        return `${this.names.u ?? "u"}[${n.index}]`;
      default:
        return `v${id}`;
    }
  }

  /** Statements defining every interior node in `needed` (ascending ids) not yet defined. */
  define(needed: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let k = 0; k < needed.length; k++) {
      const id = needed[k];
      const n = this.pool.nodes[id];
      if (n.op === "const" || n.op === "theta" || n.op === "rt" || n.op === "x" || n.op === "u" || this.defined.has(id)) continue;
      this.defined.add(id);
      out.push(`const v${id} = ${this.exprOf(id)};`);
    }
    return out;
  }

  private exprOf(id: number): string {
    const n = this.pool.nodes[id];
    const r = (x: number): string => this.ref(x);
    switch (n.op) {
      case "add":
        return `${r(n.a)} + ${r(n.b)}`;
      case "sub":
        return `${r(n.a)} - ${r(n.b)}`;
      case "mul":
        return `${r(n.a)} * ${r(n.b)}`;
      case "div":
        return `${r(n.a)} / ${r(n.b)}`;
      case "pow":
        return `Math.pow(${r(n.a)}, ${r(n.b)})`;
      case "max":
        return `Math.max(${r(n.a)}, ${r(n.b)})`;
      case "min":
        return `Math.min(${r(n.a)}, ${r(n.b)})`;
      case "neg":
        return `-${r(n.a)}`;
      case "sin":
      case "cos":
      case "tan":
      case "exp":
      case "sqrt":
      case "log":
      case "abs":
      case "tanh":
        return `Math.${n.op}(${r(n.a)})`;
      default:
        return r(id);
    }
  }
}
