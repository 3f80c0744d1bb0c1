/*
 * qlink-writer: the agent's resident nftables writer. It reads transactions
 * on stdin and applies each as one nf_tables netlink batch, so a guest's grant
 * costs one sendmsg instead of an `nft` process that first dumps the whole
 * table into its cache (measured: 9-40 ms a change at 1,000 sessions here,
 * against well under a millisecond this way).
 *
 * A transaction is a block of lines in nft's own syntax ended by an empty
 * line; the answer is one line, `ok` or `error <line> <reason>`. The block is
 * one batch: the kernel commits all of it or none of it, and it only sees the
 * batch once it is complete (one sendmsg), so killing this process at any
 * moment leaves the ruleset as it was before or after a transaction, never
 * between. Only the commands that change sets and counter objects are
 * understood (whole-table rebuilds stay with `nft -f`):
 *
 *   add counter <family> <table> <name>
 *   delete counter <family> <table> <name>
 *   add element <family> <table> <set> { <elem>, ... }
 *   delete element <family> <table> <set> { <key>, ... }
 *   flush set <family> <table> <set>
 *
 * An element is `<key>` or `<key> : <data>`; a key is one value or several
 * joined by ` . ` (a concatenation, each field padded to 4 bytes as nft does).
 * Values are encoded by their form: a MAC (6 bytes), an IPv4 address (4, in
 * network order), an IPv6 address (16), `M:m` (a tc class id, host order),
 * a decimal number (32 bits, host order, as nft's mark and meta types), a
 * 0x number (big-endian, as many bytes as its digits: raw payload types) and
 * a quoted string (an interface name key of 16 bytes, or, as map data, the
 * name of the counter object the element points at). The kernel checks every
 * length against the set, so a value of the wrong form is refused, not
 * stored wrongly.
 *
 * Depends on libmnl only, like qlink-counters.
 */
/* POSIX, plus Linux's socket options (SO_*BUFFORCE) from the default set. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#define MAX_LINE 65536
#define MAX_FIELDS 8
/* Elements per NEWSETELEM message: a netlink attribute holds at most 64 KiB. */
#define ELEMS_PER_MSG 256
#define REPLY_TIMEOUT_MS 5000

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

/* The batch being built: netlink messages back to back, and which input line each came from. */
struct batch {
	char *buf;
	size_t len, cap;
	uint32_t seq0, next_seq;
	unsigned *line_of; /* by seq - seq0 */
	size_t nmsg, line_cap;
};

static int grow(struct batch *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64 * 1024;
	while (cap < b->len + more)
		cap *= 2;
	char *p = realloc(b->buf, cap);
	if (!p)
		return -1;
	/* Zeroed so padding bytes are never stale memory. */
	memset(p + b->cap, 0, cap - b->cap);
	b->buf = p;
	b->cap = cap;
	return 0;
}

static struct nlmsghdr *begin_msg(struct batch *b, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id, unsigned line)
{
	/* A message is at most one element chunk; 96 KiB leaves room. */
	if (grow(b, 96 * 1024) < 0)
		return NULL;
	if (b->nmsg + 1 > b->line_cap) {
		size_t cap = b->line_cap ? b->line_cap * 2 : 64;
		unsigned *p = realloc(b->line_of, cap * sizeof(*p));
		if (!p)
			return NULL;
		b->line_of = p;
		b->line_cap = cap;
	}
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = b->next_seq++;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	b->line_of[b->nmsg++] = line;
	return nlh;
}

