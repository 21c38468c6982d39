// The diagnostics registry (language/codes.ts) against everything else: every registered code has
// an entry in docs/diagnostics.md (its `<a id>` anchor) and is triggered by an invalid fixture under
// fixtures/ or, for codes only the compiler or the language server reports and for internal errors,
// by a named test listed below with the reason; every code in the sources and in the fixtures'
// .expected files is registered; the index table of docs/diagnostics.md is the registry's
// (`UPDATE_GOLDEN=1` rewrites it); every reported severity is one the registry allows.

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ALL_CODES, CODES, DIAGNOSTICS_DOC, RETIRED_CODES, codeInfo, docsAnchor, docsHref, fixedSeverity, isDiagnosticCode, type DiagnosticCode } from "../codes.js";
import { check, type Diagnostic } from "../index.js";
import { parse } from "../parser/index.js";
import { checkProgram } from "../check/index.js";
import { verify } from "../../compiler/verify.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixturesDir = fileURLToPath(new URL("./fixtures/", import.meta.url));
const docsFile = join(root, DIAGNOSTICS_DOC);
const update = process.env["UPDATE_GOLDEN"] === "1";

function files(dir: string, keep: (name: string) => boolean, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (skip(relative(root, p).split("\\").join("/"))) continue;
    if (statSync(p).isDirectory()) out.push(...files(p, keep, skip));
    else if (keep(name)) out.push(p);
  }
  return out;
}

const CODE_RE = /MPC\d{4}/g;
const codesIn = (text: string): Set<string> => new Set(text.match(CODE_RE) ?? []);

// ------------------------------------------------------------------ the registry itself

describe("the registry", () => {
  it("lists well-formed codes in order, with a title and an allowed severity", () => {
    expect(ALL_CODES.length).toBeGreaterThanOrEqual(100);
    expect([...ALL_CODES].sort()).toEqual(ALL_CODES);
    for (const code of ALL_CODES) {
      const e = codeInfo(code);
      expect(code).toMatch(/^MPC\d{4}$/);
      expect(e.title.length, code).toBeGreaterThan(0);
      expect(e.title, code).not.toContain("|"); // the docs index is a table
      expect(["error", "warning", "error|warning"]).toContain(e.severity);
      expect(e.anchor).toBe(code.toLowerCase());
      // The family of the code matches who reports it.
      const family = code.slice(3, 4);
      if (e.reporter === "syntax") expect(family, code).toBe("1");
      if (e.reporter === "compiler") expect(code.slice(3, 5), code).toBe("46");
      if (family === "1") expect(e.reporter, code).toBe("syntax");
    }
  });

  it("never registers a retired code, and gives each retired code a reason", () => {
    for (const [code, reason] of Object.entries(RETIRED_CODES)) {
      expect(code).toMatch(/^MPC\d{4}$/);
      expect(isDiagnosticCode(code), code).toBe(false);
      expect(reason.length).toBeGreaterThan(20);
    }
  });

  it("links a code to its docs entry", () => {
    expect(docsHref("MPC2001")).toBe("docs/diagnostics.md#mpc2001");
    expect(docsHref("MPC4607", "https://example.org/docs/diagnostics.md")).toBe("https://example.org/docs/diagnostics.md#mpc4607");
    expect(fixedSeverity("MPC2003")).toBe("warning");
    expect(fixedSeverity("MPC4022")).toBeUndefined();
  });
});

// ------------------------------------------------------------------ docs/diagnostics.md

/** The index table of docs/diagnostics.md, generated from the registry. */
function indexTable(): string {
  const rows = ALL_CODES.map((code) => {
    const e = CODES[code];
    const severity = e.severity === "error|warning" ? "error or warning" : e.severity;
    return `| [${code}](#${docsAnchor(code)}) | ${severity} | ${e.title} |`;
  });
  return ["| code | severity | title |", "|---|---|---|", ...rows].join("\n");
}

const BEGIN = "<!-- codes:begin (generated from language/codes.ts) -->";
const END = "<!-- codes:end -->";

