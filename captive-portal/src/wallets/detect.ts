import { neolineWallet } from './neoline.js';
import { nep21Wallet, type Nep21Provider } from './nep21.js';
import type { Wallet } from './types.js';

type Win = typeof globalThis & { NEOLineN3?: { Init: new () => never }; OneGateDapiProvider?: Nep21Provider };

/**
 * Finds the wallet the guest's browser has, as the wallets announce
 * themselves (docs/portal.md "Finding the wallet"): NeoLine's N3 script
 * dispatches `NEOLine.N3.EVENT.READY` and defines window.NEOLineN3; NEP-21
 * providers dispatch `Neo.DapiProvider.ready` with `detail.provider`, when
 * they are ready and again on `Neo.DapiProvider.request` (NeoLine's and
 * OneGate's; OneGate's first one fires at document start, before any page
 * script listens, and it also sets window.OneGateDapiProvider). Events can
 * come before this runs, so the globals are polled too. NeoLine is used
 * through its legacy API (signTransaction, salted signMessage), its NEP-21
 * provider only for the network's magic.
 */
export function detectWallet(waitMs: number, callMs: number): Promise<Wallet | null> {
  const w = globalThis as Win;
  let nep21: Nep21Provider | null = null;
  return new Promise((resolve) => {
    let done = false;
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    const finish = (v: Wallet | null) => {
      if (done) return;
      done = true;
      timers.forEach(clearTimeout);
      clearInterval(poll);
      resolve(v);
    };
    const neoline = () => w.NEOLineN3 && finish(neolineWallet(w.NEOLineN3.Init, () => (nep21?.name === 'NeoLine' ? nep21.network : null), callMs));
    let scheduled = false;
    const soon = (f: () => unknown, ms: number) => {
      if (!scheduled) {
        scheduled = true;
        timers.push(setTimeout(f, ms));
      }
    };
    const look = () => {
      // NeoLine's two scripts arrive within milliseconds of each other (measured): give the one that is not here yet a moment.
      if (w.NEOLineN3) return soon(neoline, nep21 ? 0 : 400);
      const p = nep21 ?? w.OneGateDapiProvider ?? null;
      if (p) soon(() => (w.NEOLineN3 ? neoline() : finish(nep21Wallet(p, callMs))), p.name === 'NeoLine' ? 500 : 0);
    };
    addEventListener('Neo.DapiProvider.ready', (e) => {
      const p = (e as CustomEvent<{ provider?: Nep21Provider }>).detail?.provider;
      if (p) nep21 = p;
      look();
    });
    addEventListener('NEOLine.N3.EVENT.READY', look);
    const poll = setInterval(look, 250);
    for (const at of [0, 1000, 2000]) timers.push(setTimeout(() => dispatchEvent(new Event('Neo.DapiProvider.request')), at));
    timers.push(setTimeout(() => finish(null), waitMs));
    look();
  });
}
