import type { GatewayLink } from '../broker/link.js';
import { dispatch, type RpcDeps } from './handlers.js';
import { gatewaySubscriptions, MAX_REQUEST_BYTES, routerTopics, type RpcErrorCode, rpcRequestSchema, type RpcResponse } from '../../../protocol/src/index.js';
import { RpcError } from './errors.js';
import { RequestAuth } from './auth.js';
import { Quota } from '../quota.js';
import type { GatewaySigner } from '../identity/signer.js';

export interface RpcService {
  stop(): Promise<void>;
}

/** Requests a gateway works on at once; a relay holds its slot until the block (or waitMs). */
const MAX_IN_FLIGHT = 200;

/**
 * The channel service: requests in on qlink/v1/<router>/rpc through a shared
 * subscription (one gateway of the group answers each), answers out on
 * qlink/v1/<router>/rpc/result, on the gateway's one broker connection
 * (routed before it starts). Every request gets a signed answer, an error one
 * if need be; nothing a router sends can throw out of here.
 */
export function startRpc(link: GatewayLink, signer: GatewaySigner, deps: RpcDeps): RpcService {
  const auth = new RequestAuth();
  const log = deps.log;
  const calls = new Quota({
    name: 'channel-service requests',
    rate: deps.quotas?.rpcPerMinute ?? 600,
    perMs: 60_000,
    burst: Math.max(20, Math.round((deps.quotas?.rpcPerMinute ?? 600) / 5)),
  });
  const relays = new Quota({
    name: 'relays',
    rate: deps.quotas?.relaysPerHour ?? 60,
    perMs: 3_600_000,
    burst: Math.max(5, Math.round((deps.quotas?.relaysPerHour ?? 60) / 6)),
  });
  let inFlight = 0;
  let stopped = false;
  link.route('rpc', gatewaySubscriptions.rpc, (_topic, payload, router) => {
    if (stopped) return;
    const send = (r: RpcResponse) =>
      link.publish(routerTopics(router).rpcResult, JSON.stringify(signer.seal(router, r)), { qos: 1 }, (err) => {
        if (err) log.debug({ router, err: err.message }, 'rpc answer not sent');
      });
    const fail = (id: string | null, code: RpcErrorCode, message: string) => send({ v: 1, id, ok: false, error: { code, message } });
    if (payload.length > MAX_REQUEST_BYTES) return fail(null, 'too-large', `request over ${MAX_REQUEST_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return fail(null, 'bad-request', 'not JSON');
    }
    const rawId = (json as { id?: unknown } | null)?.id;
    const id = typeof rawId === 'string' && rawId.length > 0 && rawId.length <= 64 ? rawId : null;
    try {
      auth.check(router, json as Record<string, unknown>);
    } catch (e) {
      return fail(id, 'bad-signature', (e as Error).message);
    }
    // A router over its budget is told which limit; other routers' requests are not slowed by it.
    if (!calls.take(router)) return fail(id, 'over-quota', calls.describe());
    const req = rpcRequestSchema.safeParse(json);
    if (!req.success)
      return fail(
        id,
        'bad-request',
        req.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; '),
      );
    if (req.data.method === 'relay' && !relays.take(router)) return fail(id, 'over-quota', relays.describe());
    if (inFlight >= MAX_IN_FLIGHT) return fail(id, 'busy', 'too many requests in flight; retry');
    inFlight++;
    const rid = req.data.id;
    dispatch(router, req.data, deps, (result) => send({ v: 1, id: rid, ok: true, result }))
      .catch((e: Error) => {
        if (e instanceof RpcError) return fail(rid, e.code, e.message);
        log.error({ router, method: req.data.method, err: e.message }, 'rpc request failed');
        fail(rid, 'internal', 'internal error');
      })
      .finally(() => {
        inFlight--;
      });
  });
  return {
    async stop() {
      stopped = true;
    },
  };
}