describe("docs/diagnostics.md", () => {
  it("has the registry's index table (UPDATE_GOLDEN=1 rewrites it)", () => {
    const doc = readFileSync(docsFile, "utf8");
    const b = doc.indexOf(BEGIN);
    const e = doc.indexOf(END);
    expect(b, "index markers").toBeGreaterThanOrEqual(0);
    expect(e).toBeGreaterThan(b);
    const want = `${BEGIN}\n${indexTable()}\n${END}`;
    const got = doc.slice(b, e + END.length);
    if (update && got !== want) writeFileSync(docsFile, doc.slice(0, b) + want + doc.slice(e + END.length));
    expect(readFileSync(docsFile, "utf8").slice(b, b + want.length)).toBe(want);
  });

  it("has exactly one entry (anchor) for every registered and every retired code, and none for others", () => {
    const doc = readFileSync(docsFile, "utf8");
    const anchors = [...doc.matchAll(/<a id="(mpc\d{4})"><\/a>/g)].map((m) => m[1]!);
    const want = [...ALL_CODES, ...Object.keys(RETIRED_CODES)].map(docsAnchor).sort();
    expect([...anchors].sort()).toEqual(want);
  });

  it("mentions only registered or retired codes", () => {
    for (const code of codesIn(readFileSync(docsFile, "utf8"))) {
      expect(isDiagnosticCode(code) || code in RETIRED_CODES, code).toBe(true);
    }
  });
});

// ------------------------------------------------------------------ sources and fixtures

describe("every code in use is registered", () => {
  it("in the sources of language, compiler, lsp, runtime and cli", () => {
    const sources = files(
      root,
      (n) => /\.(ts|mts|js|mjs)$/.test(n) && !/\.test\.ts$/.test(n),
      (rel) => !/^(language|compiler|lsp|runtime|cli)(\/|$)/.test(rel) || /(^|\/)(node_modules|dist|test)(\/|$)/.test(rel),
    );
    expect(sources.length).toBeGreaterThan(50);
    const seen = new Set<string>();
    for (const f of sources) {
      const rel = relative(root, f);
      for (const code of codesIn(readFileSync(f, "utf8"))) {
        seen.add(code);
        // A retired code may be named (in codes.ts and comments), never reported: Diagnostic.code
        // is the registered union, so reporting it would not type-check.
        expect(isDiagnosticCode(code) || code in RETIRED_CODES, `${code} in ${rel}`).toBe(true);
      }
    }
    expect(seen.has("MPC2001")).toBe(true);
  });

  it("in every fixture's .expected file", () => {
    const expected = files(fixturesDir, (n) => n.endsWith(".expected"));
    expect(expected.length).toBeGreaterThan(60);
    for (const f of expected) {
      for (const code of codesIn(readFileSync(f, "utf8"))) expect(isDiagnosticCode(code), `${code} in ${relative(fixturesDir, f)}`).toBe(true);
    }
  });
});

// ------------------------------------------------------------------ triggers

/** Codes no fixture can show (fixtures run `check`, the language front end only), each with the
 *  test that triggers it (in this file unless a path is given) and why it has no fixture. */