static void end_msg(struct batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nlmsghdr *nft_msg(struct batch *b, uint16_t msg, uint16_t flags, uint8_t family, unsigned line)
{
	return begin_msg(b, (NFNL_SUBSYS_NFTABLES << 8) | msg, flags | NLM_F_ACK, family, 0, line);
}

/* ---- parsing ---- */

struct cursor {
	char *p;
	const char *err;
};

static void skip_ws(struct cursor *c)
{
	while (*c->p == ' ' || *c->p == '\t')
		c->p++;
}

/* The next word (up to blank, ',', '}', or end); NUL-terminates it in place only when asked. */
static char *word(struct cursor *c)
{
	skip_ws(c);
	char *start = c->p;
	if (*c->p == '"') {
		c->p++;
		while (*c->p && *c->p != '"')
			c->p++;
		if (*c->p != '"') {
			c->err = "unterminated string";
			return NULL;
		}
		c->p++;
	} else {
		while (*c->p && *c->p != ' ' && *c->p != '\t' && *c->p != ',' && *c->p != '}')
			c->p++;
	}
	if (c->p == start) {
		c->err = "expected a word";
		return NULL;
	}
	return start;
}

/* Copies the next word into out (NUL-terminated); strings lose their quotes. */
static int take(struct cursor *c, char *out, size_t size)
{
	char *s = word(c);
	if (!s)
		return -1;
	size_t n = (size_t)(c->p - s);
	if (*s == '"') {
		s++;
		n -= 2;
	}
	if (n + 1 > size) {
		c->err = "name too long";
		return -1;
	}
	memcpy(out, s, n);
	out[n] = 0;
	return 0;
}

static int family_of(const char *s)
{
	if (!strcmp(s, "inet"))
		return NFPROTO_INET;
	if (!strcmp(s, "ip"))
		return NFPROTO_IPV4;
	if (!strcmp(s, "ip6"))
		return NFPROTO_IPV6;
	if (!strcmp(s, "arp"))
		return NFPROTO_ARP;
	if (!strcmp(s, "bridge"))
		return NFPROTO_BRIDGE;
	if (!strcmp(s, "netdev"))
		return NFPROTO_NETDEV;
	return -1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A MAC: six two-digit hex groups joined by ':'. */
static int parse_mac(const char *s, size_t n, uint8_t *out)
{
	if (n != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 6;
}

/*
 * Encodes one value into out (at most 16 bytes); returns its length or -1.
 * The forms are told apart by their characters, never by guessing a type.
 */
static int encode_value(const char *s, size_t n, uint8_t *out)
{
	char tmp[80];
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (tmp[0] == '"') {
		if (n < 2 || tmp[n - 1] != '"' || n - 2 > 15)
			return -1;
		memset(out, 0, 16);
		memcpy(out, tmp + 1, n - 2);
		return 16;
	}
	if (parse_mac(tmp, n, out) == 6)
		return 6;
	if (n > 2 && tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X')) {
		size_t digits = n - 2;
		if (digits % 2 || digits > 32)
			return -1;
		for (size_t i = 0; i < digits / 2; i++) {
			int hi = hexval(tmp[2 + i * 2]), lo = hexval(tmp[3 + i * 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[i] = (uint8_t)(hi << 4 | lo);
		}
		return (int)(digits / 2);
	}
	if (strchr(tmp, '.')) {
		struct in_addr a;
		if (inet_pton(AF_INET, tmp, &a) != 1)
			return -1;
		memcpy(out, &a, 4);
		return 4;
	}
	char *colon = strchr(tmp, ':');
	if (colon && !strchr(colon + 1, ':')) {
		/* tc class id major:minor, both hex */
		char *end;
		unsigned long maj = strtoul(tmp, &end, 16);
		if (end != colon || maj > 0xffff)
			return -1;
		unsigned long min = strtoul(colon + 1, &end, 16);
		if (*end || end == colon + 1 || min > 0xffff)
			return -1;
		uint32_t v = (uint32_t)(maj << 16 | min);
		memcpy(out, &v, 4);
		return 4;
	}
	if (colon) {
		struct in6_addr a;
		if (inet_pton(AF_INET6, tmp, &a) != 1)
			return -1;
		memcpy(out, &a, 16);
		return 16;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(tmp, &end, 10);
	if (*end || errno || v > 0xffffffffULL)
		return -1;
	uint32_t u = (uint32_t)v;
	memcpy(out, &u, 4);
	return 4;
}

/* A key or data: one value, or a concatenation with each field padded to 4 bytes. */
static int encode_concat(struct cursor *c, uint8_t *out, size_t size, int *is_string)
{
	size_t len = 0;
	int fields = 0;
	*is_string = 0;
	for (;;) {
		char *s = word(c);
		if (!s)
			return -1;
		size_t n = (size_t)(c->p - s);
		uint8_t v[16];
		int vl = encode_value(s, n, v);
		if (vl < 0) {
			c->err = "value of unknown form";
			return -1;
		}
		if (*s == '"')
			*is_string = 1;
		fields++;
		skip_ws(c);
		int more = c->p[0] == '.' && (c->p[1] == ' ' || c->p[1] == '\t');
		size_t room = (more || fields > 1) ? (size_t)((vl + 3) & ~3) : (size_t)vl;
		if (len + room > size || fields > MAX_FIELDS) {
			c->err = "key too long";
			return -1;
		}
		memset(out + len, 0, room);
		memcpy(out + len, v, (size_t)vl);
		len += room;
		if (!more)
			return (int)len;
		c->p++;
	}
}

static void put_data(struct nlmsghdr *nlh, uint16_t type, const uint8_t *v, size_t n)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, n, v);
	mnl_attr_nest_end(nlh, nest);
}

/* `{ e, e, ... }` into NEWSETELEM/DELSETELEM messages of at most ELEMS_PER_MSG elements. */
static int elements(struct batch *b, struct cursor *c, uint16_t msg, uint8_t family, const char *table, const char *set, unsigned line)
{
	skip_ws(c);
	if (*c->p != '{') {
		c->err = "expected {";
		return -1;
	}
	c->p++;
	struct nlmsghdr *nlh = NULL;
	struct nlattr *list = NULL;
	int in_msg = 0;
	for (;;) {
		skip_ws(c);
		if (*c->p == '}') {
			c->p++;
			break;
		}
		if (!nlh) {
			nlh = nft_msg(b, msg, msg == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, family, line);
			if (!nlh) {
				c->err = "out of memory";
				return -1;
			}
			mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
			mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
			list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
		}
		uint8_t key[64], data[64];
		int str;
		int kl = encode_concat(c, key, sizeof(key), &str);
		if (kl < 0)
			return -1;
		struct nlattr *el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
		put_data(nlh, NFTA_SET_ELEM_KEY, key, (size_t)kl);
		skip_ws(c);
		if (*c->p == ':') {
			if (msg != NFT_MSG_NEWSETELEM) {
				c->err = "data in a delete";
				return -1;
			}
			c->p++;
			skip_ws(c);
			if (*c->p == '"') {
				/* An object map's data: the name of the object. */
				char name[256];
				if (take(c, name, sizeof(name)) < 0)
					return -1;
				mnl_attr_put_strz(nlh, NFTA_SET_ELEM_OBJREF, name);
			} else {
				int dl = encode_concat(c, data, sizeof(data), &str);
				if (dl < 0)
					return -1;
				put_data(nlh, NFTA_SET_ELEM_DATA, data, (size_t)dl);
			}
		}
		mnl_attr_nest_end(nlh, el);
		skip_ws(c);
		if (*c->p == ',')
			c->p++;
		else if (*c->p != '}') {
			c->err = "expected , or }";
			return -1;
		}
		if (++in_msg == ELEMS_PER_MSG) {
			mnl_attr_nest_end(nlh, list);
			end_msg(b, nlh);
			nlh = NULL;
			in_msg = 0;
		}
	}
	if (nlh) {
		mnl_attr_nest_end(nlh, list);
		end_msg(b, nlh);
	}
	skip_ws(c);
	if (*c->p) {
		c->err = "text after }";
		return -1;
	}
	return 0;
}

/* One input line into messages of the batch; c->err says why on -1. */
static int parse_line(struct batch *b, char *text, unsigned line, const char **err)
{
	struct cursor c = { text, NULL };
	char verb[16], what[16], fam[16], table[256], name[256];
	if (take(&c, verb, sizeof(verb)) < 0 || take(&c, what, sizeof(what)) < 0) {
		*err = "unsupported command";
		return -1;
	}
	if (take(&c, fam, sizeof(fam)) < 0 || take(&c, table, sizeof(table)) < 0 || take(&c, name, sizeof(name)) < 0) {
		*err = c.err;
		return -1;
	}
	int family = family_of(fam);
	if (family < 0) {
		*err = "unknown family";
		return -1;
	}
	int add = !strcmp(verb, "add"), del = !strcmp(verb, "delete"), flush = !strcmp(verb, "flush");
	if ((add || del) && !strcmp(what, "counter")) {
		skip_ws(&c);
		if (*c.p) {
			*err = "text after the counter's name";
			return -1;
		}
		struct nlmsghdr *nlh = nft_msg(b, add ? NFT_MSG_NEWOBJ : NFT_MSG_DELOBJ, add ? NLM_F_CREATE : 0, (uint8_t)family, line);
		if (!nlh) {
			*err = "out of memory";
			return -1;
		}
		mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, table);
		mnl_attr_put_strz(nlh, NFTA_OBJ_NAME, name);
		mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_COUNTER));
		if (add) {
			/* The kernel wants the data nest even when it sets nothing: a fresh counter starts at zero. */
			struct nlattr *d = mnl_attr_nest_start(nlh, NFTA_OBJ_DATA);
			mnl_attr_nest_end(nlh, d);
		}
		end_msg(b, nlh);
		return 0;
	}
	if ((add || del) && !strcmp(what, "element")) {
		if (elements(b, &c, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, (uint8_t)family, table, name, line) < 0) {
			*err = c.err;
			return -1;
		}
		return 0;
	}
	if (flush && !strcmp(what, "set")) {
		skip_ws(&c);
		if (*c.p) {
			*err = "text after the set's name";
			return -1;
		}
		/* DELSETELEM without elements empties the set. */
		struct nlmsghdr *nlh = nft_msg(b, NFT_MSG_DELSETELEM, 0, (uint8_t)family, line);
		if (!nlh) {
			*err = "out of memory";
			return -1;
		}
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name);
		end_msg(b, nlh);
		return 0;
	}
	*err = "unsupported command";
	return -1;
}

