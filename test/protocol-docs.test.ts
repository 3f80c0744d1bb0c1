import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { protocolDocs } from '../scripts/lib/protocol-docs.js';
import { REPO_ROOT } from '../scripts/lib/testbed/paths.js';

t.test('docs/protocol is what the code says (npm run protocol-docs writes it)', async (t) => {
  for (const [name, text] of protocolDocs()) {
    let committed = '';
    try {
      committed = readFileSync(join(REPO_ROOT, 'docs/protocol', name), 'utf8');
    } catch {
      /* missing */
    }
    t.ok(committed === text, `docs/protocol/${name} is current`);
  }
});
