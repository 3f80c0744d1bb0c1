import { readFileSync } from 'node:fs';
import { connect, type MqttClient } from 'mqtt';
import type { BrokerConfig } from '../ingest/mqtt.js';
import { dispatch, type RpcDeps } from './handlers.js';
import { encode, MAX_REQUEST_BYTES, requestSchema, resultTopic, RPC_TOPIC, rpcSubscription, RpcError, type ErrorCode, type RpcResponse } from './protocol.js';

export interface RpcService {
  client: MqttClient;
  stop(): Promise<void>;
}

/** Requests a gateway works on at once; a relay holds its slot until the block (or waitMs). */
const MAX_IN_FLIGHT = 200;

/**
 * The channel service: requests in on qlink/v1/<router>/rpc through a shared
 * subscription (one gateway of the group answers each), answers out on
 * qlink/v1/<router>/rpc/result. Every request gets an answer, an error one
 * if need be; nothing a router sends can throw out of here.
 */
export function startRpc(broker: BrokerConfig, deps: RpcDeps): RpcService {
  const log = deps.log;
  const client = connect(broker.url, {
    protocolVersion: 5, clientId: `${broker.clientId}-rpc`.slice(0, 128), clean: true, reconnectPeriod: 1000,
    username: broker.username, password: broker.password, ca: broker.caFile ? readFileSync(broker.caFile) : undefined,
    rejectUnauthorized: broker.rejectUnauthorized, properties: { maximumPacketSize: MAX_REQUEST_BYTES * 4 + 1024 },
  });
  let inFlight = 0;
  client.on('connect', () => {
    client.subscribe(rpcSubscription, { qos: 1 }, (err) => { if (err) log.error({ err: err.message }, 'rpc subscribe failed'); });
  });
  client.on('error', (e) => log.warn({ err: e.message }, 'rpc broker error'));
  client.on('message', (topic, payload) => {
    const m = RPC_TOPIC.exec(topic);
    if (!m) return;
    const router = m[1]!;
    const send = (r: RpcResponse) => client.publish(resultTopic(router), encode(r), { qos: 1 }, (err) => {
      if (err) log.debug({ router, err: err.message }, 'rpc answer not sent');
    });
    const fail = (id: string | null, code: ErrorCode, message: string) => send({ v: 1, id, ok: false, error: { code, message } });
    if (payload.length > MAX_REQUEST_BYTES) return fail(null, 'too-large', `request over ${MAX_REQUEST_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return fail(null, 'bad-request', 'not JSON');
    }
    const rawId = (json as { id?: unknown } | null)?.id;
    const id = typeof rawId === 'string' && rawId.length > 0 && rawId.length <= 64 ? rawId : null;
    const req = requestSchema.safeParse(json);
    if (!req.success) return fail(id, 'bad-request', req.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    if (inFlight >= MAX_IN_FLIGHT) return fail(id, 'busy', 'too many requests in flight; retry');
    inFlight++;
    const rid = req.data.id;
    dispatch(router, req.data, deps, (result) => send({ v: 1, id: rid, ok: true, result }))
      .catch((e: Error) => {
        if (e instanceof RpcError) return fail(rid, e.code, e.message);
        log.error({ router, method: req.data.method, err: e.message }, 'rpc request failed');
        fail(rid, 'internal', 'internal error');
      })
      .finally(() => { inFlight--; });
  });
  return {
    client,
    async stop() { await client.endAsync().catch(() => undefined); },
  };
}
