import type { IncomingMessage, ServerResponse } from 'node:http';
import { BASE_HEADERS } from './http.js';

/**
 * The OS connectivity probes and the exact answers their real servers give.
 * Before payment a probe gets a redirect to the portal, which is what pops
 * the sign-in sheet up; after it (and in a payer's payment window) the
 * portal, should a probe still reach it, answers as the open internet does.
 */
interface Answer {
  status: number;
  type?: string;
  body: string;
  headers?: Record<string, string>;
}

const APPLE = '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>';

const BY_PATH: Record<string, Answer> = {
  // Android, ChromeOS (connectivitycheck.gstatic.com, clients3.google.com, …)
  '/generate_204': { status: 204, body: '' },
  '/gen_204': { status: 204, body: '' },
  // Apple (captive.apple.com, www.apple.com, …)
  '/hotspot-detect.html': { status: 200, type: 'text/html', body: APPLE },
  '/library/test/success.html': { status: 200, type: 'text/html', body: APPLE },
  // Windows (www.msftconnecttest.com v4, ipv6.msftconnecttest.com v6; www.msftncsi.com older)
  '/connecttest.txt': { status: 200, type: 'text/plain', body: 'Microsoft Connect Test' },
  '/ncsi.txt': { status: 200, type: 'text/plain', body: 'Microsoft NCSI' },
  // Firefox (detectportal.firefox.com)
  '/success.txt': { status: 200, type: 'text/plain', body: 'success\n' },
  '/canonical.html': { status: 200, type: 'text/html', body: '<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>' },
  // NetworkManager / GNOME (nmcheck.gnome.org, …)
  '/check_network_status.txt': { status: 200, type: 'text/plain', body: 'NetworkManager is online\n', headers: { 'x-networkmanager-status': 'online' } },
};

export const PROBE_PATHS = Object.keys(BY_PATH);

export function isProbePath(path: string): boolean {
  return path in BY_PATH;
}

/** Answers as the real probe server would; false when the path is no known probe. */
export function answerOnline(path: string, res: ServerResponse, head: boolean): boolean {
  const a = BY_PATH[path];
  if (!a) return false;
  const body = a.status === 204 ? {} : { 'content-type': a.type ?? 'text/plain', 'content-length': String(Buffer.byteLength(a.body)) };
  res.writeHead(a.status, { 'cache-control': 'no-cache', ...body, ...a.headers });
  res.end(head || a.status === 204 ? undefined : a.body);
  return true;
}

/**
 * A held guest's request for any other site: a 302 to the portal (every OS
 * treats it as "captive" and pops its sheet), with a small body for the
 * clients that show it instead of following.
 */
export function redirectToPortal(req: IncomingMessage, res: ServerResponse, portalUrl: string): void {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>Sign in</title></head><body><a href="${portalUrl}">Sign in to the Wi-Fi</a></body></html>`;
  res.writeHead(302, {
    ...BASE_HEADERS,
    location: portalUrl,
    'cache-control': 'no-store, max-age=0',
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'content-security-policy': "default-src 'none'",
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
