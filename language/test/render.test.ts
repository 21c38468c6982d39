// Rendering of diagnostics: layout of carets, related ranges, multi-line spans, tabs, colors, summary.

import { describe, expect, it } from "vitest";
import { renderDiagnostics, spanAt, type Diagnostic } from "../index.js";

const src = "controller C {\n  dynamics x+ = A*x + f\n}\n";
const at = (s: string, text = src): [number, number] => {
  const i = text.indexOf(s);
  return [i, i + s.length];
};

function diag(extra: Partial<Diagnostic> = {}, text = src): Diagnostic {
  const [fs, fe] = at("f\n", text);
  return {
    severity: "error",
    code: "MPC3001",
    message: "cannot add shapes 2x1 and 3x1",
    span: spanAt(text, fs, fe - 1),
    label: "3x1",
    ...extra,
  };
}

describe("renderDiagnostics", () => {
  it("draws primary carets and a related range on the same line, rustc style", () => {
    const [as, ae] = at("A*x");
    const out = renderDiagnostics(src, [diag({ related: [{ span: spanAt(src, as, ae), label: "2x1" }], notes: ["operands of `+` need equal shapes"], help: "check `f`" })], "linear_mpc.mpcrl");
    expect(out).toBe(
      [
        "error[MPC3001]: cannot add shapes 2x1 and 3x1",
        " --> linear_mpc.mpcrl:2:23",
        "  |",
        "2 |   dynamics x+ = A*x + f",
        "  |                 ---   ^ 3x1",
        "  |                 |",
        "  |                 2x1",
        "  |",
        "  = note: operands of `+` need equal shapes",
        "  = help: check `f`",
        "",
        "error: 1 error emitted",
        "",
      ].join("\n"),
    );
  });

  it("gives related ranges on other lines their own snippet lines and elides gaps", () => {
    const text = "const a = 1\n\n\n\nconst a = 2\n";
    const d: Diagnostic = {
      severity: "error",
      code: "MPC2002",
      message: "`a` is declared twice",
      span: spanAt(text, text.lastIndexOf("a ="), text.lastIndexOf("a =") + 1),
      label: "declared again here",
      related: [{ span: spanAt(text, 6, 7), label: "first declared here" }],
    };
    expect(renderDiagnostics(text, [d], "f.mpcrl")).toBe(
      [
        "error[MPC2002]: `a` is declared twice",
        " --> f.mpcrl:5:7",
        "  |",
        "1 | const a = 1",
        "  |       - first declared here",
        "...",
        "5 | const a = 2",
        "  |       ^ declared again here",
        "",
        "error: 1 error emitted",
        "",
      ].join("\n"),
    );
  });

  it("underlines both ends of a multi-line span", () => {
    const text = "minimize a\n  + b\n  + c\n";
    const d: Diagnostic = { severity: "warning", code: "MPC4001", message: "m", span: spanAt(text, 9, text.length - 1), label: "here" };
    expect(renderDiagnostics(text, [d], "f")).toBe(
      ["warning[MPC4001]: m", " --> f:1:10", "  |", "1 | minimize a", "  |          ^", "2 |   + b", "3 |   + c", "  |   ^^^ here", "", "warning: 1 warning emitted", ""].join("\n"),
    );
  });

  it("expands tabs so that carets line up", () => {
    const text = "\tx\t= 1\n";
    const d: Diagnostic = { severity: "error", code: "MPC1004", message: "m", span: spanAt(text, 3, 4), label: "here" };
    const lines = renderDiagnostics(text, [d], "f").split("\n");
    expect(lines[3]).toBe("1 |     x   = 1");
    expect(lines[4]).toBe("  |         ^ here");
  });

  it("points at an empty span with one caret and handles the end of the file", () => {
    const text = "const a = [1, 2";
    const d: Diagnostic = { severity: "error", code: "MPC1005", message: "m", span: spanAt(text, text.length, text.length), label: "expected `]`" };
    const lines = renderDiagnostics(text, [d], "f").split("\n");
    expect(lines[4]).toBe("  |                ^ expected `]`");
  });

  it("colors only when asked", () => {
    const plain = renderDiagnostics(src, [diag()], "f");
    const colored = renderDiagnostics(src, [diag()], "f", { color: true });
    expect(plain).not.toMatch(/\u001b\[/);
    expect(colored).toMatch(/\u001b\[1;31merror\[MPC3001\]/);
    expect(colored.replace(/\u001b\[[0-9;]*m/g, "")).toBe(plain);
  });

  it("summarizes errors and warnings, and prints nothing when clean", () => {
    const w: Diagnostic = { ...diag(), severity: "warning", code: "MPC2004" };
    expect(renderDiagnostics(src, [diag(), diag(), w], "f").trimEnd().split("\n").pop()).toBe("error: 2 errors, 1 warning emitted");
    expect(renderDiagnostics(src, [w], "f").trimEnd().split("\n").pop()).toBe("warning: 1 warning emitted");
    expect(renderDiagnostics(src, [], "f")).toBe("");
  });

  it("shows the help of a suggested edit when there is no help text", () => {
    const d = diag({ edits: [{ span: diag().span, newText: "g", title: "replace with `g`" }] });
    expect(renderDiagnostics(src, [d], "f")).toContain("  = help: replace with `g`");
  });
});
