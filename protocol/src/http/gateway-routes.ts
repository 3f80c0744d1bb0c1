import type { z } from 'zod';
import * as s from './gateway-api.js';
import { registerQuery, registerStatusQuery, registerStatusReply } from '../registration.js';

/**
 * Who may call an endpoint. public: anyone (the log-in itself, a router's
 * enrollment, a liveness check). viewer: the operator (the whole fleet) or a
 * logged-in owner (their own routers only). operator: the API token.
 */
export type RouteAccess = 'public' | 'viewer' | 'operator';

/** What an endpoint answers with: JSON of a schema, an HTML page, Prometheus text, or a redirect. */
export type RouteReply = z.ZodType | 'html' | 'text' | 'redirect';

export interface RouteSpec {
  method: 'GET' | 'POST';
  /** OpenAPI path template: `/anomalies/{id}/resolve`. */
  path: string;
  access: RouteAccess;
  summary: string;
  query?: z.ZodType;
  /** Path parameters, by name, as an object schema. */
  params?: z.ZodType;
  body?: z.ZodType;
  /** The body's media type; the log-in page's form posts urlencoded. */
  bodyType?: 'application/json' | 'application/x-www-form-urlencoded';
  reply: RouteReply;
  /** Present only when the gateway is configured for it (the fleet CA, owners' logins). */
  when?: string;
}

/** The HTTP API's version (OpenAPI info.version): the major changes with a change an existing client would break on. */
export const GATEWAY_API_VERSION = '1.0.0';

