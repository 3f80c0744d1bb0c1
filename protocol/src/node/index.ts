/** Node-only parts of the protocol (node:crypto), for the router and the gateway. */
export * from './p256.js';
export * from './x509.js';
