#!/usr/bin/env node
// Entry point of the installed CLI. The package ships compiled JavaScript (dist/, built by
// `npm run build` on `prepack`), which starts fast and needs neither tsx nor TypeScript. In a
// clone without a build, it falls back to the TypeScript sources through tsx's loader (a dev
// dependency). MPCRL_FROM_SOURCES=1 forces the sources; MPCRL_FROM_SOURCES=0 forces dist/ even if stale.
// In a checkout (the sources are present: the package does not ship them), a dist/ older than any
// source file is stale: the sources run instead, with a note, so an edit is never silently ignored.
import { existsSync, readdirSync, statSync } from "node:fs";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
const sources = new URL("../cli/main.ts", import.meta.url);

/** Newest modification time of the .ts sources under the folders the CLI is built from. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== "test" && e.name !== "node_modules") walk(new URL(`${e.name}/`, dir));
      } else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(new URL(e.name, dir)).mtimeMs);
    }
  };
  for (const d of ["cli", "language", "compiler", "runtime"]) walk(new URL(`../${d}/`, import.meta.url));
  return newest;
}

const stale = existsSync(sources) && existsSync(compiled) && process.env.MPCRL_FROM_SOURCES !== "0" && newestSource() > statSync(compiled).mtimeMs;
if (stale) process.stderr.write("mpcrl: dist/ is older than the sources; running the sources (npm run build refreshes it)\n");
const fromSources = (process.env.MPCRL_FROM_SOURCES === "1" || stale) && existsSync(sources);

if (!fromSources && existsSync(compiled)) {
  await import(compiled.href);
} else if (existsSync(sources)) {
  let register;
  try {
    ({ register } = await import("tsx/esm/api"));
  } catch {
    process.stderr.write("mpcrl: dist/ is not built and tsx is not installed: run `npm install` then `npm run build`\n");
    process.exit(2);
  }
  register();
  await import(sources.href);
} else {
  process.stderr.write("mpcrl: the package is incomplete (no dist/cli/main.js): reinstall it\n");
  process.exit(2);
}
