// Formatter tests: canonical layout, comments preserved, idempotence, AST preserved, refusal on errors.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { format, formatRange, parse } from "../index.js";
import { stripSpans } from "./strip.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

function specFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...specFiles(p));
    else if (name.endsWith(".mpcrl")) out.push(p);
  }
  return out;
}

/** Every spec in the repository that parses without syntax errors. */
const validSpecs = [...specFiles(join(root, "examples")), ...specFiles(join(root, "language/test/fixtures"))]
  .map((file) => ({ file, text: readFileSync(file, "utf8") }))
  .filter(({ text }) => !parse(text).diagnostics.some((d) => d.severity === "error"));

describe("format", () => {
  it("lays out a messy spec canonically", () => {
    const src = [
      "const  w[2,2]=[[1,0],[0,1]]   // weights",
      "controller   C{",
      "state x[2]   input u[1] in[-1,1]",
      "horizon 10",
      "",
      "",
      "",
      "dynamics x+=w*x+[[0],[1]]*u",
      "minimize x'*x+stage u'*u  +  terminal  quad(x,w)",
      "subject to -1<=u<=1",
      "soft   x[0]>=-2 for k in 1 .. N penalty linear 2",
      "}",
      "train C on P{algorithm q_learning{optimizer newton(lr=5e-2)}",
      "seed 1}",
    ].join("\n");
    expect(format(src).text).toBe(
      [
        "const w[2, 2] = [[1, 0], [0, 1]]  // weights",
        "",
        "controller C {",
        "  state x[2]",
        "  input u[1] in [-1, 1]",
        "  horizon 10",
        "",
        "  dynamics x+ = w*x + [[0], [1]]*u",
        "  minimize x'*x",
        "    + stage u'*u",
        "    + terminal quad(x, w)",
        "  subject to",
        "    -1 <= u <= 1",
        "    soft x[0] >= -2 for k in 1..N penalty linear 2",
        "}",
        "",
        "train C on P {",
        "  algorithm q_learning {",
        "    optimizer newton(lr = 5e-2)",
        "  }",
        "  seed 1",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("keeps every comment, at the end of its line or on its own line", () => {
    const src = "/* head */\nconst a = 1 // trailing\n// own line\nconst b = 2\ncontroller C { // after brace\n  state x /* inline */ input u\n  // before close\n}\n// tail\n";
    const out = format(src).text;
    expect(out).toBe(
      "/* head */\nconst a = 1  // trailing\n// own line\nconst b = 2\n\ncontroller C {  // after brace\n  state x  /* inline */\n  input u\n  // before close\n}\n// tail\n",
    );
  });

  it("moves a comment from inside a one-line construct to just before it", () => {
    const src = "const a = [1, // one\n  2]\n";
    expect(format(src).text).toBe("// one\nconst a = [1, 2]\n");
  });

  it("returns a file with syntax errors unchanged, with its diagnostics", () => {
    const src = "controller C {\n  state x[2\n}\n";
    const r = format(src);
    expect(r.text).toBe(src);
    expect(r.diagnostics.map((d) => d.code)).toContain("MPC1005");
  });

  it("keeps CRLF line endings", () => {
    expect(format("const a = 1\r\nconst b = 2\r\n").text).toBe("const a = 1\r\nconst b = 2\r\n");
  });

  it.each(validSpecs.map((s) => [s.file.slice(root.length), s.text]))("%s: idempotent, AST and comments preserved", (_name, text) => {
    const once = format(text).text;
    expect(format(once).text).toBe(once);
    expect(stripSpans(parse(once).program)).toEqual(stripSpans(parse(text).program));
    expect(parse(once).program.comments.map((c) => c.text)).toEqual(parse(text).program.comments.map((c) => c.text));
  });

  it("formats only the top-level items overlapping a range", () => {
    const src = "const  a=1\nconst  b=2\nconst  c=3\n";
    const start = src.indexOf("const  b");
    const { edits } = formatRange(src, start, start + 3);
    expect(edits).toEqual([{ start, end: start + "const  b=2".length, newText: "const b = 2" }]);
  });
});

// ---------------------------------------------------------------- property-based

const names = ["x", "u", "A", "B", "Q", "w", "k", "γ"];
const exprArb: fc.Arbitrary<string> = fc.letrec((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...names),
    fc.constantFrom("1", "0.5", ".25", "1e-3", "1_000", "0x1F", "inf"),
    fc.tuple(tie("expr"), fc.constantFrom(" + ", " - ", "*", "/", ".*", "./", "^"), tie("expr")).map(([a, op, b]) => `${a}${op}${b}`),
    tie("expr").map((a) => `-${a}`),
    tie("expr").map((a) => `(${a})`),
    tie("expr").map((a) => `(${a})'`),
    fc.array(tie("expr"), { minLength: 1, maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`),
    fc.tuple(fc.constantFrom(...names), tie("expr")).map(([n, a]) => `${n}[${a}]`),
    fc.tuple(fc.constantFrom("quad", "max", "sum"), fc.array(tie("expr"), { minLength: 1, maxLength: 2 })).map(([f, xs]) => `${f}(${xs.join(", ")})`),
  ),
})).expr;

const commentArb = fc.constantFrom("", "  // note", "  /* c */");
const itemArb = fc.oneof(
  fc.tuple(fc.constantFrom("state", "input", "param", "learnable", "learnable diag"), fc.constantFrom(...names), exprArb, commentArb).map(
    ([k, n, e, c]) => `${k} ${n}[2] = ${e}${c}`,
  ),
  fc.tuple(exprArb, commentArb).map(([e, c]) => `dynamics x+ = ${e}${c}`),
  fc.tuple(exprArb, exprArb).map(([a, b]) => `minimize ${a}\n + stage ${b}`),
  fc.tuple(exprArb, exprArb, exprArb, commentArb).map(([a, b, c, cm]) => `subject to\n ${a} <= ${b} <= ${c}${cm}\n soft ${a} >= 0 penalty linear 1`),
  fc.tuple(fc.constantFrom("horizon", "discount"), exprArb).map(([k, e]) => `${k} ${e}`),
);
const specArb = fc
  .tuple(fc.array(itemArb, { maxLength: 6 }), fc.array(fc.constantFrom("", "\n", "// c\n"), { minLength: 6, maxLength: 6 }))
  .map(([items, gaps]) => `controller C {\n${items.map((it, i) => gaps[i % gaps.length] + it).join("\n")}\n}\n`);

describe("format properties", () => {
  it("is idempotent and preserves the AST and the comments of generated specs", () => {
    let checked = 0;
    fc.assert(
      fc.property(specArb, (src) => {
        const parsed = parse(src);
        if (parsed.diagnostics.some((d) => d.severity === "error")) return; // e.g. an expression nested too deeply
        checked++;
        const once = format(src).text;
        expect(format(once).text).toBe(once);
        expect(stripSpans(parse(once).program)).toEqual(stripSpans(parsed.program));
        expect(parse(once).program.comments.map((c) => c.text)).toEqual(parsed.program.comments.map((c) => c.text));
      }),
      { numRuns: 200 },
    );
    expect(checked).toBeGreaterThan(150);
  });
});
