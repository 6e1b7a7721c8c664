/**
 * gemindex as an MCP server (the `gemindex/mcp` entry point): the index's search, answers and
 * documents for editors and agents, over stdio or Streamable HTTP, on the official MCP SDK.
 * @example
 * import { openIndex } from "gemindex";
 * import { serveMcpStdio } from "gemindex/mcp";
 * const index = await openIndex({ env: process.env });
 * await serveMcpStdio(index); // until the client closes stdin
 * await index.close();
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { GemIndex } from "../index.js";
import { createMcpServer, type McpServerOptions } from "./server.js";

export { libraryWords, type McpWords } from "./format.js";
export { type McpHttpOptions, type McpHttpServer, serveMcpHttp } from "./http.js";
export { documentUri, resourcePageSize, uriPath } from "./resources.js";
export { createMcpServer, type McpServerOptions } from "./server.js";

export interface McpStdioOptions extends McpServerOptions {
  /** @default process.stdin */
  stdin?: NodeJS.ReadableStream;
  /** Nothing else may write to it while the server runs. @default process.stdout */
  stdout?: NodeJS.WritableStream;
  /** Stops the server (requests in flight are abandoned). */
  signal?: AbortSignal;
}

/**
 * Serves MCP over stdio (what editors that spawn the server use) until the client closes the
 * input or `signal` aborts.
 */
export async function serveMcpStdio(index: GemIndex, options: McpStdioOptions = {}): Promise<void> {
  const server = createMcpServer(index, options);
  const stdin = options.stdin ?? process.stdin;
  const transport = new StdioServerTransport(
    stdin as ConstructorParameters<typeof StdioServerTransport>[0],
    options.stdout as ConstructorParameters<typeof StdioServerTransport>[1],
  );
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  // The SDK's stdio transport does not notice the end of its input: a client that goes away ends the server here.
  const stop = () => void server.close();
  stdin.once("end", stop);
  stdin.once("close", stop);
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    await server.connect(transport);
    if (options.signal?.aborted) stop();
    await closed;
  } finally {
    stdin.off("end", stop);
    stdin.off("close", stop);
    options.signal?.removeEventListener("abort", stop);
  }
}
