// Parser unit tests: AST shapes of representative constructs, precedence, spans, ids, recovery.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, type Expr, type Program, type ControllerBlock, type Constraint, type TrainBlock, type Decl } from "../index.js";

/** A compact, fully parenthesized rendering of an expression for precedence checks. */
function show(e: Expr): string {
  switch (e.kind) {
    case "Number":
      return e.text;
    case "Name":
      return e.name;
    case "Binary":
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case "Unary":
      return `(${e.op}${show(e.operand)})`;
    case "Transpose":
      return `${show(e.operand)}'`;
    case "Paren":
      return `(${show(e.inner)})`;
    case "Call":
      return `${e.callee.name}(${e.args.map((a) => (a.name ? `${a.name.name}=` : "") + show(a.value)).join(", ")})`;
    case "Array":
      return `[${e.rows.map((r) => r.map(show).join(", ")).join("; ")}]`;
    case "Index":
      return `${show(e.target)}[${e.indices
        .map((i) => (i.kind === "At" ? show(i.index) : `${i.start ? show(i.start) : ""}:${i.end ? show(i.end) : ""}`))
        .join(", ")}]`;
    case "ErrorExpr":
      return "<error>";
  }
}

function constExpr(src: string): Expr {
  const { program, diagnostics } = parse(`const c = ${src}`);
  expect(diagnostics).toEqual([]);
  const d = program.items[0] as Decl;
  if (d.init === undefined) throw new Error("no init");
  return d.init;
}

function controller(body: string): { c: ControllerBlock; program: Program; errors: string[] } {
  const { program, diagnostics } = parse(`controller C {\n${body}\n}`);
  return { c: program.items[0] as ControllerBlock, program, errors: diagnostics.map((d) => d.code) };
}

describe("expressions", () => {
  it.each([
    ["-x^2", "(-(x ^ 2))"],
    ["2^3^2", "(2 ^ (3 ^ 2))"],
    ["2^-k", "(2 ^ (-k))"],
    ["2^-k^2", "(2 ^ (-(k ^ 2)))"],
    ["a - b - c", "((a - b) - c)"],
    ["a + b*c", "(a + (b * c))"],
    ["a*b + c/d - e", "(((a * b) + (c / d)) - e)"],
    ["a .* b ./ c", "((a .* b) ./ c)"],
    ["a*-b", "(a * (-b))"],
    ["- -a", "(-(-a))"],
    ["x'*Q*x", "((x' * Q) * x)"],
    ["(a + b)'", "((a + b))'"],
    ["x[0]", "x[0]"],
    ["x[1:3]", "x[1:3]"],
    ["M[0, :]", "M[0, :]"],
    ["M[:2, 1:]", "M[:2, 1:]"],
    ["x'[0]", "x'[0]"],
    ["quad(x, 2*I)", "quad(x, (2 * I))"],
    ["newton(lr = 5e-2)", "newton(lr=5e-2)"],
    ["[x; u]", "[x; u]"],
    ["[[1, 2], [3, 4]]", "[[1, 2], [3, 4]]"],
    ["[1, 2; 3, 4]", "[1, 2; 3, 4]"],
    ["[]", "[]"],
    ["0.5*gamma^(k-1)*w", "((0.5 * (gamma ^ ((k - 1)))) * w)"],
  ])("%s parses as %s", (src, expected) => {
    expect(show(constExpr(src))).toBe(expected);
  });

  it("parses every number notation", () => {
    const cases: [string, number][] = [
      ["1", 1],
      ["1.5", 1.5],
      [".5", 0.5],
      ["1e-3", 1e-3],
      ["1E+3", 1000],
      ["1_000", 1000],
      ["0x1F", 31],
      ["0b101", 5],
      ["0o17", 15],
      ["inf", Infinity],
    ];
    for (const [src, value] of cases) {
      const e = constExpr(src);
      expect(e.kind).toBe("Number");
      if (e.kind === "Number") {
        expect(e.value).toBe(value);
        expect(e.text).toBe(src);
      }
    }
  });

  it("accepts identifiers of any script", () => {
    expect(show(constExpr("θ + température_max*α₁"))).toBe("(θ + (température_max * α₁))");
  });
});

