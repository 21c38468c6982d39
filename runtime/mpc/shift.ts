// The receding-horizon shift of a working set: in a closed loop the optimal active set at time t+1
// is, to first order, the one at time t moved one stage earlier (the row that was active at stage
// k+1 of the previous plan is the guess for the same row at stage k). Warm starting an active-set
// method from the shifted set is the standard MPC warm start (Ferreau, Bock & Diehl, "An online
// active set strategy to overcome the limitations of explicit MPC", IJRNC 2008, section 4; the
// shifted primal guess of Diehl et al. 2005 for real-time iteration): the number of working-set
// changes per closed-loop step then no longer grows with the horizon.
//
// The template's rows carry no stage labels, so the map is derived from the pattern of A: a column
// of x_k or u_k has stage k, a slack the largest stage of the rows it relaxes; a row's stage is the
// largest stage of its columns; its signature lists its columns as (block, index within the block,
// stage relative to the row's). Row r of stage k maps to the row of stage k + 1 with the same
// signature and the same ordinal among such rows, or to -1 (the last stage, a row of its own, or
// the x0 / u0 rows).

import type { QpTemplate } from "./template.js";

type ShiftInput = Pick<QpTemplate, "n" | "m" | "A" | "nx" | "nu" | "horizon" | "stateOffset" | "inputOffset" | "slackOffset" | "nSlack" | "x0Rows" | "u0Rows">;

/** shift[r] = the row playing r's role one stage later, or -1. Allocates; called once per template. */
export function stageShift(t: ShiftInput): Int32Array {
  return rowAnalysis(t).shift;
}

/** The stage of each row (the largest stage of its state and input columns, a slack's rows that of
 *  the rows it relaxes; -1 for a row without one). Allocates; called once per template. */
export function rowStages(t: ShiftInput): Int32Array {
  return rowAnalysis(t).stage;
}

function rowAnalysis(t: ShiftInput): { shift: Int32Array; stage: Int32Array } {
  const { n, m, A, nx, nu, horizon: N } = t;
  const kind = new Int8Array(n).fill(-1); // 0 state, 1 input, 2 slack, -1 other
  const stage = new Int32Array(n).fill(-1);
  const local = new Int32Array(n).fill(-1);
  for (let k = 0; k <= N; k++) {
    for (let i = 0; i < nx; i++) {
      const j = t.stateOffset + k * nx + i;
      if (j < n) [kind[j], stage[j], local[j]] = [0, k, i];
    }
  }
  for (let k = 0; k < N; k++) {
    for (let i = 0; i < nu; i++) {
      const j = t.inputOffset + k * nu + i;
      if (j < n) [kind[j], stage[j], local[j]] = [1, k, i];
    }
  }
  // rows as lists of columns (transpose of A's pattern)
  const rowPtr = new Int32Array(m + 1);
  for (let p = 0; p < A.colPtr[n]; p++) rowPtr[A.rowIdx[p] + 1]++;
  for (let r = 0; r < m; r++) rowPtr[r + 1] += rowPtr[r];
  const cols = new Int32Array(rowPtr[m]);
  const next = rowPtr.slice(0, m);
  for (let j = 0; j < n; j++) for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) cols[next[A.rowIdx[p]]++] = j;
  // stage of a row from its state and input columns; a slack takes the largest stage of its rows
  const rowStage = new Int32Array(m).fill(-1);
  for (let r = 0; r < m; r++) {
    for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) {
      const j = cols[p];
      if (kind[j] === 0 || kind[j] === 1) rowStage[r] = Math.max(rowStage[r], stage[j]);
    }
  }
  for (let s = 0; s < t.nSlack; s++) {
    const j = t.slackOffset + s;
    if (j < n) kind[j] = 2;
  }
  for (let r = 0; r < m; r++) {
    if (rowStage[r] < 0) continue;
    for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) {
      const j = cols[p];
      if (kind[j] === 2) stage[j] = Math.max(stage[j], rowStage[r]);
    }
  }
  const slacksAt = new Map<number, number>();
  for (let j = 0; j < n; j++) {
    if (kind[j] !== 2 || stage[j] < 0) continue;
    const c = slacksAt.get(stage[j]) ?? 0;
    local[j] = c;
    slacksAt.set(stage[j], c + 1);
  }
  for (let r = 0; r < m; r++) {
    if (rowStage[r] >= 0) continue;
    for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) {
      const j = cols[p];
      if (kind[j] === 2) rowStage[r] = Math.max(rowStage[r], stage[j]);
    }
  }
  const stageOfRow = rowStage.slice();
  // signature -> ordinal -> row, per stage
  const sig = new Array<string>(m);
  const ordinal = new Int32Array(m);
  const index = new Map<string, number>();
  const counts = new Map<string, number>();
  for (let r = 0; r < m; r++) {
    if (rowStage[r] < 0) continue;
    const parts: string[] = [];
    let ok = true;
    for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) {
      const j = cols[p];
      if (kind[j] < 0 || stage[j] < 0) {
        ok = false;
        break;
      }
      parts.push(`${kind[j]}.${local[j]}.${stage[j] - rowStage[r]}`);
    }
    if (!ok) {
      rowStage[r] = -1;
      continue;
    }
    sig[r] = parts.join(",");
    const key = `${rowStage[r]}|${sig[r]}`;
    const o = counts.get(key) ?? 0;
    ordinal[r] = o;
    counts.set(key, o + 1);
    index.set(`${key}|${o}`, r);
  }
  const shift = new Int32Array(m).fill(-1);
  for (let r = 0; r < m; r++) {
    if (rowStage[r] < 0) continue;
    shift[r] = index.get(`${rowStage[r] + 1}|${sig[r]}|${ordinal[r]}`) ?? -1;
  }
  // the fixed-role rows (x0, u0) keep their own flags: their look-alikes one stage later are
  // state and input bound rows
  for (const r of t.x0Rows) shift[r] = -1;
  for (const r of t.u0Rows) shift[r] = -1;
  return { shift, stage: stageOfRow };
}

