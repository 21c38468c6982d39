// The grammar passes Chevrotain's validations (no ambiguous alternatives, no left recursion, no
// unresolved rules). The shared parser skips them for start-up time; this test runs them.
import { describe, expect, it } from "vitest";
import { MpcrlParser } from "../parser/grammar.js";

describe("grammar", () => {
  it("passes Chevrotain's grammar validations", () => {
    // Chevrotain throws "Parser Definition Errors detected" from the constructor on any finding.
    expect(() => new MpcrlParser({ validate: true })).not.toThrow();
  });
});