const NAMED_TRIGGERS: Record<string, { readonly test: string; readonly reason: string }> = {
  MPC0000: { test: "lsp/test/codes.test.ts › a front-end crash is MPC0000, linked to its docs entry", reason: "reported by the language server when parse/check throw (a bug)" },
  MPC1000: { test: "MPC1000: the parser's crash guard", reason: "internal: the parser threw (a bug); triggered with a text object whose lexing throws" },
  MPC2999: { test: "MPC2999: the checker's crash guard", reason: "internal: a checker pass threw (a bug); triggered with a malformed AST" },
  MPC4601: { test: "MPC4601: a construct lowering cannot build", reason: "compiler: lowering of a spec the checker accepts" },
  MPC4602: { test: "MPC4602, MPC4603, MPC4608: defensive codes still have an emitting site", reason: "compiler, defensive: the checker reports shapes first (MPC3xxx); for a checked spec lowering turns a shape error into an internal assertion (MPC4699)" },
  MPC4603: { test: "MPC4602, MPC4603, MPC4608: defensive codes still have an emitting site", reason: "compiler, defensive: constness is the checker's MPC2015 and NaN data its domain checks (MPC4021/MPC4022); no accepted spec is known to reach it" },
  MPC4604: { test: "MPC4604-MPC4607: numeric checks", reason: "compiler: solving the DARE of `dlqr` (the checker folds only small DAREs)" },
  MPC4605: { test: "MPC4604-MPC4607: numeric checks", reason: "compiler: `using zoh` with a runtime value in the state matrix" },
  MPC4606: { test: "MPC4604-MPC4607: numeric checks", reason: "compiler: PSD check of the Hessian and of `psd` initial values at the initial parameters" },
  MPC4607: { test: "MPC4604-MPC4607: numeric checks", reason: "compiler: phase-1 feasibility at the plant's initial state" },
  MPC4608: { test: "MPC4602, MPC4603, MPC4608: defensive codes still have an emitting site", reason: "compiler, defensive: degree above 2 is the checker's MPC4001/MPC4002 first" },
  MPC4609: { test: "MPC4609: a file without a controller", reason: "compiler: `compile` needs a controller, the checker does not" },
  MPC4699: { test: "MPC4699: the compiler's crash guard", reason: "internal: lowering threw (a bug); triggered with a malformed AST" },
};

