// Test helper: an AST without spans and ids, to compare trees modulo positions.

export function stripSpans(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripSpans);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === "span" || k === "id" || k === "opSpan" || k === "opSpans" || k === "keywordSpan" || k === "methodSpan") continue;
      if (k === "comments") continue;
      if (x === undefined) continue;
      out[k] = stripSpans(x);
    }
    return out;
  }
  return v;
}
