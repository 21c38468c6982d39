// The in-process path: a QpTemplate built directly from the IR (no code generation). It evaluates
// the same DAG nodes in the same order as the emitted straight-line code, so both give identical
// numbers (a test checks it). Used by compileToModule (the trainer) and the numeric checks.

import type { QpTemplate, RuntimeLayout } from "../runtime/mpc/template.js";
import type { ParamLayout } from "../runtime/mpc/types.js";
import type { IrParam, IrRuntime, QpIr } from "./ir.js";
import { evalNode } from "./ir/expr.js";

export function templateFromIr(ir: QpIr): QpTemplate {
  const pool = ir.pool;
  const nodes = pool.nodes;
  const data = Int32Array.from(ir.data);
  const jacNodes = Int32Array.from(ir.jac.map((e) => e.node));
  // Only the nodes each function needs, in topological (id) order.
  const dataNeeded = neededNodes(ir, ir.data);
  const jacNeeded = neededNodes(ir, ir.jac.map((e) => e.node));
  const vals = new Float64Array(nodes.length);
  const params = paramLayouts(ir.params);
  const theta0 = theta0Of(ir.params, ir.nTheta);
  const runtime = runtimeLayouts(ir.runtime);
  return {
    name: ir.name,
    nx: ir.nx,
    nu: ir.nu,
    horizon: ir.horizon,
    discount: ir.discount,
    n: ir.n,
    m: ir.m,
    P: { rows: ir.n, cols: ir.n, colPtr: Int32Array.from(ir.P.colPtr), rowIdx: Int32Array.from(ir.P.rowIdx) },
    A: { rows: ir.m, cols: ir.n, colPtr: Int32Array.from(ir.A.colPtr), rowIdx: Int32Array.from(ir.A.rowIdx) },
    stateOffset: ir.stateOffset,
    inputOffset: ir.inputOffset,
    slackOffset: ir.slackOffset,
    nSlack: ir.nSlack,
    x0Rows: Int32Array.from(ir.x0Rows),
    u0Rows: Int32Array.from(ir.u0Rows),
    params,
    nTheta: ir.nTheta,
    theta0,
    runtime,
    nRuntime: ir.nRuntime,
    jacRow: Int32Array.from(ir.jac.map((e) => e.row)),
    jacCol: Int32Array.from(ir.jac.map((e) => e.col)),
    fill(theta, rt, out) {
      for (let k = 0; k < dataNeeded.length; k++) {
        const id = dataNeeded[k];
        vals[id] = evalNode(nodes[id], vals, theta, rt);
      }
      for (let k = 0; k < data.length; k++) out[k] = vals[data[k]];
    },
    jacValues(theta, rt, out) {
      for (let k = 0; k < jacNeeded.length; k++) {
        const id = jacNeeded[k];
        vals[id] = evalNode(nodes[id], vals, theta, rt);
      }
      for (let k = 0; k < jacNodes.length; k++) out[k] = vals[jacNodes[k]];
    },
  };
}

/** The parameter layouts of the IR (typed arrays for the boxes). */
export function paramLayouts(params: readonly IrParam[]): ParamLayout[] {
  return params.map((p) => ({
    name: p.name,
    rows: p.rows,
    cols: p.cols,
    offset: p.offset,
    size: p.size,
    structure: p.structure,
    lower: Float64Array.from(p.lower),
    upper: Float64Array.from(p.upper),
  }));
}

/** theta at the declared initial values. */
export function theta0Of(params: readonly IrParam[], nTheta: number): Float64Array {
  const theta0 = new Float64Array(nTheta);
  for (const p of params) theta0.set(p.initial, p.offset);
  return theta0;
}

export function runtimeLayouts(runtime: readonly IrRuntime[]): RuntimeLayout[] {
  return runtime.map((r) => ({
    name: r.name,
    size: r.size,
    offset: r.offset,
    defaultValue: Float64Array.from(r.defaultValue),
    ...(r.lower !== undefined && r.upper !== undefined ? { lower: Float64Array.from(r.lower), upper: Float64Array.from(r.upper) } : {}),
    ...(r.previousInput !== undefined ? { previousInput: r.previousInput } : {}),
  }));
}

/** Ids of all nodes the roots depend on, ascending (a topological order). */
export function neededNodes(ir: Pick<QpIr, "pool">, roots: readonly number[]): Int32Array {
  const nodes = ir.pool.nodes;
  const mark = new Uint8Array(nodes.length);
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (mark[id]) continue;
    mark[id] = 1;
    const n = nodes[id];
    if ("a" in n) stack.push(n.a);
    if ("b" in n) stack.push(n.b);
  }
  const out: number[] = [];
  for (let i = 0; i < nodes.length; i++) if (mark[i]) out.push(i);
  return Int32Array.from(out);
}
