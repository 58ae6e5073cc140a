// The TypeScript SDK as a client of mcp-sandbox (used by HttpTransportIT and ProtocolRevisionsIT):
//   node ts-client.mjs http://127.0.0.1:PORT/mcp [TOKEN]     over Streamable HTTP
//   node ts-client.mjs --stdio COMMAND [ARG...]              over stdio, starting the server itself
// lists the tools, runs execute_code (python print(6*7)) and prints one JSON line.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const argv = process.argv.slice(2);
const stdio = argv[0] === '--stdio';
let transport;
if (stdio) {
  transport = new StdioClientTransport({ command: argv[1], args: argv.slice(2), stderr: 'inherit' });
} else {
  const [url, token] = argv;
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
}
const client = new Client({ name: 'mcp-sandbox-ts-client', version: '1.0.0' });
await client.connect(transport);
const tools = (await client.listTools()).tools.map((t) => t.name);
const result = await client.callTool({ name: 'execute_code', arguments: { language: 'python', code: 'print(6*7)' } });
console.log(JSON.stringify({
  protocolVersion: transport.protocolVersion ?? null,
  sessionId: transport.sessionId ?? null,
  tools,
  isError: result.isError ?? false,
  structuredContent: result.structuredContent ?? null,
}));
if (!stdio) {
  await transport.terminateSession();
}
await client.close();
