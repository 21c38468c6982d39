// Lexer tests: token boundaries of tricky inputs, comments kept, bad input reported and skipped.

import { describe, expect, it } from "vitest";
import { lex } from "../lexer.js";
import { LineIndex } from "../span.js";

function tokens(src: string): string[] {
  return lex(src, new LineIndex(src)).tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}
function codes(src: string): string[] {
  return lex(src, new LineIndex(src)).diagnostics.map((d) => d.code);
}

describe("lexer", () => {
  it("splits ranges, element-wise operators and decimals correctly", () => {
    expect(tokens("1..N")).toEqual(["Number:1", "DotDot:..", "Identifier:N"]);
    expect(tokens("a.*b./c")).toEqual(["Identifier:a", "DotStar:.*", "Identifier:b", "DotSlash:./", "Identifier:c"]);
    expect(tokens(".5+1.5e-3")).toEqual(["Number:.5", "Plus:+", "Number:1.5e-3"]);
    expect(tokens("x'*y")).toEqual(["Identifier:x", "Quote:'", "Star:*", "Identifier:y"]);
    expect(tokens("a<=b>=c==d")).toEqual(["Identifier:a", "Le:<=", "Identifier:b", "Ge:>=", "Identifier:c", "EqEq:==", "Identifier:d"]);
  });

  it("types keywords, contextual keywords and `inf`, but not words that merely start with them", () => {
    expect(tokens("state stage inf info states")).toEqual(["Kw_state:state", "Kw_stage:stage", "Inf:inf", "Identifier:info", "Identifier:states"]);
  });

  it("keeps comments apart from the tokens", () => {
    const r = lex("a // one\n/* two\n three */ b", new LineIndex("a // one\n/* two\n three */ b"));
    expect(r.tokens.map((t) => t.image)).toEqual(["a", "b"]);
    expect(r.comments.map((c) => c.image)).toEqual(["// one", "/* two\n three */"]);
  });

  it("reports unknown characters once per run and goes on", () => {
    expect(tokens("a @@ b")).toEqual(["Identifier:a", "Identifier:b"]);
    const r = lex("a @@ b", new LineIndex("a @@ b"));
    expect(r.diagnostics.map((d) => [d.code, d.message, d.span.start, d.span.end])).toEqual([["MPC1001", "unknown characters `@@`", 2, 4]]);
  });

  it("reads `≤`, `≥`, `−` and `...` as their ASCII forms, with an error and a fix", () => {
    expect(tokens("a ≤ b ≥ −c 1...N")).toEqual([
      "Identifier:a", "Le:≤", "Identifier:b", "Ge:≥", "Minus:−", "Identifier:c", "Number:1", "DotDot:...", "Identifier:N",
    ]);
    const d = lex("a ≤ b", new LineIndex("a ≤ b")).diagnostics[0];
    expect([d.code, d.edits?.[0].newText]).toEqual(["MPC1001", "<="]);
  });

  it("reports malformed numbers and `#` comments", () => {
    expect(codes("2x")).toEqual(["MPC1003"]);
    expect(codes("1e")).toEqual(["MPC1003"]);
    expect(codes("0x")).toEqual(["MPC1003"]);
    expect(codes("# not a comment\nconst a = 1")).toEqual(["MPC1001"]);
    expect(tokens("# not a comment\nconst a = 1")).toEqual(["Kw_const:const", "Identifier:a", "Equals:=", "Number:1"]);
    expect(codes("/* open")).toEqual(["MPC1002"]);
  });

  it("tracks lines across every line-break style", () => {
    const src = "a\nb\r\nc\rd";
    expect(lex(src, new LineIndex(src)).tokens.map((t) => t.startLine)).toEqual([1, 2, 3, 4]);
  });
});
