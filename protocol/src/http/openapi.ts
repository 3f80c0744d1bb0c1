import { z } from 'zod';
import { errorReply } from './gateway-api.js';
import { GATEWAY_API_VERSION, GATEWAY_ROUTES, type RouteSpec } from './gateway-routes.js';

/**
 * The OpenAPI 3.1 document of the gateway's HTTP API, written from the route
 * table and the zod schemas the server parses with (gateway-routes.ts), so it
 * cannot say what the server does not do. Served at /openapi.json.
 */

type Json = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), as a client writes or reads it. */
function jsonSchema(s: z.ZodType): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

/** An object schema's fields as OpenAPI parameters (query strings or path segments). */
function parameters(s: z.ZodType | undefined, where: 'query' | 'path'): Json[] {
  if (!s) return [];
  const js = jsonSchema(s) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: where, required: where === 'path' || (js.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

const errorContent = { 'application/json': { schema: jsonSchema(errorReply) } };

const FAILURES = 'Refused or failed: 400 bad input, 401 not logged in, 403 not allowed, 404, 405, 413 body too large, 415, 429, 5xx.';

function responses(r: RouteSpec): Json {
  const html = { 'text/html': { schema: { type: 'string' } } };
  // The pages' endpoints answer a refusal with a page that says why; the rest with a JSON error.
  const failure = { default: { description: FAILURES, content: r.reply === 'html' || r.reply === 'redirect' ? html : errorContent } };
  if (r.reply === 'html') {
    return {
      200: { description: 'The page.', content: html },
      ...(r.access === 'public' && r.path !== '/login' ? { 401: { description: 'The log-in page, to a browser that is nobody yet.', content: html } } : {}),
      ...failure,
    };
  }
  if (r.reply === 'text')
    return { 200: { description: 'Prometheus text format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } }, ...failure };
  if (r.reply === 'redirect') {
    return {
      303: {
        description: 'Logged in: the session cookie is set; on to ./owner.',
        headers: { location: { schema: { type: 'string' } }, 'set-cookie': { schema: { type: 'string' } } },
      },
      403: { description: 'Not a valid session of this gateway: the log-in page again, saying so.', content: html },
      ...failure,
    };
  }
  return { 200: { description: 'OK.', content: { 'application/json': { schema: jsonSchema(r.reply) } } }, ...failure };
}

const SECURITY: Record<RouteSpec['access'], Json[]> = {
  public: [],
  viewer: [{ bearer: [] }, { session: [] }],
  operator: [{ bearer: [] }],
};

export function gatewayOpenApi(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const [name, r] of Object.entries(GATEWAY_ROUTES) as Array<[string, RouteSpec]>) {
    const op: Json = {
      operationId: name,
      summary: r.summary,
      ...(r.when ? { description: `Served only when ${r.when}; otherwise 404.` } : {}),
      security: SECURITY[r.access],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body ? { requestBody: { required: true, content: { [r.bodyType ?? 'application/json']: { schema: jsonSchema(r.body) } } } } : {}),
      responses: responses(r),
    };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'qlink-gateway',
      version: GATEWAY_API_VERSION,
      description:
        "A qlink gateway's HTTP API: its fleet's routers, usage, earnings and settlement, owners' log-in, routers' enrollment. " +
        'Owners see their own routers only. The routers speak MQTT, not this API (docs/protocol/).',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: "The operator's API token (api.token), or an owner's session token from POST /login." },
        session: { type: 'apiKey', in: 'cookie', name: 'qlink_session', description: "An owner's session, as POST /login and /login/token set it." },
      },
    },
    paths,
  };
}
