import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { GemIndex } from "../index.js";
import { createMcpServer, type McpServerOptions } from "./server.js";

export interface McpHttpOptions extends McpServerOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to bind. Loopback names get the SDK's DNS-rebinding protection. @default "127.0.0.1" */
  host?: string;
  /** When set, every request needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
  /** Told about transport failures (a broken connection, an unparsable request). */
  onError?: (error: Error) => void;
}

/** A listening MCP HTTP endpoint. */
export interface McpHttpServer {
  /** `http://127.0.0.1:PORT/mcp` */
  url: string;
  /** Stops accepting requests and ends open connections. */
  close(): Promise<void>;
}

/** Compares tokens in constant time, so response timing tells nothing about how much of a guess was right. */
function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Serves MCP over Streamable HTTP at `/mcp`, built from the SDK's own parts: its Express app
 * (Host-header checks against DNS rebinding on loopback), its bearer-token middleware, and its
 * transport in stateless mode — one server and transport per request, so no session state is
 * kept and a client that disappears leaves nothing behind. GET and DELETE (session streams)
 * answer 405.
 */
export async function serveMcpHttp(index: GemIndex, options: McpHttpOptions): Promise<McpHttpServer> {
  const host = options.host ?? "127.0.0.1";
  const app = createMcpExpressApp({ host });
  const handlers: Array<(req: IncomingMessage, res: ServerResponse, next: () => void) => void> = [];
  const { token } = options;
  if (token) {
    handlers.push(
      requireBearerAuth({
        verifier: {
          async verifyAccessToken(given: string) {
            if (!sameToken(given, token)) throw new InvalidTokenError("Invalid bearer token");
            // The middleware insists on an expiry; a static token is valid for as long as the server runs.
            return { token: given, clientId: "gemindex", scopes: [], expiresAt: Math.floor(Date.now() / 1000) + 3600 };
          },
        },
      }) as unknown as (typeof handlers)[number],
    );
  }
  app.post("/mcp", ...handlers, async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    const server = createMcpServer(index, options);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    transport.onerror = (error) => options.onError?.(error);
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      options.onError?.(error as Error);
      if (!res.headersSent)
        res
          .writeHead(500, { "content-type": "application/json" })
          .end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32603, message: "Internal server error" }, id: null }));
    }
  });
  const notAllowed = (_req: IncomingMessage, res: ServerResponse) => {
    res
      .writeHead(405, { allow: "POST", "content-type": "application/json" })
      .end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed." }, id: null }));
  };
  app.get("/mcp", ...handlers, notAllowed);
  app.delete("/mcp", ...handlers, notAllowed);

  const listener: Server = await new Promise((resolve, reject) => {
    const started = app.listen(options.port, host, (error?: Error) => (error ? reject(error) : resolve(started)));
    started.once("error", reject);
  });
  const { port } = listener.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        listener.close((error) => (error ? reject(error) : resolve()));
        listener.closeAllConnections();
      }),
  };
}
