// The line diff behind formatting edits: applying the edits to the old text gives the new text,
// and unchanged lines are never touched.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lineEdits } from "../line_diff.js";

function apply(text: string, edits: readonly { start: number; end: number; newText: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

const lines = fc.array(fc.constantFrom("a", "b", "c", "", "  x", "}", "// c"), { maxLength: 12 });
const text = fc.tuple(lines, fc.boolean()).map(([ls, nl]) => ls.join("\n") + (nl ? "\n" : ""));

describe("lineEdits", () => {
  it("turns the old text into the new one", () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(apply(a, lineEdits(a, b))).toBe(b);
      }),
      { numRuns: 500, seed: 20261205 },
    );
  });

  it("leaves equal texts alone and touches only changed lines", () => {
    expect(lineEdits("a\nb\nc\n", "a\nb\nc\n")).toEqual([]);
    const edits = lineEdits("a\nb\nc\nd\n", "a\nB\nc\nd\n");
    expect(edits.map((e) => [e.start, e.end, e.newText])).toEqual([[2, 4, "B\n"]]);
    const two = lineEdits("x\n1\ny\n2\nz", "x\none\ny\ntwo\nz");
    expect(two.length).toBe(2);
  });

  it("handles a missing final newline and CRLF lines", () => {
    expect(apply("a\nb", lineEdits("a\nb", "a\nb\n"))).toBe("a\nb\n");
    expect(apply("a\r\nb\r\n", lineEdits("a\r\nb\r\n", "a\r\nc\r\n"))).toBe("a\r\nc\r\n");
  });
});
