import { normalizeScriptHash } from '../bytes.js';
import { asArray, asBigInt, asBool, asHash160, asHex, type StackItem } from '../stack.js';

type Kind = 'int' | 'hash160' | 'bytes' | 'bool';

// Parameter names and kinds as declared in contract/qlink/qlink.yml.
const EVENTS: Record<string, [string, Kind][]> = {
  RouterRegistered: [
    ['router', 'bytes'],
    ['owner', 'hash160'],
  ],
  RouterRetired: [
    ['router', 'bytes'],
    ['owner', 'hash160'],
  ],
  TokenAccepted: [
    ['owner', 'hash160'],
    ['token', 'hash160'],
    ['accepted', 'bool'],
  ],
  CloserSet: [
    ['owner', 'hash160'],
    ['closer', 'hash160'],
    ['allowed', 'bool'],
  ],
  PlanPublished: [
    ['owner', 'hash160'],
    ['planId', 'int'],
    ['version', 'int'],
  ],
  ChannelOpened: [
    ['id', 'int'],
    ['guest', 'hash160'],
    ['owner', 'hash160'],
    ['router', 'bytes'],
    ['token', 'hash160'],
    ['voucherKey', 'bytes'],
    ['deposit', 'int'],
    ['expiry', 'int'],
    ['planId', 'int'],
    ['planVersion', 'int'],
  ],
  ChannelToppedUp: [
    ['id', 'int'],
    ['amount', 'int'],
    ['deposit', 'int'],
    ['expiry', 'int'],
  ],
  ChannelRedeemed: [
    ['id', 'int'],
    ['owner', 'hash160'],
    ['cumulative', 'int'],
    ['paid', 'int'],
  ],
  ChannelClosed: [
    ['id', 'int'],
    ['cumulative', 'int'],
    ['paid', 'int'],
    ['refunded', 'int'],
  ],
  ChannelRefunded: [
    ['id', 'int'],
    ['guest', 'hash160'],
    ['refunded', 'int'],
  ],
  ChannelRekeyed: [
    ['id', 'int'],
    ['voucherKey', 'bytes'],
  ],
  RoundAnchored: [
    ['anchorer', 'hash160'],
    ['round', 'int'],
    ['root', 'bytes'],
  ],
};

export type EventValue = bigint | string | boolean;

/** One notification of the qlink contract, its parameters by name. */
export interface QlinkEvent {
  name: string;
  params: Record<string, EventValue>;
}

export interface Notification {
  contract: string;
  eventname: string;
  state: StackItem;
}

/** The contract's own events, in order; other contracts' (GAS Transfer) are skipped. */
export function parseEvents(contract: string, notifications: readonly Notification[]): QlinkEvent[] {
  const self = normalizeScriptHash(contract);
  const out: QlinkEvent[] = [];
  for (const n of notifications) {
    const spec = EVENTS[n.eventname];
    if (normalizeScriptHash(n.contract) !== self || !spec) continue;
    const values = asArray(n.state);
    const params: Record<string, EventValue> = {};
    spec.forEach(([name, kind], i) => {
      params[name] = decode(kind, values[i]);
    });
    out.push({ name: n.eventname, params });
  }
  return out;
}

function decode(kind: Kind, item: StackItem | undefined): EventValue {
  if (kind === 'int') return asBigInt(item);
  if (kind === 'hash160') return asHash160(item);
  if (kind === 'bool') return asBool(item);
  return asHex(item);
}
