/**
 * The wire formats of qlink-agent, built once: what the router, the gateway,
 * the scripts and the guest's page send each other and sign. Browser-safe
 * (Uint8Array, no node APIs); node-only helpers are in ./node/.
 */
export * from './address.js';
export * from './batch.js';
export * from './bytes.js';
export * from './contract/events.js';
export * from './contract/records.js';
export * from './deployment.js';
export * from './guest-api.js';
export * from './hash.js';
export * from './merkle.js';
export * from './messages.js';
export * from './plan.js';
export * from './registration.js';
export * from './plan-text.js';
export * from './neo-tx.js';
export * from './round.js';
export * from './stack.js';
export * from './topics.js';
export * from './usage.js';
export * from './voucher-check.js';
export * from './wire/canonical.js';
export * from './wire/catalog.js';
export * from './wire/command.js';
export * from './wire/enroll.js';
export * from './wire/fields.js';
export * from './wire/proof.js';
export * from './wire/rpc.js';
export * from './wire/signed.js';
export * from './wire/status.js';
export * from './wire/usage.js';
export * from './wire/wallet-tx.js';
export * from './http/gateway-api.js';
export * from './http/gateway-routes.js';
export * from './http/openapi.js';
