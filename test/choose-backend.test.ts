import t from 'tap';
import { chooseBackend, type BackendProbes } from '../agent/src/gate/choose-backend.js';

function probes(o: { bins?: string[]; nftWorks?: boolean; version?: string | null; override?: string }): BackendProbes {
  const bins = new Set(o.bins ?? []);
  return {
    has: (cmd) => bins.has(cmd),
    nftUsable: async () => o.nftWorks ?? false,
    iptablesVersion: async () => o.version ?? null,
    variantOverride: o.override,
  };
}

const debian = ['nft', 'iptables', 'iptables-nft-restore', 'iptables-legacy-restore'];

t.test('the config decides first', async (t) => {
  t.same(await chooseBackend('nftables', probes({})), { kind: 'nftables', reason: 'config: backend nftables' });
  const ipt = await chooseBackend('iptables', probes({ bins: debian, nftWorks: true, version: 'iptables v1.8.9 (nf_tables)' }));
  t.same(ipt, { kind: 'iptables', variant: 'nft', reason: 'config: backend iptables; iptables is iptables-nft (iptables v1.8.9 (nf_tables))' });
});

t.test('auto: nftables where nft is installed and works', async (t) => {
  t.same(await chooseBackend('auto', probes({ bins: debian, nftWorks: true })), { kind: 'nftables', reason: 'auto: nft is installed and nf_tables works' });
});

t.test('auto: iptables, in the variant in use, when nft is missing or broken', async (t) => {
  const legacy = await chooseBackend('auto', probes({ bins: ['iptables', 'iptables-legacy-restore'], version: 'iptables v1.8.7 (legacy)' }));
  t.same(legacy, { kind: 'iptables', variant: 'legacy', reason: 'auto: nft is not installed; iptables is iptables-legacy (iptables v1.8.7 (legacy))' });
  const broken = await chooseBackend('auto', probes({ bins: debian, nftWorks: false, version: 'iptables v1.8.9 (nf_tables)' }));
  t.equal(broken.kind, 'iptables');
  t.match(broken.reason, /^auto: nft is installed but nf_tables does not work; iptables is iptables-nft/);
  // OpenWrt 21.02: plain binaries only, no suffix.
  const openwrt = await chooseBackend('auto', probes({ bins: ['iptables'], version: 'iptables v1.8.7 (legacy)' }));
  t.same(openwrt, { kind: 'iptables', variant: 'plain', reason: 'auto: nft is not installed; iptables in use (iptables v1.8.7 (legacy))' });
  t.same(await chooseBackend('auto', probes({})), { kind: 'iptables', variant: 'plain', reason: 'auto: nft is not installed; iptables (version unknown)' });
});

t.test('QLINK_IPTABLES picks the binaries where both are installed; a bad value is an error', async (t) => {
  const c = await chooseBackend('iptables', probes({ bins: debian, version: 'iptables v1.8.9 (nf_tables)', override: 'legacy' }));
  t.same(c, { kind: 'iptables', variant: 'legacy', reason: 'config: backend iptables; QLINK_IPTABLES=legacy' });
  await t.rejects(chooseBackend('iptables', probes({ bins: debian, override: 'old' })), /QLINK_IPTABLES must be legacy or nft/);
  await t.rejects(chooseBackend('iptables', probes({ bins: ['iptables'], override: 'nft' })), /iptables-nft-restore is not installed/);
  t.equal((await chooseBackend('nftables', probes({ override: 'bogus' }))).kind, 'nftables', 'the override only matters for iptables');
});
