// Golden files: the expected output lives in lsp/test/golden/; `UPDATE_GOLDEN=1` rewrites it from
// the current output (review the diff before committing).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), "utf8");
}

export function expectGolden(name: string, actual: string): void {
  const path = fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(path)) {
    if (process.env.UPDATE_GOLDEN !== "1") throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(actual, `golden ${name} (UPDATE_GOLDEN=1 to accept new output)`).toBe(readFileSync(path, "utf8"));
}