/** out[r] = set[shift[r]] where a later row exists, else set[r]. Allocates nothing. */
export function shiftWorkingSet(set: Int8Array, shift: Int32Array, out: Int8Array): void {
  for (let r = 0; r < set.length; r++) out[r] = shift[r] >= 0 ? set[shift[r]] : set[r];
}

/** The shifted guess for the first stages only: out[r] = shifted[r] for rows of stage < split,
 *  unshifted[r] for the later ones (stage: rowStages with unstaged rows placed after the last). */
export function shiftHead(unshifted: Int8Array, shifted: Int8Array, stage: Int32Array, split: number, out: Int8Array): void {
  for (let r = 0; r < out.length; r++) out[r] = stage[r] < split ? shifted[r] : unshifted[r];
}

/**
 * The split of `shiftHead` that has predicted the optimal sets best: `cost[k]` (k = 0 .. S, S
 * stages) is a discounted count of the rows where the guess with split k differed from the optimal
 * set `final` (older solves weigh `decay` times less at each new one); the result is its minimum,
 * ties to the largest split (the most shift). `work` holds 2 S counts. Allocates nothing.
 *
 * Why not always shift: under a discount the rows active deep in the horizon are tied to their
 * absolute stage (stage k weighs gamma^k against the undiscounted terminal cost), not to the time
 * since the plan, and once learning has moved the parameters the shift moves them to the wrong
 * stage (bench:scale, Q-learning at N = 160: 20 to 40 rows of stages 60 to 140 off, 50 to 100
 * sets, against 1 to 6 sets from the unshifted set).
 */
export function learnSplit(final: Int8Array, unshifted: Int8Array, shifted: Int8Array, stage: Int32Array, work: Int32Array, cost: Float64Array, decay: number): number {
  const S = work.length >> 1;
  work.fill(0);
  for (let r = 0; r < final.length; r++) {
    const s = Math.min(stage[r], S - 1);
    if (shifted[r] !== final[r]) work[s]++;
    if (unshifted[r] !== final[r]) work[S + s]++;
  }
  // misses(k) = sum_{s < k} shifted misses + sum_{s >= k} unshifted misses, k = 0..S
  let misses = 0;
  for (let s = 0; s < S; s++) misses += work[S + s];
  let best = 0;
  for (let k = 0; k <= S; k++) {
    if (k > 0) misses += work[k - 1] - work[S + k - 1];
    cost[k] = decay * cost[k] + misses;
    if (cost[k] <= cost[best]) best = k;
  }
  return best;
}
