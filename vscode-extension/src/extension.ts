// The MPC-RL extension: starts the bundled language server (dist/server.js) with
// vscode-languageclient and adds the commands Check, Compile to TypeScript, Train and Show
// generated QP on top of it.

import * as path from "node:path";
import * as fs from "node:fs";
import * as vscode from "vscode";
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

interface CheckReport {
  readonly errors: number;
  readonly warnings: number;
  readonly rendered: string;
}
interface CompileReply {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
}
interface QpReply {
  readonly ok: boolean;
  readonly summary?: string;
  readonly message?: string;
}

function activeSpec(uriArg?: unknown): vscode.Uri | undefined {
  if (typeof uriArg === "string") return vscode.Uri.parse(uriArg);
  if (uriArg instanceof vscode.Uri) return uriArg;
  const editor = vscode.window.activeTextEditor;
  if (editor?.document.languageId === "mpcrl") return editor.document.uri;
  void vscode.window.showWarningMessage("MPC-RL: open a .mpcrl file first.");
  return undefined;
}

function createClient(context: vscode.ExtensionContext): LanguageClient {
  const serverModule = context.asAbsolutePath(path.join("dist", "server.js"));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6010"] } },
  };
  const config = vscode.workspace.getConfiguration("mpcrl");
  const docs = context.asAbsolutePath(path.join("dist", "docs", "diagnostics.md"));
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: "mpcrl" }],
    initializationOptions: {
      debounceMs: config.get<number>("diagnostics.debounceMs", 75),
      ...(fs.existsSync(docs) ? { diagnosticsDocUrl: vscode.Uri.file(docs).toString() } : {}),
    },
    outputChannelName: "MPC-RL Language Server",
  };
  return new LanguageClient("mpcrl", "MPC-RL Language Server", serverOptions, clientOptions);
}

async function check(uriArg?: unknown): Promise<void> {
  const uri = activeSpec(uriArg);
  if (!uri || !client) return;
  const report = await client.sendRequest<CheckReport | null>("mpcrl/check", { uri: uri.toString() });
  if (!report) return;
  output?.clear();
  output?.appendLine(report.rendered || "no problems");
  const summary = `MPC-RL: ${report.errors} error(s), ${report.warnings} warning(s) in ${path.basename(uri.fsPath)}`;
  if (report.errors > 0) {
    output?.show(true);
    void vscode.window.showErrorMessage(summary);
  } else void vscode.window.showInformationMessage(summary);
  await vscode.commands.executeCommand("workbench.actions.view.problems");
}

async function compileToTypeScript(uriArg?: unknown): Promise<void> {
  const uri = activeSpec(uriArg);
  if (!uri || !client) return;
  const reply = await client.sendRequest<CompileReply>("mpcrl/compile", { uri: uri.toString() });
  if (!reply.ok || reply.code === undefined) {
    void vscode.window.showErrorMessage(`MPC-RL: cannot compile: ${reply.message ?? "unknown error"}`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument({ language: "typescript", content: reply.code });
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
}

async function showQp(uriArg?: unknown): Promise<void> {
  const uri = activeSpec(uriArg);
  if (!uri || !client) return;
  const reply = await client.sendRequest<QpReply>("mpcrl/qp", { uri: uri.toString() });
  if (!reply.ok || reply.summary === undefined) {
    void vscode.window.showErrorMessage(`MPC-RL: cannot build the QP: ${reply.message ?? "unknown error"}`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument({ language: "markdown", content: reply.summary });
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

/** Shows a run's report.html (self-contained, SVG figures) in a webview beside the editor. */
function showReport(reportPath: string): void {
  const panel = vscode.window.createWebviewPanel("mpcrlReport", `Report: ${path.basename(path.dirname(reportPath))}`, vscode.ViewColumn.Beside, {
    enableScripts: false,
  });
  panel.webview.html = fs.readFileSync(reportPath, "utf8");
}

/** Runs `mpcrl train <file> --out runs/<spec>-<time>` as a task in a terminal, then opens its report. */
async function train(uriArg?: unknown): Promise<void> {
  const uri = activeSpec(uriArg);
  if (!uri) return;
  const editorDoc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (editorDoc?.isDirty) await editorDoc.save();
  const config = vscode.workspace.getConfiguration("mpcrl");
  const cli = config.get<string>("cliPath", "npx mpcrl");
  const extra = config.get<string[]>("train.extraArgs", []);
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const root = folder?.uri.fsPath ?? path.dirname(uri.fsPath);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outDir = path.join(root, "runs", `${path.basename(uri.fsPath, ".mpcrl")}-${stamp}`);
  const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  const commandLine = [cli, "train", quote(uri.fsPath), "--out", quote(outDir), ...extra.map(quote)].join(" ");
  const task = new vscode.Task(
    { type: "mpcrl", command: "train", file: uri.fsPath },
    folder ?? vscode.TaskScope.Workspace,
    `train ${path.basename(uri.fsPath)}`,
    "mpcrl",
    new vscode.ShellExecution(commandLine, { cwd: root }),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  const execution = await vscode.tasks.executeTask(task);
  const done = vscode.tasks.onDidEndTaskProcess((e) => {
    if (e.execution !== execution) return;
    done.dispose();
    const report = path.join(outDir, "report.html");
    if (fs.existsSync(report)) showReport(report);
    if (e.exitCode !== 0) void vscode.window.showErrorMessage(`MPC-RL: training exited with code ${e.exitCode ?? "?"}; see the terminal.`);
    else if (!fs.existsSync(report)) void vscode.window.showInformationMessage(`MPC-RL: training finished; results in ${outDir}`);
  });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("MPC-RL");
  client = createClient(context);
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("mpcrl.check", check),
    vscode.commands.registerCommand("mpcrl.compileToTypeScript", compileToTypeScript),
    vscode.commands.registerCommand("mpcrl.train", train),
    vscode.commands.registerCommand("mpcrl.showQp", showQp),
    vscode.commands.registerCommand("mpcrl.restartServer", async () => {
      await client?.restart();
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
