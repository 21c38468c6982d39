#!/usr/bin/env node
// Entry point of the installed CLI. The package ships compiled JavaScript (dist/, built by
// `npm run build` on `prepack`), which starts fast and needs neither tsx nor TypeScript. In a
// clone without a build, it falls back to the TypeScript sources through tsx's loader (a dev
// dependency). MPCRL_FROM_SOURCES=1 forces the sources even when dist/ exists (dist/ may be stale).
import { existsSync } from "node:fs";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
const sources = new URL("../cli/main.ts", import.meta.url);
const fromSources = process.env.MPCRL_FROM_SOURCES === "1" && existsSync(sources);

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
