import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { PROTOCOL_VERSION, schemaFile, WIRE_MESSAGES } from '../../protocol/src/index.js';
import { REPO_ROOT } from '../../scripts/lib/testbed/paths.js';

/** Says which messages a test sent as garbage on purpose (an attack, a fuzz); they are not checked. */
export type AuditAllow = (topic: string, payload: Buffer) => boolean;

/**
 * Listens to every protocol message on a test's broker and checks it against
 * the published JSON Schemas (docs/protocol/*.schema.json, not the zod
 * schemas they are written from): what a third-party router or gateway built
 * from those files would accept is what ours really send. A test broker
 * starts one and its stop() throws on the first message no schema allows.
 */
export class SchemaAudit {
  readonly violations: string[] = [];
  checked = 0;
  #allow: AuditAllow[] = [];
  #garbage = new Set<string>();
  #client: MqttClient | undefined;

  /** Messages `allow` says yes to are a test's deliberate garbage and are not checked. */
  allow(allow: AuditAllow): void {
    this.#allow.push(allow);
  }

  /** Names one payload a test is about to send as garbage on purpose; returns it, to publish. */
  garbage<P extends string | Buffer>(payload: P): P {
    this.#garbage.add(Buffer.from(payload).toString('base64'));
    return payload;
  }

  async start(url: string, opts: IClientOptions = {}): Promise<void> {
    const byTopic = publishedValidators();
    const c = await mqtt.connectAsync(url, { clientId: `qlink-audit-${process.pid}-${Date.now()}`, reconnectPeriod: 500, ...opts });
    this.#client = c;
    c.on('message', (topic, payload) => this.#check(byTopic, topic, payload));
    await c.subscribeAsync(`qlink/v${PROTOCOL_VERSION}/#`, { qos: 1 });
  }

  #check(byTopic: Map<string, ValidateFunction>, topic: string, payload: Buffer): void {
    if (payload.length === 0) return; // a retained message cleared
    if (this.#garbage.has(payload.toString('base64')) || this.#allow.some((a) => a(topic, payload))) return;
    const parts = topic.split('/');
    const suffix = parts.slice(3).join('/');
    const validate = byTopic.get(suffix);
    if (!validate) return void this.violations.push(`${topic}: no published schema for this topic`);
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return void this.violations.push(`${topic}: not JSON: ${payload.subarray(0, 80).toString('utf8')}`);
    }
    this.checked++;
    if (!validate(json)) {
      const why = (validate.errors ?? [])
        .slice(0, 3)
        .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
        .join('; ');
      this.violations.push(`${topic}: ${why}: ${payload.subarray(0, 200).toString('utf8')}`);
    }
  }

  /** Stops listening; throws naming every message no published schema allows. */
  async stop(): Promise<void> {
    await this.#client?.endAsync(true).catch(() => undefined);
    this.#client = undefined;
    if (this.violations.length) {
      throw new Error(
        `${this.violations.length} protocol message(s) the published schemas refuse (docs/protocol):\n${this.violations.slice(0, 10).join('\n')}`,
      );
    }
  }
}

let cached: Map<string, ValidateFunction> | undefined;

/** topic suffix (usage, rpc/result, …) → validator compiled from the committed schema file. */
function publishedValidators(): Map<string, ValidateFunction> {
  if (cached) return cached;
  const dir = join(REPO_ROOT, 'docs/protocol');
  const ajv = new Ajv2020({ allErrors: false, strict: false, validateFormats: false });
  const files = new Set(readdirSync(dir));
  const out = new Map<string, ValidateFunction>();
  for (const m of WIRE_MESSAGES) {
    const file = schemaFile(m);
    if (!files.has(file)) throw new Error(`docs/protocol/${file} is missing: npm run protocol-docs`);
    out.set(m.topic, ajv.compile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as object));
  }
  cached = out;
  return out;
}
