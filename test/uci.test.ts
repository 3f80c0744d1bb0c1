import { readFileSync } from 'node:fs';
import t from 'tap';
import { ConfigError } from '../agent/src/config/schema.js';
import { planReload } from '../agent/src/config/reload.js';
import { parseUciConfig } from '../agent/src/config/uci-map.js';
import { parseUci, UciSyntaxError } from '../agent/src/config/uci-parse.js';

const SHIPPED = new URL('../../openwrt/qlink-agent/files/qlink.config', import.meta.url);

t.test('UCI syntax: quotes, escapes, lists, anonymous sections, comments', async (t) => {
  const pkg = parseUci(
    [
      'package qlink',
      '# a comment line',
      '',
      "config agent 'agent'   # trailing comment",
      "\toption guest_interface 'br-guest'",
      '\toption log_level "de""bug"',
      `\toption quoted 'it'\\''s "fine" # not a comment'`,
      '\toption dq "tab\\tis not special, \\"escaped\\" and \\\\"',
      '\toption bare word\\ with\\ spaces',
      "\tlist walled_garden 'a.example.org'",
      '\tlist walled_garden 10.0.0.1',
      'config plan',
      "\toption name 'hour'",
      'config plan',
      "\toption name 'day'",
      "config agent 'agent'",
      '\toption backend nftables',
    ].join('\n'),
    'test',
  );
  t.equal(pkg.name, 'qlink');
  t.equal(pkg.sections.length, 3, 'a repeated named section is merged, as libuci does');
  const [agent, p0, p1] = pkg.sections;
  t.equal(agent!.options.get('guest_interface')!.value, 'br-guest');
  t.equal(agent!.options.get('log_level')!.value, 'debug', 'adjacent quoted pieces join');
  t.equal(agent!.options.get('quoted')!.value, `it's "fine" # not a comment`);
  t.equal(agent!.options.get('dq')!.value, 'tabtis not special, "escaped" and \\', 'backslash escapes the next character in double quotes');
  t.equal(agent!.options.get('bare')!.value, 'word with spaces');
  t.same(agent!.options.get('walled_garden')!.value, ['a.example.org', '10.0.0.1']);
  t.equal(agent!.options.get('backend')!.value, 'nftables');
  t.same([p0!.type, p0!.name, p0!.index, p1!.index], ['plan', undefined, 0, 1], 'anonymous sections are numbered per type');
  t.equal(p1!.options.get('name')!.value, 'day');
  t.same(
    parseUci('config a\n\toption x 1\n\tlist x 2\n').sections[0]!.options.get('x')!.value,
    ['1', '2'],
    'list after option keeps the option as the first item',
  );
});

t.test('malformed UCI is refused with the line number', async (t) => {
  const bad: Array<[string, number, RegExp]> = [
    ["config agent 'agent'\n\toption x 'open", 2, /unterminated single quote/],
    ['config agent\n\n\toption x "open', 3, /unterminated double quote/],
    ["option x 'y'", 1, /before the first 'config'/],
    ["config agent 'a'\n\toption x", 2, /needs a name and a value/],
    ["config agent 'a'\n\toption x y z", 2, /too many arguments/],
    ["config agent 'a'\n\tvalue x y", 2, /unknown keyword "value"/],
    ["config agent 'a b'", 1, /invalid section name/],
    ["config agent 'a'\n\toption bad-name 1", 2, /invalid option name/],
    ["config agent 'a'\nconfig portal 'a'", 2, /declared with type 'agent' on line 1/],
    ["config agent 'a'\n\toption x foo\\", 2, /backslash at the end/],
    ["config agent 'a'\npackage late", 2, /after the first section/],
  ];
  for (const [text, line, why] of bad) {
    const e = t.throws(() => parseUci(text, '/etc/config/qlink')) as unknown;
    t.ok(e instanceof UciSyntaxError, `${JSON.stringify(text)} throws a UciSyntaxError`);
    t.equal((e as UciSyntaxError).line, line, `line ${line}`);
    t.match((e as Error).message, why);
    t.match((e as Error).message, new RegExp(`^/etc/config/qlink:${line}: `));
  }
});

