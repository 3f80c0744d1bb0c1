import type { ServerResponse } from 'node:http';
import { sendJson } from './http.js';
import type { GuestState } from '../../../protocol/src/index.js';

/**
 * RFC 8908 Captive Portal API. A client that found the URI in DHCP option
 * 114 (or the RA/DHCPv6 option) asks here whether it is captive and how long
 * it has left; it trusts the answer only over HTTPS, so this is served on
 * TLS connections only.
 */
export function answerCaptiveApi(res: ServerResponse, state: GuestState | null, portalUrl: string): void {
  const body: Record<string, unknown> = { captive: !state?.online, 'user-portal-url': portalUrl };
  if (state?.online) {
    if (state.secondsLeft !== null) body['seconds-remaining'] = state.secondsLeft;
    if (state.bytesLeft !== null) body['bytes-remaining'] = state.bytesLeft;
    // A paying guest extends by signing the next voucher or topping the channel up.
    body['can-extend-session'] = true;
  }
  // RFC 8908 §5: the API's answers are private to the client and must not be cached by others.
  sendJson(res, 200, body, 'application/captive+json');
}
