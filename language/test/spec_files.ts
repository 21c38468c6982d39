// The .mpcrl files below a folder, recursively, in sorted order: the corpus of the tests that run
// over every fixture or example (check verdicts, codes, suggested edits, lowering).

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export function specFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...specFiles(p));
    else if (name.endsWith(".mpcrl")) out.push(p);
  }
  return out;
}
