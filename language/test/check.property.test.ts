// "The checker never crashes": specs that parse but are semantically scrambled (numbers replaced by
// edge values, names swapped between declarations, operators and shapes changed) give well-formed
// diagnostics from the checker, never an internal error. (Speed is measured by `npm run bench:check`.)

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check, type Diagnostic } from "../index.js";
import { specFiles } from "./spec_files.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const corpus = [...specFiles(join(root, "examples")), ...specFiles(join(root, "language/test/fixtures/check")), ...specFiles(join(root, "language/test/fixtures/valid"))].map((f) =>
  readFileSync(f, "utf8"),
);

const EDGE_NUMBERS = ["0", "-1", "1e308", "-1e308", "inf", "-inf", "0.5", "2", "3", "1e-300", "100000"];
const NAMES = ["x", "u", "A", "B", "Q", "N", "k", "I", "r", "w", "gamma", "x_lb", "s", "a", "L", "P", "e", "zz"];
const OPS = ["+", "-", "*", ".*", "./", "/", "^"];

type Edit = { kind: "number" | "name" | "op"; index: number; pick: number };
const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom("number" as const, "name" as const, "op" as const),
  index: fc.nat(),
  pick: fc.nat(),
});

/** Replaces the index-th number, name or operator of the text (tokens found by regex). */
function scramble(text: string, edits: Edit[]): string {
  let t = text;
  for (const e of edits) {
    const re = e.kind === "number" ? /(?<![\w.])\d+(\.\d+)?(e-?\d+)?(?![\w.])/g : e.kind === "name" ? /(?<![\w.])[A-Za-z_]\w*(?![\w(])/g : /(?<=[\w)\]'] ?)(\.\*|\.\/|[+\-*/^])(?= ?[\w([])/g;
    const hits = [...t.matchAll(re)].filter((m) => !(e.kind === "name" && /^(controller|plant|train|on|state|input|param|runtime|disturbance|const|learnable|let|horizon|discount|timestep|episode|dynamics|using|minimize|stage|terminal|subject|to|soft|for|in|penalty|linear|quadratic|cost|reward|algorithm|diag|psd|factor|zoh|rk4|euler)$/.test(m[0])));
    if (hits.length === 0) continue;
    const m = hits[e.index % hits.length];
    const pool = e.kind === "number" ? EDGE_NUMBERS : e.kind === "name" ? NAMES : OPS;
    const rep = pool[e.pick % pool.length];
    t = t.slice(0, m.index!) + rep + t.slice(m.index! + m[0].length);
  }
  return t;
}

function wellFormed(d: Diagnostic, text: string): void {
  expect(d.code).toMatch(/^MPC[1-5]\d{3}$/);
  expect(d.code).not.toBe("MPC2999");
  expect(d.message).not.toMatch(/\n/);
  expect(d.message.length).toBeGreaterThan(0);
  expect(d.span.start).toBeGreaterThanOrEqual(0);
  expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
  expect(d.span.end).toBeLessThanOrEqual(text.length);
  for (const r of d.related ?? []) expect(r.span.end).toBeLessThanOrEqual(text.length);
  for (const e of d.edits ?? []) expect(e.span.end).toBeLessThanOrEqual(text.length);
  expect(`${d.message} ${d.label ?? ""} ${d.help ?? ""}`).not.toMatch(/NaN|undefined|\[object/);
}

describe("the checker never crashes on scrambled specs", () => {
  it("numbers, names and operators replaced", () => {
    fc.assert(
      fc.property(fc.nat({ max: corpus.length - 1 }), fc.array(editArb, { minLength: 1, maxLength: 8 }), (i, edits) => {
        const text = scramble(corpus[i], edits);
        const { diagnostics, model } = check(text);
        for (const d of diagnostics) wellFormed(d, text);
        // The model answers queries anywhere without throwing.
        for (let off = 0; off < text.length; off += 97) model.symbolAt(off);
        for (const s of model.symbolsIn(undefined)) model.references(s);
      }),
      { seed: 20261205, numRuns: 200 },
    );
  });

  it("a long generated spec of many controllers checks without errors", () => {
    const block = (i: number): string => `controller C${i} {
  state x[2] in [[-5, -5], [5, 5]]
  input u[1] in [-1, 1]
  learnable A[2,2] = [[1, 0.1], [0, 1]] in [-2, 2]
  learnable diag Q[2] = [1, 1] in [0, 10]
  let e = x - [1, 0]
  horizon 10
  dynamics x+ = A*x + [[0], [0.1]]*u
  minimize stage quad(e, Q) + 0.1*sumsq(u) + terminal quad(x, dlqr([[1, 0.1], [0, 1]], [[0], [0.1]], I, 0.1*I))
  subject to
    -1 <= u - prev(u) <= 1
    soft x[0] <= 4 for k in 1..N penalty linear 10 quadratic 1
}
`;
    const text = Array.from({ length: 200 }, (_, i) => block(i)).join("\n");
    const r = check(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.model.symbolsIn("C199").map((s) => s.name)).toEqual(["x", "u", "A", "Q", "e"]);
  });
});
