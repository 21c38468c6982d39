// Compressed sparse column matrices on typed arrays (0-based), the storage of every QP matrix.

export interface Csc {
  readonly rows: number;
  readonly cols: number;
  /** length cols + 1; column j occupies [colPtr[j], colPtr[j+1]) */
  readonly colPtr: Int32Array;
  /** row index of each stored entry, strictly increasing within a column */
  readonly rowIdx: Int32Array;
  /** value of each stored entry */
  readonly values: Float64Array;
}

/** The pattern of a CSC matrix without its values (fixed at compile time for generated QPs). */
export interface CscPattern {
  readonly rows: number;
  readonly cols: number;
  readonly colPtr: Int32Array;
  readonly rowIdx: Int32Array;
}