t.test('the shipped /etc/config/qlink maps to a valid agent config', async (t) => {
  const c = parseUciConfig(readFileSync(SHIPPED, 'utf8'), 'qlink.config');
  t.equal(c.guestInterface, 'br-guest');
  t.equal(c.dataDir, '/etc/qlink');
  t.equal(c.portal.port, 8088);
  t.equal(c.pollIntervalMs, 2000);
  t.equal(c.usage.maxRecordsPerBatch, 1000);
  t.ok(c.blockedNetworks.includes('192.168.0.0/16'), 'schema defaults fill what UCI leaves out');
  t.equal(c.uplink, undefined);
});

t.test('UCI options land on the schema object: lists, numbers, booleans, nested sections', async (t) => {
  const c = parseUciConfig(
    [
      "config agent 'agent'",
      "\tlist walled_garden 'rpc.example.org'",
      "\tlist walled_garden '203.0.113.0/24'",
      "\tlist blocked_network '10.0.0.0/8'",
      "\toption poll_interval_ms '500'",
      "config chain 'chain'",
      "\toption network_magic '894710606'",
      "\toption contract '0x0123456789abcdef0123456789abcdef01234567'",
      "config uplink 'uplink'",
      "\toption url 'mqtts://gw.example.org:8883'",
      "\toption gateway_key '02" + '11'.repeat(32) + "'",
      "\toption reject_unauthorized 'no'",
    ].join('\n'),
    'x',
  );
  t.same(c.walledGarden, ['rpc.example.org', '203.0.113.0/24']);
  t.same(c.blockedNetworks, ['10.0.0.0/8']);
  t.equal(c.pollIntervalMs, 500);
  t.equal(c.chain?.networkMagic, 894710606);
  t.equal(c.uplink?.rejectUnauthorized, false);
  t.equal(c.uplink?.keepaliveSeconds, 30, 'defaults inside a section');
});

