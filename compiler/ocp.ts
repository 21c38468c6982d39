// The in-process path of a nonlinear controller: an OcpModel (runtime/nmpc/types.ts) evaluated
// directly from the NLP IR (compiler/ir/nlp.ts), with the Jacobians and Hessians derived
// symbolically from the IR's nodes (ExprPool.diffLeaf) once, at construction (Hessians on first
// use). Stages whose node lists are identical share one evaluation kernel. The emitted module
// (compiler/emit/nlp.ts) computes the same nodes as straight-line code.

import type { DynamicsOut, GeneralCost, GeneralCostOut, OcpModel, StageFunction, StageOut } from "../runtime/nmpc/types.js";
import type { ExprPool } from "./ir/expr.js";
import { hardLower, type NlpIr, type NlpStageIr } from "./ir/nlp.js";
import { neededNodes, paramLayouts, runtimeLayouts, theta0Of } from "./template.js";
import type { NlpTemplate } from "../runtime/nmpc/learnable.js";
import { rowDerivatives, rowHessians } from "./ir/derive.js";

/** Evaluates a fixed list of output nodes at (theta, rt, x, u). */
class Kernel {
  private readonly ids: Int32Array;
  constructor(
    private readonly pool: ExprPool,
    readonly outputs: Int32Array,
  ) {
    this.ids = neededNodes({ pool }, Array.from(outputs));
  }
  run(vals: Float64Array, theta: ArrayLike<number>, rt: ArrayLike<number>, x: ArrayLike<number>, u: ArrayLike<number>): void {
    this.pool.evaluateAt(this.ids, theta, rt, x, u, vals);
  }
}

/** Values and first derivatives of `rows` w.r.t. x, u, theta (row-major), as one kernel; the
 *  Hessian of w'rows (compiler/ir/derive.ts) as a second, built on first use. */
class RowsKernel {
  readonly size: number;
  private readonly first: Kernel;
  private second: Kernel | undefined;
  private readonly nu: number;
  private readonly nx: number;
  private readonly nv: number;
  /** nx: the states the rows are differentiated by (default all, the carried inputs included; the dynamics: the declared ones). */
  constructor(
    private readonly owner: OcpBuild,
    private readonly rows: readonly number[],
    withInput: boolean,
    nx = owner.ir.nx + owner.ir.carriedInputs.length,
  ) {
    const { pool, ir } = owner;
    this.size = rows.length;
    this.nu = withInput ? ir.nu : 0;
    this.nx = nx;
    const d = rowDerivatives(pool, rows, nx, this.nu, ir.nTheta);
    this.first = new Kernel(pool, Int32Array.from([...d.value, ...d.jx, ...d.ju, ...d.jtheta]));
    this.nv = nx + this.nu + ir.nTheta;
  }

  eval(x: ArrayLike<number>, u: ArrayLike<number>, theta: ArrayLike<number>, rt: ArrayLike<number>, value: Float64Array, jx: Float64Array, ju: Float64Array, jtheta: Float64Array): void {
    const vals = this.owner.values();
    this.first.run(vals, theta, rt, x, u);
    const o = this.first.outputs;
    let p = 0;
    for (let i = 0; i < this.size; i++) value[i] = vals[o[p++]];
    for (let i = 0; i < this.size * this.nx; i++) jx[i] = vals[o[p++]];
    for (let i = 0; i < this.size * this.nu; i++) ju[i] = vals[o[p++]];
    for (let i = 0; i < this.size * this.owner.ir.nTheta; i++) jtheta[i] = vals[o[p++]];
  }

  /** Hessian of w'rows w.r.t. v = (x, u, theta), nv x nv. */
  hessian(x: ArrayLike<number>, u: ArrayLike<number>, theta: ArrayLike<number>, rt: ArrayLike<number>, w: ArrayLike<number>, out: Float64Array): void {
    const { pool, ir } = this.owner;
    this.second ??= new Kernel(pool, Int32Array.from(rowHessians(pool, this.rows, this.nx, this.nu, ir.nTheta).flat()));
    const vals = this.owner.values();
    this.second.run(vals, theta, rt, x, u);
    const o = this.second.outputs;
    const nv2 = this.nv * this.nv;
    out.fill(0, 0, nv2);
    let p = 0;
    for (let i = 0; i < this.size; i++) {
      const wi = w[i];
      for (let j = 0; j < nv2; j++) {
        const h = vals[o[p++]];
        if (wi !== 0) out[j] += wi * h;
      }
    }
  }
}

class OcpBuild {
  readonly pool: ExprPool;
  private vals: Float64Array;
  constructor(readonly ir: NlpIr) {
    this.pool = ir.pool;
    this.vals = new Float64Array(0);
  }
  /** The value buffer, grown when new (derivative) nodes were created. */
  values(): Float64Array {
    if (this.vals.length < this.pool.nodes.length) this.vals = new Float64Array(this.pool.nodes.length + 256);
    return this.vals;
  }

  /** One StageFunction over the stages' row lists (a kernel per distinct list). */
  stageFunction(lists: readonly (readonly number[])[], terminal: boolean): StageFunction | undefined {
    if (lists.length === 0 || lists[0].length === 0) return undefined;
    const byKey = new Map<string, RowsKernel>();
    const kernels = lists.map((rows) => {
      const key = rows.join(",");
      let k = byKey.get(key);
      if (k === undefined) {
        k = new RowsKernel(this, rows, !terminal);
        byKey.set(key, k);
      }
      return k;
    });
    return {
      size: lists[0].length,
      eval: (k, x, u, theta, rt, out: StageOut) => kernels[terminal ? 0 : k].eval(x, u, theta, rt, out.value, out.jx, out.ju, out.jtheta),
      hessian: (k, x, u, theta, rt, w, out) => kernels[terminal ? 0 : k].hessian(x, u, theta, rt, w, out),
    };
  }

