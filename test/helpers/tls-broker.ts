import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { initFleetCa, issueKeyPair, openFleetCa, type FleetCa } from '../../gateway/src/ca/fleet-ca.js';
import { mosquittoAcl, mosquittoTlsConf } from '../../gateway/src/broker/mosquitto.js';
import { addressOfKey } from '../../protocol/src/index.js';
import { compressedPublicKey } from '../../protocol/src/node/index.js';
import { startMosquitto, stopMosquitto } from './mosquitto.js';
import { SchemaAudit } from './schema-audit.js';

/** TLS files a client connects with. */
export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

/** The schema audit's ACL user: reads everything, writes nothing. Only test brokers have it. */
const AUDIT_USER = 'qlink-audit';

/**
 * A real mosquitto as production runs it (docs/broker/): the fleet CA, TLS
 * only, a certificate required, CN = username = client id, and the ACL. The
 * gateway's user is `gatewayUser`. Stop it in the test's teardown. Every
 * protocol message on it is checked against the published schemas, as on
 * Broker, by a read-only user of its own.
 */
export class TlsBroker {
  #proc: ChildProcess | undefined;
  ca!: FleetCa;
  gateway!: ClientTls;
  readonly audit = new SchemaAudit();
  readonly #audited: boolean;

  /** gatewayUsers: one ACL user (and client certificate) per gateway process; the first is `gateway`. */
  constructor(
    readonly dir: string,
    readonly port: number,
    readonly gatewayUsers: readonly string[] = ['qlink-gateway-1'],
    private readonly opts: { nodelay?: boolean; extra?: string; audit?: boolean } = {},
  ) {
    this.#audited = opts.audit !== false;
  }

  get gatewayUser(): string {
    return this.gatewayUsers[0]!;
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** A gateway's client key and certificate, CN = its ACL user. */
  async gatewayTls(user: string): Promise<ClientTls> {
    const r = await issueKeyPair(join(this.dir, 'ca'), join(this.dir, 'tls'), user, { cn: user });
    return { ca: this.caFile, cert: r.cert, key: r.key };
  }

  get url(): string {
    return `mqtts://127.0.0.1:${this.port}`;
  }
  get caFile(): string {
    return join(this.dir, 'ca', 'ca.crt');
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const caDir = join(this.dir, 'ca');
    await initFleetCa(caDir);
    this.ca = openFleetCa(caDir);
    const tls = join(this.dir, 'tls');
    const server = await issueKeyPair(caDir, tls, 'broker', { cn: '127.0.0.1', server: { ips: ['127.0.0.1'] } });
    this.gateway = await this.gatewayTls(this.gatewayUser);
    const auditAcl = this.#audited ? `\n# Test only: the schema audit reads every message.\nuser ${AUDIT_USER}\ntopic read qlink/#\n` : '';
    writeFileSync(join(this.dir, 'acl'), mosquittoAcl(this.gatewayUsers) + auditAcl);
    const conf = join(this.dir, 'mosquitto.conf');
    const { nodelay, extra } = this.opts;
    // Run as root: the files sit in a private temporary directory mosquitto's own user cannot enter.
    writeFileSync(
      conf,
      mosquittoTlsConf({
        host: '127.0.0.1',
        port: this.port,
        caFile: this.caFile,
        certFile: server.cert,
        keyFile: server.key,
        aclFile: join(this.dir, 'acl'),
        user: 'root',
        nodelay,
        extra,
      }),
    );
    this.#proc = await startMosquitto(conf, this.port);
    if (this.#audited) {
      const tls = await this.gatewayTls(AUDIT_USER);
      await this.audit.start(this.url, {
        ca: readFileSync(tls.ca),
        cert: readFileSync(tls.cert),
        key: readFileSync(tls.key),
        username: AUDIT_USER,
        clientId: AUDIT_USER,
      });
    }
  }

  /** A router's TLS files: a certificate from the fleet CA for its own key, and the key. */
  async routerTls(key: KeyObject, name: string): Promise<ClientTls & { address: string }> {
    const pub = compressedPublicKey(key);
    const address = addressOfKey(pub);
    const dir = join(this.dir, 'routers');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.crt`), await this.ca.issueRouter(pub, address));
    writeFileSync(join(dir, `${name}.key`), key.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    return { ca: this.caFile, cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), address };
  }

  stop(): Promise<void> {
    return stopMosquitto(this.#proc, this.audit);
  }
}
