// Bundles the portal into one self-contained page: script and style inline,
// allowed by their SHA-256 in the agent's CSP (portal.meta.json), nothing
// fetched from anywhere. Output: dist/captive-portal/. Run: node captive-portal/build.mjs
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '../dist/captive-portal');
const LIMIT = 100 * 1024;

const js = await build({
  entryPoints: [join(here, 'src/app.ts')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  write: false,
  legalComments: 'none',
});
const script = js.outputFiles[0].text.replace(/<\/script/gi, '<\\/script');
const style = (await build({ entryPoints: [join(here, 'src/style.css')], bundle: true, minify: true, write: false })).outputFiles[0].text.trim();
const hash = (s) => `sha256-${createHash('sha256').update(s).digest('base64')}`;
const html = readFileSync(join(here, 'src/portal.html'), 'utf8')
  .replace('/*STYLE*/', () => style)
  .replace('/*SCRIPT*/', () => script);
const bytes = Buffer.byteLength(html);
if (bytes > LIMIT) throw new Error(`portal.html is ${bytes} bytes, over ${LIMIT}`);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'portal.html'), html);
writeFileSync(join(out, 'portal.meta.json'), JSON.stringify({ scriptHash: hash(script), styleHash: hash(style), bytes }, null, 2) + '\n');
console.log(`captive-portal: portal.html ${bytes} bytes (script ${Buffer.byteLength(script)}, style ${Buffer.byteLength(style)})`);