/* ---- talking to the kernel ---- */

static int bufsize(struct mnl_socket *nl, int opt, int force, size_t want)
{
	int fd = mnl_socket_get_fd(nl);
	int cur = 0;
	socklen_t sl = sizeof(cur);
	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &sl) == 0 && (size_t)cur >= want)
		return 0;
	int v = want > 0x3fffffff ? 0x3fffffff : (int)want;
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

/*
 * Sends the batch and collects one answer per message: nf_tables handles a
 * batch inside sendmsg, so every answer is queued by the time it returns.
 * 0 = committed; else -errno with *bad_line the input line of the first error.
 */
static int commit(struct mnl_socket *nl, struct batch *b, unsigned *bad_line, char *why, size_t why_size)
{
	size_t n_nft = b->nmsg - 2; /* messages after BEGIN, before END */
	bufsize(nl, SO_SNDBUF, SO_SNDBUFFORCE, b->len * 2 + 4096);
	bufsize(nl, SO_RCVBUF, SO_RCVBUFFORCE, n_nft * 512 + 256 * 1024);
	if (mnl_socket_sendto(nl, b->buf, b->len) < 0)
		return -errno;
	static char rbuf[64 * 1024];
	size_t answered = 0;
	int first_err = 0;
	why[0] = 0;
	while (answered < n_nft) {
		struct pollfd pfd = { mnl_socket_get_fd(nl), POLLIN, 0 };
		int pr = poll(&pfd, 1, REPLY_TIMEOUT_MS);
		if (pr <= 0)
			return pr == 0 ? -ETIMEDOUT : -errno;
		ssize_t got = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		if (got < 0)
			return -errno;
		int len = (int)got;
		for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			uint32_t idx = h->nlmsg_seq - b->seq0;
			if (idx >= b->nmsg)
				continue; /* not this batch's (a late answer to an earlier one) */
			if (idx == 0) {
				/* An answer to the batch header itself: the whole batch was refused. */
				*bad_line = b->line_of[1 < b->nmsg ? 1 : 0];
				return e->error ? e->error : -EIO;
			}
			answered++;
			if (e->error && !first_err) {
				first_err = e->error;
				*bad_line = idx < b->nmsg ? b->line_of[idx] : 0;
				/* The kernel's own words, when it gives them (extended ack). */
				if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
					struct nlattr *a;
					mnl_attr_for_each(a, h, sizeof(*e)) {
						if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
							snprintf(why, why_size, "%s", mnl_attr_get_str(a));
					}
				}
			}
		}
	}
	return first_err;
}

