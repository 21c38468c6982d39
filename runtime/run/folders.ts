// The folders a run makes for its `--out` path (Node-only): a run refused or failed before its
// first step removes what it made, parents included (`--out a/b/c` made a/ and a/b/ as well), and
// never anything that existed before it or holds other files.

import { existsSync, rmdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** The topmost folder of `dir`'s path that does not exist yet (what `mkdir -p` would make first),
 *  or undefined when `dir` exists. */
export function firstMissingFolder(dir: string): string | undefined {
  let top: string | undefined;
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) {
    top = p;
    if (dirname(p) === p) break;
  }
  return top;
}

/** Removes `dir` and then its parents up to `top` (inclusive), each only while empty (rmdir refuses
 *  a folder with entries: nothing else is deleted). `top` undefined: `dir` existed, nothing goes. */
export function removeMadeFolders(dir: string, top: string | undefined): void {
  if (top === undefined) return;
  for (let p = resolve(dir); ; p = dirname(p)) {
    try {
      rmdirSync(p);
    } catch {
      return; // absent or not empty: its parents hold it
    }
    if (p === top || dirname(p) === p) return;
  }
}
