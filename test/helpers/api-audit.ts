import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { GATEWAY_ROUTES, gatewayOpenApi, type RouteName } from '../../protocol/src/index.js';

type Json = Record<string, any>;

/**
 * Checks every answer a test's gateway API sends (startApi's onReply)
 * against the OpenAPI document the gateway serves: the status is one the
 * operation lists (or its default), the content type is the one listed, and
 * a JSON body validates against the listed schema (ajv, JSON Schema 2020-12,
 * OpenAPI 3.1's dialect). assertClean() in the test's teardown.
 */
export class ApiAudit {
  readonly violations: string[] = [];
  /** Routes answered with a 2xx or 3xx: the OpenAPI test checks every route is among them. */
  readonly answered = new Set<RouteName>();
  checked = 0;
  readonly #doc: Json;
  readonly #ajv = new Ajv2020({ strict: false, validateFormats: false });
  readonly #compiled = new Map<object, ValidateFunction>();

  constructor(doc: Json = gatewayOpenApi()) {
    this.#doc = doc;
  }

  /** startApi's onReply. */
  readonly onReply = (route: RouteName | null, status: number, contentType: string, body: string): void => {
    this.checked++;
    const where = route ? `${GATEWAY_ROUTES[route].method} ${GATEWAY_ROUTES[route].path}` : 'no route';
    const op = route ? this.#doc.paths?.[GATEWAY_ROUTES[route].path]?.[GATEWAY_ROUTES[route].method.toLowerCase()] : null;
    // An answer before any route matched (404, 405): the document's error body, as every operation's default says.
    const responses: Json = op?.responses ?? { default: this.#doc.paths['/health'].get.responses.default };
    if (route && !op) return void this.violations.push(`${where}: not in the OpenAPI document`);
    const listed: Json | undefined = responses[String(status)] ?? responses.default;
    if (!listed) return void this.violations.push(`${where}: status ${status} is not listed`);
    if (status < 400 && route) this.answered.add(route);
    const type = contentType.split(';')[0]!.trim();
    if (!listed.content) {
      if (body.length) this.violations.push(`${where} ${status}: a body where the document lists none`);
      return;
    }
    const media: Json | undefined = listed.content[type];
    if (!media) return void this.violations.push(`${where} ${status}: content type ${type}, the document lists ${Object.keys(listed.content).join(', ')}`);
    if (type !== 'application/json') return;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return void this.violations.push(`${where} ${status}: not JSON`);
    }
    let validate = this.#compiled.get(media.schema);
    if (!validate) this.#compiled.set(media.schema, (validate = this.#ajv.compile(media.schema)));
    if (!validate(value)) {
      const why = (validate.errors ?? [])
        .slice(0, 3)
        .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
        .join('; ');
      this.violations.push(`${where} ${status}: ${why}: ${body.slice(0, 300)}`);
    }
  };

  assertClean(): void {
    if (this.violations.length)
      throw new Error(`${this.violations.length} API answer(s) the OpenAPI document refuses:\n${this.violations.slice(0, 10).join('\n')}`);
  }
}
