// A test upstream MCP server that records what its client cancels.
//
//   node cancel-recording-server.mjs stdio
//   node cancel-recording-server.mjs http <port>      (Streamable HTTP on 127.0.0.1:<port>/mcp)
//
// MCP_SDK_ESM names the dist/esm directory of @modelcontextprotocol/sdk (the tests pass the one pinned
// under .ci/upstream). Tools:
//   wait-for-cancel   never answers on its own; when the client sends notifications/cancelled for it,
//                     the SDK aborts the handler's signal and the request id and reason are recorded
//   recorded          {"started": [request ids of wait-for-cancel], "cancelled": [{"requestId", "reason"}]}
import http from "node:http";
import { pathToFileURL } from "node:url";
import { randomUUID } from "node:crypto";

const sdk = process.env.MCP_SDK_ESM;
if (!sdk) {
  console.error("MCP_SDK_ESM is not set");
  process.exit(2);
}
const load = (path) => import(pathToFileURL(sdk + "/" + path).href);
const { McpServer } = await load("server/mcp.js");

const started = [];
const cancelled = [];

function newServer() {
  const server = new McpServer({ name: "cancel-recorder", version: "1.0.0" });
  server.registerTool("wait-for-cancel", {
    description: "Waits until the call is cancelled (or two minutes pass)",
    inputSchema: {},
    annotations: { readOnlyHint: true },
  }, async (_args, extra) => {
    started.push(extra.requestId);
    await new Promise((resolve) => {
      const record = () => {
        cancelled.push({ requestId: extra.requestId, reason: String(extra.signal.reason) });
        resolve();
      };
      if (extra.signal.aborted) {
        record(); // cancelled before this handler got to run
        return;
      }
      const timer = setTimeout(resolve, 120_000);
      extra.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        record();
      });
    });
    return { content: [{ type: "text", text: "not cancelled" }] };
  });
  server.registerTool("recorded", {
    description: "What wait-for-cancel saw",
    inputSchema: {},
    annotations: { readOnlyHint: true },
  }, async () => ({ content: [{ type: "text", text: JSON.stringify({ started, cancelled }) }] }));
  return server;
}

const mode = process.argv[2];
if (mode === "stdio") {
  const { StdioServerTransport } = await load("server/stdio.js");
  await newServer().connect(new StdioServerTransport());
} else if (mode === "http") {
  const { StreamableHTTPServerTransport } = await load("server/streamableHttp.js");
  const { isInitializeRequest } = await load("types.js");
  const sessions = new Map();
  const port = Number(process.argv[3]);
  http.createServer(async (req, res) => {
    let body;
    if (req.method === "POST") {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    }
    const id = req.headers["mcp-session-id"];
    let transport = id ? sessions.get(id) : undefined;
    if (!transport && req.method === "POST" && isInitializeRequest(body)) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => sessions.set(sid, transport),
      });
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await newServer().connect(transport);
    }
    if (!transport) {
      res.writeHead(404).end();
      return;
    }
    await transport.handleRequest(req, res, body);
  }).listen(port, "127.0.0.1", () => console.error("listening on 127.0.0.1:" + port));
} else {
  console.error("usage: cancel-recording-server.mjs stdio | http <port>");
  process.exit(2);
}
