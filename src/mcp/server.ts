import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { GemIndex } from "../index.js";
import { version } from "../version.js";
import { registerResources } from "./resources.js";
import { registerTools, type ToolOptions } from "./tools.js";

export interface McpServerOptions extends ToolOptions {}

/**
 * An MCP server over an open index: the tools `search`, `ask`, `read`, `status` (and `index`
 * with `allowIndex`), and the indexed documents as `gemindex://` resources. Connect it to one
 * transport; the index stays open after the server closes (the caller owns it).
 * @example
 * const server = createMcpServer(index);
 * await server.connect(new StdioServerTransport());
 */
export function createMcpServer(index: GemIndex, options: McpServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: "gemindex", title: "gemindex", version },
    {
      instructions:
        "Search and read the documents indexed by gemindex. Use search to find passages (each has a citation such as " +
        "docs/guide.md:L10-L24 or report.pdf:p3), read to open a document or a part of it, and ask for an answer " +
        "written by the model with [n] citations. Cite passages by their citation.",
    },
  );
  registerTools(server, index, options);
  registerResources(server, index, options.words);
  return server;
}
