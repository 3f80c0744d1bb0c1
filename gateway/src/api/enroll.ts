import type { Logger } from 'pino';
import { addressOfKey, type Deployment, enrollBodySchema, enrollMessage, type EnrollReply, fromHex } from '../../../protocol/src/index.js';
import { verifyP256 } from '../../../protocol/src/node/index.js';
import type { FleetCa } from '../ca/fleet-ca.js';
import type { RouterRegistry } from '../registry/registry.js';
import { HttpError } from './query.js';

/** A signed request may be this old or this far ahead of the gateway's clock. */
const SKEW_MS = 5 * 60_000;
/** One certificate a router a minute: enough for a retry, too few to load the CA. */
const PER_ROUTER_MS = 60_000;

/**
 * POST /enroll: a router registered on chain gets a broker certificate for
 * its own key, CN = its address. Its signature over (tag, deployment, key,
 * time) proves it holds the key; the registration is read from the chain
 * (through the registry), so a key nobody registered gets nothing.
 */
export function enrollHandler(ca: FleetCa, registry: RouterRegistry, d: Deployment, log: Logger, clock: () => number = Date.now) {
  const last = new Map<string, number>();
  return async (body: unknown): Promise<EnrollReply> => {
    const b = enrollBodySchema.safeParse(body);
    if (!b.success)
      throw new HttpError(
        400,
        `enroll: ${b.error.issues
          .slice(0, 2)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      );
    const { router, at, signature } = b.data;
    const key = router.toLowerCase();
    const now = clock();
    if (Math.abs(now - at) > SKEW_MS)
      throw new HttpError(400, `enroll: the request's time is more than ${SKEW_MS / 60_000} minutes from the gateway's; check the router's clock`);
    if (!verifyP256(enrollMessage(d, key, at), fromHex(signature, 64), key)) throw new HttpError(403, "enroll: not signed by the router's key");
    const prev = last.get(key);
    if (prev !== undefined && now - prev < PER_ROUTER_MS)
      throw new HttpError(429, `enroll: one certificate a minute per router (limit ${PER_ROUTER_MS / 1000} s)`);
    const info = await registry.lookup(key).catch((e: Error) => {
      throw new HttpError(503, `enroll: the chain cannot tell whether this router is registered (${e.message})`);
    });
    if (!info || !info.active) throw new HttpError(403, 'enroll: this router key is not registered on chain (or is retired)');
    last.set(key, now);
    if (last.size > 100_000) last.clear();
    const address = addressOfKey(key);
    const cert = await ca.issueRouter(key, address);
    log.info({ router: address }, 'broker certificate issued');
    return { cert, ca: ca.caPem };
  };
}
