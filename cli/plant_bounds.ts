// The state box a plant's constraints describe, for plots: every constraint lo <= e <= hi whose
// expression e is affine in a single state entry (the compiler normalizes bounds to e >= 0 forms
// such as s - lb or ub - s). Entries without such a bound are null.

import type { PlantIr } from "../compiler/index.js";

export function plantStateBox(plantIr: PlantIr | undefined, nx: number): { lower: (number | null)[]; upper: (number | null)[] } {
  const stateLower: (number | null)[] = new Array<number | null>(nx).fill(null);
  const stateUpper: (number | null)[] = new Array<number | null>(nx).fill(null);
  if (!plantIr) return { lower: stateLower, upper: stateUpper };
  // constraints lo <= e <= hi where e is affine in a single state entry: a state box
  type Aff = { index: number; coef: number; offset: number } | { index: -1; coef: 0; offset: number } | null;
  const pool = plantIr.pool;
  const aff = (id: number): Aff => {
    const node = pool.nodes[id];
    const c = pool.constValue(id);
    if (c !== undefined) return { index: -1, coef: 0, offset: c };
    if (node.op === "rt") return node.index < plantIr.nx ? { index: node.index, coef: 1, offset: 0 } : null;
    if (node.op === "neg") {
      const a = aff(node.a);
      return a && ({ ...a, coef: -a.coef, offset: -a.offset } as Aff);
    }
    if (node.op === "add" || node.op === "sub") {
      const a = aff(node.a);
      const b = aff(node.b);
      if (!a || !b || (a.index >= 0 && b.index >= 0)) return null;
      const sign = node.op === "sub" ? -1 : 1;
      const index = a.index >= 0 ? a.index : b.index;
      return { index, coef: a.coef + sign * b.coef, offset: a.offset + sign * b.offset } as Aff;
    }
    if (node.op === "mul") {
      const a = aff(node.a);
      const b = aff(node.b);
      if (!a || !b) return null;
      if (a.index < 0) return { index: b.index, coef: a.offset * b.coef, offset: a.offset * b.offset } as Aff;
      if (b.index < 0) return { index: a.index, coef: b.offset * a.coef, offset: b.offset * a.offset } as Aff;
    }
    return null;
  };
  for (const c of plantIr.constraints) {
    const e = aff(c.e);
    const lo = pool.constValue(c.lo);
    const hi = pool.constValue(c.hi);
    if (!e || e.index < 0 || e.coef === 0 || lo === undefined || hi === undefined) continue;
    let a = (lo - e.offset) / e.coef;
    let b = (hi - e.offset) / e.coef;
    if (e.coef < 0) [a, b] = [b, a];
    if (Number.isFinite(a)) stateLower[e.index] = Math.max(stateLower[e.index] ?? -Infinity, a);
    if (Number.isFinite(b)) stateUpper[e.index] = Math.min(stateUpper[e.index] ?? Infinity, b);
  }
  return { lower: stateLower, upper: stateUpper };
}
