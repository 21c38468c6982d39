#!/usr/bin/env node
// Entry point of the installed CLI. The package ships compiled JavaScript (dist/, built by
// `npm run build` on `prepack`), which starts fast and needs neither tsx nor TypeScript. In a
// clone without a build, it falls back to the TypeScript sources through tsx's loader (a dev
// dependency). MPCRL_FROM_SOURCES=1 forces the sources; MPCRL_FROM_SOURCES=0 forces dist/ even if stale.
// In a checkout (the sources are present: the package does not ship them), a dist/ older than any
// source file is stale: the sources run instead, with a note, so an edit is never silently ignored.
//
// The compiled CLI is one CommonJS bundle (scripts/build_cli.mjs), compiled here with V8's code
// cache from the build: most of its functions need no parsing or compiling at start-up.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const compiled = new URL("../dist/cli/main.cjs", import.meta.url);
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

/** Runs the bundle, with the code cache if it belongs to this build (the bundle's first line and
 *  the cache's header name the same build). MPCRL_WRITE_CODE_CACHE=1 (the build) writes the cache
 *  at exit, with the functions this run compiled. */
function runBundle() {
  const file = fileURLToPath(compiled);
  const source = readFileSync(file, "utf8");
  const header = `${source.slice(0, source.indexOf("\n"))}\n`; // "// mpcrl-build <id>\n"
  const cacheFile = `${file}.cache`;
  let cachedData;
  if (process.env.MPCRL_WRITE_CODE_CACHE !== "1") {
    try {
      const bytes = readFileSync(cacheFile);
      if (bytes.subarray(0, header.length).toString("latin1") === header) cachedData = bytes.subarray(header.length);
    } catch {
      // no cache: compiled as usual
    }
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname, __importMetaUrl, __importMetaResolve) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  if (process.env.MPCRL_WRITE_CODE_CACHE === "1") {
    process.once("exit", () => {
      writeFileSync(`${cacheFile}.tmp`, Buffer.concat([Buffer.from(header, "latin1"), script.createCachedData()]));
      renameSync(`${cacheFile}.tmp`, cacheFile);
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), compiled.href, (s) => import.meta.resolve(s));
}

if (!fromSources && existsSync(compiled)) {
  runBundle();
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
  process.stderr.write("mpcrl: the package is incomplete (no dist/cli/main.cjs): reinstall it\n");
  process.exit(2);
}
