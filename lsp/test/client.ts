// A protocol-level LSP client for tests and the benchmark: spawns the server over stdio and
// speaks JSON-RPC to it with vscode-languageserver-protocol, like an editor would.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type InitializeResult,
} from "vscode-languageserver-protocol/node";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The command that starts the server from its TypeScript source, from any working directory. */
export function serverCommand(): string[] {
  const tsx = pathToFileURL(join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href;
  return [process.execPath, "--import", tsx, join(repoRoot, "lsp/server.ts"), "--stdio"];
}

export interface ClientOptions {
  /** Server options sent as initializationOptions (e.g. `{ debounceMs: 0 }`). */
  readonly initializationOptions?: Record<string, unknown>;
  /** Command to start the server; default: the TypeScript entry through tsx. */
  readonly command?: readonly string[];
}

export class TestClient {
  readonly connection: ProtocolConnection;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly versions = new Map<string, number>();
  private readonly texts = new Map<string, string>();
  private readonly waiters: { uri: string; version?: number; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  readonly published: PublishDiagnosticsParams[] = [];
  readonly logs: string[] = [];
  stderr = "";
  exitCode: number | null = null;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    child.on("exit", (code) => (this.exitCode = code));
    this.connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    this.connection.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
      this.published.push(p);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i];
        if (w && w.uri === p.uri && (w.version === undefined || p.version === w.version)) {
          this.waiters.splice(i, 1);
          w.resolve(p);
        }
      }
    });
    this.connection.onNotification("window/logMessage", (p: { message: string }) => {
      this.logs.push(p.message);
    });
    this.connection.onRequest("workspace/configuration", () => []);
    this.connection.onRequest("client/registerCapability", () => null);
    this.connection.onRequest("workspace/semanticTokens/refresh", () => null);
    this.connection.onRequest("workspace/inlayHint/refresh", () => null);
    this.connection.listen();
  }

  static async start(options: ClientOptions = {}): Promise<{ client: TestClient; init: InitializeResult }> {
    const cmd = options.command ?? serverCommand();
    const child = spawn(cmd[0] ?? process.execPath, cmd.slice(1), { cwd: repoRoot, stdio: "pipe" });
    const client = new TestClient(child);
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`the server exited (code ${code ?? "?"}) before answering initialize: ${client.stderr}`))),
    );
    const init = await Promise.race([exited, client.connection.sendRequest<InitializeResult>("initialize", {
      processId: process.pid,
      rootUri: null,
      capabilities: {
        textDocument: {
          hover: { contentFormat: ["markdown", "plaintext"] },
          completion: { completionItem: { snippetSupport: true } },
          rename: { prepareSupport: true },
          publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, tagSupport: { valueSet: [1, 2] }, dataSupport: true, versionSupport: true },
          semanticTokens: { requests: { full: true }, tokenTypes: [], tokenModifiers: [], formats: ["relative"] },
        },
      },
      initializationOptions: options.initializationOptions ?? {},
    })]);
    await client.connection.sendNotification("initialized", {});
    return { client, init };
  }

  /** Waits for the next publishDiagnostics of `uri` (for `version` if given). */
  diagnostics(uri: string, version?: number, timeoutMs = 20_000): Promise<PublishDiagnosticsParams> {
    if (version !== undefined) {
      const already = this.published.find((p) => p.uri === uri && p.version === version);
      if (already) return Promise.resolve(already);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} v${version ?? "any"} within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        uri,
        version,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  async open(uri: string, text: string): Promise<PublishDiagnosticsParams> {
    this.versions.set(uri, 1);
    this.texts.set(uri, text);
    const wait = this.diagnostics(uri, 1);
    await this.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "mpcrl", version: 1, text } });
    return wait;
  }

  /** Replaces the whole text; returns the new version. */
  async change(uri: string, text: string): Promise<number> {
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    this.texts.set(uri, text);
    await this.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });
    return version;
  }

  /** An incremental change at offsets of the current text; returns the new version. */
  async edit(uri: string, start: number, end: number, newText: string): Promise<number> {
    const text = this.texts.get(uri) ?? "";
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    const pos = (o: number): { line: number; character: number } => {
      const before = text.slice(0, o);
      const line = before.split("\n").length - 1;
      return { line, character: o - (before.lastIndexOf("\n") + 1) };
    };
    const range = { start: pos(start), end: pos(end) };
    this.texts.set(uri, text.slice(0, start) + newText + text.slice(end));
    await this.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ range, text: newText }] });
    return version;
  }

  text(uri: string): string {
    return this.texts.get(uri) ?? "";
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.connection.sendRequest<T>(method, params);
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest("shutdown"), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification("exit");
    } catch {
      // the server may already be gone
    }
    this.connection.dispose();
    if (this.exitCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.child.kill();
          resolve();
        }, 2000);
        this.child.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Splits a fixture with cursor markers `/*@name*\/` into clean text and named offsets. */
export function markers(source: string): { text: string; at: Record<string, number> } {
  const at: Record<string, number> = {};
  let text = "";
  let last = 0;
  for (const m of source.matchAll(/\/\*@([\w-]+)\*\//g)) {
    text += source.slice(last, m.index);
    at[m[1] ?? ""] = text.length;
    last = (m.index ?? 0) + m[0].length;
  }
  text += source.slice(last);
  return { text, at };
}

export function positionOf(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}
