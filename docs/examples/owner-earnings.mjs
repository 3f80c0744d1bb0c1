#!/usr/bin/env node
// An example client of the qlink gateway's HTTP API (its OpenAPI document is
// GET /openapi.json): an owner's routers, and what each earned today.
//
//   node docs/examples/owner-earnings.mjs --url https://gateway.example --token TOKEN [--json]
//
// TOKEN is an owner's session (scripts/qlink-gateway owner-login prints one;
// a web page gets one from POST /login with the wallet's signMessage), or the
// operator's API token, which sees every owner. Node 20 or later, nothing to
// install. test/example-client.test.ts runs it against a gateway.

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const url = arg('url');
const token = arg('token') ?? process.env.QLINK_TOKEN;
if (!url || !token) {
  console.error('usage: owner-earnings.mjs --url GATEWAY --token TOKEN [--json]');
  process.exit(2);
}

async function get(path) {
  const r = await fetch(new URL(path, url), { headers: { authorization: `Bearer ${token}` } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${path}: ${r.status} ${body.error ?? r.statusText}`);
  return body;
}

const gas = (fractions) => (fractions / 1e8).toFixed(8);

try {
  const { routers } = await get('/routers');
  // The gateway says which UTC day is today, so this client's clock does not matter.
  const { days, today } = await get('/usage/daily?limit=10000');
  const { owners } = await get('/earnings');
  const rows = routers.map((r) => {
    const d = days.filter((x) => x.router === r.address && x.day === today);
    const sum = (k) => d.reduce((n, x) => n + x[k], 0);
    return { router: r.address, online: r.online, sessions: sum('sessions'), bytes: sum('bytesDown') + sum('bytesUp'), earnedToday: sum('cost') };
  });
  const settled = owners.reduce((n, o) => n + o.settled, 0);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ today, routers: rows, earnedToday: rows.reduce((n, r) => n + r.earnedToday, 0), settledToDate: settled }));
  } else {
    console.log(`${today} (UTC), ${rows.length} router(s)`);
    for (const r of rows) {
      console.log(
        `  ${r.router}  ${r.online ? 'online ' : 'offline'}  ${r.sessions} session(s)  ${(r.bytes / 1e6).toFixed(1)} MB  ${gas(r.earnedToday)} GAS today`,
      );
    }
    console.log(`today: ${gas(rows.reduce((n, r) => n + r.earnedToday, 0))} GAS metered; settled on chain to date: ${gas(settled)} GAS`);
  }
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
