import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';

// The whole-system fault suite (scripts/faults) as one network test: each
// check it prints (a line starting with ✓ or ✗) becomes an assertion here,
// and its exit code another. Its own testbed id, under the run's
// QLINK_TESTBED_PREFIX, keeps it apart from the other network tests.
const ROOT = join(import.meta.dirname, '..', '..');

t.test('scripts/faults: every check holds through the faults', async (t) => {
  const child = spawn(join(ROOT, 'scripts', 'faults'), ['--id', 'faults'], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Timed out or interrupted: SIGTERM lets the suite take its testbed and chain down.
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  t.comment(out.trimEnd());
  const checks = [...out.matchAll(/^([✓✗]) \((\d)\) (.*)$/gm)];
  t.same(
    checks.map((m) => m[2]),
    ['1', '2', '3', '4'],
    'the four checks were printed',
  );
  for (const [, mark, n, title] of checks) t.equal(mark, '✓', `(${n}) ${title}`);
  t.equal(code, 0, 'scripts/faults exits 0');
});