  generalCost(nodes: readonly number[], terminal: boolean): GeneralCost | undefined {
    if (nodes.every((n) => this.pool.constValue(n) === 0)) return undefined;
    const byKey = new Map<number, RowsKernel>();
    const kernels = nodes.map((g) => {
      let k = byKey.get(g);
      if (k === undefined) {
        k = new RowsKernel(this, [g], !terminal);
        byKey.set(g, k);
      }
      return k;
    });
    const one = Float64Array.of(1);
    const value = new Float64Array(1);
    return {
      eval: (k, x, u, theta, rt, out: GeneralCostOut) => {
        kernels[terminal ? 0 : k].eval(x, u, theta, rt, value, out.gx, out.gu, out.gtheta);
        return value[0];
      },
      hessian: (k, x, u, theta, rt, w, out) => {
        one[0] = w;
        kernels[terminal ? 0 : k].hessian(x, u, theta, rt, one, out);
      },
    };
  }
}

/** An OcpModel of the controller, evaluated from its IR. */
export function ocpModelFromIr(ir: NlpIr): OcpModel {
  const b = new OcpBuild(ir);
  const N = ir.horizon;
  const stages: readonly NlpStageIr[] = ir.stages;
  const dyn = new RowsKernel(b, ir.dynamics, true, ir.dynamicsReadsCarried ? ir.nx + ir.carriedInputs.length : ir.nx);
  const residual = b.stageFunction(stages.map((s) => s.residual), false);
  const terminalResidual = b.stageFunction([ir.terminal.residual], true);
  const general = b.generalCost(stages.map((s) => s.general), false);
  const terminalGeneral = b.generalCost([ir.terminal.general], true);
  const constraint = b.stageFunction(stages.map((s) => s.hard), false);
  const terminalConstraint = b.stageFunction([ir.terminal.hard], true);
  const soft = b.stageFunction(stages.map((s) => s.soft), false);
  const terminalSoft = b.stageFunction([ir.terminal.soft], true);
  // learnable quadratic penalty weights (SoftConstraint.weight)
  const softWeight = stages.length > 0 && stages[0].softWeight !== undefined ? b.stageFunction(stages.map((s) => s.softWeight ?? []), false) : undefined;
  const terminalSoftWeight = ir.terminal.softWeight !== undefined ? b.stageFunction([ir.terminal.softWeight], true) : undefined;
  return {
    nx: ir.nx + ir.carriedInputs.length,
    nu: ir.nu,
    N,
    nTheta: ir.nTheta,
    nRuntime: ir.nRuntime,
    dynamics: (x, u, theta, rt, out: DynamicsOut) => dyn.eval(x, u, theta, rt, out.f, out.fx, out.fu, out.ftheta),
    dynamicsHessian: (x, u, theta, rt, lambda, out) => dyn.hessian(x, u, theta, rt, lambda, out),
    integrator: ir.integrator,
    ...(residual !== undefined ? { residual } : {}),
    ...(terminalResidual !== undefined ? { terminalResidual } : {}),
    ...(general !== undefined ? { general } : {}),
    ...(terminalGeneral !== undefined ? { terminalGeneral } : {}),
    xLower: Float64Array.from(ir.xLower),
    xUpper: Float64Array.from(ir.xUpper),
    uLower: Float64Array.from(ir.uLower),
    uUpper: Float64Array.from(ir.uUpper),
    ...(constraint !== undefined ? { constraint } : {}),
    ...(terminalConstraint !== undefined ? { terminalConstraint } : {}),
    ...(constraint !== undefined && stages.some((s) => s.hardEquality.includes(true)) ? { constraintLower: Float64Array.from(hardLower(stages)) } : {}),
    ...(terminalConstraint !== undefined && ir.terminal.hardEquality.includes(true) ? { terminalConstraintLower: Float64Array.from(hardLower([ir.terminal])) } : {}),
    ...(soft !== undefined ? { softConstraint: { fn: soft, l1: Float64Array.from(ir.softL1), l2: Float64Array.from(ir.softL2), ...(softWeight !== undefined ? { weight: softWeight } : {}) } } : {}),
    ...(terminalSoft !== undefined
      ? { terminalSoftConstraint: { fn: terminalSoft, l1: Float64Array.from(ir.terminalSoftL1), l2: Float64Array.from(ir.terminalSoftL2), ...(terminalSoftWeight !== undefined ? { weight: terminalSoftWeight } : {}) } }
      : {}),
    ...(ir.carriedInputs.length > 0 ? { carriedInputs: Int32Array.from(ir.carriedInputs) } : {}),
    ...(ir.dynamicsReadsCarried ? { dynamicsReadsCarried: true } : {}),
  };
}

/** The in-process NlpTemplate (runtime/nmpc/learnable.ts) of a nonlinear controller. */
export function nlpTemplateFromIr(ir: NlpIr): NlpTemplate {
  return {
    name: ir.name,
    model: ocpModelFromIr(ir),
    discount: ir.discount,
    method: ir.method,
    hessian: ir.hessian,
    ...(ir.maxIterations !== undefined ? { maxIterations: ir.maxIterations } : {}),
    ...(ir.tolerance !== undefined ? { tolerance: ir.tolerance } : {}),
    params: paramLayouts(ir.params),
    theta0: theta0Of(ir.params, ir.nTheta),
    runtime: runtimeLayouts(ir.runtime),
  };
}
