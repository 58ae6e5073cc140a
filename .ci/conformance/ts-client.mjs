// The TypeScript SDK as a remote client of mcp-sandbox (used by HttpTransportIT):
//   node ts-client.mjs http://127.0.0.1:PORT/mcp [TOKEN]
// connects over Streamable HTTP, lists the tools, runs execute_code (python print(6*7)) and prints one JSON line.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, token] = process.argv.slice(2);
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
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
await transport.terminateSession();
await client.close();
