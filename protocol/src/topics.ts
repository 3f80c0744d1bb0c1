/**
 * MQTT topics, all under `qlink/v1/<router-id>/`, where the router id is the
 * NEO address of the router's key. Routers publish usage, status, rpc and
 * cmd/result; the gateway publishes ack, rpc/result and cmd.
 */
export const TOPIC_ROOT = 'qlink/v1';

export const routerTopics = (routerId: string) => ({
  usage: `${TOPIC_ROOT}/${routerId}/usage`,
  ack: `${TOPIC_ROOT}/${routerId}/ack`,
  status: `${TOPIC_ROOT}/${routerId}/status`,
  rpc: `${TOPIC_ROOT}/${routerId}/rpc`,
  rpcResult: `${TOPIC_ROOT}/${routerId}/rpc/result`,
  cmd: `${TOPIC_ROOT}/${routerId}/cmd`,
  cmdResult: `${TOPIC_ROOT}/${routerId}/cmd/result`,
});

export type TopicKind = 'usage' | 'ack' | 'status' | 'rpc' | 'rpcResult' | 'cmd' | 'cmdResult';

/** Shared-subscription groups: each message goes to one gateway of the group. */
export const USAGE_SHARE_GROUP = 'qlink-gateway';
export const RPC_SHARE_GROUP = 'qlink-gateway';

/** What the gateway subscribes to: every router's usage and rpc (shared), and statuses (each gateway all). */
export const gatewaySubscriptions = {
  usage: `$share/${USAGE_SHARE_GROUP}/${TOPIC_ROOT}/+/usage`,
  rpc: `$share/${RPC_SHARE_GROUP}/${TOPIC_ROOT}/+/rpc`,
  status: `${TOPIC_ROOT}/+/status`,
};

const KINDS: Record<string, TopicKind> = {
  usage: 'usage',
  ack: 'ack',
  status: 'status',
  rpc: 'rpc',
  'rpc/result': 'rpcResult',
  cmd: 'cmd',
  'cmd/result': 'cmdResult',
};
/** The router id is its key's NEO address: 'N' and 33 base58 characters. */
const TOPIC = /^qlink\/v1\/(N[1-9A-HJ-NP-Za-km-z]{33})\/(usage|ack|status|rpc|rpc\/result|cmd|cmd\/result)$/;

/** The router id and kind a topic names, or null when it is not one of ours. */
export function parseTopic(topic: string): { routerId: string; kind: TopicKind } | null {
  const m = TOPIC.exec(topic);
  return m ? { routerId: m[1]!, kind: KINDS[m[2]!]! } : null;
}
