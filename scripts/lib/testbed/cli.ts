/**
 * scripts/testbed: up | down | exec | agent | info. One JSON object on
 * stdout for up and info; progress and errors on stderr.
 */
import { constants } from 'node:os';
import * as tb from './index.js';

const USAGE = `usage:
  scripts/testbed up [--clients N] [--agent] [--agent-config JSON] [--dnsmasq LINE]... [--id ID]
  scripts/testbed down [--id ID | --all]
  scripts/testbed exec <router|upstream|c1..cN> [--id ID] -- CMD...
  scripts/testbed agent start|stop|kill [--config JSON] [--id ID]
  scripts/testbed info [--id ID]
The id also comes from QLINK_TESTBED_ID; default "tb".`;

interface Args {
  pos: string[];
  flags: Map<string, string[]>;
  rest: string[];
}

const VALUED = new Set(['--id', '--clients', '--agent-config', '--config', '--dnsmasq']);

function parse(argv: string[]): Args {
  const a: Args = { pos: [], flags: new Map(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { ...a, rest: argv.slice(i + 1) };
    if (!arg.startsWith('--')) {
      a.pos.push(arg);
      continue;
    }
    const [k, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    const v = VALUED.has(k) ? (inline ?? argv[++i]) : 'true';
    if (v === undefined) throw new Error(`${k} needs a value`);
    a.flags.set(k, [...(a.flags.get(k) ?? []), v]);
  }
  return a;
}

const one = (a: Args, k: string): string | undefined => a.flags.get(k)?.at(-1);
const json = (s: string | undefined): Record<string, unknown> | undefined => (s === undefined ? undefined : JSON.parse(s));
const say = (line: string): void => void process.stderr.write(`testbed: ${line}\n`);

async function main(argv: string[]): Promise<number> {
  const a = parse(argv);
  const id = one(a, '--id');
  const cmd = a.pos[0];
  if (cmd === 'up') {
    const tid = tb.resolveId(id);
    const stop = (sig: NodeJS.Signals) => void tb.down(tid).finally(() => process.exit(128 + constants.signals[sig]));
    process.once('SIGINT', stop).once('SIGTERM', stop);
    const t0 = Date.now();
    const info = await tb.up({
      id: tid,
      clients: Number(one(a, '--clients') ?? 2),
      agent: a.flags.has('--agent'),
      agentConfig: json(one(a, '--agent-config')),
      dnsmasqExtra: a.flags.get('--dnsmasq'),
      log: say,
    });
    say(`up in ${Date.now() - t0} ms`);
    process.stdout.write(JSON.stringify(info) + '\n');
    return 0;
  }
  if (cmd === 'down') {
    const gone = a.flags.has('--all') ? await tb.downAll() : await tb.down(id);
    say(gone.length ? `removed ${gone.join(' ')}` : 'nothing to remove');
    return 0;
  }
  if (cmd === 'info') {
    process.stdout.write(JSON.stringify(tb.info(id)) + '\n');
    return 0;
  }
  if (cmd === 'exec') {
    const host = a.pos[1];
    if (!host || a.rest.length === 0) throw new Error('exec needs a host and -- CMD...');
    const known = tb.info(id); // fails clearly when that testbed is not up
    if (/^c[0-9]+$/.test(host) && !known.clients.some((c) => c.name === host)) throw new Error(`no client ${host} in testbed ${known.id}`);
    const child = tb.spawn(id, host, a.rest, { stdio: 'inherit' });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, sig) => resolve(code ?? 128 + (sig ? constants.signals[sig] : 0)));
    });
  }
  if (cmd === 'agent') {
    const sub = a.pos[1];
    if (sub === 'start') {
      const info = await tb.agentStart(id, json(one(a, '--config')));
      say(`agent ready, pid ${info.agent?.pid}`);
      return 0;
    }
    if (sub === 'stop' || sub === 'kill') {
      const r = sub === 'stop' ? await tb.agentStop(id) : await tb.agentKill(id);
      say(r.pid === null ? 'the agent was not running' : `agent ${r.pid} ${r.forced ? 'did not stop on SIGTERM: killed' : 'ended'}`);
      return 0;
    }
  }
  process.stderr.write(USAGE + '\n');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    say(e.message);
    process.exit(1);
  },
);
