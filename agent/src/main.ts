#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from './config.js';
import { startAgent } from './daemon.js';
import { NftablesGate } from './gate/nftables.js';
import { systemRunner } from './kernel/run.js';
import { createLogger } from './log.js';

const { values } = parseArgs({ options: { config: { type: 'string', default: '/etc/qlink/agent.json' } } });

let config;
try {
  config = loadConfigFile(values.config!);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`qlink-agent: ${e.message}\n`);
  process.exit(2);
}
const log = createLogger(config.logLevel);
const agent = await startAgent(config, new NftablesGate(systemRunner), log);

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log.info({ sig }, 'stopping; kernel gate and counters stay in place');
    void agent.stop().finally(() => process.exit(0));
  });
}
