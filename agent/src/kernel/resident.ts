import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CommandError } from './run.js';

/** How a resident tool frames one answer in what it writes. */
export interface Framing {
  /** What to write for one request. */
  encode(input: string, seq: number): string;
  /** The answer once `out` (stdout) or `err` (stderr) holds it whole: consumed text and the result; undefined while incomplete. */
  decode(out: string, err: string, seq: number, pid: number): { outUsed: number; errUsed: number; result: string | Error } | undefined;
  /** For a tool that prints nothing on success: decode is asked again this often while a request is in flight. */
  pollMs?: number;
}

interface Pending {
  input: string;
  seq: number;
  resolve(v: string): void;
  reject(e: Error): void;
}

/**
 * One long-lived tool process answering requests one at a time, in order.
 * It starts on first use and again after it exits; a request in flight when
 * it dies fails with a CommandError carrying its exit and stderr. Its pipes
 * hold the event loop only while a request is in flight, and it ends by
 * itself when the agent does (its stdin closes).
 */
export class ResidentProcess {
  #child: ChildProcessWithoutNullStreams | null = null;
  #out = '';
  #err = '';
  #queue: Pending[] = [];
  #busy: Pending | null = null;
  #seq = 0;
  /** Starts so far: a tool that keeps dying is the caller's cue to stop using it. */
  starts = 0;

  constructor(
    readonly argv: readonly string[],
    private readonly framing: Framing,
  ) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  request(input: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, seq: ++this.#seq, resolve, reject });
      this.#next();
    });
  }

  /** Ends the process; requests queued behind fail. */
  close(): void {
    this.#child?.stdin.end();
    this.#child = null;
  }

  #start(): ChildProcessWithoutNullStreams {
    const [cmd, ...args] = this.argv;
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.starts++;
    this.#out = '';
    this.#err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.#out += d;
      this.#check();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.#err += d;
      this.#check();
    });
    child.stdin.on('error', () => {}); // a tool that died closes its stdin; its exit tells the story
    const gone = (code: number | null, e?: Error) => {
      if (this.#child === child) this.#child = null;
      const p = this.#busy;
      this.#busy = null;
      p?.reject(e ?? new CommandError(this.argv, code, this.#err));
      this.#next();
    };
    child.on('error', (e) => gone(null, e));
    // 'close', not 'exit': by then everything it wrote has been read.
    child.on('close', (code) => gone(code));
    this.#hold(child, false);
    return child;
  }

  #hold(child: ChildProcessWithoutNullStreams, on: boolean): void {
    // The pipes are sockets underneath; their handles are what keep the event loop running.
    for (const s of [child.stdout, child.stderr, child.stdin] as unknown as Array<{ ref(): void; unref(): void }>)
      if (on) s.ref();
      else s.unref();
    if (on) child.ref();
    else child.unref();
  }

  #next(): void {
    if (this.#busy || !this.#queue.length) return;
    const p = this.#queue.shift()!;
    if (!this.#child) this.#child = this.#start();
    this.#busy = p;
    this.#hold(this.#child, true);
    const child = this.#child;
    child.stdin.write(this.framing.encode(p.input, p.seq), () => {
      this.#check();
      const every = this.framing.pollMs;
      if (every === undefined) return;
      const tick = () => {
        if (this.#busy === p) {
          this.#check();
          if (this.#busy === p && this.#child === child) setTimeout(tick, every);
        }
      };
      setTimeout(tick, every);
    });
  }

  #check(): void {
    const p = this.#busy;
    if (!p) return;
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    const got = this.framing.decode(this.#out, this.#err, p.seq, pid);
    if (!got) return;
    this.#out = this.#out.slice(got.outUsed);
    this.#err = this.#err.slice(got.errUsed);
    this.#busy = null;
    if (this.#child && !this.#queue.length) this.#hold(this.#child, false);
    if (got.result instanceof Error) p.reject(got.result);
    else p.resolve(got.result);
    this.#next();
  }
}
