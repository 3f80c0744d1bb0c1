import { createServer, type Server } from 'node:http';

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Guest Wi-Fi</title></head>
<body><h1>Guest Wi-Fi</h1><p>You are not online yet. Ask staff to let you in.</p></body></html>
`;

/**
 * Stands in for the captive portal until the portal pages are built: every
 * path answers with a small page, never cached, so a redirect can be seen.
 */
export function startPlaceholderPortal(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'",
      'x-qlink-portal': '1',
    });
    res.end(req.method === 'HEAD' ? undefined : PAGE);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '::' }, () => resolve(server));
  });
}
