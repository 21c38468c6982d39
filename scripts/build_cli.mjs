// `npm run build:cli`: the installed CLI's JavaScript, in dist/cli/.
//  - main.cjs: the whole CLI as one CommonJS bundle. bin/mpcrl.js compiles it with V8's code cache
//    (vm.Script cachedData), which ES modules cannot use on Node 20: start-up without parsing and
//    compiling the bundle's functions again (bench/cli.ts measures it). Its first line names the
//    build (a hash of the bundle), which the cache file repeats, so a cache never meets another
//    build's bundle (V8 itself checks only the source's length).
//  - main.cjs.cache: that cache, written by one `compile` of an example run with
//    MPCRL_WRITE_CODE_CACHE=1 (the functions it compiled are in it; a rejected or missing cache only
//    costs the compile time).
//  - train_worker.js, study_thread.js (+ chunks): the worker-thread entries, as ES modules.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "dist/cli");
const external = ["commander", "tsx", "bullmq", "ioredis", "esbuild"];
const alias = { chevrotain: join(root, "node_modules/chevrotain/lib/chevrotain.mjs") };
const common = { bundle: true, platform: "node", target: "node20", external, alias, logLevel: "warning", absWorkingDir: root };

rmSync(out, { recursive: true, force: true });
await build({ ...common, entryPoints: ["cli/train_worker.ts", "cli/study_thread.ts"], splitting: true, format: "esm", outdir: out });
// import.meta in the CommonJS bundle: bin/mpcrl.js passes the bundle's URL and its own resolver
const main = await build({
  ...common,
  entryPoints: ["cli/main.ts"],
  format: "cjs",
  write: false,
  outfile: join(out, "main.cjs"),
  define: { "import.meta.url": "__importMetaUrl", "import.meta.resolve": "__importMetaResolve" },
});
const code = main.outputFiles[0].text;
const id = createHash("sha256").update(code).digest("hex").slice(0, 32);
writeFileSync(join(out, "main.cjs"), `// mpcrl-build ${id}\n${code}`);

const tmp = mkdtempSync(join(tmpdir(), "mpcrl-build-"));
try {
  const r = spawnSync(process.execPath, [join(root, "bin/mpcrl.js"), "compile", "examples/gros_zanon/linear_mpc.mpcrl", "-o", join(tmp, "out.ts")], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, MPCRL_FROM_SOURCES: "0", MPCRL_WRITE_CODE_CACHE: "1" },
  });
  if (r.status !== 0) throw new Error(`build:cli: the code-cache run failed\n${r.stderr}`);
  readFileSync(join(out, "main.cjs.cache")); // written by that run
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
