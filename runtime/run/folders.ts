// The folders a run or study makes for its `--out` path (Node-only): one refused or failed before
// its first step removes what it made, parents included (`--out a/b/c` made a/ and a/b/ as well),
// and never anything that existed before it or holds other files; what it replaces is set aside
// until it exists.

import { existsSync, mkdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

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

/** Entries of a folder moved into a hidden folder of it (`set aside`), to be put back or dropped. */
export interface SetAside {
  /** Moves the entries back (the folder made again if it went) and removes the hidden folder. */
  restore(): void;
  /** Deletes the entries for good. */
  drop(): void;
}

/**
 * Moves `names` of `dir` into `dir/.replaced-<pid>-<time>` (renames: nothing is copied or lost; after
 * a crash they are still there): an old run or study that `--force` replaces is deleted only once
 * the new one exists, and put back when it never started.
 */
export function setAside(dir: string, names: readonly string[]): SetAside {
  if (names.length === 0) return { restore: () => undefined, drop: () => undefined };
  const aside = join(dir, `.replaced-${process.pid}-${Date.now()}`);
  mkdirSync(aside);
  for (const name of names) renameSync(join(dir, name), join(aside, name));
  return {
    restore: () => {
      mkdirSync(dir, { recursive: true });
      for (const name of names) renameSync(join(aside, name), join(dir, name));
      rmSync(aside, { recursive: true, force: true });
    },
    drop: () => rmSync(aside, { recursive: true, force: true }),
  };
}
