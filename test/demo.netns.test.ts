import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import t from 'tap';
import { listNamespaces } from '../scripts/lib/testbed/netns.js';
import { nsPattern } from '../scripts/lib/testbed/paths.js';

// ./scripts/demo as a person runs it: a child process, its output read as
// text. QLINK_TESTBED_PREFIX comes from the environment, so the suite's run
// never meets a developer's.

/** The testbed's namespaces and the system's working directory, if any survived. */
const leftovers = (id: string): string[] => [...listNamespaces(nsPattern(id)), ...readdirSync(tmpdir()).filter((d) => d.startsWith(`qlink-system-${id}-`))];

interface Run {
  code: number | null;
  signal: string | null;
  out: string;
}

function demo(args: string[], onOutput?: (out: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((resolve) => {
    // Without tap's loaders (NODE_OPTIONS): the demo is not under test coverage, and they slow every node start.
    const p = spawn('scripts/demo', args, { env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const add = (d: Buffer) => {
      out += d.toString();
      onOutput?.(out, (s) => p.kill(s));
    };
    p.stdout.on('data', add);
    p.stderr.on('data', add);
    p.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

t.test('the demo plays the day and its numbers agree with the chain', async (t) => {
  const id = 'demot';
  const r = await demo(['--id', id]);
  t.equal(r.code, 0, `exits 0${r.code === 0 ? '' : `:\n${r.out.slice(-4000)}`}`);
  const saw = (what: string, re: RegExp) => t.match(r.out, re, what);
  saw('a held guest is sent to the portal', /sent to the portal: 302 /);
  for (const c of ['c1', 'c2', 'c3']) {
    saw(`${c} opened a channel`, new RegExp(`${c} paid: its wallet opened channel \\d+`));
    saw(`${c} came online`, new RegExp(`${c} is online, [\\d.]+ s after paying`));
  }
  saw('c1 ran out of deposit mid-download', /c1: stopped after [\d.]+ MB: the router held it/);
  saw('c1 topped up and was let back in', /c1 tops up[\s\S]*c1 is online again/);
  saw("the measured rate is told against the plan's", /c1: finished; [\d.]+ MB at [\d.]+ Mbit\/s \(plan: 8\.00 Mbit\/s\)/);
  saw('c2 logged out', /c2 logged out after using/);
  saw("c3's session ended on the idle timeout", /c3 is held again/);
  saw('usage batches reached the gateway', /the gateway has stored [1-9]\d* signed usage batches/);
  saw('settlement transactions are told with their hashes', /settlement tx 0x[0-9a-f]{64} is in a block: paid the owner/);
  saw('settlement rounds are anchored', /is in a block: [^\n]*anchored settlement round \d+ \(one root over the usage batches/);
  saw(
    "a batch's inclusion proof is checked against the chain",
    /batch \d+ \(of \d+\): the gateway's inclusion proof, checked against the chain: ✓ leaf \d+ of \d+ in round \d+/,
  );
  saw("the owner's earnings are printed", /the owner earned [\d.]+ GAS/);
  saw("the owner's page answers from this machine", /the owner's page at the gateway answers HTTP 200/);
  saw('where to look', /the owner's page\s+http:\/\/198\.18\.\d+\.\d+:8480\/owner\?owner=N/);
  const checks = r.out.split('\n').filter((l) => /^\s+[✓✗] /.test(l));
  t.ok(checks.length >= 6, `${checks.length} checks printed`);
  t.same(
    checks.filter((l) => l.includes('✗')),
    [],
    'every check holds',
  );
  saw('the agreement is printed', /all the numbers agree with the chain/);
  t.same(leftovers(id), [], 'nothing left behind');
});

t.test('Ctrl-C while the system comes up tears everything down and exits 130', async (t) => {
  const id = 'demoint';
  let sent = false;
  const r = await demo(['--id', id], (out, kill) => {
    // The chain is up and the gateway starting: a moment with something of every kind to clean.
    if (!sent && /gateway: ingest/.test(out)) {
      sent = true;
      kill('SIGINT');
    }
  });
  t.ok(sent, 'interrupted during set-up');
  t.equal(r.code, 130, `exits 130${r.code === 130 ? '' : `:\n${r.out.slice(-2000)}`}`);
  t.match(r.out, /interrupted: tearing everything down/, 'says it tears down');
  t.same(leftovers(id), [], 'no namespace or directory left');
});
