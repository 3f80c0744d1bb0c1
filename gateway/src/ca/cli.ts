import { parseArgs } from 'node:util';
import { initFleetCa, issueKeyPair } from './fleet-ca.js';

const USAGE = `qlink-gateway ca init --dir DIR                      make the fleet CA (DIR/ca.key, DIR/ca.crt)
qlink-gateway ca issue --dir DIR --out OUT --name NAME --cn CN [--server] [--dns NAME]… [--ip ADDR]…
                                                      a key and certificate: the broker's (--server, with its names
                                                      and addresses) or a gateway's client one (CN = its broker user)`;

/** The operator's side of the fleet CA; routers get theirs by enrolling (POST /enroll). */
export async function caCommand(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      cn: { type: 'string' },
      server: { type: 'boolean' },
      dns: { type: 'string', multiple: true },
      ip: { type: 'string', multiple: true },
      help: { type: 'boolean' },
    },
  });
  const fail = (why: string): never => {
    console.error(`${why}\n${USAGE}`);
    process.exit(2);
  };
  if (values.help) return void console.log(USAGE);
  if (!values.dir) fail('--dir is required');
  if (positionals[0] === 'init') {
    await initFleetCa(values.dir!);
    return void console.log(`fleet CA in ${values.dir}: give routers ${values.dir}/ca.crt as uplink.caFile; keep ca.key on this server`);
  }
  if (positionals[0] === 'issue') {
    if (!values.out || !values.name || !values.cn) fail('issue needs --out, --name and --cn');
    const r = await issueKeyPair(values.dir!, values.out!, values.name!, {
      cn: values.cn!,
      days: 825,
      ...(values.server ? { server: { dns: values.dns ?? [], ips: values.ip ?? [] } } : {}),
    });
    return void console.log(JSON.stringify(r));
  }
  fail(`unknown ca command ${positionals[0] ?? ''}`);
}
