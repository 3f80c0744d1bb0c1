import { readFileSync } from 'node:fs';
import { CommandError } from './run.js';
import type { Framing } from './resident.js';

/**
 * How each resident tool is told where one request ends and how its answer
 * is found: the nftables writer and the counter reader answer in lines of
 * their own; tc and iptables-restore print nothing on success, so tc is sent
 * a command that fails on purpose after each batch (its error marks the end)
 * and iptables-restore is known done once it is back waiting on its stdin.
 */

/** agent/native/qlink-writer: a blank line ends a transaction; `ok` or `error <line> <reason>`. */
export function writerFraming(argv: readonly string[]): Framing {
  return {
    encode: (input) =>
      input
        .split('\n')
        .filter((l) => l.trim())
        .join('\n') + '\n\n',
    decode(out) {
      const nl = out.indexOf('\n');
      if (nl < 0) return undefined;
      const line = out.slice(0, nl);
      if (line === 'ok') return { outUsed: nl + 1, errUsed: 0, result: '' };
      const m = /^error (\d+) (.*)$/.exec(line);
      const why = m ? `line ${m[1]}: ${m[2]}` : `unexpected answer ${JSON.stringify(line.slice(0, 200))}`;
      return { outUsed: nl + 1, errUsed: 0, result: new CommandError(argv, 1, why) };
    },
  };
}

/** `qlink-counters --serve`: one request line (`dump`, `rules <chain>`); its lines, then `. <status>[ <message>]` (status as the one-shot exit code). */
export function readerFraming(argv: readonly string[]): Framing {
  return {
    encode: (request) => `${request.trim() || 'dump'}\n`,
    decode(out) {
      const m = /(^|\n)\. (\d+)(?: ([^\n]*))?\n/.exec(out);
      if (!m) return undefined;
      const body = out.slice(0, m.index + m[1]!.length);
      const used = m.index + m[0].length;
      const code = Number(m[2]);
      return { outUsed: used, errUsed: 0, result: code === 0 ? body : new CommandError(argv, code, m[3] ?? '') };
    },
  };
}

/** `tc -force -batch -`: after the batch, a `qdisc show` of a device that cannot exist; stderr up to its error is the batch's. */
export function tcFraming(argv: readonly string[]): Framing {
  const marker = (seq: number) => `ql/sync${seq}`;
  return {
    encode: (input, seq) =>
      input
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => l + '\n')
        .join('') + `qdisc show dev ${marker(seq)}\n`,
    decode(_out, err, seq) {
      const re = new RegExp(`Cannot find device "${marker(seq).replace('/', '\\/')}"\\nCommand failed [^\\n]*\\n`);
      const m = re.exec(err);
      if (!m) return undefined;
      const before = err.slice(0, m.index).trim();
      return { outUsed: _out.length, errUsed: m.index + m[0].length, result: before ? new CommandError(argv, 1, before) : '' };
    },
  };
}

/** read(2)'s number on the architectures OpenWrt runs on: x86_64, arm64/riscv, arm/i386, mips o32/n64/n32. */
const READ_SYSCALLS = new Set(['0', '63', '3', '4003', '5000', '6000']);

/** Whether a process sleeps in read(2) on its stdin; null when the kernel does not say (no /proc/<pid>/syscall). */
export function waitingOnStdin(pid: number, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): boolean | null {
  let text: string;
  try {
    text = read(`/proc/${pid}/syscall`);
  } catch {
    return null;
  }
  const [nr, fd] = text.trim().split(' ');
  return nr !== 'running' && READ_SYSCALLS.has(nr ?? '') && fd === '0x0';
}

/**
 * `iptables-restore --noflush` on a long-lived stdin commits at each COMMIT
 * and prints nothing: a request is done when the process is back in read(2)
 * on its stdin with the whole request written (it reads lines with stdio, so
 * it only reads again once everything buffered is processed). A failure ends
 * the process ("line N failed"), which fails the request with its stderr.
 */
export function restoreFraming(): Framing {
  return {
    encode: (input) => (input.endsWith('\n') ? input : input + '\n'),
    decode: (out, err, _seq, pid) => (waitingOnStdin(pid) ? { outUsed: out.length, errUsed: err.length, result: '' } : undefined),
    pollMs: 0.2,
  };
}
