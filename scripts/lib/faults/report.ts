/** How the fault suite speaks: timed progress lines, and checks that a test can read back (one ✓ or ✗ at the start of a line). */

export interface Check {
  /** "1", "2", …: the order. */
  n: string;
  ok: boolean;
  title: string;
  /** One line each, printed indented under the check. */
  details: string[];
}

export const num = (n: number | bigint): string => n.toLocaleString('en-US');

/** GAS from its smallest unit (10⁻⁸), all eight decimals, so equal amounts print equal. */
export function gas(units: bigint): string {
  const neg = units < 0n;
  const a = neg ? -units : units;
  return `${neg ? '-' : ''}${a / 100_000_000n}.${(a % 100_000_000n).toString().padStart(8, '0')} GAS`;
}

export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export class Narrator {
  readonly t0 = Date.now();
  constructor(private readonly out: (line: string) => void = (l) => process.stdout.write(l + '\n')) {}

  /** Seconds since the run began. */
  get now(): number {
    return (Date.now() - this.t0) / 1000;
  }

  say(line: string): void {
    this.out(`[${this.now.toFixed(1).padStart(6)} s] ${line}`);
  }

  check(c: Check): void {
    this.out(`${c.ok ? '✓' : '✗'} (${c.n}) ${c.title}`);
    for (const d of c.details) this.out(`    ${d}`);
  }

  raw(line: string): void {
    this.out(line);
  }
}
