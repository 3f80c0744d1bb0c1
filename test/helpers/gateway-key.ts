import { wallet } from '@cityofzion/neon-js';
import { GatewaySigner } from '../../gateway/src/identity/signer.js';

/**
 * The gateway key of tests that run without a chain wallet: a fixed test
 * key (SHA-256 of "qlink test gateway"), so stand-in gateways sign acks and
 * answers the way qlink-gateway does and routers pin it as uplink.gatewayKey.
 */
export const TEST_GATEWAY_WIF = wallet.getWIFFromPrivateKey('a0aeb1ad8ebf5c9848e1d65b87a2c3a3d2f1b1f5e2ab5e43a1d0a33c8b5b6e01');
export const testGatewaySigner = new GatewaySigner(TEST_GATEWAY_WIF);
export const TEST_GATEWAY_KEY = testGatewaySigner.publicKey;

/** An ack as the gateway publishes it on the router's ack topic. */
export const signedAck = (routerId: string, seqs: number[]): string => JSON.stringify(testGatewaySigner.seal(routerId, { v: 1, seqs }));

/**
 * The auth of a request handed straight to the gateway's dispatch, which runs
 * after the service has checked the signature (test/gateway-rpc-auth.test.ts
 * tests that part); what it holds does not matter there.
 */
export const checkedAuth = (key: string) => ({ key, nonce: '00'.repeat(16), expires: 0, sig: '00'.repeat(64) });
