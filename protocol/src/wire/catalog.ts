import { z } from 'zod';
import type { TopicKind } from '../topics.js';
import { commandResultSchema, commandSchema } from './command.js';
import { rpcRequestSchema, rpcResponseSchema } from './rpc.js';
import { offlineStatusSchema, statusSchema } from './status.js';
import { ackSchema, batchSchema } from './usage.js';

/**
 * Every MQTT message of protocol v1, in one table: its topic under
 * `qlink/v1/<router-id>/`, who sends it, QoS, retain, and the schema its
 * payload (UTF-8 JSON) follows. docs/protocol/ is written from this
 * (npm run protocol-docs), and the tests check every message they see
 * against the JSON Schemas published there.
 */
export interface WireMessage {
  kind: TopicKind;
  topic: string;
  from: 'router' | 'gateway';
  qos: 0 | 1;
  retain: boolean;
  schema: z.ZodType;
  what: string;
}

export const PROTOCOL_VERSION = 1;

export const WIRE_MESSAGES: readonly WireMessage[] = [
  {
    kind: 'usage',
    topic: 'usage',
    from: 'router',
    qos: 1,
    retain: false,
    schema: batchSchema,
    what: 'A signed usage batch: records, their Merkle root, the hash chain (docs/usage-batches.md). Sent until acked.',
  },
  {
    kind: 'ack',
    topic: 'ack',
    from: 'gateway',
    qos: 1,
    retain: false,
    schema: ackSchema,
    what: 'The batch sequences the gateway has stored, signed by the gateway key the router pins; only then does the router delete them.',
  },
  {
    kind: 'status',
    topic: 'status',
    from: 'router',
    qos: 1,
    retain: true,
    schema: z.union([statusSchema, offlineStatusSchema]),
    what: "The router's health, retained; the offline form is its last will.",
  },
  {
    kind: 'rpc',
    topic: 'rpc',
    from: 'router',
    qos: 1,
    retain: false,
    schema: rpcRequestSchema,
    what: 'A channel-service request, signed by the router key (docs/channel-rpc.md).',
  },
  {
    kind: 'rpcResult',
    topic: 'rpc/result',
    from: 'gateway',
    qos: 1,
    retain: false,
    schema: rpcResponseSchema,
    what: 'An answer (some methods answer twice: sent, then the block), signed by the gateway key.',
  },
  {
    kind: 'cmd',
    topic: 'cmd',
    from: 'gateway',
    qos: 1,
    retain: false,
    schema: commandSchema,
    what: "A remote command signed by the owner's key (docs/remote-commands.md).",
  },
  { kind: 'cmdResult', topic: 'cmd/result', from: 'router', qos: 1, retain: false, schema: commandResultSchema, what: "A remote command's answer, by nonce." },
];

/** A message's JSON Schema (draft 2020-12), as a sender must write it (defaults not yet filled in). */
export function wireJsonSchema(m: WireMessage): Record<string, unknown> {
  return {
    ...z.toJSONSchema(m.schema, { io: 'input', unrepresentable: 'any' }),
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `qlink/v${PROTOCOL_VERSION}/${schemaFile(m)}`,
    title: `qlink/v${PROTOCOL_VERSION}/<router-id>/${m.topic}`,
    description: m.what,
  };
}

export const schemaFile = (m: WireMessage): string => `${m.topic.replace('/', '-')}.schema.json`;