/** Every endpoint of the gateway's HTTP API. The server serves exactly these. */
export const GATEWAY_ROUTES = {
  page: {
    method: 'GET',
    path: '/',
    access: 'public',
    query: s.ownerPageQuery,
    reply: 'html',
    summary: "The owner's page (the operator's: the fleet, or ?owner=); the log-in page to a browser that is nobody yet.",
  },
  ownerPage: { method: 'GET', path: '/owner', access: 'public', query: s.ownerPageQuery, reply: 'html', summary: 'The same page as /.' },
  openapi: { method: 'GET', path: '/openapi.json', access: 'public', query: s.emptyQuery, reply: s.openApiReply, summary: 'This document.' },
  health: {
    method: 'GET',
    path: '/health',
    access: 'public',
    query: s.emptyQuery,
    reply: s.healthReply,
    summary: "Liveness; the operator's token also gets the stored totals.",
  },
  routers: {
    method: 'GET',
    path: '/routers',
    access: 'viewer',
    query: s.emptyQuery,
    reply: s.routersReply,
    summary: "Registered routers with their last status (an owner's own; the operator's also those that report status unregistered).",
  },
  sessions: {
    method: 'GET',
    path: '/sessions',
    access: 'viewer',
    query: s.rangeQuery,
    reply: s.sessionsReply,
    summary: 'Guest sessions as metered, newest first.',
  },
  usageDaily: {
    method: 'GET',
    path: '/usage/daily',
    access: 'viewer',
    query: s.rangeQuery,
    reply: s.usageDailyReply,
    summary: 'Usage per router per UTC day, and what it cost the guests.',
  },
  earnings: {
    method: 'GET',
    path: '/earnings',
    access: 'viewer',
    query: s.emptyQuery,
    reply: s.earningsReply,
    summary: 'Per owner: what their routers metered and what settled on chain.',
  },
  transactions: {
    method: 'GET',
    path: '/transactions',
    access: 'operator',
    query: s.txQuery,
    reply: s.transactionsReply,
    summary: 'Settlement transactions, newest first.',
  },
  anomalies: {
    method: 'GET',
    path: '/anomalies',
    access: 'viewer',
    query: s.anomalyQuery,
    reply: s.anomaliesReply,
    summary: 'Batches refused or held (gaps, forks, bad signatures), most recently seen first.',
  },
  resolveAnomaly: {
    method: 'POST',
    path: '/anomalies/{id}/resolve',
    access: 'operator',
    query: s.emptyQuery,
    params: s.anomalyParams,
    reply: s.okReply,
    summary: 'Marks an anomaly resolved.',
  },
  proof: {
    method: 'GET',
    path: '/api/proof',
    access: 'public',
    query: s.proofQuery,
    reply: s.proofReply,
    summary: "A stored batch's inclusion proof in its anchored settlement round: check it against the chain with standard RPC (qlink-gateway verify).",
  },
  register: {
    method: 'GET',
    path: '/register',
    access: 'public',
    query: registerQuery,
    reply: 'html',
    summary:
      "A router's registration link (shown by the router on its owner LAN side and in `qlink status`): the owner connects their wallet and signs the router's registration and their plans in one transaction.",
  },
  registerStatus: {
    method: 'GET',
    path: '/register/status',
    access: 'public',
    query: registerStatusQuery,
    reply: registerStatusReply,
    summary: "A router's record on chain and its owner's plans on offer (public on chain): what the registration page follows.",
  },
  ownerPlans: {
    method: 'GET',
    path: '/owners/{owner}/plans',
    access: 'public',
    query: s.emptyQuery,
    params: s.ownerParams,
    reply: s.ownerPlansReply,
    summary: "An owner's plans as the chain has them now: every plan id they published at its current version, with its terms decoded.",
  },
  metrics: {
    method: 'GET',
    path: '/metrics',
    access: 'operator',
    query: s.emptyQuery,
    reply: 'text',
    summary: 'Prometheus metrics (also on api.metricsPort without a token).',
  },
  enroll: {
    method: 'POST',
    path: '/enroll',
    access: 'public',
    body: s.enrollBodySchema,
    bodyType: 'application/json',
    reply: s.enrollReply,
    when: 'the gateway holds the fleet CA (ca.dir)',
    summary: 'A router registered on chain gets its broker certificate, signed by its own key over (deployment, key, time).',
  },
  loginChallenge: {
    method: 'GET',
    path: '/login/challenge',
    access: 'public',
    query: s.challengeQuery,
    reply: s.challengeReply,
    when: "owners' logins are on",
    summary: "The text an owner's wallet signs to log in (valid 5 minutes).",
  },
  loginPage: {
    method: 'GET',
    path: '/login',
    access: 'public',
    query: s.emptyQuery,
    reply: 'html',
    when: "owners' logins are on",
    summary: 'The log-in page.',
  },
  login: {
    method: 'POST',
    path: '/login',
    access: 'public',
    body: s.loginBodySchema,
    bodyType: 'application/json',
    reply: s.loginReply,
    when: "owners' logins are on",
    summary: 'The signed challenge becomes a session of that owner (a token and a cookie, 12 hours).',
  },
  loginToken: {
    method: 'POST',
    path: '/login/token',
    access: 'public',
    body: s.loginTokenBody,
    bodyType: 'application/x-www-form-urlencoded',
    reply: 'redirect',
    when: "owners' logins are on",
    summary: "The log-in page's form: a token from `qlink-gateway owner-login` becomes the session cookie.",
  },
} as const satisfies Record<string, RouteSpec>;

export type GatewayRoutes = typeof GATEWAY_ROUTES;
export type RouteName = keyof GatewayRoutes;

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
/** What a handler of route K receives, parsed by the route's schemas. */
export interface RouteInput<K extends RouteName> {
  query: Parsed<GatewayRoutes[K] extends { query: infer Q } ? Q : undefined>;
  params: Parsed<GatewayRoutes[K] extends { params: infer P } ? P : undefined>;
  body: Parsed<GatewayRoutes[K] extends { body: infer B } ? B : undefined>;
}
/** The JSON a handler of route K answers with (as sent: before defaults). */
export type RouteJson<K extends RouteName> = GatewayRoutes[K]['reply'] extends z.ZodType ? z.input<GatewayRoutes[K]['reply']> : never;
