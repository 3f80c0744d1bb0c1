#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { callDaemon } from '../control/client.js';
import type { ClientView, RequestInput as Request } from '../control/protocol.js';
import { formatClients, formatStatus, humanBytes, table } from './format.js';

const USAGE = `usage: qlink [--socket PATH] [--json] <command>
  status                         the daemon and the gate
  clients                        guests on the network, their state and bytes
  identity                       the router's NEO address and public key
  repair                         re-assert the kernel gate now (run by the firewall include)
  auth <mac|ip> [--plan ID] [--minutes N] [--quota-bytes N] [--down RATE] [--up RATE]
                                 let a guest through (a plan gives the defaults)
  set-rate <mac|ip> [--down RATE|none] [--up RATE|none]
                                 change a guest's rates live (RATE: 5mbit, 500kbit, ...)
  deauth <mac|ip>                end a guest's session and hold it again
  register --wif-file F [--rpc URL] [--no-plans]
                                 register this router to the key's account on chain and publish
                                 its plans, in one transaction (for scripts; the owner's page does
                                 it with a wallet: see the link in \`qlink status\`)
`;

class UsageError extends Error {}

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) throw new UsageError(`--${name} must be a whole number above 0, got ${JSON.stringify(text)}`);
  return Number(text);
}

interface Parsed {
  socket: string;
  json: boolean;
  req: Request;
  register?: { wifFile: string; rpc?: string; plans: boolean };
}

function parse(argv: string[]): Parsed {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      socket: { type: 'string' },
      json: { type: 'boolean', default: false },
      minutes: { type: 'string' },
      'quota-bytes': { type: 'string' },
      plan: { type: 'string' },
      down: { type: 'string' },
      up: { type: 'string' },
      'wif-file': { type: 'string' },
      rpc: { type: 'string' },
      'no-plans': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new UsageError('');
  const [cmd, guest, ...extra] = positionals;
  const socket = values.socket ?? process.env.QLINK_SOCKET ?? '/var/run/qlink/qlink.sock';
  const json = values.json ?? false;
  if (extra.length) throw new UsageError(`unexpected argument: ${extra[0]}`);
  const needsGuest = () => {
    if (!guest) throw new UsageError(`${cmd} needs a guest's MAC or IP address`);
    return guest;
  };
  switch (cmd) {
    case 'status':
    case 'clients':
    case 'identity':
    case 'repair':
      if (guest) throw new UsageError(`unexpected argument: ${guest}`);
      return { socket, json, req: { cmd } };
    case 'auth': {
      const req: Request = { cmd, guest: needsGuest() };
      const minutes = positiveInt('minutes', values.minutes);
      const quota = positiveInt('quota-bytes', values['quota-bytes']);
      if (minutes !== undefined) req.minutes = minutes;
      if (quota !== undefined) req.quotaBytes = quota;
      if (values.plan !== undefined) req.plan = values.plan;
      if (values.down !== undefined) req.down = values.down;
      if (values.up !== undefined) req.up = values.up;
      return { socket, json, req };
    }
    case 'set-rate': {
      if (values.down === undefined && values.up === undefined) throw new UsageError('set-rate needs --down and/or --up');
      const req: Request = { cmd, guest: needsGuest() };
      if (values.down !== undefined) req.down = values.down;
      if (values.up !== undefined) req.up = values.up;
      return { socket, json, req };
    }
    case 'deauth':
      return { socket, json, req: { cmd, guest: needsGuest() } };
    case 'register': {
      if (guest) throw new UsageError(`unexpected argument: ${guest}`);
      if (!values['wif-file']) throw new UsageError("register needs --wif-file (the owner's key)");
      // The owner is filled in from the key file before the daemon is asked.
      return {
        socket,
        json,
        req: { cmd: 'claim', owner: '0x' + '0'.repeat(40) },
        register: { wifFile: values['wif-file'], ...(values.rpc ? { rpc: values.rpc } : {}), plans: !values['no-plans'] },
      };
    }
    case undefined:
      throw new UsageError('');
    default:
      throw new UsageError(`unknown command: ${cmd}`);
  }
}

function render(req: Request, result: unknown): string {
  switch (req.cmd) {
    case 'status':
      return formatStatus(result as Record<string, unknown>);
    case 'clients':
      return formatClients(result as ClientView[]);
    case 'identity': {
      const r = result as { address: string; publicKey: string; scriptHash: string };
      return table([
        ['address', r.address],
        ['public key', r.publicKey],
        ['script hash', r.scriptHash],
      ]);
    }
    case 'auth':
    case 'set-rate':
      return formatClients([result as ClientView]);
    case 'repair':
      return 'gate re-asserted\n';
    case 'deauth': {
      const r = result as { mac: string; bytesDown: number; bytesUp: number };
      return `${r.mac} deauthorised after ${humanBytes(r.bytesDown)} down, ${humanBytes(r.bytesUp)} up\n`;
    }
    case 'claim': {
      const r = result as { txid: string; vmstate: string; exception: string | null; systemFee: string; networkFee: string; plans: number[] };
      return r.vmstate === 'HALT'
        ? `registered on chain; plans published: ${r.plans.join(', ') || 'none'} (transaction ${r.txid}, ${(Number(r.systemFee) + Number(r.networkFee)) / 1e8} GAS in fees)\n`
        : `not registered: ${r.vmstate} ${r.exception ?? ''} (transaction ${r.txid})\n`;
    }
  }
}

/** register: the daemon signs the claim for the key file's account, this sends the transaction. */
async function runRegister(parsed: Parsed & { register: NonNullable<Parsed['register']> }): Promise<unknown> {
  const { ownerFromWifFile, register, claimAnswer } = await import('./register.js');
  const owner = ownerFromWifFile(parsed.register.wifFile);
  const res = await callDaemon(parsed.socket, { cmd: 'claim', owner: owner.hash });
  if (!res.ok) throw new Error(res.error);
  const claim = claimAnswer.parse(res.result);
  const rpc = parsed.register.rpc ?? claim.rpcUrl;
  if (!rpc) throw new Error('no NEO RPC to send it through: give --rpc URL (or set portal.rpcUrl)');
  const out = await register(owner, claim, rpc, { plans: parsed.register.plans });
  if (out.vmstate !== 'HALT') process.exitCode = 1;
  return out;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (e) {
    const msg = (e as Error).message;
    process.stderr.write(msg ? `qlink: ${msg}\n${USAGE}` : USAGE);
    return 2;
  }
  try {
    if (parsed.register) {
      const out = await runRegister(parsed as Parsed & { register: NonNullable<Parsed['register']> });
      process.stdout.write(parsed.json ? JSON.stringify(out, null, 2) + '\n' : render(parsed.req, out));
      return Number(process.exitCode ?? 0);
    }
    const res = await callDaemon(parsed.socket, parsed.req);
    if (!res.ok) {
      process.stderr.write(`qlink: ${res.error}\n`);
      return 1;
    }
    process.stdout.write(parsed.json ? JSON.stringify(res.result, null, 2) + '\n' : render(parsed.req, res.result));
    return 0;
  } catch (e) {
    process.stderr.write(`qlink: ${(e as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main();
