// Formatter tests: canonical layout, comments preserved, idempotence, AST preserved, refusal on errors.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Decl } from "../ast.js";
import { format, formatExpr, formatRange, parse } from "../index.js";
import { stripSpans } from "./strip.js";
import { specFiles } from "./spec_files.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

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

  it("keeps a matrix written one row per line, with columns aligned on the decimal point", () => {
    const src = "const M[3,3] = [\n[1, 0, 0.1],\n    [0.0488,0,1],\n[0, -0.0488, 0]]\n";
    expect(format(src).text).toBe(
      ["const M[3, 3] = [", "  [1,       0,      0.1],", "  [0.0488,  0,      1],", "  [0,      -0.0488, 0]", "]", ""].join("\n"),
    );
    const hug = "controller C {\n  dynamics x+ = [[1, dt],\n  [-dt, 1]]*x + [0; 1]*u\n}\n";
    expect(format(hug).text).toBe("controller C {\n  dynamics x+ = [[1,   dt],\n                 [-dt, 1]]*x + [0; 1]*u\n}\n");
  });

  it("keeps a one-line matrix on one line when it fits, else breaks it one row per line", () => {
    expect(format("const A = [[1,0],[0,1]]\n").text).toBe("const A = [[1, 0], [0, 1]]\n");
    const row = Array.from({ length: 12 }, (_, i) => `${i}.5`).join(", ");
    const out = format(`const K = [[${row}], [${row}]]\n`).text;
    expect(out.split("\n")).toHaveLength(3);
    expect(out.split("\n")[1].indexOf("[")).toBe("const K = [".length);
  });

  it("keeps comments beside the rows of a matrix, and aligns a run of trailing comments", () => {
    const src = "const W = [\n  [10, 0], // x\n  [0, 1]    // v\n]\nconst a = 1 // one\nconst bbb = 2   // two\n";
    expect(format(src).text).toBe("const W = [\n  [10, 0],  // x\n  [ 0, 1]   // v\n]\nconst a = 1    // one\nconst bbb = 2  // two\n");
  });

  it("keeps the `=` of declarations aligned when they were aligned in the source", () => {
    const src = "controller C {\n  learnable V0   = 0\n  learnable A[2,2] = A0\n  let e  = x\n  let du = u\n}\n";
    expect(format(src).text).toBe("controller C {\n  learnable V0 = 0\n  learnable A[2, 2] = A0\n  let e  = x\n  let du = u\n}\n");
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

// ---------------------------------------------------------------- matrix literals (fixed seeds)

const cellArb = fc.oneof(
  fc.integer({ min: -999, max: 999 }).map(String),
  fc.tuple(fc.integer({ min: -99, max: 99 }), fc.integer({ min: 0, max: 9999 })).map(([a, b]) => `${a}.${b}`),
  fc.constantFrom("0.0488", "-0.0726", "1e-3", "5e-2", ".25", "1_000", "0x1F", "inf", "-inf", "dt", "g/l*dt", "-dt", "quad(x, Q)", "(1 + dt)"),
);
const matrixArb = fc
  .tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.boolean())
  .chain(([rows, cols, nested]) =>
    fc.record({
      nested: fc.constant(nested),
      cells: fc.array(fc.array(cellArb, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }),
      layout: fc.constantFrom("one-line", "hug", "block"),
      indents: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: rows, maxLength: rows }),
      comments: fc.array(fc.constantFrom("", "", "  // row", " /* r */"), { minLength: rows - 1, maxLength: rows - 1 }),
      lastComment: fc.constantFrom("", " /* r */"),
    }),
  )
  .map((m) => {
    const rowText = m.cells.map((r) => (m.nested ? `[${r.join(", ")}]` : r.join(", ")));
    const sep = m.nested ? "," : ";";
    const rows = rowText.length;
    if (m.layout === "one-line") return { text: `[${rowText.join(sep + " ")}]`, multiline: false, rows };
    const comments = [...m.comments, m.lastComment];
    const lines = rowText.map((r, i) => " ".repeat(m.indents[i]) + r + (i < rowText.length - 1 ? sep : "") + comments[i]);
    if (m.layout === "hug") return { text: `[${lines.join("\n").trimStart()}]`, multiline: true, rows };
    return { text: `[\n${lines.join("\n")}\n]`, multiline: true, rows };
  });

const contexts = ["const", "dynamics", "constraint", "penalty", "objective", "bounds", "let", "cost", "setting"] as const;

