import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseChainState, type ChainState } from '../../chain/src/config.js';
import { freePorts } from './free-ports.js';

// dist/scripts/lib/chain.js and scripts/lib/chain.ts both sit two or three
// levels under the repo; find it by the script we run.
const here = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(here, here.includes('/dist/') ? '../../..' : '../..');
const SCRIPT = join(ROOT, 'scripts/chain');

export interface RunningChain {
  state: ChainState;
  dir: string;
  stop(): Promise<void>;
}

export interface ChainOptions {
  dir?: string;
  windowMs?: number;
  blockMs?: number;
  /** The fee policy profile `scripts/chain up --policy` sets (contract/README.md "Policy profiles"); default: neo-go's. */
  policy?: 'default' | 'mainnet' | 'testnet';
}

/** A private chain of its own (own data dir and free ports), for one test file. */
export async function startChain(opts: ChainOptions = {}): Promise<RunningChain> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'qlink-chain-'));
  const ownDir = opts.dir === undefined;
  const [rpcPort, p2pPort] = await freePorts(2);
  const env = {
    ...process.env,
    QLINK_CHAIN_DIR: join(dir, 'chain'),
    QLINK_CHAIN_RPC_PORT: String(rpcPort),
    QLINK_CHAIN_P2P_PORT: String(p2pPort),
    QLINK_CHAIN_WINDOW_MS: String(opts.windowMs ?? 10_000),
    QLINK_CHAIN_BLOCK_MS: String(opts.blockMs ?? 1000),
    QLINK_CHAIN_POLICY: opts.policy ?? process.env.QLINK_CHAIN_POLICY ?? 'default',
  };
  // The node runs in its own session, so it outlives a test process that
  // is killed (a tap timeout): take it down on the way out, whatever happens.
  let stopped = false;
  const downSync = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync(SCRIPT, ['down'], { env, stdio: 'ignore', timeout: 30_000 });
    } finally {
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    downSync();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  };
  process.once('exit', downSync);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const stop = async () => {
    if (stopped) return;
    await run(['down'], env);
    stopped = true;
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    process.off('exit', downSync);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  try {
    const state = parseChainState(await run(['up'], env));
    return { state, dir, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((ok, fail) => {
    execFile(SCRIPT, args, { env, maxBuffer: 1 << 20, timeout: 900_000 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`scripts/chain ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else ok(stdout);
    });
  });
}
