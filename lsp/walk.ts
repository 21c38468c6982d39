// Generic traversal of the AST (language/ast.ts): every node-like object carries a `span`, so the
// walker visits any object with one, which keeps it correct as the AST grows optional fields.

import type { Span } from "../language/diagnostics.js";

export interface Spanned {
  readonly span: Span;
  readonly kind?: string;
  readonly id?: number;
}

function isSpanned(value: unknown): value is Spanned {
  if (typeof value !== "object" || value === null) return false;
  const span = (value as { span?: unknown }).span;
  return typeof span === "object" && span !== null && typeof (span as Span).start === "number";
}

/** Direct children (node-like objects) of a node, in source order of their fields. */
export function childrenOf(node: object): Spanned[] {
  const out: Spanned[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "span" || key.endsWith("Span") || key.endsWith("Spans") || key === "comments") continue;
    collect(value, out);
  }
  out.sort((a, b) => a.span.start - b.span.start);
  return out;
}

function collect(value: unknown, out: Spanned[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out);
  } else if (isSpanned(value)) {
    out.push(value);
  }
}

/** Visits every node-like object depth first (parents before children). */
export function walk(root: object, visit: (node: Spanned, parents: readonly Spanned[]) => void): void {
  const parents: Spanned[] = [];
  const rec = (node: Spanned): void => {
    visit(node, parents);
    parents.push(node);
    for (const c of childrenOf(node)) rec(c);
    parents.pop();
  };
  if (isSpanned(root)) rec(root);
  else for (const c of childrenOf(root)) rec(c);
}

/** The chain of nodes containing the character at `offset` (start <= offset < end), outermost
 *  first. With `touching`, a node that ends exactly at `offset` also counts when no node contains
 *  that character (a cursor just after a name). */
export function pathAt(root: Spanned, offset: number, touching = false): Spanned[] {
  const path: Spanned[] = [];
  let current: Spanned | undefined = root;
  while (current) {
    path.push(current);
    let next: Spanned | undefined;
    let touched: Spanned | undefined;
    for (const c of childrenOf(current)) {
      if (c.span.start <= offset && offset < c.span.end) next = c;
      else if (touching && c.span.end === offset && c.span.start < offset) touched = c;
    }
    current = next ?? touched;
  }
  return path;
}

export function contains(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}
