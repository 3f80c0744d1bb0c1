import { readFileSync } from 'node:fs';
import t from 'tap';
import { join } from 'node:path';
import * as tb from '../scripts/lib/testbed/index.js';
import { AGENT_CAPS, AGENT_UID, agentPaths, agentPrivilegeArgv, giveToAgent, writeAgentConfig } from '../scripts/lib/testbed/agent.js';
import { qlink, sh, useTestbed } from './helpers/testbed.js';

// The agent as the router runs it (openwrt/qlink-agent/files/qlink.init and
// qlink.capabilities; the testbed starts it with the same uid, capabilities and
// no_new_privs through setpriv): not root, and no capability beyond the
// measured set, in every set the kernel keeps.
const ID = 'priv';
const CAP_BITS: Record<string, number> = { net_admin: 12, net_raw: 13, net_bind_service: 10, dac_override: 1, sys_admin: 21 };

function status(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i), l.slice(i + 1).trim()];
      }),
  );
}
const mask = (caps: string[]) => caps.reduce((m, c) => m | (1n << BigInt(CAP_BITS[c]!)), 0n);

const asRoot = process.env.QLINK_TESTBED_AGENT_USER === 'root';
t.test('the agent runs as its own user with only CAP_NET_ADMIN', { skip: asRoot && 'QLINK_TESTBED_AGENT_USER=root: measuring as root' }, async (t) => {
  const bed = await useTestbed(t, ID, { clients: 1, agent: true });
  const pid = bed.agent!.pid!;
  const st = status(pid);
  t.same(st.Uid!.split(/\s+/).map(Number), [AGENT_UID, AGENT_UID, AGENT_UID, AGENT_UID], 'real, effective, saved and filesystem uid');
  t.same(st.Gid!.split(/\s+/).map(Number), [AGENT_UID, AGENT_UID, AGENT_UID, AGENT_UID], 'and gid');
  t.equal(st.Groups, '', 'no supplementary groups');
  const want = mask(AGENT_CAPS);
  t.equal(want, 1n << 12n, 'the measured set is CAP_NET_ADMIN alone');
  for (const set of ['CapEff', 'CapPrm', 'CapInh', 'CapAmb', 'CapBnd']) {
    t.equal(BigInt(`0x${st[set]}`), want, `${set} = ${st[set]}`);
  }
  t.equal(st.NoNewPrivs, '1', 'no_new_privs');

  // Its children inherit exactly that (ambient): the gate's nft and the counter reader work.
  const c1 = bed.clients[0]!;
  const auth = await qlink(ID, ['auth', c1.ip4, '--json']);
  t.equal(auth.code, 0, `qlink auth: the gate (nft, run by the agent) lets the guest through: ${auth.stderr}`);
  const http = await sh(ID, 'c1', `curl -sS -g -m 5 http://${bed.upstream.ip4}/x`);
  t.match(http.stdout, /upstream ok/, 'the authorised guest reaches the upstream');
  const st2 = await qlink(ID, ['status', '--json']);
  t.equal(st2.code, 0, st2.stderr);
  t.notMatch(st2.stdout, /Operation not permitted|EPERM|EACCES/, 'no permission errors in the status');
  const log = readFileSync(bed.agent!.log, 'utf8');
  t.notMatch(log, /Operation not permitted|EACCES|EPERM/, "nor in the agent's log");
});

// The other half of "measured": with one capability less (none), the same
// agent cannot build its gate and says why.
t.test('without CAP_NET_ADMIN the agent cannot build its gate', { skip: asRoot && 'QLINK_TESTBED_AGENT_USER=root: measuring as root' }, async (t) => {
  const bed = await useTestbed(t, `${ID}0`, { clients: 0, agent: false });
  const p = agentPaths(bed.stateDir);
  writeAgentConfig(bed.stateDir, {});
  giveToAgent(bed.stateDir, p.dataDir);
  const main = join(new URL('../..', import.meta.url).pathname, 'dist/agent/src/main.js');
  const r = await tb.exec(`${ID}0`, 'router', [...agentPrivilegeArgv([]), 'node', main, '--config', p.config], {
    timeoutMs: 30_000,
    env: { NODE_OPTIONS: '' },
  });
  t.not(r.code, 0, 'it exits');
  // nft is refused, so the agent's backend choice falls to iptables, which is refused too.
  t.match(r.stdout + r.stderr, /Permission denied|Operation not permitted/, `because the kernel refuses its tools: ${(r.stdout + r.stderr).slice(-400)}`);
  t.equal((await sh(`${ID}0`, 'router', 'nft list tables')).stdout.match(/\bqlink\b/g), null, 'and nothing of its gate is in the kernel');
});
