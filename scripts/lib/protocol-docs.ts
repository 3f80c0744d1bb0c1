/**
 * Writes docs/protocol/: one JSON Schema per MQTT message of the protocol
 * (from the zod schemas that validate them, protocol/src/wire/catalog.ts),
 * the index table, and the gateway's OpenAPI document. `npm run protocol-docs`; test/protocol-docs.test.ts fails
 * when what is committed is not what the code says.
 *
 *   node dist/scripts/lib/protocol-docs.js [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GATEWAY_API_VERSION,
  gatewayOpenApi,
  PROTOCOL_VERSION,
  rpcRequestSchema,
  schemaFile,
  WIRE_MESSAGES,
  wireJsonSchema,
} from '../../protocol/src/index.js';
import { REPO_ROOT } from './testbed/paths.js';

export function protocolDocs(): Map<string, string> {
  const out = new Map<string, string>();
  out.set('gateway-openapi.json', JSON.stringify(gatewayOpenApi(), null, 2) + '\n');
  for (const m of WIRE_MESSAGES) out.set(schemaFile(m), JSON.stringify(wireJsonSchema(m), null, 2) + '\n');
  const methods = rpcRequestSchema.options.map((o) => String(o.shape.method.value));
  const rows = WIRE_MESSAGES.map(
    (m) =>
      `| \`qlink/v${PROTOCOL_VERSION}/<router-id>/${m.topic}\` | ${m.from} | ${m.qos} | ${m.retain ? 'yes' : 'no'} | [${schemaFile(m)}](${schemaFile(m)}) | ${m.what} |`,
  );
  out.set(
    'README.md',
    `# The MQTT protocol, version ${PROTOCOL_VERSION}

Written from the code (\`npm run protocol-docs\`; protocol/src/wire/catalog.ts):
every message a router and a gateway exchange, and the JSON Schema (draft
2020-12) its UTF-8 JSON payload follows as a sender writes it. The tests check
every message on their brokers against these files (test/helpers/schema-audit.ts).

\`<router-id>\` is the NEO address of the router's key. Gateways subscribe to
\`usage\` and \`rpc\` with the shared subscription \`$share/qlink-gateway/…\`
(one gateway of the group gets each) and to \`status\` plainly. Who may write
which topic is the broker's ACL ([docs/broker](../broker/README.md)); what
each side signs is in [docs/channel-rpc.md](../channel-rpc.md).

| topic | from | QoS | retained | schema | what |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Channel-service methods (\`rpc\`): ${methods.map((m) => `\`${m}\``).join(', ')}; each
method's parameters are in [rpc.schema.json](rpc.schema.json) and its answers in
[docs/channel-rpc.md](../channel-rpc.md). Batches and acks: [docs/usage-batches.md](../usage-batches.md).
Remote commands: [docs/remote-commands.md](../remote-commands.md).

## The gateway's HTTP API

[gateway-openapi.json](gateway-openapi.json) is the OpenAPI 3.1 document
(API version ${GATEWAY_API_VERSION}) a gateway serves at \`GET /openapi.json\`, written
from the route table the server serves exactly (protocol/src/http/). The
tests check every answer of the API they call against it
(test/helpers/api-audit.ts). An example client that lists an owner's routers
and what they earned today: [docs/examples/owner-earnings.mjs](../examples/owner-earnings.mjs).

## Versions

A change that a router or gateway of this version would refuse is version 2:
new topics under \`qlink/v2/\`, these stay until no router speaks them.
`,
  );
  return out;
}

if (process.argv[1] && import.meta.url === new URL(process.argv[1], 'file:').href) {
  const dir = join(REPO_ROOT, 'docs/protocol');
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [name, text] of protocolDocs()) {
    const path = join(dir, name);
    let now = '';
    try {
      now = readFileSync(path, 'utf8');
    } catch {
      /* new */
    }
    if (now === text) continue;
    stale++;
    if (check) console.error(`docs/protocol/${name} is not what the code says: npm run protocol-docs`);
    else writeFileSync(path, text);
  }
  if (check && stale) process.exit(1);
  console.log(check ? 'docs/protocol is up to date' : `docs/protocol: ${stale} file(s) written`);
}
