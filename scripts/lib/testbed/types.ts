/** Addresses of the testbed; documentation ranges only, inside its namespaces. */
export const NET = {
  lan4: '10.250.0.1',
  lan4Prefix: '10.250.0.0/24',
  /** The testbed option fakeGuests' second guest subnet on the bridge: the benches' fake leases (bench/lib.ts) live in it. */
  fakeGuests4: '10.251.255.254',
  fakeGuests4Len: 16,
  lan6: '2001:db8:1::1',
  lan6Prefix: '2001:db8:1::/64',
  wan4: '203.0.113.1',
  wan6: '2001:db8:ff::1',
  up4: '203.0.113.10',
  up6: '2001:db8:ff::10',
  home4: '192.168.77.10',
  homePrefix: '192.168.77.0/24',
  /** The owner's own LAN behind the router (testbed option ownerLan): public prefixes, so only detection blocks them. */
  owner4: '198.51.100.10',
  ownerRouter4: '198.51.100.1',
  owner6: '2001:db8:2::10',
  ownerRouter6: '2001:db8:2::1',
  dhcpFirst: '10.250.0.100',
  dhcpLast: '10.250.0.199',
  bridge: 'br-lan',
} as const;

export const MAX_CLIENTS = 99;

export interface RouterInfo {
  ns: string;
  lan4: string;
  lan6: string;
  wan4: string;
  wan6: string;
  bridge: string;
}

export interface UpstreamInfo {
  ns: string;
  ip4: string;
  ip6: string;
  home4: string;
}

export interface ClientInfo {
  name: string;
  ns: string;
  mac: string;
  ip4: string;
  ip6: string;
  /** Router-side bridge port of this client. */
  port: string;
}

export interface AgentInfo {
  /** Null when the agent is not running. */
  pid: number | null;
  config: string;
  socket: string;
  log: string;
  dataDir: string;
  portalPort: number;
}

export interface OwnerInfo {
  ns: string;
  ip4: string;
  ip6: string;
}

export interface TestbedInfo {
  id: string;
  router: RouterInfo;
  upstream: UpstreamInfo;
  /** The owner's LAN (198.51.100.0/24, 2001:db8:2::/64 on the router's lan-home), when asked for. */
  owner?: OwnerInfo;
  clients: ClientInfo[];
  agent?: AgentInfo;
  stateDir: string;
}

export interface UpOptions {
  id?: string;
  clients?: number;
  agent?: boolean;
  /** Merged over the default agent.json. */
  agentConfig?: Record<string, unknown>;
  /** A LAN of the owner's on the router (lan-home), with one host ("owner") serving HTTP on 80. */
  ownerLan?: boolean;
  /** A second guest subnet on the bridge (10.251.0.0/16, no DHCP) for fake leases (bench/lib.ts fakeLeases). */
  fakeGuests?: boolean;
  /** Extra lines appended to the router's dnsmasq config (e.g. DHCP option 114). */
  dnsmasqExtra?: string[];
  /** Progress lines; silent by default. */
  log?: (line: string) => void;
}

export interface ExecOptions {
  env?: Record<string, string>;
  input?: string | Buffer;
  timeoutMs?: number;
  cwd?: string;
}

export interface ExecResult {
  code: number;
  /** Set when the command was ended by a signal (code is then 128 + its number). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export type Host = 'router' | 'upstream' | `c${number}`;
