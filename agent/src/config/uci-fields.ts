/**
 * Where each option of /etc/config/qlink lands in the agent's config object
 * (the one agentConfigSchema validates). One table serves both directions:
 * UCI → object when reading, schema path → `qlink.<section>.<option>` when a
 * value is refused.
 */

export type UciKind = 'string' | 'int' | 'number' | 'bool' | 'list' | 'pathOrOff' | 'intOrNever';

export interface UciField {
  section: string;
  option: string;
  /** Path in the agent config object; null for options only the init script or uci-defaults read. */
  path: readonly string[] | null;
  kind: UciKind;
}

const f = (section: string, option: string, path: string | null, kind: UciKind = 'string'): UciField => ({
  section,
  option,
  path: path === null ? null : path.split('.'),
  kind,
});

export const UCI_FIELDS: readonly UciField[] = [
  f('agent', 'enabled', null, 'bool'), // read by /etc/init.d/qlink
  f('agent', 'guest_interface', 'guestInterface'),
  f('agent', 'data_dir', 'dataDir'),
  f('agent', 'control_socket', 'controlSocket'),
  f('agent', 'leases_file', 'leasesFile'),
  f('agent', 'backend', 'backend'),
  f('agent', 'poll_interval_ms', 'pollIntervalMs', 'int'),
  f('agent', 'log_level', 'logLevel'),
  f('agent', 'walled_garden', 'walledGarden', 'list'),
  f('agent', 'blocked_network', 'blockedNetworks', 'list'),
  f('agent', 'idle_timeout_seconds', 'idleTimeoutSeconds', 'intOrNever'),
  f('agent', 'native_counters', 'nativeCounters', 'pathOrOff'),
  f('portal', 'port', 'portal.port', 'int'),
  f('portal', 'name', 'portal.name'),
  f('portal', 'logo_file', 'portal.logoFile'),
  f('portal', 'terms', 'portal.terms'),
  f('portal', 'hostname', 'portal.hostname'),
  f('portal', 'cert_file', 'portal.certFile'),
  f('portal', 'key_file', 'portal.keyFile'),
  f('portal', 'rpc_url', 'portal.rpcUrl'),
  f('portal', 'channels', 'portal.channels'),
  f('portal', 'close_wait_seconds', 'portal.closeWaitSeconds', 'int'),
  f('portal', 'owner', 'portal.owner'),
  f('portal', 'deposit', 'portal.deposit'),
  f('portal', 'credit_window', 'portal.creditWindow'),
  f('portal', 'channel_hours', 'portal.channelHours', 'int'),
  f('portal', 'channel_minutes', 'portal.channelMinutes', 'int'),
  f('portal', 'payment_window_seconds', 'portal.paymentWindowSeconds', 'int'),
  f('portal', 'expiry_margin_seconds', 'portal.expiryMarginSeconds', 'int'),
  f('portal', 'wallet_timeout_seconds', 'portal.walletTimeoutSeconds', 'int'),
  // What one guest may ask of the router (portal.limits); rates per second, bursts in requests.
  ...(['requests', 'voucherChecks', 'lookups', 'relays'] as const).flatMap((k) => {
    const o = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return [f('limits', `${o}_per_second`, `portal.limits.${k}.perSecond`, 'number'), f('limits', `${o}_burst`, `portal.limits.${k}.burst`, 'int')];
  }),
  f('limits', 'rpc_slots_per_guest', 'portal.limits.rpcSlotsPerGuest', 'int'),
  f('limits', 'rpc_slots_reserved', 'portal.limits.rpcSlotsReserved', 'int'),
  f('limits', 'connections_per_guest', 'portal.limits.connectionsPerGuest', 'int'),
  f('limits', 'connections', 'portal.limits.connections', 'int'),
  f('limits', 'miss_cache_seconds', 'portal.limits.missCacheSeconds', 'int'),
  f('limits', 'key_recheck_seconds', 'portal.limits.keyRecheckSeconds', 'int'),
  f('wallets', 'neoline', 'walletHosts.neoline', 'list'),
  f('wallets', 'onegate', 'walletHosts.onegate', 'list'),
  f('wallets', 'neon', 'walletHosts.neon', 'list'),
  f('shaping', 'enabled', 'shaping.enabled', 'bool'),
  f('shaping', 'wan_interface', 'shaping.wanInterface'),
  f('shaping', 'total_down', 'shaping.totalDown'),
  f('shaping', 'total_up', 'shaping.totalUp'),
  f('usage', 'record_interval_ms', 'usage.recordIntervalMs', 'int'),
  f('usage', 'batch_interval_ms', 'usage.batchIntervalMs', 'int'),
  f('usage', 'max_records_per_batch', 'usage.maxRecordsPerBatch', 'int'),
  f('chain', 'network_magic', 'chain.networkMagic', 'int'),
  f('chain', 'contract', 'chain.contract'),
  f('agent', 'retention_days', 'retentionDays', 'int'),
  f('agent', 'stale_guest_minutes', 'staleGuestMinutes', 'int'),
  f('agent', 'max_guests', 'maxGuests', 'int'),
  f('uplink', 'url', 'uplink.url'),
  f('uplink', 'username', 'uplink.username'),
  f('uplink', 'password', 'uplink.password'),
  f('uplink', 'ca_file', 'uplink.caFile'),
  f('uplink', 'enroll_url', 'uplink.enrollUrl'),
  f('uplink', 'cert_file', 'uplink.certFile'),
  f('uplink', 'key_file', 'uplink.keyFile'),
  f('uplink', 'reject_unauthorized', 'uplink.rejectUnauthorized', 'bool'),
  f('uplink', 'keepalive_seconds', 'uplink.keepaliveSeconds', 'int'),
  f('uplink', 'reconnect_ms', 'uplink.reconnectMs', 'int'),
  f('uplink', 'resend_ms', 'uplink.resendMs', 'int'),
  f('uplink', 'gateway_key', 'uplink.gatewayKey'),
  f('uplink', 'owner_public_key', 'uplink.ownerPublicKey'),
  f('uplink', 'status_interval_ms', 'uplink.statusIntervalMs', 'int'),
  f('setup', 'gateway_url', 'setup.gatewayUrl'),
  f('setup', 'listen', 'setup.listen'),
  f('setup', 'port', 'setup.port', 'int'),
  f('setup', 'poll_seconds', 'setup.pollSeconds', 'int'),
];

