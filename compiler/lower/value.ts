// Values of spec expressions during lowering: a matrix of polynomials, or a uniform scaling s*I
// whose size comes from the context (`0.5*I` in `dlqr(A0, B0, 0.5*I, 0.25*I)`).

import type { Mat, Poly } from "../ir/poly.js";

export type Val = { readonly kind: "mat"; readonly m: Mat } | { readonly kind: "eye"; readonly s: Poly };

export const mat = (m: Mat): Val => ({ kind: "mat", m });
