import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readerFraming, restoreFraming, tcFraming, waitingOnStdin, writerFraming } from './framings.js';
import { ResidentProcess } from './resident.js';
import { runProcess, type CommandRunner } from './run.js';

/** Where a router's package installs the writer; checked before the build in the source tree. */
export const INSTALLED_WRITER = '/usr/libexec/qlink/qlink-writer';
/** `make -C agent/native` puts it here; this file runs from dist/agent/src/kernel/. */
export const TREE_WRITER = fileURLToPath(new URL('../../../../agent/native/build/qlink-writer', import.meta.url));

/** The commands the writer takes (agent/native/qlink-writer.c): set elements and counter objects. */
const FAMILY = '(?:inet|ip|ip6|arp|bridge|netdev)';
const WRITER_LINE = new RegExp(`^(?:(?:add|delete) (?:counter|element) ${FAMILY} \\S+ \\S+(?: \\{.*\\})?|flush set ${FAMILY} \\S+ \\S+)$`);

/** Whether every line of an nft script is one the writer applies (a rebuild with rules and tables goes to nft). */
export function writerTakes(script: string): boolean {
  const lines = script.split('\n').filter((l) => l.trim());
  return lines.length > 0 && lines.every((l) => WRITER_LINE.test(l));
}

const RESTORE = /(?:^|\/)ip6?tables(?:-legacy|-nft)?-restore$/;

export interface TransportOptions {
  /** Path of the resident nftables writer; false: none (every nft script runs `nft -f -`). */
  writer?: string | false;
  /** Keep iptables-restore resident (needs /proc/<pid>/syscall to know a change is in). */
  residentRestore?: boolean;
  /** How every command is started, e.g. inside a network namespace (tests); must exec, so the pid is the tool's. */
  wrap?: (argv: readonly string[]) => string[];
}

/**
 * Kernel commands the way the agent runs them: a gate or shaper change goes
 * to a tool that stays running (the nftables writer, `tc -batch`,
 * `iptables-restore --noflush`, the counter reader) instead of a process per
 * change; everything else starts a process. Callers still say what they
 * would run (argv and input), so a recording runner in tests sees the same
 * batches. Reads (the counter reader) and writes have processes of their
 * own, so a poll never holds up a grant.
 */
export class ResidentRunner implements CommandRunner {
  readonly #residents = new Map<string, ResidentProcess>();
  readonly #writer: string | null;
  readonly #restore: boolean;
  readonly #wrap: (argv: readonly string[]) => string[];
  readonly #spawnOnce: CommandRunner['run'];

  constructor(opts: TransportOptions = {}, spawnOnce: CommandRunner['run'] = runProcess) {
    this.#writer = opts.writer === false ? null : (opts.writer ?? [INSTALLED_WRITER, TREE_WRITER].find((p) => existsSync(p)) ?? null);
    this.#restore = opts.residentRestore ?? kernelShowsSyscalls();
    this.#wrap = opts.wrap ?? ((argv) => [...argv]);
    this.#spawnOnce = (argv, input) => spawnOnce(this.#wrap(argv), input);
  }

  /** What each kind of command goes through, for the log and `qlink status`. */
  get transport(): Record<string, string> {
    return {
      nft: this.#writer ? `resident ${this.#writer} (set elements, counters); nft -f - for rebuilds` : 'nft -f - per change',
      tc: 'resident tc -force -batch -',
      iptables: this.#restore ? 'resident iptables-restore --noflush per family' : 'iptables-restore per change',
    };
  }

  run(argv: readonly string[], input?: string): Promise<string> {
    const r = this.#route(argv, input ?? '');
    return r ? r.resident.request(r.request) : this.#spawnOnce(argv, input);
  }

  #route(argv: readonly string[], input: string): { resident: ResidentProcess; request: string } | null {
    const [cmd, ...args] = argv;
    const a = args.join(' ');
    const to = (resident: ResidentProcess, request = input) => ({ resident, request });
    if (cmd === 'nft' && a === '-f -' && this.#writer && writerTakes(input)) return to(this.#resident(this.#writer, [this.#writer], writerFraming));
    if (cmd === 'tc' && a === '-batch -') return to(this.#resident('tc', ['tc', '-force', '-batch', '-'], tcFraming));
    if (cmd && /(?:^|\/)qlink-counters$/.test(cmd) && args[0] === '--table' && args[1]) {
      // One reader per table answers all its requests: a reading, a chain's rule count, an interface's neighbours.
      const request =
        args.length === 2
          ? 'dump'
          : args.length === 3 && args[2] === '--changes'
            ? 'changes'
            : args.length === 4 && (args[2] === '--rules' || args[2] === '--neigh')
              ? `${args[2].slice(2)} ${args[3]}`
              : null;
      if (request) return to(this.#resident(`${cmd} ${args[1]}`, [cmd, '--table', args[1], '--serve'], readerFraming), request);
    }
    if (cmd && RESTORE.test(cmd) && args.includes('--noflush') && this.#restore) return to(this.#resident(argv.join(' '), argv, () => restoreFraming()));
    return null;
  }

  #resident(key: string, argv: readonly string[], framing: (argv: readonly string[]) => ReturnType<typeof writerFraming>): ResidentProcess {
    let r = this.#residents.get(key);
    if (!r) {
      r = new ResidentProcess(this.#wrap(argv), framing(argv));
      this.#residents.set(key, r);
    }
    return r;
  }

  /** Ends every resident tool (their next use starts them again). */
  close(): void {
    for (const r of this.#residents.values()) r.close();
    this.#residents.clear();
  }

  /** The pid of a resident tool, for tests that kill it mid-transaction. */
  pidOf(match: RegExp): number | undefined {
    for (const [key, r] of this.#residents) if (match.test(key)) return r.pid;
    return undefined;
  }
}

/** Whether this kernel tells a process's blocking syscall (what resident iptables-restore relies on). */
export function kernelShowsSyscalls(): boolean {
  return waitingOnStdin(process.pid) !== null;
}
