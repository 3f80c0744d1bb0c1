import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startChain } from '../scripts/lib/chain.js';

// A fresh machine has an empty Go module cache: `scripts/chain up` (and so the
// demo) must fetch what neo-go compiles the contract from, not find it left
// over from the Go tests (issue 13: the demo once stopped at "could not import
// github.com/nspcc-dev/neo-go/pkg/interop (invalid package name)").
const cache = mkdtempSync(join(tmpdir(), 'qlink-gomodcache-'));
process.env.GOMODCACHE = cache;
// Go makes its cache read-only; writable, so the test can remove it.
process.env.GOFLAGS = [process.env.GOFLAGS, '-modcacherw'].filter(Boolean).join(' ');
t.teardown(() => rmSync(cache, { recursive: true, force: true }));

t.test('the contract compiles and deploys with an empty module cache', async (t) => {
  t.same(readdirSync(cache), [], 'the cache starts empty');
  const chain = await startChain();
  t.teardown(() => chain.stop());
  t.match(chain.state.contract, /^0x[0-9a-f]{40}$/, `deployed at ${chain.state.contract}`);
  const interop = existsSync(join(cache, 'github.com', 'nspcc-dev')) ? readdirSync(join(cache, 'github.com', 'nspcc-dev')) : [];
  t.ok(
    interop.some((d) => d.startsWith('neo-go')),
    `neo-go's interop package came into the fresh cache (${interop.join(', ') || 'nothing'})`,
  );
});
