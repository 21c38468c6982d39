import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { assemble } from "../ldl_wasm.js";
import { disassemble } from "./wat.js";

// The kernel's bytes are assembled from opcodes in TypeScript; ldl_wasm.wat is their readable
// listing. The two must agree: a change to the opcodes needs UPDATE_GOLDEN=1 and a reviewed diff
// of the listing; a missing listing fails.
const listingPath = fileURLToPath(new URL("../ldl_wasm.wat", import.meta.url));
const NAMES = ["forward", "backward", "solve", "admm", "step", "steps", "factor", "resid", "update"];

describe("ldl_wasm.wat", () => {
  it("is the disassembly of the assembled kernel", () => {
    const listing = disassemble(assemble(), NAMES);
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(listingPath, listing);
    expect(existsSync(listingPath), "ldl_wasm.wat is missing: run with UPDATE_GOLDEN=1 and review it").toBe(true);
    expect(listing).toBe(readFileSync(listingPath, "utf8"));
  });

  it("lists every function the module exports, with balanced blocks", () => {
    const listing = disassemble(assemble(), NAMES);
    for (const name of NAMES) expect(listing).toContain(`(func $${name} `);
    const opens = listing.match(/^\s*(block|loop|if)\b/gm)?.length ?? 0;
    const ends = listing.match(/^\s*end$/gm)?.length ?? 0;
    expect(opens).toBeGreaterThan(0);
    expect(ends).toBe(opens);
  });

  it("refuses bytes outside its subset instead of printing a wrong listing", () => {
    const bytes = assemble().slice();
    // the last byte is the final `end` of the last body; a truncated module must be an error
    expect(() => disassemble(bytes.subarray(0, bytes.length - 1))).toThrow();
    expect(() => disassemble(new Uint8Array([0, 1, 2, 3]))).toThrow(/WebAssembly/);
  });
});
