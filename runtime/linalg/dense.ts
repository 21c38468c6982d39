// Small dense linear algebra on row-major Float64Arrays: what the compiler needs at compile time
// (discretization, Riccati equations, PSD checks) and what tests use as a reference.
// Not for hot paths: most functions allocate their result.

/** A dense matrix, row-major: entry (i, j) is data[i * cols + j]. */
export interface Dense {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function dense(rows: number, cols: number, data?: ArrayLike<number>): Dense {
  const d = new Float64Array(rows * cols);
  if (data !== undefined) d.set(data);
  return { rows, cols, data: d };
}

export function fromRows(rows: readonly (readonly number[])[]): Dense {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const m = dense(r, c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) m.data[i * c + j] = rows[i][j];
  return m;
}

export function toRows(a: Dense): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return out;
}

export function identity(n: number): Dense {
  const m = dense(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function get(a: Dense, i: number, j: number): number {
  return a.data[i * a.cols + j];
}

export function matmul(a: Dense, b: Dense): Dense {
  if (a.cols !== b.rows) throw new RangeError(`matmul: ${a.rows}x${a.cols} times ${b.rows}x${b.cols}`);
  const c = dense(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      if (aik === 0) continue;
      for (let j = 0; j < b.cols; j++) c.data[i * b.cols + j] += aik * b.data[k * b.cols + j];
    }
  }
  return c;
}

export function transpose(a: Dense): Dense {
  const t = dense(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j];
  return t;
}

export function add(a: Dense, b: Dense, beta = 1): Dense {
  const c = dense(a.rows, a.cols);
  for (let i = 0; i < c.data.length; i++) c.data[i] = a.data[i] + beta * b.data[i];
  return c;
}

export function scale(a: Dense, s: number): Dense {
  const c = dense(a.rows, a.cols);
  for (let i = 0; i < c.data.length; i++) c.data[i] = s * a.data[i];
  return c;
}

/** Maximum absolute column sum. */
export function norm1(a: Dense): number {
  let best = 0;
  for (let j = 0; j < a.cols; j++) {
    let s = 0;
    for (let i = 0; i < a.rows; i++) s += Math.abs(a.data[i * a.cols + j]);
    if (s > best) best = s;
  }
  return best;
}

export function maxAbs(a: Dense): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]));
  return m;
}

/** Solves a X = b (b may have several columns) by LU with partial pivoting; undefined if singular. */
export function solve(a: Dense, b: Dense): Dense | undefined {
  const n = a.rows;
  if (a.cols !== n || b.rows !== n) throw new RangeError("solve: shape mismatch");
  const lu = Float64Array.from(a.data);
  const x = Float64Array.from(b.data);
  const m = b.cols;
  const scaleRef = Math.max(maxAbs(a), 1e-300);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(lu[i * n + k]) > Math.abs(lu[p * n + k])) p = i;
    const piv = lu[p * n + k];
    if (Math.abs(piv) <= 1e-14 * scaleRef) return undefined;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j];
        lu[k * n + j] = lu[p * n + j];
        lu[p * n + j] = t;
      }
      for (let j = 0; j < m; j++) {
        const t = x[k * m + j];
        x[k * m + j] = x[p * m + j];
        x[p * m + j] = t;
      }
    }
    for (let i = k + 1; i < n; i++) {
      const f = lu[i * n + k] / piv;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) lu[i * n + j] -= f * lu[k * n + j];
      for (let j = 0; j < m; j++) x[i * m + j] -= f * x[k * m + j];
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    const piv = lu[k * n + k];
    for (let j = 0; j < m; j++) {
      let s = x[k * m + j];
      for (let i = k + 1; i < n; i++) s -= lu[k * n + i] * x[i * m + j];
      x[k * m + j] = s / piv;
    }
  }
  return { rows: n, cols: m, data: x };
}

export function inverse(a: Dense): Dense | undefined {
  return solve(a, identity(a.rows));
}

/** Lower-triangular Cholesky factor L (a = L L'), or undefined if a is not positive definite. */
export function cholesky(a: Dense): Dense | undefined {
  const n = a.rows;
  const l = dense(n, n);
  for (let j = 0; j < n; j++) {
    let d = a.data[j * n + j];
    for (let k = 0; k < j; k++) d -= l.data[j * n + k] ** 2;
    if (!(d > 0)) return undefined;
    const ljj = Math.sqrt(d);
    l.data[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a.data[i * n + j];
      for (let k = 0; k < j; k++) s -= l.data[i * n + k] * l.data[j * n + k];
      l.data[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** Eigenvalues of a symmetric matrix (cyclic Jacobi), ascending. */
export function symEigenvalues(a: Dense): Float64Array {
  const n = a.rows;
  const m = Float64Array.from(a.data);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const s = 0.5 * (m[i * n + j] + m[j * n + i]);
    m[i * n + j] = s;
    m[j * n + i] = s;
  }
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i * n + j] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        // Rotation that zeroes (p, q): Golub & Van Loan, Algorithm 8.4.1 (sym.schur2).
        const tau = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
      }
    }
  }
  const ev = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = m[i * n + i];
  return ev.sort();
}

/** Smallest eigenvalue of the symmetric part; >= -tol * scale means PSD. */
export function isPsd(a: Dense, tol = 1e-9): boolean {
  if (a.rows === 0) return true;
  const ev = symEigenvalues(a);
  const scaleRef = Math.max(1, maxAbs(a));
  return ev[0] >= -tol * scaleRef;
}

/** True when every eigenvalue of a square matrix lies strictly inside the unit circle, decided by
 *  repeated squaring (the spectral radius is below 1 iff the powers A^(2^k) go to zero). */
export function isSchurStable(a: Dense): boolean {
  let p = a;
  for (let k = 0; k < 60; k++) {
    const nrm = maxAbs(p);
    if (!Number.isFinite(nrm) || nrm > 1e100) return false;
    if (nrm < 1e-12) return true;
    p = matmul(p, p);
  }
  return false;
}
