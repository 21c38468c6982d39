// Side tables keyed by AST node id. Ids are small dense integers (the parser numbers nodes from 1),
// so an array indexed by id is much faster than a Map on a 5,000-line spec (no hashing, no
// rehashing, less garbage). Non-integer or negative ids (never produced by the parser) fall back to
// a Map so that behaviour never depends on the id range.

/** A map from node id to a value (`undefined` is not storable: it means "absent"). */
export class IdMap<T> {
  private readonly dense: (T | undefined)[];
  private other: Map<number, T> | undefined;

  /** `capacity`: expected largest id + 1 (the table grows beyond it when needed). */
  constructor(capacity = 0) {
    // filled, not `new Array(n)` alone: a packed array keeps fast element access
    this.dense = capacity > 0 ? new Array<T | undefined>(capacity).fill(undefined) : [];
  }

  get(id: number): T | undefined {
    if (id >= 0 && id < this.dense.length) return this.dense[id];
    return this.other?.get(id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  set(id: number, value: T): this {
    const d = this.dense;
    if (id >= 0 && id < d.length) d[id] = value;
    else if (Number.isInteger(id) && id >= 0 && id <= d.length + 1024) {
      while (d.length < id) d.push(undefined);
      d.push(value);
    } else (this.other ??= new Map()).set(id, value);
    return this;
  }
}

/** A set of node ids. */
export class IdSet {
  private readonly marks: IdMap<true>;
  constructor(capacity = 0) {
    this.marks = new IdMap<true>(capacity);
  }
  has(id: number): boolean {
    return this.marks.get(id) === true;
  }
  add(id: number): this {
    this.marks.set(id, true);
    return this;
  }
}
