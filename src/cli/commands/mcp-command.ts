import type { Command } from "commander";
import { ConfigError, displayPath } from "../../index.js";
import { describeError, describeNotice } from "../describe.js";
import { ExitCode } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { withIndex } from "../open-from-cli.js";
import { Output } from "../output.js";
import { parseNonNegativeInteger } from "./parse.js";

interface McpCommandOptions {
  http?: number;
  host: string;
  allowIndex?: boolean;
}

const loopback = new Set(["127.0.0.1", "localhost", "::1"]);

export function registerMcpCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command("mcp")
    .description("Serve the index to editors and agents over MCP (Model Context Protocol): stdio, or HTTP with --http.")
    .option(
      "--http <port>",
      "serve Streamable HTTP on this port (0: any free port) instead of stdio",
      parseNonNegativeInteger,
    )
    .option("--host <address>", "with --http: the address to listen on", "127.0.0.1")
    .option("--allow-index", "offer the index tool, which re-indexes the folders this index was built from")
    .addHelpText(
      "after",
      `
Tools: search (works without a key), ask (needs GEMINI_API_KEY), read, status; index with --allow-index.
Documents are resources too: gemindex://<path>.

Environment:
  GEMINDEX_MCP_TOKEN       with --http: every request needs "Authorization: Bearer <token>"

Examples:
  $ gemindex --db docs/index mcp                      # an editor spawns this (stdio)
  $ GEMINDEX_MCP_TOKEN=s3cret gemindex mcp --http 8765
  Claude Desktop: {"mcpServers": {"docs": {"command": "npx", "args": ["gemindex", "--db", "/srv/docs/index", "mcp"]}}}`,
    )
    .action(async (options: McpCommandOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      const { serveMcpHttp, serveMcpStdio } = await import("../../mcp/index.js");
      // Clients read what a terminal user would.
      const words = { error: describeError, notice: describeNotice };
      await withIndex(io, global, async (index) => {
        const where = displayPath(index.uri, io.cwd);
        const tools = `search, ask, read, status${options.allowIndex ? ", index" : ""}`;
        if (!index.online) output.notice("no GEMINI_API_KEY set: search is lexical (BM25) and ask is unavailable.");
        if (options.http === undefined) {
          if (!io.stdin) throw new ConfigError("The MCP server over stdio needs an input to read requests from.");
          output.notice(`MCP server for ${where} on stdio (tools: ${tools}).`);
          await serveMcpStdio(index, {
            stdin: io.stdin,
            stdout: io.stdout as NodeJS.WritableStream,
            signal: io.signal,
            allowIndex: options.allowIndex,
            words,
          });
          return;
        }
        const token = io.env.GEMINDEX_MCP_TOKEN || undefined;
        const server = await serveMcpHttp(index, {
          port: options.http,
          host: options.host,
          token,
          allowIndex: options.allowIndex,
          words,
          onError: (error) => output.warn(`MCP transport: ${error.message}`),
        });
        const access = token ? "bearer token required" : "no token: anyone who can reach it may use it";
        // Always shown (also under --quiet): whoever started it needs the address.
        output.warn(`MCP server for ${where} at ${server.url} (${access}; tools: ${tools}).`);
        if (!token && !loopback.has(options.host))
          output.warn(`listening on ${options.host} without GEMINDEX_MCP_TOKEN: set one before exposing the index.`);
        await new Promise<void>((resolve) => {
          if (!io.signal || io.signal.aborted) return resolve();
          io.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        await server.close();
      });
      done(ExitCode.ok);
    });
}