describe("items", () => {
  it("parses declarations with structure, dims, init and bounds", () => {
    const { c, errors } = controller("  learnable diag Q[2] = [1, 1] in [0, 10]\n  input u[1] in [-1, 1]\n  state x");
    expect(errors).toEqual([]);
    const [q, u, x] = c.items as Decl[];
    expect(q.declKind).toBe("learnable");
    expect(q.structure).toBe("diag");
    expect(q.name.name).toBe("Q");
    expect(q.dims?.map(show)).toEqual(["2"]);
    expect(q.init && show(q.init)).toBe("[1, 1]");
    expect(q.bounds && [show(q.bounds.lower), show(q.bounds.upper)]).toEqual(["0", "10"]);
    expect(u.bounds && show(u.bounds.lower)).toBe("(-1)");
    expect(x.dims).toBeUndefined();
  });

  it("keeps `diag` usable as a name and as a function", () => {
    const { c, errors } = controller("  learnable diag = 1\n  let d = diag([1, 2])");
    expect(errors).toEqual([]);
    expect((c.items[0] as Decl).name.name).toBe("diag");
    expect((c.items[0] as Decl).structure).toBeUndefined();
  });

  it("parses discrete and continuous dynamics", () => {
    const { c, errors } = controller("  dynamics x+ = A*x + B*u\n  dynamics der(z) = -z using rk4");
    expect(errors).toEqual([]);
    const [d1, d2] = c.items;
    expect(d1.kind === "Dynamics" && [d1.form, d1.target.name, show(d1.rhs), d1.method]).toEqual(["discrete", "x", "((A * x) + (B * u))", undefined]);
    expect(d2.kind === "Dynamics" && [d2.form, d2.target.name, d2.method]).toEqual(["continuous", "z", "rk4"]);
  });

  it("splits the objective at `+ stage` / `+ terminal` and labels an unlabelled first term initial", () => {
    const { c, errors } = controller("  minimize V0 + x'*x\n    + terminal quad(x, S) + 1\n    + stage u'*u");
    expect(errors).toEqual([]);
    const obj = c.items[0];
    if (obj.kind !== "Objective") throw new Error(obj.kind);
    expect(obj.terms.map((t) => [t.costKind, show(t.expr), t.keywordSpan !== undefined])).toEqual([
      ["initial", "(V0 + (x' * x))", false],
      ["terminal", "(quad(x, S) + 1)", true],
      ["stage", "(u' * u)", true],
    ]);
  });

  it("parses constraint chains, soft, terminal, ranges and penalties", () => {
    const { c, errors } = controller(
      "  subject to\n    -1 <= u - prev(u) <= 1\n    soft lb <= x <= ub for k in 1..N penalty linear w quadratic 0\n    terminal x == 0\n    terminal soft x >= 0 penalty quadratic 2",
    );
    expect(errors).toEqual([]);
    const st = c.items[0];
    if (st.kind !== "SubjectTo") throw new Error(st.kind);
    const [a, b, t, ts] = st.constraints as Constraint[];
    expect([a.ops, a.operands.map(show), a.soft, a.terminal]).toEqual([["<=", "<="], ["(-1)", "(u - prev(u))", "1"], false, false]);
    expect(b.soft).toBe(true);
    expect(b.range && [b.range.index.name, show(b.range.from), show(b.range.to)]).toEqual(["k", "1", "N"]);
    expect(b.penalty && [b.penalty.linear && show(b.penalty.linear), b.penalty.quadratic && show(b.penalty.quadratic)]).toEqual(["w", "0"]);
    expect([t.terminal, t.ops]).toEqual([true, ["=="]]);
    expect([ts.terminal, ts.soft, ts.penalty?.linear, ts.penalty?.quadratic && show(ts.penalty.quadratic)]).toEqual([true, true, undefined, "2"]);
  });

  it("starts a new constraint at a line beginning with `-`, `[` or `(`", () => {
    const { c, errors } = controller("  subject to\n    x <= 1\n    -1 <= u\n    [0, 0] <= x\n    (a) <= 2");
    expect(errors).toEqual([]);
    const st = c.items[0];
    expect(st.kind === "SubjectTo" && st.constraints.length).toBe(4);
  });

  it("continues a constraint on a line starting with `for`, `penalty` or a relation", () => {
    const { c, errors } = controller("  subject to\n    soft lb <= x\n      <= ub\n      for k in 1..N\n      penalty linear 1\n    u >= 0");
    expect(errors).toEqual([]);
    const st = c.items[0];
    if (st.kind !== "SubjectTo") throw new Error(st.kind);
    expect(st.constraints.map((k) => [k.ops.length, k.range !== undefined, k.penalty !== undefined])).toEqual([
      [2, true, true],
      [1, false, false],
    ]);
  });

  it("continues a constraint after a line that ends with an operator", () => {
    const { c, errors } = controller("  subject to\n    x[0] +\n      x[1] <=\n      1\n    u >= 0");
    expect(errors).toEqual([]);
    const st = c.items[0];
    expect(st.kind === "SubjectTo" && st.constraints.map((k) => k.ops)).toEqual([["<="], [">="]]);
  });

  it("skips a broken constraint to the end of its line and parses the next one", () => {
    const { c, errors } = controller("  subject to\n    x = 0 + 1\n    -1 <= u <= 1\n    terminal x == 0");
    expect(errors).toEqual(["MPC1012"]);
    const st = c.items[0];
    expect(st.kind === "SubjectTo" && st.constraints.map((k) => k.ops)).toEqual([["<=", "<="], ["=="]]);
  });

  it("continues an expression over lines inside brackets and in the objective", () => {
    const { c, errors } = controller("  subject to\n    x <= [1,\n      -2]\n  minimize a\n    - b\n    + c");
    expect(errors).toEqual([]);
    const [st, obj] = c.items;
    expect(st.kind === "SubjectTo" && st.constraints.length).toBe(1);
    expect(obj.kind === "Objective" && show(obj.terms[0].expr)).toBe("((a - b) + c)");
  });

  it("parses train blocks: settings end at the end of the line, nested blocks, named arguments", () => {
    const src = readFileSync(new URL("../../examples/gros_zanon/linear_mpc.mpcrl", import.meta.url), "utf8");
    const { program, diagnostics } = parse(src);
    expect(diagnostics).toEqual([]);
    const train = program.items.find((i): i is TrainBlock => i.kind === "Train");
    expect(train?.controller.name).toBe("LinearMpc");
    expect(train?.plant.name).toBe("LtiSystem");
    const settings = train?.settings.map((s) => [s.key.name, s.args.map(show), s.block?.map((b) => [b.key.name, b.args.map(show)])]);
    expect(settings).toEqual([
      [
        "algorithm",
        ["q_learning"],
        [
          ["optimizer", ["newton(lr=5e-2)"]],
          ["hessian", ["approximate"]],
          ["update", ["every", "1", "steps"]],
          ["replay", ["size", "1", "sample", "1"]],
          ["first_input_bounds", ["removed"]],
        ],
      ],
      ["episodes", ["1"], undefined],
      ["steps", ["5000"], undefined],
      ["seed", ["69"], undefined],
    ]);
  });

  it("parses the flagship example into the expected top-level items", () => {
    const src = readFileSync(new URL("../../examples/gros_zanon/linear_mpc.mpcrl", import.meta.url), "utf8");
    const { program } = parse(src);
    expect(program.items.map((i) => (i.kind === "Decl" ? `${i.declKind} ${i.name.name}` : i.kind))).toEqual([
      "const gamma",
      "const w",
      "const A0",
      "const B0",
      "Controller",
      "Plant",
      "Train",
    ]);
    expect(program.comments.length).toBe(8);
    expect(program.comments[0].text.startsWith("// The linear benchmark")).toBe(true);
  });
});

