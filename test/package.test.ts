// The package as a user gets it: `npm pack` (its `prepack` builds dist/), the tarball installed
// into a fresh project OFFLINE, `npx mpcrl compile` of the Gros & Zanon example, the app's own
// `tsc --strict`, the compiled module run by plain `node`, and an esbuild bundle for the browser.
//
// The pack runs on a copy of the sources (so the working tree's dist/ is left alone). The app is
// installed by `npm ci --offline`: its lockfile is cut from this repository's (the tarball's
// dependencies plus typescript and esbuild as the app's dev dependencies), so every package
// comes from npm's cache, which `npm ci` filled. When the cache lacks one, the test is skipped
// and says why. Slow (a build and an install): one test, a generous timeout.

import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "mpcrl-package-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const npx = process.platform === "win32" ? "npx.cmd" : "npx";

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" } });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface LockEntry {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [k: string]: unknown;
}

/** The app's lockfile: the closure of the tarball's dependencies (and of `dev`) taken from the repository's lockfile. */
function appLockfile(tarball: string, dev: string[]): { pkg: object; lock: object } {
  const repo = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const all = repo.packages;
  const self = all[""];
  const out: Record<string, LockEntry> = {};
  // node's lookup from a package folder: its own node_modules, then upward
  const locate = (from: string, name: string): string | undefined => {
    let dir = from;
    for (;;) {
      const p = `${dir ? `${dir}/` : ""}node_modules/${name}`;
      if (all[p]) return p;
      if (!dir) return undefined;
      const i = dir.lastIndexOf("/node_modules/");
      dir = i < 0 ? "" : dir.slice(0, i);
    }
  };
  const visit = (path: string): void => {
    if (out[path]) return;
    const { dev: _d, devOptional: _o, peer: _p, ...entry } = all[path];
    out[path] = entry as LockEntry;
    for (const [deps, optional] of [
      [entry.dependencies, false],
      [entry.optionalDependencies, true],
    ] as const) {
      for (const d of Object.keys(deps ?? {})) {
        const p = locate(path, d);
        if (p) visit(p);
        else if (!optional) throw new Error(`the lockfile has no ${d} (needed by ${path})`);
      }
    }
  };
  for (const d of Object.keys(self.dependencies ?? {})) visit(`node_modules/${d}`);
  for (const d of dev) visit(`node_modules/${d}`);
  const integrity = `sha512-${createHash("sha512").update(readFileSync(join(tmp, "app", tarball))).digest("base64")}`;
  out["node_modules/mpcrl"] = { version: self.version, resolved: `file:${tarball}`, integrity, dependencies: self.dependencies, bin: self.bin, engines: self.engines };
  const dependencies = { mpcrl: `file:${tarball}` };
  const devDependencies = Object.fromEntries(dev.map((d) => [d, all[`node_modules/${d}`].version]));
  const pkg = { name: "app", version: "1.0.0", private: true, type: "module", dependencies, devDependencies };
  return { pkg, lock: { name: "app", version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": { name: "app", version: "1.0.0", dependencies, devDependencies }, ...out } } };
}

describe("the npm package", () => {
  it("packs dist/ + docs + examples, installs offline, compiles a spec; the module type-checks (--strict), runs under node and bundles for the browser", (ctx) => {
    // 1. npm pack on a copy of the sources (prepack builds dist/ there)
    const src = join(tmp, "src");
    mkdirSync(src);
    for (const d of ["bin", "scripts", "cli", "language", "compiler", "runtime", "lsp", "docs", "examples"]) {
      cpSync(join(root, d), join(src, d), { recursive: true, filter: (p) => !p.includes("node_modules") });
    }
    for (const f of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "README.md", "ARCHITECTURE.md"]) cpSync(join(root, f), join(src, f));
    symlinkSync(join(root, "node_modules"), join(src, "node_modules"), "dir");
    const packDir = join(tmp, "pack");
    mkdirSync(packDir);
    ok(run(npm, ["pack", "--pack-destination", packDir, "--silent"], src), "npm pack");
    const tarballs = readdirSync(packDir).filter((f) => f.endsWith(".tgz"));
    expect(tarballs).toHaveLength(1);
    const tarball = tarballs[0];

    // 2. its contents: compiled JS + declarations, docs, examples; no tests, fixtures, goldens, benches, sources
    const files = execFileSync("tar", ["-tzf", join(packDir, tarball)], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => l.replace(/^package\//, ""));
    for (const f of ["bin/mpcrl.js", "dist/cli/main.cjs", "dist/cli/main.cjs.cache", "dist/cli/train_worker.js", "dist/runtime/index.js", "dist/runtime/index.d.ts", "dist/language/index.d.ts", "dist/compiler/index.js", "docs/language.md", "examples/gros_zanon/linear_mpc.mpcrl", "README.md", "package.json"]) {
      expect(files, f).toContain(f);
    }
    const unwanted = files.filter((f) => /(^|\/)(test|tests|fixtures|golden|bench)\/|\.test\.|\.golden|\.map$/.test(f) || (/\.ts$/.test(f) && !f.endsWith(".d.ts") && !f.startsWith("examples/")));
    expect(unwanted).toEqual([]);

    // 3. a fresh app, installed offline from npm's cache
    const app = join(tmp, "app");
    mkdirSync(app);
    cpSync(join(packDir, tarball), join(app, tarball));
    const { pkg, lock } = appLockfile(tarball, ["typescript", "esbuild"]);
    writeFileSync(join(app, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
    writeFileSync(join(app, "package-lock.json"), JSON.stringify(lock, null, 2) + "\n");
    const install = run(npm, ["ci", "--offline", "--no-audit", "--no-fund"], app);
    if (install.status !== 0) {
      const reason = /ENOTCACHED|only-if-cached/.test(install.stderr) ? "a package is not in npm's cache (run `npm ci` with network first)" : install.stderr.split("\n").slice(0, 5).join(" ");
      ctx.skip(`offline install impossible: ${reason}`);
    }
    expect(existsSync(join(app, "node_modules/tsx")), "tsx must not be installed with mpcrl").toBe(false);

    // 4. the installed CLI (compiled JavaScript, no tsx)
    const version = ok(run(npx, ["--no-install", "mpcrl", "--version"], app), "mpcrl --version").trim();
    expect(version).toBe((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version);
    cpSync(join(app, "node_modules/mpcrl/examples/gros_zanon/linear_mpc.mpcrl"), join(app, "spec.mpcrl"));
    const compiled = run(npx, ["--no-install", "mpcrl", "compile", "spec.mpcrl", "-o", "controller.ts"], app);
    ok(compiled, "mpcrl compile");
    expect(compiled.stderr).toContain("compiled controller LinearMpc");
    expect(readFileSync(join(app, "controller.ts"), "utf8")).toContain('from "mpcrl/runtime"');

    // 5. the app's own compile: tsc --strict, no skipLibCheck, no Node types (the runtime's declarations need none)
    writeFileSync(
      join(app, "main.ts"),
      [
        'import { createController, defaultParams, paramsToTheta, thetaToParams } from "./controller.js";',
        "const mpc = createController();",
        "const r = mpc.act(Float64Array.from([0.5, 0.5]));",
        "const first: number = r.u[0];",
        "const again = thetaToParams(paramsToTheta(defaultParams));",
        "console.log(JSON.stringify({ u: Array.from(r.u), first, params: Object.keys(again).length }));",
        "",
      ].join("\n"),
    );
    const tsconfig = { compilerOptions: { strict: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", outDir: "out", skipLibCheck: false, types: [] }, files: ["main.ts", "controller.ts"] };
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(tsconfig, null, 2) + "\n");
    ok(run(process.execPath, [join(app, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], app), "tsc --strict");

    // 6. plain node runs it: a finite action
    const out = JSON.parse(ok(run(process.execPath, ["out/main.js"], app), "node out/main.js")) as { u: number[]; params: number };
    expect(out.u).toHaveLength(1);
    expect(out.u.every(Number.isFinite)).toBe(true);
    expect(out.params).toBeGreaterThan(0);

    // 7. esbuild bundles it for the browser (a Node API in the runtime's import graph would fail
    //    to resolve); the bundle gives the same action, and carries no compiler (typescript/ts-morph)
    const esbuild = 'import { build } from "esbuild"; await build({ entryPoints: ["main.ts"], bundle: true, platform: "browser", format: "esm", outfile: "bundle.js", logLevel: "error" });';
    ok(run(process.execPath, ["--input-type=module", "-e", esbuild], app), "esbuild (platform browser)");
    const bundle = readFileSync(join(app, "bundle.js"), "utf8");
    expect(bundle.length).toBeLessThan(1_000_000);
    expect(bundle).not.toMatch(/from "node:|require\("(fs|path|os|typescript|ts-morph)"\)/);
    const fromBundle = JSON.parse(ok(run(process.execPath, ["bundle.js"], app), "node bundle.js")) as { u: number[] };
    expect(fromBundle.u).toEqual(out.u);
  }, 600_000);
});
