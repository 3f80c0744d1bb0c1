#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, type AgentConfig } from './config/schema.js';
import { loadUciFile } from './config/uci-map.js';
import { startAgent } from './daemon.js';
import { chooseBackend, systemProbes } from './gate/choose-backend.js';
import { IptablesGate } from './gate/iptables.js';
import { NftablesGate } from './gate/nftables.js';
import { systemRunner } from './kernel/system.js';
import { createLogger } from './log.js';

const ROUTER_UCI = '/etc/config/qlink';

const { values } = parseArgs({ options: { config: { type: 'string' }, uci: { type: 'string' } } });
if (values.config && values.uci) {
  process.stderr.write('qlink-agent: give --config (JSON) or --uci (UCI), not both\n');
  process.exit(2);
}
// On a router the UCI file is the config; elsewhere a JSON file is.
const load: () => AgentConfig =
  values.uci || (!values.config && existsSync(ROUTER_UCI))
    ? () => loadUciFile(values.uci ?? ROUTER_UCI)
    : () => loadConfigFile(values.config ?? '/etc/qlink/agent.json');

let config;
try {
  config = load();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`qlink-agent: ${e.message}\n`);
  process.exit(2);
}
const log = createLogger(config.logLevel);
const choice = await chooseBackend(config.backend, systemProbes(systemRunner));
const gate = choice.kind === 'nftables' ? new NftablesGate(systemRunner, config.nativeCounters) : new IptablesGate(systemRunner, choice.variant);
log.info({ backend: choice.kind, counters: gate instanceof NftablesGate ? gate.countersReason : 'iptables-save -c' }, `gate backend: ${choice.reason}`);
// A remote reload-config (signed by the owner, issue 4) does what SIGHUP does and answers with the plan; a bad file is refused.
const reloadConfig = async () => {
  const plan = await agent.reload(load());
  return { applied: plan.live, needsRestart: plan.restart };
};
const agent = await startAgent(config, gate, log, { reloadConfig });

// procd sends SIGHUP when /etc/config/qlink changes (reload_signal): a bad file is reported and the running config kept.
let reloading = Promise.resolve();
process.on('SIGHUP', () => {
  reloading = reloading
    .then(async () => {
      let next: AgentConfig;
      try {
        next = load();
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        log.error({ err: e.message }, 'reload refused; keeping the running config');
        return;
      }
      const plan = await agent.reload(next);
      log.info(
        { applied: plan.live, needsRestart: plan.restart },
        plan.restart.length ? 'config reloaded; some changes wait for a restart' : 'config reloaded',
      );
    })
    .catch((e) => log.error({ err: (e as Error).message }, 'reload failed'));
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log.info({ sig }, 'stopping; kernel gate and counters stay in place');
    void agent.stop().finally(() => process.exit(0));
  });
}
