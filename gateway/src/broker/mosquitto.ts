/**
 * The broker's side of who may do what (docs/broker/): mosquitto 2 with TLS
 * only, a client certificate from the fleet CA required, the certificate's
 * CN as the username (use_identity_as_username) and as the client id
 * (use_username_as_clientid: nobody can take over another's session), and
 * an ACL in which a router (CN = its address, %u) writes only its own
 * request topics and reads only its own answers, while only the gateways
 * write acks, answers and commands. Any MQTT 5 broker with shared
 * subscriptions, certificate identities and per-identity ACLs can do the same.
 */
export function mosquittoAcl(gatewayUsers: readonly string[]): string {
  const router = [
    "# Routers: a certificate for the router key, CN = the router's address (%u). Its own topics only.",
    'pattern write qlink/v1/%u/usage',
    'pattern write qlink/v1/%u/status',
    'pattern write qlink/v1/%u/rpc',
    'pattern write qlink/v1/%u/cmd/result',
    'pattern read qlink/v1/%u/ack',
    'pattern read qlink/v1/%u/rpc/result',
    'pattern read qlink/v1/%u/cmd',
  ];
  const gateways = gatewayUsers.flatMap((u) => [
    '',
    `# Gateway ${u}: reads every router's requests and status, writes acks, answers and commands.`,
    `user ${u}`,
    'topic read qlink/v1/+/usage',
    'topic read qlink/v1/+/status',
    'topic read qlink/v1/+/rpc',
    'topic read qlink/v1/+/cmd/result',
    'topic write qlink/v1/+/ack',
    'topic write qlink/v1/+/rpc/result',
    'topic write qlink/v1/+/cmd',
  ]);
  return [...router, ...gateways, ''].join('\n');
}

export interface MosquittoTls {
  host: string;
  port: number;
  caFile: string;
  certFile: string;
  keyFile: string;
  aclFile: string;
  /** Queued messages per client (a gateway that falls behind); mosquitto's default is 1000. */
  maxQueued?: number;
  /** The user mosquitto runs as once it has bound its port (its default: mosquitto); tests run it as root in private directories. */
  user?: string;
  /** TCP_NODELAY on (the default): an ack right after a PUBACK need not wait for its delayed TCP ACK (bench-fleet: 40 ms). */
  nodelay?: boolean;
  /** More mosquitto.conf lines (a log file, say). */
  extra?: string;
}

export function mosquittoTlsConf(o: MosquittoTls): string {
  return [
    ...(o.user ? [`user ${o.user}`] : []),
    'per_listener_settings false',
    'allow_anonymous false',
    `acl_file ${o.aclFile}`,
    'persistence false',
    `max_queued_messages ${o.maxQueued ?? 100_000}`,
    ...(o.nodelay === false ? [] : ['set_tcp_nodelay true']),
    ...(o.extra ? [o.extra.trimEnd()] : []),
    `listener ${o.port} ${o.host}`,
    `cafile ${o.caFile}`,
    `certfile ${o.certFile}`,
    `keyfile ${o.keyFile}`,
    'tls_version tlsv1.2',
    'require_certificate true',
    'use_identity_as_username true',
    'use_username_as_clientid true',
    '',
  ].join('\n');
}
