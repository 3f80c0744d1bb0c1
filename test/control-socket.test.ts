import { connect } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { callDaemon } from '../agent/src/control/client.js';
import { UserError, MAX_LINE_BYTES } from '../agent/src/control/protocol.js';
import { closeControlServer, startControlServer } from '../agent/src/control/server.js';
import { createLogger } from '../agent/src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'qlink-ctl-'));
const path = join(dir, 'run', 'qlink.sock');
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Sends raw bytes and collects the answer lines until the server closes or `lines` arrive. */
function raw(payload: string | Buffer, lines = 1): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    const done = () => {
      s.destroy();
      resolve(buf.split('\n').filter(Boolean));
    };
    s.on('data', (d) => {
      buf += d;
      if (buf.split('\n').filter(Boolean).length >= lines) done();
    });
    s.on('close', done);
    s.on('error', reject);
    s.write(payload);
  });
}

t.test('control socket', async (t) => {
  const server = await startControlServer(
    path,
    async (req) => {
      if (req.cmd === 'deauth') throw new UserError(`guest ${req.guest} has no session`);
      if (req.cmd === 'auth') throw new Error('disk on fire');
      return { cmd: req.cmd };
    },
    createLogger('silent'),
  );
  t.teardown(() => closeControlServer(server, path));

  t.equal(statSync(path).mode & 0o777, 0o600, 'only root may open it');
  t.equal(statSync(join(dir, 'run')).mode & 0o777, 0o700);
  t.same(await callDaemon(path, { cmd: 'status' }), { ok: true, result: { cmd: 'status' } });
  t.match((await raw('this is not json\n'))[0], /"error":"request is not JSON"/);
  t.match((await raw('{"cmd":"reboot"}\n'))[0], /bad request/);
  t.match((await raw('{"cmd":"auth","guest":"x","minutes":-1}\n'))[0], /minutes/);
  t.match((await raw('{"cmd":"status","extra":1}\n'))[0], /bad request/);
  t.match((await raw('[1,2,3]\n'))[0], /bad request/);
  t.match((await raw(Buffer.alloc(MAX_LINE_BYTES + 10, 'a')))[0], /over 65536 bytes/);
  t.match((await raw('{"cmd":"deauth","guest":"aa"}\n'))[0], /"error":"guest aa has no session"/);
  t.match((await raw('{"cmd":"auth","guest":"aa"}\n'))[0], /internal error: disk on fire/);
  const two = await raw('{"cmd":"status"}\n{"cmd":"clients"}\n', 2);
  t.same(
    two.map((l) => JSON.parse(l).result.cmd),
    ['status', 'clients'],
    'answers in order on one connection',
  );
  t.same(await callDaemon(path, { cmd: 'clients' }), { ok: true, result: { cmd: 'clients' } }, 'still serving');
});

t.test('a daemon that is not running is a clear error', async (t) => {
  await t.rejects(callDaemon(join(dir, 'nope.sock'), { cmd: 'status' }), { message: /cannot reach the qlink daemon at .*nope\.sock \(is it running\?\)/ });
});