static int reset_batch(struct batch *b)
{
	b->len = 0;
	b->nmsg = 0;
	b->seq0 = b->next_seq;
	struct nlmsghdr *nlh = begin_msg(b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, 0);
	if (!nlh)
		return -1;
	end_msg(b, nlh);
	return 0;
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: qlink-writer < transactions (see the source's header)\n");
		return EXIT_FAILURE;
	}
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("qlink-writer: netlink socket");
		return EXIT_FAILURE;
	}
	int one = 1;
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));

	struct batch b = { 0 };
	b.next_seq = (uint32_t)time(NULL);
	char *line = malloc(MAX_LINE);
	if (!line || reset_batch(&b) < 0) {
		fprintf(stderr, "qlink-writer: out of memory\n");
		return EXIT_FAILURE;
	}
	unsigned lineno = 0, bad = 0;
	const char *err = NULL;
	while (fgets(line, MAX_LINE, stdin)) {
		size_t n = strlen(line);
		int whole = n > 0 && line[n - 1] == '\n';
		if (whole)
			line[--n] = 0;
		else if (!feof(stdin)) {
			/* A line longer than the buffer: refuse the transaction, skip the rest of it. */
			int ch;
			while ((ch = getchar()) != EOF && ch != '\n')
				;
			if (!err) {
				err = "line too long";
				bad = lineno + 1;
			}
		}
		lineno++;
		if (n > 0) {
			if (!err && parse_line(&b, line, lineno, &err) < 0)
				bad = lineno;
			continue;
		}
		/* An empty line ends the transaction. */
		if (err) {
			reply("error %u %s", bad, err);
		} else if (b.nmsg == 1) {
			reply("ok");
		} else {
			struct nlmsghdr *end = begin_msg(&b, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, 0);
			if (!end) {
				reply("error %u out of memory", lineno);
			} else {
				end_msg(&b, end);
				char why[256];
				int rc = commit(nl, &b, &bad, why, sizeof(why));
				if (rc == 0)
					reply("ok");
				else
					reply("error %u %s%s%s", bad, strerror(-rc), why[0] ? ": " : "", why);
			}
		}
		err = NULL;
		lineno = 0;
		if (reset_batch(&b) < 0) {
			fprintf(stderr, "qlink-writer: out of memory\n");
			return EXIT_FAILURE;
		}
	}
	mnl_socket_close(nl);
	return EXIT_SUCCESS;
}
