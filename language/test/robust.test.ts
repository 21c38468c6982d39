// "Never crashes, never hangs": random token soup, mutated real specs and arbitrary strings go
// through parse, check and format without throwing, with well-formed diagnostics, in roughly
// linear time.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check, format, parse, renderDiagnostics, type Diagnostic } from "../index.js";
import { specFiles } from "./spec_files.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

const corpus = [...specFiles(join(root, "examples")), ...specFiles(join(root, "language/test/fixtures/valid"))].map((f) => readFileSync(f, "utf8"));

const VOCAB = [
  "controller", "plant", "train", "on", "state", "input", "param", "runtime", "disturbance", "const", "learnable",
  "diag", "psd", "factor", "let", "horizon", "discount", "timestep", "episode", "dynamics", "der", "using", "zoh",
  "minimize", "stage", "terminal", "initial", "subject", "to", "soft", "for", "in", "penalty", "linear", "quadratic",
  "cost", "reward", "x", "u", "A", "k", "N", "quad", "1", "0.5", "1e-3", "inf", "0x1F", "+", "-", "*", "/", ".*", "./",
  "^", "'", "=", "==", "<=", ">=", "<", ":", "..", ";", ",", "(", ")", "[", "]", "{", "}", "//c\n", "/*c*/", "#", "\n",
  "é", "\u0000", "1e", "2x", "\"",
];
const soupArb = fc
  .array(fc.tuple(fc.constantFrom(...VOCAB), fc.constantFrom(" ", "", "\n", "\t")), { maxLength: 120 })
  .map((parts) => parts.map(([t, s]) => t + s).join(""));

const mutationArb = fc.tuple(
  fc.integer({ min: 0, max: Math.max(0, corpus.length - 1) }),
  fc.array(
    fc.tuple(fc.constantFrom("delete", "insert", "duplicate", "swap"), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 40 }), fc.constantFrom(...VOCAB)),
    { minLength: 1, maxLength: 6 },
  ),
);

function mutate(text: string, ops: [string, number, number, string][]): string {
  let t = text;
  for (const [op, pos, len, tok] of ops) {
    const at = Math.floor(pos * t.length);
    if (op === "delete") t = t.slice(0, at) + t.slice(at + len);
    else if (op === "insert") t = t.slice(0, at) + tok + t.slice(at);
    else if (op === "duplicate") t = t.slice(0, at) + t.slice(at, at + len) + t.slice(at);
    else t = t.slice(0, at) + t.slice(at + len, at + 2 * len) + t.slice(at, at + len) + t.slice(at + 2 * len);
  }
  return t;
}

function wellFormed(text: string, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    expect(d.code).toMatch(/^MPC\d{4}$/);
    expect(d.message.length).toBeGreaterThan(0);
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
    expect(d.span.end).toBeLessThanOrEqual(text.length);
    expect(d.span.startLine).toBeGreaterThanOrEqual(1);
    expect(d.span.startColumn).toBeGreaterThanOrEqual(1);
  }
}

function everything(text: string): void {
  const p = parse(text);
  wellFormed(text, p.diagnostics);
  const c = check(text);
  wellFormed(text, c.diagnostics);
  renderDiagnostics(text, c.diagnostics, "f.mpcrl", { color: true });
  const f = format(text);
  if (!p.diagnostics.some((d) => d.severity === "error")) expect(format(f.text).text).toBe(f.text);
  else expect(f.text).toBe(text);
}

describe("robustness", () => {
  it("token soup never makes parse, check, render or format throw", () => {
    fc.assert(fc.property(soupArb, everything), { numRuns: 300 });
  });

  it("mutated real specs never make parse, check, render or format throw", () => {
    fc.assert(fc.property(mutationArb, ([i, ops]) => everything(mutate(corpus[i], ops))), { numRuns: 300 });
  });

  it("arbitrary strings (any UTF-16, lone surrogates included) never make the front end throw", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), everything), { numRuns: 200 });
  });

  it.each([
    ["1 MB of nested brackets", "const x = " + "[".repeat(500_000) + "]".repeat(500_000)],
    ["unclosed parentheses", "controller C { minimize " + "(".repeat(100_000)],
    ["long unary chains", "const x = " + "-".repeat(100_000) + "1"],
    ["long power chains", "const x = " + Array(20_000).fill("2").join("^")],
    ["nested settings blocks", "train A on B { " + "a {".repeat(50_000)],
    ["binary junk", Array.from({ length: 100_000 }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join("")],
  ])("%s give diagnostics, not a crash", (_name, text) => {
    const c = check(text);
    expect(c.diagnostics.length).toBeGreaterThan(0);
    wellFormed(text, c.diagnostics);
    expect(format(text).text).toBe(text);
  });
});

describe("roughly linear time", () => {
  /** Median CPU time of `fn` over 3 runs. */
  function cpuMs(fn: () => void): number {
    const ts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = process.cpuUsage();
      fn();
      const t = process.cpuUsage(t0);
      ts.push((t.user + t.system) / 1000);
    }
    return ts.sort((a, b) => a - b)[1];
  }

  it.each([
    ["a valid spec", corpus[0]],
    ["a mutated spec", mutate(corpus[0], [["delete", 0.4, 7, ""], ["insert", 0.6, 1, "[("]])],
    ["token soup", fc.sample(soupArb, { numRuns: 1, seed: 7 })[0] + "\n"],
  ])("check on %s grows at most ~linearly (1x vs 8x)", (_name, unit) => {
    const small = unit.repeat(20);
    const large = unit.repeat(160);
    check(small); // warm-up
    const tSmall = Math.max(cpuMs(() => check(small)), 1);
    const tLarge = cpuMs(() => check(large));
    // 8x the input: a quadratic algorithm would be ~64x; allow generous noise above 8x.
    expect(tLarge / tSmall).toBeLessThan(24);
  });
});
