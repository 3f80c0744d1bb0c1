import { renderBatch, emptyBatch } from './iptables-script.js';
import type { FamilyState } from './iptables-state.js';

/**
 * Everything the agent made in one family, found by its tag and prefix alone:
 * jumps out of built-in chains first, then every qlink_ chain emptied, then
 * deleted (a chain still jumped to cannot be).
 */
export function renderRemoveAll(st: FamilyState): string {
  const b = emptyBatch();
  for (const h of st.hooks) b[h.table].push(h.line.replace(/^-A /, '-D '));
  for (const t of ['mangle', 'nat', 'filter'] as const) {
    const chains = [...st.chains[t]];
    b[t].push(...chains.map((ch) => `-F ${ch}`), ...chains.map((ch) => `-X ${ch}`));
  }
  return renderBatch(b);
}
