// A line-level diff (longest common subsequence) turning "old text -> new text" into minimal
// text edits, so that formatting touches only the lines that change and range formatting can keep
// just the hunks inside the selection.

export interface LineHunk {
  /** Old lines [oldStart, oldEnd) are replaced by new lines [newStart, newEnd). */
  readonly oldStart: number;
  readonly oldEnd: number;
  readonly newStart: number;
  readonly newEnd: number;
}

export function diffLines(oldLines: readonly string[], newLines: readonly string[]): LineHunk[] {
  // Trim the common prefix and suffix first; the LCS table is then built on the middle only.
  let pre = 0;
  while (pre < oldLines.length && pre < newLines.length && oldLines[pre] === newLines[pre]) pre++;
  let suf = 0;
  while (
    suf < oldLines.length - pre &&
    suf < newLines.length - pre &&
    oldLines[oldLines.length - 1 - suf] === newLines[newLines.length - 1 - suf]
  )
    suf++;
  const a = oldLines.slice(pre, oldLines.length - suf);
  const b = newLines.slice(pre, newLines.length - suf);
  const n = a.length;
  const m = b.length;
  if (n === 0 && m === 0) return [];
  if (n * m > 4_000_000) return [{ oldStart: pre, oldEnd: pre + n, newStart: pre, newEnd: pre + m }];
  // lcs[i][j] = LCS length of a[i..] and b[j..]
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = a[i] === b[j] ? (lcs[(i + 1) * (m + 1) + j + 1] ?? 0) + 1 : Math.max(lcs[(i + 1) * (m + 1) + j] ?? 0, lcs[i * (m + 1) + j + 1] ?? 0);
    }
  }
  const hunks: LineHunk[] = [];
  let i = 0;
  let j = 0;
  let hunkI = -1;
  let hunkJ = -1;
  const close = (): void => {
    if (hunkI >= 0) hunks.push({ oldStart: pre + hunkI, oldEnd: pre + i, newStart: pre + hunkJ, newEnd: pre + j });
    hunkI = -1;
  };
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      close();
      i++;
      j++;
      continue;
    }
    if (hunkI < 0) {
      hunkI = i;
      hunkJ = j;
    }
    if (j < m && (i >= n || (lcs[i * (m + 1) + j + 1] ?? 0) >= (lcs[(i + 1) * (m + 1) + j] ?? 0))) j++;
    else i++;
  }
  close();
  return hunks;
}

/** Lines with their terminators (the last one may have none), so that joining them gives the text back. */
export function splitLinesKeepEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

export interface OffsetEdit {
  readonly start: number;
  readonly end: number;
  readonly newText: string;
  /** Old line range the edit covers (for range formatting). */
  readonly hunk: LineHunk;
}

/** Minimal edits (one per changed hunk of lines) turning `oldText` into `newText`. */
export function lineEdits(oldText: string, newText: string): OffsetEdit[] {
  const a = splitLinesKeepEnds(oldText);
  const b = splitLinesKeepEnds(newText);
  const starts = new Array<number>(a.length + 1);
  starts[0] = 0;
  for (let i = 0; i < a.length; i++) starts[i + 1] = (starts[i] ?? 0) + (a[i]?.length ?? 0);
  return diffLines(a, b).map((h) => ({
    start: starts[h.oldStart] ?? oldText.length,
    end: starts[h.oldEnd] ?? oldText.length,
    newText: b.slice(h.newStart, h.newEnd).join(""),
    hunk: h,
  }));
}
