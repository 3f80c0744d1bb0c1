import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which guest a piece of work is for. The portal runs each guest's request
 * inside asGuest(mac, …); what it calls several layers down (a channel read
 * through the shared cache, a gateway call) charges that guest's limits
 * without every interface in between carrying a MAC. Work outside any
 * request (the voucher pusher, batches) is the router's own: no guest.
 */
const current = new AsyncLocalStorage<string>();

export const asGuest = <T>(mac: string, f: () => T): T => current.run(mac, f);

export const currentGuest = (): string | undefined => current.getStore();
