// Hyper-dual numbers a + b e1 + c e2 + d e1e2 (e1^2 = e2^2 = 0; Fike & Alonso, AIAA 2011-886):
// one evaluation seeded with e1 on input i and e2 on input j gives d2f/dv_i dv_j exactly in d.
// Test helper only: exact Hessians of the hand-written test models.

export class HD {
  constructor(
    readonly a: number,
    readonly b = 0,
    readonly c = 0,
    readonly d = 0,
  ) {}
}

export const hd = (a: number): HD => new HD(a);
export const add = (x: HD, y: HD): HD => new HD(x.a + y.a, x.b + y.b, x.c + y.c, x.d + y.d);
export const sub = (x: HD, y: HD): HD => new HD(x.a - y.a, x.b - y.b, x.c - y.c, x.d - y.d);
export const mul = (x: HD, y: HD): HD => new HD(x.a * y.a, x.a * y.b + x.b * y.a, x.a * y.c + x.c * y.a, x.a * y.d + x.b * y.c + x.c * y.b + x.d * y.a);
export const scl = (s: number, x: HD): HD => new HD(s * x.a, s * x.b, s * x.c, s * x.d);
const unary = (x: HD, f0: number, f1: number, f2: number): HD => new HD(f0, f1 * x.b, f1 * x.c, f1 * x.d + f2 * x.b * x.c);
export const inv = (x: HD): HD => unary(x, 1 / x.a, -1 / (x.a * x.a), 2 / (x.a * x.a * x.a));
export const div = (x: HD, y: HD): HD => mul(x, inv(y));
export const sin = (x: HD): HD => unary(x, Math.sin(x.a), Math.cos(x.a), -Math.sin(x.a));
export const cos = (x: HD): HD => unary(x, Math.cos(x.a), -Math.sin(x.a), -Math.cos(x.a));
export const exp = (x: HD): HD => {
  const e = Math.exp(x.a);
  return unary(x, e, e, e);
};

/**
 * Hessian of w'g(v) (nv x nv, row-major) of a vector function written in hyper-dual arithmetic,
 * by nv(nv+1)/2 evaluations.
 */
export function hessianOf(g: (v: HD[]) => HD[], v: ArrayLike<number>, w: ArrayLike<number>, out: Float64Array): void {
  const nv = v.length;
  for (let i = 0; i < nv; i++)
    for (let j = i; j < nv; j++) {
      const args: HD[] = [];
      for (let t = 0; t < nv; t++) args.push(new HD(v[t], t === i ? 1 : 0, t === j ? 1 : 0, 0));
      const r = g(args);
      let s = 0;
      for (let t = 0; t < r.length; t++) s += w[t] * r[t].d;
      out[i * nv + j] = out[j * nv + i] = s;
    }
}

/** Jacobian (m x nv) of g at v from the e1 parts (to check hand-written Jacobians). */
export function jacobianOf(g: (v: HD[]) => HD[], v: ArrayLike<number>): number[][] {
  const nv = v.length;
  let J: number[][] = [];
  for (let j = 0; j < nv; j++) {
    const args: HD[] = [];
    for (let t = 0; t < nv; t++) args.push(new HD(v[t], t === j ? 1 : 0, 0, 0));
    const r = g(args);
    if (j === 0) J = r.map(() => new Array<number>(nv).fill(0));
    for (let i = 0; i < r.length; i++) J[i][j] = r[i].b;
  }
  return J;
}
