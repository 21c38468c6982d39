// compile() never throws: on mutations of the shipped specs it returns code or diagnostics.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../index.js";
import { readRepo } from "./helpers.js";

const base = readRepo("examples/gros_zanon/linear_mpc.mpcrl");
const lines = base.split("\n");
const fragments = ["x", "u", "k", "N", "0", "-1", "1e300", "inf", "[", "]", "(", ")", "*", "'", "+", ";", ",", "I", "prev(u)", "dlqr(A, B, I, I)", "soft", "terminal", "for k in 0..N", "der(x)", "using zoh", "x[5]", "x[0:9]", "quad(x, x)", "/0", "^3"];

describe("compile never throws", () => {
  it("on line deletions, duplications and token insertions in the Gros & Zanon spec", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ line: fc.nat(lines.length - 1), op: fc.constantFrom("delete", "duplicate", "insert"), frag: fc.constantFrom(...fragments), col: fc.nat(60) }),
          { minLength: 1, maxLength: 3 },
        ),
        (edits) => {
          const ls = [...lines];
          for (const e of edits) {
            const i = Math.min(e.line, ls.length - 1);
            if (e.op === "delete") ls.splice(i, 1);
            else if (e.op === "duplicate") ls.splice(i, 0, ls[i]);
            else {
              const c = Math.min(e.col, ls[i].length);
              ls[i] = `${ls[i].slice(0, c)} ${e.frag} ${ls[i].slice(c)}`;
            }
          }
          const r = compile(ls.join("\n"));
          expect(r.code !== undefined || r.diagnostics.some((d) => d.severity === "error")).toBe(true);
        },
      ),
      { seed: 20261205, numRuns: 150 },
    );
  });
});
