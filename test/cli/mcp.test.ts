import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { writeMixedCorpus } from "../support/corpus.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

// These tests drive the BUILT executable (npm test builds it first) with the MCP SDK's own client.
const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");
const secretToken = "mcp-token-0123456789";

let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started));

beforeAll(async () => {
  workspace = await makeWorkspace();
  await writeMixedCorpus(workspace);
  const index = await openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
  });
  await index.index(["."]);
  await index.close();
});
afterAll(async () => {
  await workspace.cleanup();
});

const keyEnv = (key = emulator.apiKey) => ({ GEMINI_API_KEY: key, GEMINI_BASE_URL: emulator.baseURL });

/** An MCP client connected to `gemindex mcp` over stdio; stderr is collected. */
async function stdioClient(args: string[] = [], env: Record<string, string> = keyEnv(), place = workspace) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, "--db", place.db, "mcp", ...args],
    cwd: place.corpus,
    env: { PATH: process.env.PATH ?? "", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: "gemindex-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

type Message = Record<string, unknown>;

/** Every message the client receives from now on, as it arrives (before the SDK handles it). */
function recordMessages(transport: { onmessage?: (message: never, extra?: never) => void }): Message[] {
  const messages: Message[] = [];
  const handle = transport.onmessage!;
  transport.onmessage = (message, extra) => {
    messages.push(message as Message);
    handle(message, extra);
  };
  return messages;
}

function textOf(result: unknown): string {
  const content = (result as CallToolResult).content;
  return content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

describe("gemindex mcp over stdio (the SDK's client)", () => {
  it("lists its tools with JSON Schema inputs; search, read and status give citable text", async () => {
    const { client } = await stdioClient();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(["search", "ask", "read", "status"]);
      const search = tools.find((tool) => tool.name === "search")!;
      expect(search.inputSchema).toMatchObject({ type: "object", required: ["query"] });
      expect(Object.keys(search.inputSchema.properties ?? {})).toEqual(["query", "k", "mode", "path", "kind"]);
      expect(tools.find((tool) => tool.name === "read")!.inputSchema.required).toEqual(["path"]);

      const found = await client.callTool({ name: "search", arguments: { query: "glaciers carve valleys", k: 2 } });
      expect(found.isError).toBeFalsy();
      expect(textOf(found)).toMatch(/^2 passages for "glaciers carve valleys" \(hybrid search\)/);
      expect(textOf(found)).toMatch(/\n\n\[1\] manual\.pdf:p2 \(score [\d.]+\)\nGlaciers\n/);

      const filtered = await client.callTool({ name: "search", arguments: { query: "rotate", path: "*.ts", k: 3 } });
      expect(textOf(filtered)).toMatch(/\[1\] src\/backoff\.ts:L1-L4/);

      const page = await client.callTool({ name: "read", arguments: { path: "manual.pdf:p3" } });
      expect(textOf(page)).toMatch(/^manual\.pdf:p3 \(pdf, 3 pages\)\n\n.*Seismographs/s);
      const lines = await client.callTool({ name: "read", arguments: { path: "guide.md", lines: "7-9" } });
      expect(textOf(lines)).toMatch(/^guide\.md:L7-L9 \(markdown, 13 lines\)\n\n## Key rotation/);

      const status = await client.callTool({ name: "status", arguments: {} });
      expect(textOf(status)).toMatch(/: 4 documents, \d+ chunks; embeddings: gemini-embedding-001, 768 dimensions\./);
    } finally {
      await client.close();
    }
  });

  it("streams ask as progress notifications when asked, and returns the answer with its sources", async () => {
    const { client, transport } = await stdioClient();
    try {
      // What arrives on the wire, in order. (The SDK's client handles a response at once but a
      // notification a microtask later, so on a loaded machine its onprogress misses the last ones
      // when they arrive in the same read as the response: modelcontextprotocol/typescript-sdk#2580.)
      const wire = recordMessages(transport);
      const question = { name: "ask", arguments: { question: "Where do glaciers carve valleys?", k: 2 } };
      const result = await client.callTool(question, undefined, { onprogress: () => {} });
      const answer = textOf(result);
      expect(answer).toMatch(/Glacier ice moves downhill.*\[1\]/);
      expect(answer).toMatch(/\n\nSources:\n\[1\] manual\.pdf:p2/);
      const progress = wire
        .filter((message) => message.method === "notifications/progress")
        .map((message) => message.params as { progress: number; message: string });
      expect(progress.length).toBeGreaterThan(2);
      expect(progress[0]!.message).toBe("2 passages found; the model is answering.");
      expect(progress.map((update) => update.progress)).toEqual(progress.map((_, i) => i + 1));
      // The streamed pieces add up to the answer, and all of them come before the result.
      expect(
        answer.startsWith(
          progress
            .slice(1)
            .map((update) => update.message)
            .join("")
            .trim(),
        ),
      ).toBe(true);
      expect(wire.findIndex((message) => "result" in message)).toBe(wire.length - 1);
    } finally {
      await client.close();
    }
  });

  it("turns failures into tool errors with the CLI's words, never showing the key, and keeps serving", async () => {
    const badKey = "AIza-not-a-real-key-5551234";
    const { client, stderr } = await stdioClient([], keyEnv(badKey));
    try {
      const missing = await client.callTool({ name: "read", arguments: { path: "nowhere.md" } });
      expect(missing.isError).toBe(true);
      expect(textOf(missing)).toMatch(/^nowhere\.md is not in the index/);
      const badLines = await client.callTool({ name: "read", arguments: { path: "guide.md", lines: "x" } });
      expect(textOf(badLines)).toBe('lines must look like "10-40", got "x".');
      const refused = await client.callTool({ name: "ask", arguments: { question: "Glaciers?" } });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/API key/i);
      const invalid = await client
        .callTool({ name: "search", arguments: { query: 42 } })
        .catch((error: Error) => error);
      expect(JSON.stringify(invalid)).toMatch(/query/);
      expect((await client.callTool({ name: "status", arguments: {} })).isError).toBeFalsy();
      for (const text of [textOf(missing), textOf(refused), stderr()]) expect(text).not.toContain(badKey);
    } finally {
      await client.close();
    }
  });

  it("works offline: search ranks by BM25 and says so; ask says it needs a key", async () => {
    const { client, stderr } = await stdioClient([], {});
    try {
      const found = await client.callTool({ name: "search", arguments: { query: "tomato seedlings" } });
      expect(textOf(found)).toMatch(/^No GEMINI_API_KEY on the server: passages are ranked by BM25/);
      expect(textOf(found)).toContain("[1] notes/garden.md");
      const ask = await client.callTool({ name: "ask", arguments: { question: "Tomatoes?" } });
      expect(ask.isError).toBe(true);
      expect(textOf(ask)).toMatch(/GEMINI_API_KEY/);
      expect(stderr()).toContain("MCP server for");
    } finally {
      await client.close();
    }
  });

  it("lists documents as gemindex:// resources, a page at a time, and reads them", async () => {
    const many = await makeWorkspace();
    try {
      for (let i = 0; i < 130; i++)
        await many.write(`notes/note-${String(i).padStart(3, "0")}.md`, `# Note ${i}\n\nPebble ${i}.\n`);
      await many.write("with space.md", "# Spaced\n\nA name with a space.\n");
      const index = await openIndex({ uri: many.db, cwd: many.corpus });
      await index.index(["."]);
      await index.close();
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [bin, "--db", many.db, "mcp"],
        cwd: many.corpus,
        env: { PATH: process.env.PATH ?? "" },
        stderr: "ignore",
      });
      const client = new Client({ name: "gemindex-test", version: "1.0.0" });
      await client.connect(transport);
      try {
        const first = await client.listResources();
        expect(first.resources).toHaveLength(100);
        expect(first.resources[0]).toMatchObject({
          uri: "gemindex://notes/note-000.md",
          name: "notes/note-000.md",
          mimeType: "text/markdown",
        });
        expect(first.nextCursor).toBeDefined();
        const second = await client.listResources({ cursor: first.nextCursor });
        expect(second.resources.map((resource) => resource.uri).slice(-2)).toEqual([
          "gemindex://notes/note-129.md",
          "gemindex://with%20space.md",
        ]);
        expect(second.nextCursor).toBeUndefined();
        const { resourceTemplates } = await client.listResourceTemplates();
        expect(resourceTemplates[0]!.uriTemplate).toBe("gemindex://{+path}");
        const read = await client.readResource({ uri: "gemindex://with%20space.md" });
        expect(read.contents[0]).toMatchObject({
          uri: "gemindex://with%20space.md",
          text: "# Spaced\n\nA name with a space.\n",
        });
        const missing = await client.readResource({ uri: "gemindex://nope.md" }).catch((error: Error) => error);
        expect((missing as Error).message).toMatch(/nope\.md is not in the index/);
      } finally {
        await client.close();
      }
    } finally {
      await many.cleanup();
    }
  });

  it(`offers the index tool only with --allow-index; it updates the index's own folders and records the \
run`, async () => {
    const { client } = await stdioClient(["--allow-index"]);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain("index");
      await workspace.write("notes/new.md", "# Fresh\n\nA freshly written note about lighthouses.\n");
      const result = await client.callTool({ name: "index", arguments: {} });
      expect(textOf(result)).toMatch(/\(completed\): 1 new, 0 changed, 4 unchanged, 0 removed, 0 failed/);
      const outside = await client.callTool({ name: "index", arguments: { paths: ["/etc"] } });
      expect(outside.isError).toBe(true);
      expect(textOf(outside)).toMatch(/^\/etc is not one of the folders this index was built from/);
      const found = await client.callTool({ name: "search", arguments: { query: "lighthouses", k: 1 } });
      expect(textOf(found)).toContain("[1] notes/new.md");
    } finally {
      await client.close();
      await workspace.remove("notes/new.md");
    }
    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus });
    expect((await index.runs()).map((run) => run.pipeline)).toContain("mcp");
    await index.close();
  });

  it("updates a folder indexed through a pattern and an exclude under the same rules, not all of it", async () => {
    const scoped = await makeWorkspace();
    try {
      await scoped.write("docs/a.md", "# Alpha\n\nAlpha lanterns by the river.\n");
      await scoped.write("docs/notes.txt", "Plain notes about lanterns.\n");
      await scoped.write("docs/drafts/d.md", "# Draft\n\nDraft lanterns.\n");
      const first = await openIndex({
        uri: scoped.db,
        cwd: scoped.corpus,
        apiKey: emulator.apiKey,
        baseURL: emulator.baseURL,
      });
      const report = await first.index(["docs/**/*.md"], { exclude: ["drafts/**"] });
      await first.close();
      expect(report.files.new).toBe(1);
      await scoped.write("docs/b.md", "# Beta\n\nBeta lanterns in the harbour.\n");
      const { client } = await stdioClient(["--allow-index"], keyEnv(), scoped);
      try {
        const result = await client.callTool({ name: "index", arguments: {} });
        expect(textOf(result)).toMatch(/\(completed\): 1 new, 0 changed, 1 unchanged, 0 removed, 0 failed/);
      } finally {
        await client.close();
      }
      const index = await openIndex({ uri: scoped.db, cwd: scoped.corpus });
      const { documents } = await index.documents();
      await index.close();
      expect(documents.map((document) => path.basename(document.path)).sort()).toEqual(["a.md", "b.md"]);
    } finally {
      await scoped.cleanup();
    }
  });
});

