import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Emulator } from "../emulator/index.js";

/** An OpenAI-compatible server without Gemini's native API, in front of an emulator. */
export interface CompatOnlyServer {
  /** `http://127.0.0.1:<port>/v1/`: no `/v1beta/openai` tail, so gemindex sees no native endpoints. */
  baseURL: string;
  close(): Promise<void>;
}

/**
 * Serves the emulator's compat routes under `/v1/` and nothing else (404), the shape of any other
 * OpenAI-compatible server (a proxy, a local model server): tests of what gemindex does where task
 * types, files and native batches do not exist.
 */
export async function startCompatOnlyServer(emulator: Emulator): Promise<CompatOnlyServer> {
  const target = new URL(emulator.baseURL);
  const server = http.createServer((request, response) => {
    const url = request.url ?? "/";
    if (!url.startsWith("/v1/")) {
      response.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"Not found"}}');
      return;
    }
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: `${target.pathname}${url.slice("/v1/".length)}`,
        headers: { ...request.headers, host: target.host },
      },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(response);
      },
    );
    upstream.on("error", () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