describe("every registered code is triggered", () => {
  const expected = files(fixturesDir, (n) => n.endsWith(".expected"));
  const inFixtures = new Set<string>();
  for (const f of expected) for (const m of readFileSync(f, "utf8").matchAll(/^(?:error|warning)\[(MPC\d{4})\]/gm)) inFixtures.add(m[1]!);

  it("by an invalid fixture, or by a named test for compiler, server and internal codes", () => {
    for (const code of ALL_CODES) {
      const named = NAMED_TRIGGERS[code];
      if (inFixtures.has(code)) expect(named, `${code} has a fixture: drop it from NAMED_TRIGGERS`).toBeUndefined();
      else expect(named, `${code}: no fixture under language/test/fixtures/ and no named test`).toBeDefined();
    }
    for (const [code, t] of Object.entries(NAMED_TRIGGERS)) {
      expect(isDiagnosticCode(code), code).toBe(true);
      expect(t.reason.length).toBeGreaterThan(10);
      // A test named elsewhere must exist under that name.
      const m = /^(\S+\.test\.ts) › (.+)$/.exec(t.test);
      if (m) expect(readFileSync(join(root, m[1]!), "utf8"), t.test).toContain(`it("${m[2]!}"`);
      else expect(readFileSync(fileURLToPath(import.meta.url), "utf8"), t.test).toContain(`it("${t.test}"`);
    }
  });

  it("reports each fixture's diagnostics with a severity the registry allows", () => {
    const sources = files(fixturesDir, (n) => n.endsWith(".mpcrl"));
    for (const f of sources) {
      for (const d of check(readFileSync(f, "utf8")).diagnostics) {
        const fixed = fixedSeverity(d.code);
        if (fixed) expect(d.severity, `${d.code} in ${relative(fixturesDir, f)}`).toBe(fixed);
        else expect(["error", "warning"], `${d.code} in ${relative(fixturesDir, f)}`).toContain(d.severity);
      }
    }
  });

  const CONTROLLER = `controller C {
  state x[1]
  input u[1]
  horizon 3
  dynamics x+ = x + u
  minimize stage x'*x + u'*u
}
`;
  const codes = (ds: readonly Diagnostic[]): string[] => ds.map((d) => d.code);
  const only = (code: DiagnosticCode, ds: readonly Diagnostic[]): void => {
    expect(codes(ds)).toContain(code);
    for (const d of ds) if (d.code === code) expect(d.severity).toBe(fixedSeverity(code));
  };

  it("MPC1000: the parser's crash guard", () => {
    // A text whose lexing throws (it is not a string): the parser reports instead of throwing.
    const notAString = { length: 2, charCodeAt: () => 10, toString: () => "\n\n" };
    only("MPC1000", parse(notAString as unknown as string).diagnostics);
  });

  it("MPC2999: the checker's crash guard", () => {
    const program = parse(CONTROLLER).program;
    only("MPC2999", checkProgram({ ...program, items: [null as never] }, CONTROLLER).diagnostics);
  });

  it("MPC4601: a construct lowering cannot build", () => {
    const src = `${CONTROLLER}plant P {
  state a[1] = [0]
  input v[1]
  timestep 0.1
  dynamics der(a) = -a + prev(v) using zoh
  cost a'*a
}
`;
    expect(codes(check(src).diagnostics)).toEqual([]);
    only("MPC4601", verify(src).diagnostics);
  });

  it("MPC4609: a file without a controller", () => {
    only("MPC4609", verify("const a = 1\n").diagnostics);
  });

  it("MPC4699: the compiler's crash guard", () => {
    const checked = check(CONTROLLER);
    const ctl = checked.program.items[0] as unknown as { items: { kind: string }[] };
    const broken = { ...checked.program, items: [{ ...ctl, items: ctl.items.map((i) => (i.kind === "Dynamics" ? { ...i, rhs: null } : i)) }] };
    only("MPC4699", verify(CONTROLLER, { checked: { ...checked, program: broken as never, diagnostics: [] } }).diagnostics);
  });

  it("MPC4604-MPC4607: numeric checks", () => {
    // Also: compiler/test/diagnostics.test.ts (4604, 4607 golden), discretization.test.ts (4605),
    // initial_values.test.ts (4606).
    const dlqr = `controller C {
  state x[2]
  input u[1]
  horizon 3
  dynamics x+ = [[2, 0], [0, 0.5]]*x + [[0], [1]]*u
  minimize stage x'*x + u'*u + terminal quad(x, dlqr([[2, 0], [0, 0.5]], [[0], [1]], I, I))
}
`;
    only("MPC4604", verify(dlqr).diagnostics);
    const zoh = `controller C {
  state x[2]
  input u[1]
  horizon 3
  timestep 0.1
  runtime rr = 1
  dynamics der(x) = [[0, rr], [0, 0]]*x + [[0], [1]]*u using zoh
  minimize stage x'*x + u'*u
}
`;
    only("MPC4605", verify(zoh).diagnostics);
    const psd = `controller C {
  state x[2]
  input u[1]
  learnable psd P[2] = [[1, 2], [2, 1]]
  horizon 3
  dynamics x+ = x + [[0], [1]]*u
  minimize stage quad(x, P) + u'*u
}
`;
    only("MPC4606", verify(psd).diagnostics);
    const infeasible = `controller C {
  state x[1]
  input u[1] in [-0.1, 0.1]
  horizon 5
  dynamics x+ = 2*x + u
  minimize stage x'*x + u'*u
  subject to
    -1 <= x <= 1
}
plant P {
  state s[1] = [0.9]
  input a[1]
  dynamics s+ = 2*s + a
  cost s'*s
}
`;
    only("MPC4607", verify(infeasible).diagnostics);
  });

  it("MPC4602, MPC4603, MPC4608: defensive codes still have an emitting site", () => {
    // No spec the checker accepts is known to reach them; while lowering still reports them they
    // stay registered (else retire them in codes.ts with the reason).
    const lowering = files(join(root, "compiler"), (n) => n.endsWith(".ts") && !n.endsWith(".test.ts"), (rel) => /(^|\/)test(\/|$)/.test(rel))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    for (const key of ["shape", "notConstant", "degree"]) expect(lowering, key).toMatch(new RegExp(`CompilerCodes\\.${key}\\b`));
  });
});

it("the registry's docs file exists", () => {
  expect(existsSync(docsFile)).toBe(true);
});
