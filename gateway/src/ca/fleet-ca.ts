import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publicKeyFromHex } from '../../../protocol/src/node/index.js';

const run = promisify(execFile);

/**
 * The fleet's certificate authority: it certifies each router's own NEO key
 * (P-256) for the broker, the broker's server key and the gateways' client
 * keys. mosquitto then knows a router by its certificate's CN, which is the
 * router's address (use_identity_as_username), and its ACL lets each router
 * write only its own topics (docs/broker/). The work is done by the openssl
 * command (3.0+: `x509 -new -force_pubkey`), which every server that runs a
 * gateway has; node:crypto reads certificates but does not make them.
 */
export interface FleetCa {
  dir: string;
  caPem: string;
  /** A client certificate for a router's compressed public key, CN = its address, valid `days`. */
  issueRouter(publicKeyHex: string, address: string, days?: number): Promise<string>;
}

const CA_KEY = 'ca.key';
const CA_CERT = 'ca.crt';

async function openssl(args: string[], cwd?: string): Promise<string> {
  try {
    return (await run('openssl', args, { cwd, maxBuffer: 1 << 20 })).stdout;
  } catch (e) {
    throw new Error(`openssl ${args[0]} failed: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n').slice(-2).join(' ')}`);
  }
}

/** Makes the CA in `dir` (ca.key, 0600, and ca.crt) unless it is there; valid ten years. */
export async function initFleetCa(dir: string, name = 'qlink fleet CA'): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(join(dir, CA_KEY)) && existsSync(join(dir, CA_CERT))) return;
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, CA_KEY)]);
  chmodSync(join(dir, CA_KEY), 0o600);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    join(dir, CA_KEY),
    '-subj',
    `/CN=${name}`,
    '-days',
    '3650',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    join(dir, CA_CERT),
  ]);
}

/** Signs a certificate for `publicKeyPem` with the CA; the key's owner needs no CSR (the caller proved possession another way). */
async function issue(dir: string, publicKeyPem: string, subject: string, ext: string, days: number): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'qlink-ca-'));
  try {
    writeFileSync(join(work, 'pub.pem'), publicKeyPem);
    writeFileSync(join(work, 'ext.cnf'), ext);
    const serial = '0x' + randomBytes(16).toString('hex');
    await openssl(
      [
        'x509',
        '-new',
        '-force_pubkey',
        'pub.pem',
        '-subj',
        subject,
        '-CA',
        join(dir, CA_CERT),
        '-CAkey',
        join(dir, CA_KEY),
        '-set_serial',
        serial,
        '-days',
        String(days),
        '-sha256',
        '-extfile',
        'ext.cnf',
        '-out',
        'cert.pem',
      ],
      work,
    );
    return readFileSync(join(work, 'cert.pem'), 'utf8');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function openFleetCa(dir: string): FleetCa {
  const caPem = readFileSync(join(dir, CA_CERT), 'utf8');
  if (!existsSync(join(dir, CA_KEY))) throw new Error(`no CA key in ${dir}: run qlink-gateway ca init --dir ${dir}`);
  return {
    dir,
    caPem,
    issueRouter: (publicKeyHex, address, days = 365) => {
      const pem = publicKeyFromHex(publicKeyHex).export({ type: 'spki', format: 'pem' }) as string;
      return issue(dir, pem, `/CN=${address}`, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n', days);
    },
  };
}

/** A key and certificate for a server (the broker) or a gateway's client, written to `out` as <name>.key (0600) and <name>.crt. */
export async function issueKeyPair(
  dir: string,
  out: string,
  name: string,
  o: { cn: string; server?: { dns?: string[]; ips?: string[] }; days?: number },
): Promise<{ key: string; cert: string }> {
  mkdirSync(out, { recursive: true });
  const key = join(out, `${name}.key`);
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  chmodSync(key, 0o600);
  const pub = await openssl(['ec', '-in', key, '-pubout']);
  const san = o.server ? [...(o.server.dns ?? []).map((d) => `DNS:${d}`), ...(o.server.ips ?? []).map((i) => `IP:${i}`)] : [];
  const ext =
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${o.server ? 'serverAuth' : 'clientAuth'}`,
      ...(san.length ? [`subjectAltName=${san.join(',')}`] : []),
    ].join('\n') + '\n';
  const certPem = await issue(dir, pub, `/CN=${o.cn}`, ext, o.days ?? 825);
  writeFileSync(join(out, `${name}.crt`), certPem);
  return { key, cert: join(out, `${name}.crt`) };
}
