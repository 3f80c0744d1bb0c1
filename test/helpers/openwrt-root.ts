import { execFileSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import * as tb from '../../scripts/lib/testbed/index.js';

// An OpenWrt-like root in a directory, run with chroot inside a testbed
// namespace: busybox ash as /bin/sh and its applets, node at /usr/bin/node,
// nft, ip and tc as the kernel tools, OpenWrt's layout (/etc/config,
// /etc/init.d, /etc/rc.d, /usr/lib/opkg, /var -> /tmp), /etc/passwd with root
// only. The programs are this machine's (glibc, with their libraries copied
// in); what OpenWrt itself would run (base-files' scripts, procd, ubus, opkg)
// is stood in for by test/fixtures/openwrt/standin and, here, ProcdDouble and
// Opkg, each after OpenWrt's documented behaviour.

const REPO = new URL('../../..', import.meta.url).pathname;
const FIXTURES = join(REPO, 'test/fixtures/openwrt');
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const APPLETS = [
  'sh',
  'ash',
  'awk',
  'basename',
  'cat',
  'chgrp',
  'chmod',
  'chown',
  'cp',
  'cut',
  'date',
  'dirname',
  'echo',
  'env',
  'false',
  'grep',
  'head',
  'id',
  'kill',
  'ln',
  'ls',
  'md5sum',
  'mkdir',
  'mv',
  'paste',
  'printf',
  'ps',
  'readlink',
  'rm',
  'rmdir',
  'sed',
  'seq',
  'sleep',
  'sort',
  'tail',
  'tar',
  'test',
  'touch',
  'tr',
  'true',
  'uniq',
  'wc',
  'xargs',
  '[',
];

/** Copies (or hard-links) a program into root at dest, with every shared library ldd names at its own path. */
function installProgram(root: string, src: string, dest: string): void {
  place(src, join(root, dest));
  const ldd = execFileSync('ldd', [src], { encoding: 'utf8' });
  for (const m of ldd.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) place(m[1]!, join(root, m[1]!));
}
function place(link: string, dest: string): void {
  if (existsSync(dest)) return;
  const src = realpathSync(link); // the file, not Debian's /lib64 link to it
  mkdirSync(dirname(dest), { recursive: true });
  try {
    linkSync(src, dest);
  } catch {
    copyFileSync(src, dest);
    chmodSync(dest, statSync(src).mode & 0o7777);
  }
}

/** The root, with the stand-ins, a node, busybox, nft, ip, tc and setpriv (ujail's stand-in), and a uci double state file. */
export function buildRoot(root: string, node: string): void {
  for (const d of [
    'bin',
    'sbin',
    'usr/bin',
    'usr/sbin',
    'usr/lib/opkg/info',
    'usr/libexec/standin',
    'etc/config',
    'etc/init.d',
    'etc/rc.d',
    'etc/uci-defaults',
    'lib',
    'proc',
    'sys',
    'dev',
    'tmp',
    'root',
    'overlay',
  ])
    mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  symlinkSync('tmp', join(root, 'var'));
  installProgram(root, '/usr/bin/busybox', '/bin/busybox');
  for (const a of APPLETS) symlinkSync('busybox', join(root, 'bin', a));
  symlinkSync('../../bin/busybox', join(root, 'usr/bin/env'));
  installProgram(root, node, '/usr/bin/node');
  installProgram(root, execFileSync('sh', ['-c', 'command -v nft'], { encoding: 'utf8' }).trim(), '/usr/sbin/nft');
  installProgram(root, '/bin/ip', '/sbin/ip');
  installProgram(root, execFileSync('sh', ['-c', 'command -v tc'], { encoding: 'utf8' }).trim(), '/sbin/tc');
  installProgram(root, '/usr/bin/setpriv', '/usr/libexec/standin/setpriv');
  execFileSync('cp', ['-r', `${join(FIXTURES, 'standin')}/.`, root]);
  rmSync(join(root, 'README.md'));
  copyFileSync(join(FIXTURES, 'uci'), join(root, 'sbin/uci'));
  chmodSync(join(root, 'sbin/uci'), 0o755);
  // base-files ships these; nft resolves protocol names (icmp, ipv6-icmp) with /etc/protocols.
  for (const f of ['protocols', 'services']) copyFileSync(`/etc/${f}`, join(root, 'etc', f));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/ash\nnobody:*:65534:65534:nobody:/var:/bin/false\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:::0:99999:7:::\n', { mode: 0o600 });
  writeFileSync(join(root, 'etc/config/firewall'), "config defaults\n\toption input 'REJECT'\n");
  writeFileSync(join(root, 'etc/uci-state'), '');
  // The other services the package's scripts reload: their calls, in order.
  for (const svc of ['network', 'dnsmasq', 'firewall', 'odhcpd']) {
    writeFileSync(join(root, 'etc/init.d', svc), `#!/bin/sh\necho "/etc/init.d/${svc} $*" >>/tmp/service-calls\n`, { mode: 0o755 });
  }
}

/**
 * argv that runs a command in the root inside a testbed host: a mount
 * namespace of its own (`ip netns exec` gives each command one) with /proc,
 * /sys and /dev in the root, then chroot, then a clean environment as a
 * router's shell has. binds: host directories to bind at paths in the root.
 */
export function inRoot(root: string, argv: readonly string[], binds: Record<string, string> = {}, env: Record<string, string> = {}): string[] {
  const mounts = [
    `mount -t proc proc "$R/proc"`,
    `mount --rbind /sys "$R/sys"`,
    `mount --rbind /dev "$R/dev"`,
    ...Object.entries(binds).map(([at, host]) => `mkdir -p "$R${at}" && mount --bind '${host}' "$R${at}"`),
  ];
  const envv = Object.entries({ PATH, HOME: '/root', UCI_STATE: '/etc/uci-state', ...env }).map(([k, v]) => `${k}=${v}`);
  return ['sh', '-c', `R='${root}'; ${mounts.join(' && ')} && exec chroot "$R" /usr/bin/env -i "$@"`, 'in-root', ...envv, ...argv];
}

type Instance = {
  command?: string[];
  env?: Record<string, string>;
  user?: string;
  group?: string;
  capabilities?: string;
  no_new_privs?: string;
  jail?: Record<string, unknown>;
  respawn?: string[];
  term_timeout?: string;
  reload_signal?: string;
  [k: string]: unknown;
};
type Running = { def: Instance; key: string; child: ChildProcess | null; stopping: boolean; fails: number; started: number; pids: number[] };

/**
 * procd as the package meets it, behind `ubus call service ...`, after
 * OpenWrt's procd documentation (openwrt.org/docs/guide-developer/procd-init-scripts):
 * `set` starts new instances, leaves an unchanged running one alone, and for
 * a changed one (command, env, the checksums of its `file`s, ...) sends
 * reload_signal if it has one, else restarts it; instances the new set lacks
 * are stopped. `delete` stops (SIGTERM, SIGKILL after term_timeout). A
 * process that dies is started again after respawn's timeout, until it has
 * died `retry` times in a row, each sooner than `threshold` after its start.
 * `list` says which instances run. An instance with a user, capabilities
 * and no_new_privs runs as ujail without namespaces would: the user's uid and
 * gid from the root's /etc/passwd, no other groups, the capabilities file's
 * sets (setpriv stands in for ujail). Output goes to `log` (procd: logd).
 */
export class ProcdDouble {
  readonly services = new Map<string, Map<string, Running>>();
  log = '';
  calls: string[] = [];
  #server: Server | null = null;
  constructor(
    readonly id: string,
    readonly root: string,
    readonly binds: Record<string, string> = {},
  ) {}

  async listen(): Promise<void> {
    const dir = join(this.root, 'tmp/run/ubus');
    mkdirSync(dir, { recursive: true });
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        void this.#call(req.url ?? '', body).then(
          (answer) => {
            res.writeHead(200);
            res.end(answer === undefined ? '' : JSON.stringify(answer));
          },
          (e: Error) => {
            res.writeHead(500);
            res.end(e.message);
          },
        );
      });
    });
    await new Promise<void>((r) => server.listen(join(dir, 'ubus.sock'), r));
    this.#server = server;
  }

  async close(): Promise<void> {
    for (const name of [...this.services.keys()]) await this.#delete(name);
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }

  /** The pid of a running instance, or null. */
  pid(service: string, instance: string): number | null {
    const r = this.services.get(service)?.get(instance);
    return r?.child && r.child.exitCode === null && r.child.signalCode === null ? (r.child.pid ?? null) : null;
  }

  async #call(url: string, body: string): Promise<unknown> {
    const req = JSON.parse(body || '{}') as { name?: string; instance?: string; instances?: Record<string, Instance> };
    this.calls.push(`${url} ${req.name ?? ''}${req.instance ? ` ${req.instance}` : ''}`);
    if (url === '/service/set') return this.#set(req.name!, req.instances ?? {});
    if (url === '/service/delete') return this.#delete(req.name!, req.instance);
    if (url === '/service/list') {
      const out: Record<string, unknown> = {};
      for (const [name, insts] of this.services) {
        if (req.name && req.name !== name) continue;
        out[name] = {
          instances: Object.fromEntries([...insts].map(([i]) => [i, { running: this.pid(name, i) !== null, pid: this.pid(name, i) ?? undefined }])),
        };
      }
      return out;
    }
    throw new Error(`procd double: no method ${url}`);
  }

  async #set(name: string, instances: Record<string, Instance>): Promise<void> {
    const have = this.services.get(name) ?? new Map<string, Running>();
    this.services.set(name, have);
    for (const [i, r] of [...have])
      if (!(i in instances)) {
        await this.#stop(r);
        have.delete(i);
      }
    for (const [i, def] of Object.entries(instances)) {
      const key = JSON.stringify(def);
      const r = have.get(i);
      if (r && this.pid(name, i) !== null) {
        if (r.key === key) continue;
        if (def.reload_signal) {
          r.def = def;
          r.key = key;
          r.child!.kill(signalName(def.reload_signal));
          continue;
        }
        await this.#stop(r);
      }
      const fresh: Running = { def, key, child: null, stopping: false, fails: 0, started: 0, pids: [] };
      have.set(i, fresh);
      this.#start(name, i, fresh);
    }
  }

  async #delete(name: string, instance?: string): Promise<void> {
    const have = this.services.get(name);
    if (!have) return;
    for (const [i, r] of [...have])
      if (!instance || i === instance) {
        await this.#stop(r);
        have.delete(i);
      }
    if (!have.size) this.services.delete(name);
  }

  #start(name: string, instance: string, r: Running): void {
    const d = r.def;
    let argv = d.command ?? [];
    if (d.user) {
      const pw = readFileSync(join(this.root, 'etc/passwd'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${d.user}:`));
      if (!pw) {
        this.log += `procd: instance ${name}.${instance}: no user ${d.user}\n`;
        return;
      }
      const [, , uid, gid] = pw.split(':');
      const caps = d.capabilities ? (JSON.parse(readFileSync(join(this.root, d.capabilities), 'utf8')) as Record<string, string[]>) : {};
      const set = (k: string) => `-all${(caps[k] ?? []).map((c) => `,+${c.replace(/^CAP_/, '').toLowerCase()}`).join('')}`;
      argv = [
        '/usr/libexec/standin/setpriv',
        `--reuid=${uid}`,
        `--regid=${gid}`,
        '--clear-groups',
        `--inh-caps=${set('inheritable')}`,
        `--ambient-caps=${set('ambient')}`,
        `--bounding-set=${set('bounding')}`,
        ...(d.no_new_privs === '1' ? ['--no-new-privs'] : []),
        '--',
        ...argv,
      ];
    }
    const child = tb.spawn(this.id, 'router', inRoot(this.root, argv, this.binds, d.env ?? {}), { env: {} });
    r.child = child;
    r.started = Date.now();
    if (child.pid) r.pids.push(child.pid);
    child.stdout!.on('data', (b) => {
      this.log += b;
    });
    child.stderr!.on('data', (b) => {
      this.log += b;
    });
    child.on('exit', (code, signal) => {
      this.log += `procd: instance ${name}.${instance} (pid ${child.pid}) exited with ${signal ?? code}\n`;
      if (r.stopping || !d.respawn || this.services.get(name)?.get(instance) !== r) return;
      const [threshold = '3600', timeout = '5', retry = '5'] = d.respawn;
      r.fails = Date.now() - r.started < Number(threshold) * 1000 ? r.fails + 1 : 0;
      if (Number(retry) > 0 && r.fails >= Number(retry)) {
        this.log += `procd: instance ${name}.${instance} crashed ${r.fails} times, not respawning\n`;
        return;
      }
      setTimeout(() => {
        if (!r.stopping && this.services.get(name)?.get(instance) === r) this.#start(name, instance, r);
      }, Number(timeout) * 1000);
    });
  }

  async #stop(r: Running): Promise<void> {
    r.stopping = true;
    const c = r.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((res) => c.on('exit', () => res()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), Number(r.def.term_timeout ?? 5) * 1000);
    await exited;
    clearTimeout(timer);
  }
}

function signalName(s: string): NodeJS.Signals {
  const n = Number(s);
  if (!Number.isNaN(n)) return ({ 1: 'SIGHUP', 10: 'SIGUSR1', 12: 'SIGUSR2', 15: 'SIGTERM' } as Record<number, NodeJS.Signals>)[n] ?? 'SIGHUP';
  return (s.startsWith('SIG') ? s : `SIG${s}`) as NodeJS.Signals;
}

type Exec = (argv: string[], env?: Record<string, string>) => Promise<tb.ExecResult>;

/**
 * opkg (OpenWrt 24.10's opkg-lede) as far as one local package goes: an .ipk
 * is a gzipped tar of debian-binary, control.tar.gz and data.tar.gz. Install
 * keeps the control files as /usr/lib/opkg/info/NAME.*, the file list as
 * NAME.list and each conffile's md5 in /usr/lib/opkg/status, unpacks the
 * data over the root and runs `postinst configure` with PKG_UPGRADE=0. An
 * install over an installed package is an upgrade: the old prerm and postrm
 * are not run (opkg-lede's upgrade hooks do nothing), a conffile the owner
 * changed is kept and the package's copy goes to FILE-opkg, the old
 * package's files the new one lacks are deleted, and the new postinst runs
 * with PKG_UPGRADE=1. Remove runs `prerm remove`, deletes the listed files
 * (not a conffile the owner changed: "Not deleting modified conffile"), then
 * `postrm remove`, and forgets the package. Scripts run as `sh -c 'SCRIPT ARG'`.
 */
export class Opkg {
  readonly messages: string[] = [];
  constructor(
    readonly root: string,
    readonly work: string,
    readonly exec: Exec,
  ) {}

  #info(name: string, ext: string): string {
    return join(this.root, 'usr/lib/opkg/info', `${name}.${ext}`);
  }

  #status(): Map<string, Record<string, string>> {
    const f = join(this.root, 'usr/lib/opkg/status');
    const out = new Map<string, Record<string, string>>();
    if (!existsSync(f)) return out;
    for (const block of readFileSync(f, 'utf8')
      .split('\n\n')
      .filter((b) => b.trim())) {
      const rec: Record<string, string> = {};
      let last = '';
      for (const line of block.split('\n')) {
        if (line.startsWith(' ')) rec[last] += `\n${line.trim()}`;
        else {
          last = line.slice(0, line.indexOf(':'));
          rec[last] = line.slice(line.indexOf(':') + 1).trim();
        }
      }
      out.set(rec.Package!, rec);
    }
    return out;
  }
  #writeStatus(s: Map<string, Record<string, string>>): void {
    const text = [...s.values()]
      .map((r) =>
        Object.entries(r)
          .map(
            ([k, v]) =>
              `${k}:${
                v.includes('\n')
                  ? v
                      .split('\n')
                      .map((l, i) => (i ? ` ${l}` : l ? ` ${l}` : ''))
                      .join('\n')
                  : ` ${v}`
              }`,
          )
          .join('\n'),
      )
      .join('\n\n');
    writeFileSync(join(this.root, 'usr/lib/opkg/status'), text ? `${text}\n\n` : '');
  }
  #md5(path: string): string | null {
    const f = join(this.root, path);
    return existsSync(f) ? execFileSync('md5sum', [f], { encoding: 'utf8' }).split(' ')[0]! : null;
  }

  async #script(name: string, script: string, arg: string, upgrade: boolean): Promise<void> {
    const f = this.#info(name, script);
    if (!existsSync(f)) return;
    const r = await this.exec(['sh', '-c', `/usr/lib/opkg/info/${name}.${script} ${arg}`], { PKG_UPGRADE: upgrade ? '1' : '0', PKG_ROOT: '/' });
    this.messages.push(...`${r.stdout}${r.stderr}`.split('\n').filter(Boolean));
    if (r.code !== 0) throw new Error(`${name}.${script} ${arg} exited ${r.code}: ${r.stderr}`);
  }

  async install(ipk: string): Promise<'installed' | 'upgraded'> {
    const x = join(this.work, `opkg-${Date.now()}`);
    mkdirSync(join(x, 'control'), { recursive: true });
    mkdirSync(join(x, 'data'), { recursive: true });
    execFileSync('tar', ['-xzf', ipk, '-C', x]);
    execFileSync('tar', ['-xzf', join(x, 'control.tar.gz'), '-C', join(x, 'control')]);
    execFileSync('tar', ['-xzf', join(x, 'data.tar.gz'), '-C', join(x, 'data')]);
    const control = readFileSync(join(x, 'control/control'), 'utf8');
    const name = /^Package: (.+)$/m.exec(control)![1]!;
    const status = this.#status();
    const old = status.get(name);
    const upgrade = old !== undefined;
    const oldConf = new Map(
      (old?.Conffiles ?? '')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.trim().split(' ') as [string, string]),
    );
    const conffiles = existsSync(join(x, 'control/conffiles')) ? readFileSync(join(x, 'control/conffiles'), 'utf8').split('\n').filter(Boolean) : [];
    const files = execFileSync('tar', ['-tzf', join(x, 'data.tar.gz')], { encoding: 'utf8' })
      .split('\n')
      .map((p) => p.replace(/^\.\//, '/').replace(/\/$/, ''))
      .filter((p) => p && p !== '/' && !lstatSync(join(x, 'data', p), { throwIfNoEntry: false })?.isDirectory());
    // Conffiles the owner changed stay; the package's copy goes beside them. The status keeps the package's checksum.
    const pkgMd5 = new Map(conffiles.map((c) => [c, md5Of(join(x, 'data', c))]));
    for (const c of conffiles) {
      const on = this.#md5(c);
      const was = oldConf.get(c);
      if (on !== null && on !== pkgMd5.get(c) && on !== was) {
        execFileSync('mv', [join(x, 'data', c), join(x, 'data', `${c}-opkg`)]);
        this.messages.push(`Existing conffile ${c} is different from the conffile in the new package. The new conffile will be placed at ${c}-opkg.`);
      }
    }
    // opkg writes each file beside its old one and renames it over: a running program (the agent's resident writer) is replaced, not written into.
    execFileSync('cp', ['-a', '--remove-destination', `${join(x, 'data')}/.`, this.root]);
    if (upgrade) {
      const keep = new Set(files);
      for (const f of readFileSync(this.#info(name, 'list'), 'utf8').split('\n').filter(Boolean)) if (!keep.has(f)) rmSync(join(this.root, f), { force: true });
    }
    for (const f of readdirSync(join(x, 'control'))) if (f !== 'conffiles' || conffiles.length) copyFileSync(join(x, 'control', f), this.#info(name, f));
    for (const f of readdirSync(join(x, 'control'))) chmodSync(this.#info(name, f), statSync(join(x, 'control', f)).mode & 0o7777);
    writeFileSync(this.#info(name, 'list'), `${files.join('\n')}\n`);
    status.set(name, {
      Package: name,
      Version: /^Version: (.+)$/m.exec(control)![1]!,
      Depends: /^Depends: (.+)$/m.exec(control)?.[1] ?? '',
      Status: 'install user installed',
      Architecture: /^Architecture: (.+)$/m.exec(control)![1]!,
      Conffiles: `\n${conffiles.map((c) => `${c} ${pkgMd5.get(c)}`).join('\n')}`,
    });
    this.#writeStatus(status);
    rmSync(x, { recursive: true, force: true });
    await this.#script(name, 'postinst', 'configure', upgrade);
    return upgrade ? 'upgraded' : 'installed';
  }

  async remove(name: string): Promise<void> {
    const status = this.#status();
    const rec = status.get(name);
    if (!rec) throw new Error(`opkg: ${name} is not installed`);
    await this.#script(name, 'prerm', 'remove', false);
    const conf = new Map(
      (rec.Conffiles ?? '')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.trim().split(' ') as [string, string]),
    );
    const files = readFileSync(this.#info(name, 'list'), 'utf8').split('\n').filter(Boolean);
    for (const f of files) {
      if (conf.has(f) && this.#md5(f) !== conf.get(f)) {
        this.messages.push(`Not deleting modified conffile ${f}.`);
        continue;
      }
      rmSync(join(this.root, f), { force: true });
    }
    // Directories the package's files leave empty go too.
    for (const d of [...new Set(files.map((f) => dirname(f)))].sort((a, b) => b.length - a.length)) {
      for (let p = d; p !== '/'; p = dirname(p)) {
        try {
          execFileSync('rmdir', [join(this.root, p)], { stdio: 'ignore' });
        } catch {
          break;
        }
      }
    }
    await this.#script(name, 'postrm', 'remove', false);
    for (const f of readdirSync(join(this.root, 'usr/lib/opkg/info'))) if (f.startsWith(`${name}.`)) rmSync(join(this.root, 'usr/lib/opkg/info', f));
    status.delete(name);
    this.#writeStatus(status);
  }
}

function md5Of(file: string): string {
  return execFileSync('md5sum', [file], { encoding: 'utf8' }).split(' ')[0]!;
}
