import type { RpcErrorCode } from '../../../protocol/src/index.js';

/** A refusal with the code the router is told (docs/channel-rpc.md); anything else thrown is an internal error. */
export class RpcError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}
