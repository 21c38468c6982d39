// Structural equality of two ASTs modulo positions: the formatter's safety net (a layout that
// would change what the parser reads is never returned).

const POSITION_KEYS = new Set(["span", "id", "opSpan", "opSpans", "keywordSpan", "methodSpan", "comments"]);

export function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameTree(a[i], b[i])) return false;
    return true;
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object" || Array.isArray(b)) {
    return typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b);
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = (r: Record<string, unknown>): string[] => Object.keys(r).filter((k) => !POSITION_KEYS.has(k) && r[k] !== undefined);
  const ka = keys(ra);
  const kb = keys(rb);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!(k in rb) || !sameTree(ra[k], rb[k])) return false;
  return true;
}
