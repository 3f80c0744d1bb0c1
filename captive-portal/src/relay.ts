import { call, type Relayed } from './api.js';
import { button, el, t } from './dom.js';

/**
 * A signed transaction pasted here goes to the chain through the hotspot
 * (agent → gateway → chain), for a wallet that cannot reach the network;
 * then `then` runs with the confirmed result. One box per view, kept across
 * the status view's re-renders so a half-pasted text survives them.
 */
export function relayBox(id: string, then: (r: Relayed) => Promise<void>): HTMLElement {
  const area = el('textarea', { id: `${id}-tx`, rows: '4', autocomplete: 'off', spellcheck: 'false' });
  const note = el('p', { class: 'small', id: `${id}-status`, role: 'status' });
  return el(
    'details',
    { id },
    el('summary', {}, t('pasteTx')),
    el('label', {}, t('signedTx'), area),
    note,
    button(
      t('send'),
      async () => {
        const tx = area.value.trim();
        if (!tx) return;
        note.textContent = t('sending');
        const r = await call<Relayed>('POST', '/api/relay', { tx });
        note.textContent = r.state === 'unconfirmed' ? `${t('notInBlock')} ${r.txid}` : r.txid;
        if (r.state === 'confirmed') await then(r);
      },
      `${id}-send`,
    ),
  );
}
