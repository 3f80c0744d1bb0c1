import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const SHOTS = 'test-output/portal';

/** Debian's chromium as root in a container, headless, quiet: what every browser test here starts it with. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
];

/**
 * Debian's chromium, headless, inside a client's network namespace: playwright
 * starts a wrapper that execs `ip netns exec <ns> chromium`, so the browser's
 * every connection is the guest's. A fresh profile each time, removed after.
 */
export async function guestBrowser(
  ns: string,
  locale = 'en-US',
  extra: { args?: string[]; ignoreHTTPSErrors?: boolean; profile?: string } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'qlink-chromium-'));
  const wrapper = join(dir, 'chromium-in-netns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  mkdirSync(SHOTS, { recursive: true });
  // profile: a directory that outlives this browser (the same guest's browser another day keeps its localStorage).
  const context = await chromium.launchPersistentContext(extra.profile ?? join(dir, 'profile'), {
    executablePath: wrapper,
    headless: true,
    locale,
    viewport: { width: 390, height: 844 },
    ignoreHTTPSErrors: extra.ignoreHTTPSErrors ?? false,
    args: [...CHROMIUM_ARGS, ...(extra.args ?? [])],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
