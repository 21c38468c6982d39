// A hand-written QpTemplate small enough to reason about (nx = nu = 1, horizon 1):
//   z = [x0, x1, u0],  minimize 0.5 (x0^2 + px x1^2 + w u0^2) + g u0 - r x1
//   rows: x0 = s (pin), x1 - x0 - u0 = 0 (dynamics), lo <= u0 <= hi (u0 row),
//         and with a rate limit, prev_u - rate <= u0 <= prev_u + rate.
// theta = [w, g] with boxes w in [-2, 2], g in [-5, 5] (wide enough to hold nonconvex and
// unbounded values: the runtime must refuse what such a box would let through). Runtime values:
// r in [0, 1] (declared range), and prev_u (prev(u) at stage 0) when a rate limit is given.

import type { QpTemplate, RuntimeLayout } from "../template.js";

export interface TinyOptions {
  /** Bounds of u0 (default +-1). */
  readonly uLower?: number;
  readonly uUpper?: number;
  /** Weight of x1 in the cost (default 1). */
  readonly px?: number;
  /** Rate limit |u0 - prev_u| <= rate (a row on u0 with runtime bounds); absent: no such row. */
  readonly rate?: number;
  /** Declare prev_u's slot explicitly (previousInput: 0) instead of by its name. */
  readonly explicitPrev?: boolean;
  /** Omit r's declared range. */
  readonly noRange?: boolean;
  readonly theta0?: readonly [number, number];
}

export function tinyTemplate(o: TinyOptions = {}): QpTemplate {
  const lo = o.uLower ?? -1;
  const hi = o.uUpper ?? 1;
  const px = o.px ?? 1;
  const rated = o.rate !== undefined;
  const rate = o.rate ?? 0;
  const m = rated ? 4 : 3;
  // A (m x 3), CSC: col0 rows 0 (1), 1 (-1); col1 row 1 (1); col2 rows 1 (-1), 2 (1)[, 3 (1)]
  const A = rated
    ? { rows: m, cols: 3, colPtr: Int32Array.of(0, 2, 3, 6), rowIdx: Int32Array.of(0, 1, 1, 1, 2, 3) }
    : { rows: m, cols: 3, colPtr: Int32Array.of(0, 2, 3, 5), rowIdx: Int32Array.of(0, 1, 1, 1, 2) };
  const aValues = rated ? [1, -1, 1, -1, 1, 1] : [1, -1, 1, -1, 1];
  const nP = 3;
  const nA = aValues.length;
  // d = [P (3), q (3), A (nA), l (m), u (m), c]
  const dq = nP, dA = dq + 3, dl = dA + nA, du = dl + m;
  const runtime: RuntimeLayout[] = [
    { name: "r", size: 1, offset: 0, defaultValue: Float64Array.of(0.5), ...(o.noRange ? {} : { lower: Float64Array.of(0), upper: Float64Array.of(1) }) },
  ];
  if (rated) runtime.push({ name: "prev_u", size: 1, offset: 1, defaultValue: Float64Array.of(0), ...(o.explicitPrev ? { previousInput: 0 } : {}) });
  return {
    name: "Tiny",
    nx: 1,
    nu: 1,
    horizon: 1,
    discount: 1,
    n: 3,
    m,
    P: { rows: 3, cols: 3, colPtr: Int32Array.of(0, 1, 2, 3), rowIdx: Int32Array.of(0, 1, 2) },
    A,
    stateOffset: 0,
    inputOffset: 2,
    slackOffset: 3,
    nSlack: 0,
    x0Rows: Int32Array.of(0),
    u0Rows: Int32Array.of(2),
    params: [
      { name: "w", rows: 1, cols: 1, offset: 0, size: 1, structure: "scalar", lower: Float64Array.of(-2), upper: Float64Array.of(2) },
      { name: "g", rows: 1, cols: 1, offset: 1, size: 1, structure: "scalar", lower: Float64Array.of(-5), upper: Float64Array.of(5) },
    ],
    nTheta: 2,
    theta0: Float64Array.from(o.theta0 ?? [1, 0]),
    runtime,
    nRuntime: runtime.length,
    jacRow: Int32Array.of(2, dq + 2),
    jacCol: Int32Array.of(0, 1),
    fill(theta, rt, out) {
      out.fill(0);
      out[0] = 1;
      out[1] = px;
      out[2] = theta[0];
      out[dq + 1] = -rt[0];
      out[dq + 2] = theta[1];
      for (let k = 0; k < nA; k++) out[dA + k] = aValues[k];
      out[dl + 2] = lo;
      out[du + 2] = hi;
      if (rated) {
        out[dl + 3] = rt[1] - rate;
        out[du + 3] = rt[1] + rate;
      }
    },
    jacValues(_theta, _rt, out) {
      out[0] = 1;
      out[1] = 1;
    },
  };
}
