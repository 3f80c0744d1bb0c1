import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_UID } from '../../scripts/lib/testbed/agent.js';

/** Builds the portal page once per run if it is missing (npm run build does not bundle it). */
export function ensurePortalBuilt(): void {
  if (!existsSync('dist/captive-portal/portal.html')) execFileSync('node', ['captive-portal/build.mjs'], { stdio: 'inherit' });
}

/** A throwaway self-signed P-256 certificate for a host name, the agent's to read (it runs as its own user, as the init script arranges on a router). */
export function selfSigned(host: string): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'qlink-cert-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=DNS:${host}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  for (const p of [dir, certFile, keyFile]) chownSync(p, AGENT_UID, AGENT_UID);
  return { certFile, keyFile };
}
