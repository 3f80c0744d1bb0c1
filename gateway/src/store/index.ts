export type * from './store.js';
export { openSqliteStore } from './sqlite.js';
export { openPgStore } from './postgres.js';
export { SqlGatewayStore } from './sql-store.js';
