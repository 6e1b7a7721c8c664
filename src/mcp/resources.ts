import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { type DocumentInfo, type GemIndex, GemindexError } from "../index.js";
import { libraryWords, type McpWords } from "./format.js";

const scheme = "gemindex://";
/** Documents per `resources/list` page. */
export const resourcePageSize = 100;

/**
 * `gemindex://docs/guide.md` for a document shown as `docs/guide.md` (relative to the server's
 * working directory), `gemindex:///srv/other/x.md` for one outside it; each segment URI-encoded.
 */
export function documentUri(displayPath: string): string {
  return scheme + displayPath.split("/").map(encodeURIComponent).join("/");
}

/** The path a `gemindex://` URI names, as `read()` takes it. */
export function uriPath(uri: string): string {
  if (!uri.startsWith(scheme)) throw new McpError(ErrorCode.InvalidParams, `Not a gemindex:// URI: ${uri}`);
  try {
    return uri.slice(scheme.length).split("/").map(decodeURIComponent).join("/");
  } catch {
    throw new McpError(ErrorCode.InvalidParams, `Not a valid gemindex:// URI: ${uri}`);
  }
}

const mimeTypes: Record<string, string> = { markdown: "text/markdown", html: "text/markdown", docx: "text/markdown" };

function toResource(document: DocumentInfo) {
  return {
    uri: documentUri(document.displayPath),
    name: document.displayPath,
    ...(document.title ? { title: document.title } : {}),
    description: `${document.kind}, ${document.chunks} chunks, indexed ${document.indexedAt}`,
    mimeType: mimeTypes[document.kind] ?? "text/plain",
    size: document.size,
  };
}

/**
 * Exposes the indexed documents as resources: `resources/list` pages through them by path (the
 * cursor is opaque to clients), `resources/read` returns a document's text as indexed, and the
 * template `gemindex://{+path}` says how to name one. The SDK's high-level resource API has no
 * paging, so these are the low-level handlers of its Server.
 */
export function registerResources(server: McpServer, index: GemIndex, words: McpWords = libraryWords): void {
  const lowLevel = server.server;
  lowLevel.registerCapabilities({ resources: {} });
  lowLevel.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    const cursor = request.params?.cursor;
    const after = cursor === undefined ? undefined : Buffer.from(cursor, "base64url").toString("utf8");
    const page = await index.documents({ limit: resourcePageSize, ...(after === undefined ? {} : { cursor: after }) });
    return {
      resources: page.documents.map(toResource),
      ...(page.nextCursor === undefined ? {} : { nextCursor: Buffer.from(page.nextCursor).toString("base64url") }),
    };
  });
  lowLevel.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [
      {
        uriTemplate: `${scheme}{+path}`,
        name: "document",
        title: "An indexed document",
        description: "The text of an indexed document, by its path as search cites it (e.g. gemindex://docs/guide.md).",
      },
    ],
  }));
  lowLevel.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const reference = uriPath(request.params.uri);
    try {
      const document = await index.read(reference, { signal: extra.signal });
      return {
        contents: [
          { uri: request.params.uri, mimeType: mimeTypes[document.kind] ?? "text/plain", text: document.text },
        ],
      };
    } catch (error) {
      // Same words as the CLI; a resource read has no tool-error form, so it is a JSON-RPC error.
      if (error instanceof GemindexError) throw new McpError(ErrorCode.InvalidParams, words.error(error.toInfo()));
      throw error;
    }
  });
}
