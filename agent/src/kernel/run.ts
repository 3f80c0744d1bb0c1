import { spawn } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (${code ?? 'signal'}): ${stderr.trim().split('\n').slice(0, 4).join(' | ')}`);
  }
}

/**
 * Runs one process, feeding `input` on stdin; resolves with stdout.
 * The one place the agent starts kernel tools, so batching can be seen and tested.
 */
export function runProcess(argv: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (!cmd) return reject(new Error('empty command'));
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new CommandError(argv, code, Buffer.concat(err).toString('utf8')));
    });
    child.stdin.on('error', () => {}); // a tool that exits early closes stdin; its exit code tells the story
    child.stdin.end(input ?? '');
  });
}

/** Runs commands for a backend; a recording runner replaces it in tests. */
export interface CommandRunner {
  run(argv: readonly string[], input?: string): Promise<string>;
}

/** A process per command, nothing kept running (the agent itself uses kernel/system.ts). */
export const processRunner: CommandRunner = { run: runProcess };