/** Section types that may appear once each; all of them are optional. `plan` sections repeat (uci-plans.ts). */
export const UCI_SECTIONS: readonly string[] = [...new Set(UCI_FIELDS.map((x) => x.section))];

/** libuci's own boolean spellings (uci_parse_bool / config_get_bool). */
const TRUE = new Set(['1', 'on', 'true', 'yes', 'enabled']);
const FALSE = new Set(['0', 'off', 'false', 'no', 'disabled']);

/** Converts one UCI value to what the schema expects, or returns a reason it cannot. */
export function convert(kind: UciKind, value: string | string[]): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (kind === 'list') return { ok: true, value: Array.isArray(value) ? value : [value] };
  if (Array.isArray(value)) return { ok: false, reason: "is a list; use 'option', not 'list'" };
  switch (kind) {
    case 'number':
      return /^\d{1,9}(\.\d{1,6})?$/.test(value)
        ? { ok: true, value: Number(value) }
        : { ok: false, reason: `expected a number such as 2 or 0.5, got ${JSON.stringify(value)}` };
    case 'int':
      return /^-?\d{1,15}$/.test(value) ? { ok: true, value: Number(value) } : { ok: false, reason: `expected a whole number, got ${JSON.stringify(value)}` };
    case 'pathOrOff': // native_counters: a reader's path, or 0 for nft only
      return { ok: true, value: FALSE.has(value) ? false : value };
    case 'intOrNever': // idle_timeout_seconds: 0 or never turns it off
      if (value === '0' || value === 'never') return { ok: true, value: null };
      return convert('int', value);
    case 'bool':
      if (TRUE.has(value)) return { ok: true, value: true };
      if (FALSE.has(value)) return { ok: true, value: false };
      return { ok: false, reason: `expected 0 or 1, got ${JSON.stringify(value)}` };
    default:
      return { ok: true, value };
  }
}

/** The UCI name of a schema path such as ['portal', 'port'] or ['walledGarden', 2]. */
export function uciNameOf(path: readonly PropertyKey[]): string {
  for (let n = path.length; n > 0; n--) {
    const head = path.slice(0, n).map(String).join('.');
    const field = UCI_FIELDS.find((x) => x.path?.join('.') === head);
    if (field)
      return `qlink.${field.section}.${field.option}${path
        .slice(n)
        .map((p) => `[${String(p)}]`)
        .join('')}`;
  }
  const section = UCI_SECTIONS.find((s) => s === path[0]);
  return section ? `qlink.${section}` : 'qlink';
}
