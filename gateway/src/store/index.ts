export type * from './store.js';
export { openStore } from './open.js';
export { openSqliteStore } from './sqlite.js';
export { openPgStore } from './postgres.js';
