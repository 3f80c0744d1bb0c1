// Bundles the registration page's script (gateway/page/register.ts) into
// dist/gateway-page/register.js with its SHA-256, which the gateway's CSP
// allows; nothing else runs on the page. Run: node gateway/page/build.mjs
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '../../dist/gateway-page');
const js = await build({
  entryPoints: [join(here, 'register.ts')], bundle: true, minify: true, format: 'iife', target: 'es2020', write: false, legalComments: 'none',
});
const script = js.outputFiles[0].text.replace(/<\/script/gi, '<\\/script');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'register.js'), script);
writeFileSync(join(out, 'register.meta.json'), JSON.stringify({ scriptHash: `sha256-${createHash('sha256').update(script).digest('base64')}`, bytes: Buffer.byteLength(script) }, null, 2) + '\n');
console.log(`gateway-page: register.js ${Buffer.byteLength(script)} bytes`);
