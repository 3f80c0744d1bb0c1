import { ResidentRunner } from './transport.js';

/**
 * The runner the agent uses for every kernel tool: resident where a change
 * must not cost a process (see transport.ts), a process per command otherwise.
 */
export const systemRunner = new ResidentRunner();
