// Shared CLI helpers: read a file or report a clear error (exit code 2, no stack trace), decide on
// terminal colors, combine exit codes. Every command reports an unreadable file the same way:
//   mpcrl <command>: cannot read [<what> ]'<path>': <reason>
// with reason "no such file", "it is a directory", "permission denied" or the system's message.

import { chmodSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** A file that cannot be read or parsed; `message` is complete ("cannot read the spec 'x': no such file"). */
export class FileReadError extends Error {}

/** The human reason of a failed read (no error codes, no stack). */
export function readErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "ENOTDIR") return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return err instanceof Error ? err.message : String(err);
}

/** `cannot write 'out/x.ts': its folder 'out' does not exist` (no error codes, no stack). */
export function cannotWriteMessage(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === "ENOENT"
      ? `its folder '${dirname(path)}' does not exist (create it first)`
      : code === "ENOTDIR"
        ? "a part of its path is a file, not a folder"
        : code === "EISDIR"
          ? "it is a directory"
          : readErrorReason(err);
  return `cannot write '${path}': ${reason}`;
}

/**
 * Why no folder can be at `dir`: "it is a file, not a folder", or a part of its path is a file
 * (mkdir would fail with ENOTDIR); null when it is a folder or can be made (its nearest existing
 * ancestor is a folder).
 */
export function folderPathProblem(dir: string): string | null {
  const target = resolve(dir);
  for (let p = target; ; p = dirname(p)) {
    try {
      if (statSync(p).isDirectory()) return null;
      return p === target ? "it is a file, not a folder" : `a part of its path, '${p}', is a file, not a folder`;
    } catch {
      // absent (or under a file): look at the parent
    }
    if (dirname(p) === p) return null;
  }
}

/** `cannot read the spec 'x': no such file` (`what` is optional). */
export function cannotReadMessage(path: string, err: unknown, what?: string): string {
  return `cannot read ${what ? `${what} ` : ""}'${path}': ${readErrorReason(err)}`;
}

/** Reads a UTF-8 text file; throws FileReadError with the shared message on failure. */
export function readTextFile(path: string, what?: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new FileReadError(cannotReadMessage(path, err, what));
  }
}

/** Reads and parses a JSON file; throws FileReadError ("... is not valid JSON: ...") on failure. */
export function readJsonFile(path: string, what?: string): unknown {
  const text = readTextFile(path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new FileReadError(`${what ? `${what} ` : ""}'${path}' is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Prints `mpcrl <command>: <message>` to stderr and raises the exit code to 2. */
export function failUsage(command: string, message: string): void {
  process.stderr.write(`mpcrl ${command}: ${message}\n`);
  raiseExitCode(2);
}

/** Read a UTF-8 text file. On failure, print `mpcrl <command>: cannot read '<path>': <reason>` to stderr and return undefined. */
export function readSourceFile(path: string, command: string, what?: string): string | undefined {
  try {
    return readTextFile(path, what);
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err;
    process.stderr.write(`mpcrl ${command}: ${err.message}\n`);
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

/** One JSON record on stdout (the `--json` output of every command: one line per record). */
export function printJson(record: unknown): void {
  process.stdout.write(JSON.stringify(record) + "\n");
}

/**
 * Writes `text` to `path` so that a failure midway (a full disk) never leaves it half written: the
 * text goes to a temporary file beside the real file (a link is followed: the link stays a link),
 * which gets the file's permission bits and then replaces it in one rename. Throws the write's
 * error (the temporary file removed); `fmt --write` and `compile -o` rewrote files in place.
 */
export function writeFileReplacing(path: string, text: string): void {
  let target = path;
  let mode: number | undefined;
  try {
    target = realpathSync(path);
    mode = statSync(target).mode & 0o7777;
  } catch {
    // a new file: written where asked, with the default mode
  }
  const tmp = join(dirname(target), `.${basename(target)}.mpcrl-${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, "utf8");
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