/** `gemindex mcp --http 0` as a child process; resolves once it printed its address. */
async function httpServer(
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, "--db", workspace.db, "mcp", "--http", "0"], {
    cwd: workspace.corpus,
    env: { PATH: process.env.PATH ?? "", ...keyEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /at (http:\/\/127\.0\.0\.1:\d+\/mcp) /.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`gemindex mcp exited with ${code}: ${stderr}`)));
  });
  return { url, child, stderr: () => stderr };
}

/** The status of a bare POST (node:http, since fetch cannot set Host). */
function post(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: "POST", headers: { "content-type": "application/json", ...headers } });
    request.on("response", (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", reject);
    request.end("{}");
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = await exited;
  return code as number | null;
}

describe("gemindex mcp --http (Streamable HTTP, the SDK's client)", () => {
  it(`with GEMINDEX_MCP_TOKEN: the client with the token gets tools and streamed answers; without it, \
401`, async () => {
    const server = await httpServer({ GEMINDEX_MCP_TOKEN: secretToken });
    try {
      expect(server.stderr()).toContain("(bearer token required; tools: search, ask, read, status)");
      const client = new Client({ name: "gemindex-test", version: "1.0.0" });
      const transport = new StreamableHTTPClientTransport(new URL(server.url), {
        requestInit: { headers: { Authorization: `Bearer ${secretToken}` } },
      });
      await client.connect(transport);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["search", "ask", "read", "status"]);
      const wire = recordMessages(transport);
      const question = { name: "ask", arguments: { question: "Tomato seedlings?", k: 1 } };
      const answer = await client.callTool(question, undefined, { onprogress: () => {} });
      expect(textOf(answer)).toMatch(/\[1\][\s\S]*Sources:\n\[1\] notes\/garden\.md/);
      expect(wire.filter((message) => message.method === "notifications/progress").length).toBeGreaterThan(2);
      await client.close();

      for (const headers of [{}, { Authorization: "Bearer wrong-token" }] as Array<Record<string, string>>) {
        const refused = new Client({ name: "intruder", version: "1.0.0" });
        const error = await refused
          .connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers } }))
          .catch((failure: Error) => failure);
        expect(String(error)).toMatch(/401|invalid_token/i);
      }
      expect(await post(server.url, {})).toBe(401);
      // A page in a browser cannot reach the server through a rebound DNS name.
      expect(await post(server.url, { host: "evil.example", authorization: `Bearer ${secretToken}` })).toBe(403);
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
    expect(server.stderr()).not.toContain(secretToken);
    expect(server.stderr()).not.toContain(emulator.apiKey);
  });

  it("without a token: any local client may connect; SIGTERM ends it with exit 0", async () => {
    const server = await httpServer({});
    try {
      expect(server.stderr()).toContain("(no token: anyone who can reach it may use it");
      const client = new Client({ name: "gemindex-test", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      const found = await client.callTool({ name: "search", arguments: { query: "exponential backoff", k: 1 } });
      expect(textOf(found)).toContain("[1] src/backoff.ts");
      await client.close();
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  });
});