describe("spans and ids", () => {
  it("gives exact UTF-16 spans with 1-based lines and columns", () => {
    const src = "const a = 1\ncontroller C {\n  dynamics x+ = A*x + b\n}\n";
    const { program } = parse(src);
    const c = program.items[1] as ControllerBlock;
    const dyn = c.items[0];
    if (dyn.kind !== "Dynamics" || dyn.rhs.kind !== "Binary") throw new Error("shape");
    const rhs = dyn.rhs;
    expect(src.slice(rhs.span.start, rhs.span.end)).toBe("A*x + b");
    expect([rhs.span.startLine, rhs.span.startColumn, rhs.span.endLine, rhs.span.endColumn]).toEqual([3, 17, 3, 24]);
    expect(src.slice(rhs.opSpan.start, rhs.opSpan.end)).toBe("+");
    expect(src.slice(dyn.span.start, dyn.span.end)).toBe("dynamics x+ = A*x + b");
    expect(src.slice(c.span.start, c.span.end)).toBe(src.slice(12, src.length - 1));
    expect(src.slice(c.keywordSpan.start, c.keywordSpan.end)).toBe("controller");
  });

  it("counts astral characters as two UTF-16 units", () => {
    const src = "const 𝑥 = 1 + y";
    const d = parse(src).program.items[0] as Decl;
    expect(d.name.name).toBe("𝑥");
    expect(d.init && src.slice(d.init.span.start, d.init.span.end)).toBe("1 + y");
    expect(d.init?.span.startColumn).toBe(12);
  });

  it("handles CRLF line endings", () => {
    const src = "const a = 1\r\nconst b = a\r\n";
    const d = parse(src).program.items[1] as Decl;
    expect([d.span.startLine, d.span.startColumn]).toEqual([2, 1]);
  });

  it("gives every node a unique id", () => {
    const src = readFileSync(new URL("../../examples/gros_zanon/linear_mpc.mpcrl", import.meta.url), "utf8");
    const ids: number[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (typeof o["id"] === "number" && typeof o["kind"] === "string") ids.push(o["id"]);
        for (const [k, x] of Object.entries(o)) if (k !== "span" && k !== "opSpan") walk(x);
      }
    };
    walk(parse(src).program);
    expect(ids.length).toBeGreaterThan(100);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("error recovery", () => {
  it("reports several errors in one run and keeps the good items", () => {
    const src = "controller C {\n  state x[2\n  input u[1]\n  horizn 10\n  dynamics x+ = x + u\n}\nplant P {\n  cost (s + \n}\ntrain C on P { seed 1 }\n";
    const { program, diagnostics } = parse(src);
    expect(diagnostics.map((d) => d.code)).toEqual(["MPC1005", "MPC1007", "MPC1006"]);
    expect(program.items.map((i) => i.kind)).toEqual(["Controller", "Plant", "Train"]);
    const c = program.items[0] as ControllerBlock;
    expect(c.items.map((i) => i.kind)).toEqual(["Decl", "Decl", "Dynamics"]);
  });

  it("points at the opening bracket of an unclosed array and suggests a fix for a misspelled keyword", () => {
    const { diagnostics } = parse("const a = [1, 2\ncontroller C {\n  horizn 3\n}");
    const unclosed = diagnostics.find((d) => d.code === "MPC1005");
    expect(unclosed?.message).toBe("expected `]` to close this array, found keyword `controller`");
    expect(unclosed?.related?.[0].span.startColumn).toBe(11);
    const typo = diagnostics.find((d) => d.code === "MPC1007");
    expect(typo?.help).toBe("did you mean `horizon`?");
    expect(typo?.edits?.[0].newText).toBe("horizon");
  });

  it("turns 1 MB of nested brackets into one diagnostic instead of a stack overflow", () => {
    const src = "const x = " + "[".repeat(500_000) + "]".repeat(500_000);
    const { diagnostics } = parse(src);
    expect(diagnostics.map((d) => d.code)).toEqual(["MPC1008"]);
  });

  it("bounds the depth of operator chains", () => {
    const { diagnostics, program } = parse("const x = " + Array(5000).fill("1").join(" + "));
    expect(diagnostics.map((d) => d.code)).toEqual(["MPC1008"]);
    expect((program.items[0] as Decl).init?.kind).toBe("ErrorExpr");
  });

  it("warns about an empty file", () => {
    expect(parse("").diagnostics.map((d) => [d.code, d.severity])).toEqual([["MPC1015", "warning"]]);
    expect(parse("// only a comment\n").diagnostics.map((d) => d.code)).toEqual(["MPC1015"]);
  });
});