/** A spec with the matrix literal `m` (the name `M` stands for none) in one context. */
function contextSource(context: (typeof contexts)[number], m: string): string {
  switch (context) {
    case "const":
      return `const M = ${m}\n`;
    case "dynamics":
      return `controller C {\n  dynamics x+ = ${m}*x + B*u\n}\n`;
    case "constraint":
      return `controller C {\n  subject to\n    ${m}*x <= 1\n    -1 <= u <= 1\n}\n`;
    case "penalty":
      return `controller C {\n  subject to\n    soft x <= 1 for k in 0..N penalty linear ${m}\n    -1 <= u <= 1\n}\n`;
    case "objective":
      return `controller C {\n  minimize stage quad(x, ${m})\n    + terminal x'*${m}*x\n}\n`;
    case "bounds":
      return `controller C {\n  learnable P[2] = 0 in [-${m}, ${m}]\n  horizon 3\n}\n`;
    case "let":
      return `plant P {\n  let y = ${m}*s\n  cost y'*y\n}\n`;
    case "cost":
      return `plant P {\n  cost s'*${m}*s\n  episode 3\n}\n`;
    case "setting":
      return `train C on P {\n  init ${m} 1\n  seed 1\n}\n`;
  }
}

/** Lines (0-based) on which the rows of the first matrix literal of a `const` start. */
function rowLines(text: string): number[] {
  const item = parse(text).program.items[0];
  if (item.kind !== "Decl" || item.init?.kind !== "Array") return [];
  const a = item.init;
  const starts = a.rows.length >= 2 ? a.rows.map((r) => r[0].span.start) : a.rows[0].map((x) => x.span.start);
  return starts.map((s) => text.slice(0, s).split("\n").length - 1);
}

describe("format properties: matrix literals", () => {
  it("is idempotent, preserves AST and comments, and keeps one row per line where the source had it", () => {
    const checked = new Map<string, number>();
    fc.assert(
      fc.property(matrixArb, fc.constantFrom(...contexts), (m, context) => {
        const src = contextSource(context, m.text);
        const parsed = parse(src);
        // in a constraint, a `]` alone on its line ends the constraint: such sources do not parse
        fc.pre(!parsed.diagnostics.some((d) => d.severity === "error"));
        checked.set(context, (checked.get(context) ?? 0) + 1);
        const once = format(src).text;
        expect(format(once).text).toBe(once);
        expect(stripSpans(parse(once).program)).toEqual(stripSpans(parsed.program));
        expect(parse(once).program.comments.map((c) => c.text)).toEqual(parsed.program.comments.map((c) => c.text));
        if (context === "const") {
          const lines = rowLines(once);
          if (m.multiline) expect(new Set(lines).size).toBe(lines.length);
          else {
            const init = (parsed.program.items[0] as Decl).init!;
            // broken one row per line only if the one-line layout is too wide
            expect(new Set(lines).size === 1).toBe(`const M = ${formatExpr(init)}`.length <= 100);
          }
        } else if (m.multiline) {
          // the rows stayed one per line (the one-line fallback was not used)
          const oneLine = contextSource(context, "M").split("\n").length - 1;
          const copies = contextSource(context, "M").split("M").length - 1;
          expect(once.split("\n").length - 1).toBeGreaterThanOrEqual(oneLine + copies * (m.rows - 1));
        }
      }),
      { seed: 20261205, numRuns: 400 },
    );
    for (const c of contexts) expect(checked.get(c) ?? 0, c).toBeGreaterThan(15);
  });

  it("formatting the examples with their spacing disturbed gives a fixed point", () => {
    const examples = validSpecs.filter((s) => s.file.startsWith(join(root, "examples")));
    fc.assert(
      fc.property(fc.constantFrom(...examples), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 64, maxLength: 64 }), (spec, widths) => {
        // widen runs of spaces outside comments (never a line break: the layout of rows is kept)
        const comments = parse(spec.text).program.comments;
        let k = 0;
        const text = spec.text.replace(/ +/g, (run, at: number) =>
          comments.some((c) => at >= c.span.start && at < c.span.end) ? run : " ".repeat(widths[k++ % widths.length]),
        );
        const once = format(text).text;
        expect(format(once).text).toBe(once);
        expect(stripSpans(parse(once).program)).toEqual(stripSpans(parse(spec.text).program));
        // the same lines as the undisturbed example (alignment may differ: it follows the source)
        const squeeze = (t: string): string => t.replace(/ +/g, " ");
        expect(squeeze(once)).toBe(squeeze(format(spec.text).text));
      }),
      { seed: 42, numRuns: 40 },
    );
  });
});
