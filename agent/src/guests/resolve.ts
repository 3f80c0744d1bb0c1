import { parseGuestRef } from '../net/address.js';
import { UserError } from '../control/protocol.js';
import type { GuestStore } from '../store/guests.js';

/** The MAC a user means by `<mac|ip>`; unknown or malformed names are user errors. */
export function resolveGuest(text: string, guests: GuestStore): string {
  const ref = parseGuestRef(text);
  if (!ref) throw new UserError(`not a MAC or IP address: ${JSON.stringify(text.slice(0, 64))}`);
  if (ref.kind === 'mac') {
    if (!guests.known(ref.mac)) throw new UserError(`unknown guest ${ref.mac}: not seen on the guest network`);
    return ref.mac;
  }
  const mac = guests.macOf(ref.ip);
  if (!mac) throw new UserError(`unknown guest ${ref.ip}: no guest has used that address`);
  return mac;
}
