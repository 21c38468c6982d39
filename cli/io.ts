// Shared CLI helpers: read a source file or report a clear error (exit code 2, no stack trace),
// decide on terminal colors, combine exit codes.

import { readFileSync, statSync } from "node:fs";

/** Read a UTF-8 text file. On failure, print `mpcrl <command>: <reason>` to stderr and return undefined. */
export function readSourceFile(path: string, command: string): string | undefined {
  try {
    const st = statSync(path);
    if (st.isDirectory()) {
      process.stderr.write(`mpcrl ${command}: '${path}' is a directory, not a file\n`);
      return undefined;
    }
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EACCES" || code === "EPERM" ? "permission denied" : err instanceof Error ? err.message : String(err);
    process.stderr.write(`mpcrl ${command}: cannot read '${path}': ${reason}\n`);
    return undefined;
  }
}

/** Colors on a TTY unless NO_COLOR is set (https://no-color.org) or `--no-color` was given. */
export function useColor(flag: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (flag === false) return false;
  if (process.env["NO_COLOR"] !== undefined && process.env["NO_COLOR"] !== "") return false;
  return stream.isTTY === true;
}

/** Exit codes combine by severity: 2 (bad usage / unreadable) > 1 (errors in input) > 0. */
export function raiseExitCode(code: 0 | 1 | 2): void {
  const current = typeof process.exitCode === "number" ? process.exitCode : 0;
  if (code > current) process.exitCode = code;
}