t.test('bad values are named qlink.<section>.<option>', async (t) => {
  const refuse = (text: string): string => {
    try {
      parseUciConfig(text, '/etc/config/qlink');
    } catch (e) {
      t.ok(e instanceof ConfigError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };
  t.match(refuse("config agent 'agent'\n\toption poll_interval_ms '50'"), /qlink\.agent\.poll_interval_ms: Too small/);
  t.match(refuse("config agent 'agent'\n\toption poll_interval_ms 'fast'"), /qlink\.agent\.poll_interval_ms: expected a whole number, got "fast" \(line 2\)/);
  t.match(refuse("config portal 'portal'\n\toption port '70000'"), /qlink\.portal\.port: Too big/);
  t.match(refuse("config agent 'agent'\n\toption backend 'pf'"), /qlink\.agent\.backend: /);
  t.match(refuse("config agent 'agent'\n\tlist walled_garden 'ok.example'\n\tlist walled_garden 'not a host!'"), /qlink\.agent\.walled_garden\[1\]: /);
  t.match(refuse("config agent 'agent'\n\toption colour 'blue'"), /qlink\.agent\.colour: unknown option \(line 2\)/);
  t.match(refuse("config agnet 'agent'"), /qlink\.agent: unknown section type 'agnet'/);
  t.match(refuse('config portal\n\toption port 1\nconfig portal\n\toption port 2'), /qlink\.@portal\[1\]: a second 'portal' section/);
  t.match(refuse("config uplink 'uplink'\n\toption url 'mqtt://gw'\n\toption gateway_key '02" + '11'.repeat(32) + "'"), /qlink\.uplink: uplink needs chain/);
  t.match(refuse("config uplink 'uplink'\n\toption url 'mqtt://gw'"), /qlink\.uplink\.gateway_key: /, 'the gateway key the router pins is required');
  t.match(refuse("config uplink 'uplink'\n\tlist url 'mqtt://gw'"), /qlink\.uplink\.url: is a list/);
  t.match(refuse("config agent 'agent'\n\toption enabled 'maybe'"), /qlink\.agent\.enabled: expected 0 or 1/);
  const both = refuse("config agent 'agent'\n\toption poll_interval_ms '1'\n\toption leases_file ''\nconfig portal 'portal'\n\toption port '0'");
  t.match(both, /poll_interval_ms.*; .*port/, 'every bad value in one message');
  t.match(refuse("config agent 'agent'\n\toption x 'open"), /^config \/etc\/config\/qlink:2: unterminated/);
});

t.test('reload plan: live keys apply at once, the rest waits for a restart', async (t) => {
  const a = parseUciConfig("config agent 'agent'\n\toption poll_interval_ms '1000'", 'a');
  const b = parseUciConfig(
    "config agent 'agent'\n\toption poll_interval_ms '3000'\n\tlist walled_garden '198.51.100.7'\n\toption guest_interface 'br-x'\nconfig portal 'portal'\n\toption port '9000'",
    'b',
  );
  const plan = planReload(a, b);
  t.same(plan.live.sort(), ['pollIntervalMs', 'walledGarden']);
  t.same(plan.restart, ['guestInterface', 'portal']);
  t.same(planReload(a, a), { live: [], restart: [] });
});

t.test('every option of the schema has a UCI name (add new ones to agent/src/config/uci-fields.ts)', async (t) => {
  const { agentConfigSchema } = await import('../agent/src/config/schema.js');
  const { UCI_FIELDS } = await import('../agent/src/config/uci-fields.js');
  type Def = { type: string; innerType?: { def: Def }; shape?: Record<string, { def: Def }> };
  const leaves = (def: Def, prefix: string[]): string[] => {
    while ((def.type === 'default' || def.type === 'optional') && def.innerType) def = def.innerType.def;
    if (def.type !== 'object' || !def.shape) return [prefix.join('.')];
    return Object.entries(def.shape).flatMap(([k, v]) => leaves(v.def, [...prefix, k]));
  };
  const mapped = new Set(UCI_FIELDS.flatMap((f) => (f.path ? [f.path.join('.')] : [])));
  mapped.add('plans'); // repeated `config plan` sections: agent/src/config/uci-plans.ts
  const missing = leaves((agentConfigSchema as unknown as { def: Def }).def, []).filter((p) => !mapped.has(p));
  t.same(missing, [], 'schema paths without a qlink.<section>.<option>');
});

t.test('plans are repeated plan sections; shaping and the newer options map too', async (t) => {
  const c = parseUciConfig(
    [
      "config plan 'hour'",
      "\toption name 'One hour'",
      "\toption price_per_minute '0.001'",
      "\toption down '5mbit'",
      "\toption minutes '60'",
      'config plan',
      "\toption id 'day'",
      "\toption name 'A day'",
      "\toption quota_bytes '2000000000'",
      "\tlist zero_rated 'Chat.Example'",
      "\tlist zero_rated '192.0.2.0/24'",
      "\toption zero_rated_without_credit '1'",
      "config shaping 'shaping'",
      "\toption total_down '100mbit'",
      "config agent 'agent'",
      "\toption idle_timeout_seconds 'never'",
      "\toption native_counters '0'",
    ].join('\n'),
    'x',
  );
  t.same(
    c.plans.map((p) => [p.id, p.name, p.minutes ?? null, p.quotaBytes ?? null]),
    [
      ['hour', 'One hour', 60, null],
      ['day', 'A day', null, 2000000000],
    ],
  );
  t.equal(c.plans[0]!.pricePerMinute, 100_000, '0.001 GAS in fractions');
  t.same([c.plans[0]!.zeroRated, c.plans[0]!.zeroRatedWithoutCredit], [[], false], 'no zero-rated destinations unless named');
  t.same([c.plans[1]!.zeroRated, c.plans[1]!.zeroRatedWithoutCredit], [['chat.example', '192.0.2.0/24'], true], 'zero_rated is a list; names are lower-cased');
  t.equal(c.plans[0]!.down, 5_000_000);
  t.equal(c.shaping.totalDown, 100_000_000);
  t.equal(c.idleTimeoutSeconds, null);
  t.equal(c.nativeCounters, false);
  const refuse = (text: string) =>
    t.throws(() => parseUciConfig(text, 'x')) &&
    (() => {
      try {
        parseUciConfig(text, 'x');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
  t.match(refuse("config plan 'hour'\n\toption name 'H'\n\toption price_per_mb 'lots'"), /qlink\.hour\.price_per_mb: expected a GAS amount/);
  t.match(refuse("config plan\n\toption id 'a'\n\toption name 'A'\nconfig plan\n\toption name 'B'"), /qlink\.@plan\[1\]\.id: /);
  t.match(refuse("config plan 'x'\n\toption name 'X'\n\toption colour 'red'"), /qlink\.x\.colour: unknown option/);
  t.match(refuse("config shaping 'shaping'\n\toption total_up 'fast'"), /qlink\.shaping\.total_up: /);
  t.match(refuse("config plan 'x'\n\toption name 'X'\n\tlist zero_rated '10.0.0.0/40'"), /qlink\.x\.zero_rated: expected a host name or an address prefix/);
});
