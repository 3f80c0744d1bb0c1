/**
 * What the demo prints: timestamped lines in plain words, headings, and one
 * progress line for the long waits, redrawn in place on a terminal and
 * printed as a plain line now and then when the output is a file or a pipe.
 */
const PLAIN_EVERY_MS = 15_000;

interface Progress {
  label: string;
  since: number;
  status: string;
  printedAt: number;
}

export class Narrator {
  readonly #tty: boolean;
  #progress: Progress | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.#tty = out.isTTY === true;
  }

  /** A heading for the next part of the day. */
  heading(title: string): void {
    this.#write(this.#tty ? `\n\x1b[1m== ${title}\x1b[0m` : `\n== ${title}`);
  }

  /** One thing that happened, with the time it happened. */
  say(line: string): void {
    this.#write(`[${clock()}] ${line}`);
  }

  /** Lines printed as they are (tables, command output), indented. */
  block(text: string): void {
    for (const l of text.replace(/\n+$/, '').split('\n')) this.#write(`    ${l}`);
  }

  /** Shows "label… N s" until the next call (null: no progress line). */
  progress(label: string | null): void {
    this.#clear();
    clearInterval(this.#timer);
    this.#progress = label === null ? null : { label, since: Date.now(), status: '', printedAt: Date.now() };
    if (!label) return;
    this.#timer = setInterval(() => this.#draw(), this.#tty ? 250 : 1000);
    this.#timer.unref();
    this.#draw();
  }

  /**
   * Calls probe every everyMs until it returns a value, with a progress line
   * saying what is awaited, for how long so far, and what probe last reported.
   */
  async until<T>(label: string, timeoutMs: number, probe: (status: (s: string) => void) => Promise<T | undefined>, everyMs = 1000): Promise<T> {
    const since = Date.now();
    if (!this.#tty) this.say(`${label}…`);
    this.progress(label);
    const setStatus = (s: string) => {
      if (this.#progress) this.#progress.status = s;
    };
    try {
      for (;;) {
        const v = await probe(setStatus);
        if (v !== undefined) {
          this.progress(null);
          this.say(`${label}: done in ${Math.round((Date.now() - since) / 1000)} s`);
          return v;
        }
        if (Date.now() - since > timeoutMs) throw new Error(`gave up ${label} after ${Math.round(timeoutMs / 1000)} s`);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    } finally {
      this.progress(null);
    }
  }

  #line(p: Progress): string {
    return `${p.label}… ${Math.floor((Date.now() - p.since) / 1000)} s${p.status ? ` (${p.status})` : ''}`;
  }

  #draw(): void {
    const p = this.#progress;
    if (!p) return;
    if (this.#tty) {
      this.out.write(`\r\x1b[2K${this.#line(p).slice(0, (this.out.columns || 100) - 1)}`);
    } else if (Date.now() - p.printedAt >= PLAIN_EVERY_MS) {
      p.printedAt = Date.now();
      this.out.write(`[${clock()}] ${this.#line(p)}\n`);
    }
  }

  #clear(): void {
    if (this.#tty && this.#progress) this.out.write('\r\x1b[2K');
  }

  #write(line: string): void {
    this.#clear();
    this.out.write(line + '\n');
    if (this.#tty) this.#draw();
  }
}

const clock = (): string => new Date().toTimeString().slice(0, 8);
