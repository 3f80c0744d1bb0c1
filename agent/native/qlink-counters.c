/*
 * qlink-counters: prints the named counter objects of one nftables table
 * name (default qlink: `inet qlink` and the gate's `arp qlink`) as
 * `<name> <handle> <packets> <bytes>` lines.
 *
 * Why it exists: `nft -j list counters table inet qlink` builds nft's whole
 * userspace cache (every set element of every map) before it prints a single
 * counter, about 50 ms with 1,000 guest sessions on a fast machine and far
 * more on a router. The agent polls counters every few seconds, so it asks the
 * kernel directly: one NFT_MSG_GETOBJ dump filtered to counters of the table.
 *
 * Exit status: 0 = the lines were printed (none if the table has no counters);
 * 3 = the table does not exist (the gate is gone), nothing on stdout;
 * 1 = anything else (usage, permissions, netlink errors).
 *
 * With --serve it stays running and answers one reading per line read on
 * stdin, each followed by a line `. <status>` (the status above, then the
 * reason when not 0), so the agent's poll costs one dump and no process.
 * A line `rules <chain>` is answered with `rules <n>`, the number of rules in
 * that chain of the inet table (as --rules CHAIN does once), `changes`
 * with only the counters that are new or moved since its last reading (a
 * poll of idle guests then carries a few lines, not thousands), and `neigh
 * <ifname>` with that interface's neighbour table, `<ip> <mac> <STATE>[
 * router]` a line (as --neigh IFNAME does once): the agent's poll then
 * starts no process at all.
 *
 * Depends on libmnl only (OpenWrt package: libmnl; Debian: libmnl-dev). The
 * OpenWrt feed builds this same file with the SDK's toolchain.
 */
/* POSIX for ssize_t and friends under -std=c99. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#define EXIT_GONE 3
#define MAX_TABLE_NAME 256
/* Retries when the ruleset changes mid-dump (NLM_F_DUMP_INTR), as nft itself does. */
#define MAX_ATTEMPTS 16

/* Lines are collected before any is printed: an interrupted dump is thrown
 * away whole, so the agent never sees half of one. The buffer only doubles. */
struct out {
	char *buf;
	size_t len, cap;
	int failed;
	unsigned count;
};

/*
 * What --serve last saw of each counter, by name, so a `changes` reading
 * prints only counters that are new or moved: with 1,000 idle guests a poll
 * then carries a few lines instead of 2,000. Open addressing, grown at half full.
 */
struct seen_entry {
	char *name;
	uint64_t handle, packets, bytes;
};

struct seen {
	struct seen_entry *e;
	size_t cap, used;
};

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static struct seen_entry *seen_slot(struct seen *t, const char *name)
{
	size_t i = (size_t)hash_name(name) & (t->cap - 1);
	while (t->e[i].name && strcmp(t->e[i].name, name) != 0)
		i = (i + 1) & (t->cap - 1);
	return &t->e[i];
}

static int seen_grow(struct seen *t)
{
	struct seen old = *t;
	t->cap = old.cap ? old.cap * 2 : 4096;
	t->used = 0;
	t->e = calloc(t->cap, sizeof(*t->e));
	if (!t->e) {
		*t = old;
		return -1;
	}
	for (size_t i = 0; i < old.cap; i++) {
		if (!old.e[i].name)
			continue;
		*seen_slot(t, old.e[i].name) = old.e[i];
		t->used++;
	}
	free(old.e);
	return 0;
}

/* Records a counter's values; 1 when they differ from the last ones (or it is new), -1 on no memory. */
static int seen_update(struct seen *t, const char *name, uint64_t handle, uint64_t packets, uint64_t bytes)
{
	if ((t->used + 1) * 2 > t->cap && seen_grow(t) < 0)
		return -1;
	struct seen_entry *e = seen_slot(t, name);
	if (!e->name) {
		e->name = strdup(name);
		if (!e->name)
			return -1;
		t->used++;
	} else if (e->handle == handle && e->packets == packets && e->bytes == bytes) {
		return 0;
	}
	e->handle = handle;
	e->packets = packets;
	e->bytes = bytes;
	return 1;
}

struct dump_ctx {
	struct out *out;
	const char *table;
};

static void out_add(struct out *o, const char *name, uint64_t handle, uint64_t packets, uint64_t bytes)
{
	/* name (<= 256) + three u64 (<= 20 digits each) + separators */
	char line[MAX_TABLE_NAME + 3 * 21 + 4];
	int n = snprintf(line, sizeof(line), "%s %llu %llu %llu\n", name, (unsigned long long)handle,
			 (unsigned long long)packets, (unsigned long long)bytes);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		o->failed = 1;
		return;
	}
	if (o->len + (size_t)n > o->cap) {
		size_t cap = o->cap ? o->cap : 64 * 1024;
		while (cap < o->len + (size_t)n)
			cap *= 2;
		char *p = realloc(o->buf, cap);
		if (!p) {
			o->failed = 1;
			return;
		}
		o->buf = p;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, line, (size_t)n);
	o->len += (size_t)n;
	o->count++;
}

/* A name the agent can split on spaces: printable ASCII without blanks. */
static int plain_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return 0;
	return 1;
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (type < 0 || type > NFTA_OBJ_MAX)
		return MNL_CB_OK; /* newer kernels may add attributes */
	switch (type) {
	case NFTA_OBJ_TABLE:
	case NFTA_OBJ_NAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	case NFTA_OBJ_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case NFTA_OBJ_HANDLE:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		break;
	case NFTA_OBJ_DATA:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		break;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

static int counter_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (type != NFTA_COUNTER_BYTES && type != NFTA_COUNTER_PACKETS)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

/* Netlink carries nftables' u64 values big-endian; assembled by hand to stay within C99. */
static uint64_t be64(const struct nlattr *attr)
{
	const uint8_t *p = mnl_attr_get_payload(attr);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static int obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	const struct nlattr *tb[NFTA_OBJ_MAX + 1] = { 0 };
	const struct nlattr *ctr[NFTA_COUNTER_MAX + 1] = { 0 };

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		errno = EINTR;
		return MNL_CB_ERROR;
	}
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	/* The kernel filters by table and type; checking again costs nothing and
	 * keeps old kernels that ignore the filter from leaking others' objects. */
	if (!tb[NFTA_OBJ_TABLE] || !tb[NFTA_OBJ_NAME] || !tb[NFTA_OBJ_TYPE] || !tb[NFTA_OBJ_HANDLE])
		return MNL_CB_OK;
	if (strcmp(mnl_attr_get_str(tb[NFTA_OBJ_TABLE]), ctx->table) != 0)
		return MNL_CB_OK;
	if (ntohl(mnl_attr_get_u32(tb[NFTA_OBJ_TYPE])) != NFT_OBJECT_COUNTER)
		return MNL_CB_OK;
	const char *name = mnl_attr_get_str(tb[NFTA_OBJ_NAME]);
	if (!plain_name(name) || strlen(name) >= MAX_TABLE_NAME)
		return MNL_CB_OK;
	if (tb[NFTA_OBJ_DATA] && mnl_attr_parse_nested(tb[NFTA_OBJ_DATA], counter_attr_cb, ctr) < 0)
		return MNL_CB_ERROR;
	out_add(ctx->out, name, be64(tb[NFTA_OBJ_HANDLE]),
		ctr[NFTA_COUNTER_PACKETS] ? be64(ctr[NFTA_COUNTER_PACKETS]) : 0,
		ctr[NFTA_COUNTER_BYTES] ? be64(ctr[NFTA_COUNTER_BYTES]) : 0);
	return ctx->out->failed ? MNL_CB_ERROR : MNL_CB_OK;
}

static struct nlmsghdr *put_request(char *buf, uint16_t msg, uint16_t flags, uint32_t seq, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* Sends one request and runs the replies through cb; returns mnl_cb_run's result (errno set on -1). */
static int talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data, char *buf, size_t size)
{
	uint32_t portid = mnl_socket_get_portid(nl);
	uint32_t seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, size);
		if (n < 0)
			return -1;
		int rc = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (rc <= MNL_CB_STOP)
			return rc;
	}
}

/* One dump of the table's counters into out; -1 with errno on failure. */
static int dump_counters(struct mnl_socket *nl, const char *table, struct out *out, char *buf, size_t size, uint32_t seq)
{
	/* Every family's table of that name: the gate keeps its spoofing counters in `arp qlink` too. */
	struct nlmsghdr *nlh = put_request(buf, NFT_MSG_GETOBJ, NLM_F_DUMP, seq, NFPROTO_UNSPEC);
	mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, table);
	mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_COUNTER));
	struct dump_ctx ctx = { out, table };
	return talk(nl, nlh, obj_cb, &ctx, buf, size) < 0 ? -1 : 0;
}

/* 1 when the table exists, 0 when it does not, -1 with errno on failure. A
 * dump of a missing table is just empty, so "no counters" needs this check. */
static int table_exists(struct mnl_socket *nl, const char *table, char *buf, size_t size, uint32_t seq)
{
	struct nlmsghdr *nlh = put_request(buf, NFT_MSG_GETTABLE, NLM_F_ACK, seq, NFPROTO_INET);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
	if (talk(nl, nlh, NULL, NULL, buf, size) >= 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

static int count_rule(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		errno = EINTR;
		return MNL_CB_ERROR;
	}
	(*(unsigned *)data)++;
	return MNL_CB_OK;
}

/*
 * The number of rules in one chain of the inet table: the agent's check that
 * nobody flushed its rules, without an `nft` process that first loads every
 * set element. EXIT_GONE when the table or chain does not exist.
 */
static int count_rules(const char *table, const char *chain, unsigned *n, char *buf, size_t size, uint32_t *seq, char *msg, size_t msg_size)
{
	msg[0] = 0;
	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
		if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			snprintf(msg, msg_size, "netlink socket: %s", strerror(errno));
			if (nl)
				mnl_socket_close(nl);
			return EXIT_FAILURE;
		}
		*n = 0;
		struct nlmsghdr *nlh = put_request(buf, NFT_MSG_GETRULE, NLM_F_DUMP, (*seq)++, NFPROTO_INET);
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
		mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
		int rc = talk(nl, nlh, count_rule, n, buf, size);
		int err = errno;
		if (rc >= 0 && *n == 0) {
			/* An empty dump: an empty chain, or none at all. */
			nlh = put_request(buf, NFT_MSG_GETCHAIN, NLM_F_ACK, (*seq)++, NFPROTO_INET);
			mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, table);
			mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, chain);
			rc = talk(nl, nlh, NULL, NULL, buf, size);
			err = errno;
		}
		mnl_socket_close(nl);
		if (rc >= 0)
			return EXIT_SUCCESS;
		if (err == EINTR)
			continue;
		if (err == ENOENT) {
			snprintf(msg, msg_size, "chain inet %s %s does not exist", table, chain);
			return EXIT_GONE;
		}
		snprintf(msg, msg_size, "dump rules: %s", strerror(err));
		return EXIT_FAILURE;
	}
	snprintf(msg, msg_size, "ruleset kept changing during the dump");
	return EXIT_FAILURE;
}

/* ---- the neighbour table of one interface (guest discovery without an `ip` process per poll) ---- */

struct neigh_ctx {
	struct out *out;
	int ifindex;
};

static const char *nud_name(uint16_t state)
{
	switch (state) {
	case NUD_INCOMPLETE: return "INCOMPLETE";
	case NUD_REACHABLE: return "REACHABLE";
	case NUD_STALE: return "STALE";
	case NUD_DELAY: return "DELAY";
	case NUD_PROBE: return "PROBE";
	case NUD_FAILED: return "FAILED";
	case NUD_NOARP: return "NOARP";
	case NUD_PERMANENT: return "PERMANENT";
	default: return "NONE";
	}
}

static int neigh_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (type == NDA_DST || type == NDA_LLADDR)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_ctx *ctx = data;
	struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };
	if (nd->ndm_ifindex != ctx->ifindex || (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*nd), neigh_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (!tb[NDA_DST] || !tb[NDA_LLADDR] || mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6)
		return MNL_CB_OK;
	char ip[INET6_ADDRSTRLEN];
	size_t need = nd->ndm_family == AF_INET ? 4 : 16;
	if (mnl_attr_get_payload_len(tb[NDA_DST]) != need || !inet_ntop(nd->ndm_family, mnl_attr_get_payload(tb[NDA_DST]), ip, sizeof(ip)))
		return MNL_CB_OK;
	const uint8_t *m = mnl_attr_get_payload(tb[NDA_LLADDR]);
	char line[128];
	int n = snprintf(line, sizeof(line), "%s %02x:%02x:%02x:%02x:%02x:%02x %s%s\n", ip, m[0], m[1], m[2], m[3], m[4], m[5],
			 nud_name(nd->ndm_state), (nd->ndm_flags & NTF_ROUTER) ? " router" : "");
	struct out *o = ctx->out;
	if (o->len + (size_t)n > o->cap) {
		size_t cap = o->cap ? o->cap : 64 * 1024;
		while (cap < o->len + (size_t)n)
			cap *= 2;
		char *p = realloc(o->buf, cap);
		if (!p) {
			o->failed = 1;
			return MNL_CB_ERROR;
		}
		o->buf = p;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, line, (size_t)n);
	o->len += (size_t)n;
	return MNL_CB_OK;
}

/* `<ip> <mac> <STATE>[ router]` lines of one interface's neighbours, v4 and v6; EXIT_GONE when there is no such interface. */
static int read_neighbours(const char *ifname, struct out *out, char *buf, size_t size, uint32_t *seq, char *msg, size_t msg_size)
{
	msg[0] = 0;
	out->len = 0;
	int ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		snprintf(msg, msg_size, "no interface %s", ifname);
		return EXIT_GONE;
	}
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(msg, msg_size, "netlink socket: %s", strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return EXIT_FAILURE;
	}
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (*seq)++;
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_UNSPEC;
	nd->ndm_ifindex = ifindex;
	struct neigh_ctx ctx = { out, ifindex };
	int rc = talk(nl, nlh, neigh_cb, &ctx, buf, size);
	int err = errno;
	mnl_socket_close(nl);
	if (rc < 0) {
		snprintf(msg, msg_size, "dump neighbours: %s", out->failed ? "out of memory" : strerror(err));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/*
 * After a whole reading (never a part of an interrupted one): remembers every
 * counter's values, and with only_changes keeps the lines of those that are
 * new or moved since the last reading. Lines are `<name> <handle> <packets> <bytes>`.
 */
static int keep_changes(struct out *o, struct seen *t, int only_changes)
{
	size_t w = 0;
	for (size_t r = 0; r < o->len;) {
		char *line = o->buf + r;
		char *nl = memchr(line, '\n', o->len - r);
		if (!nl)
			break;
		size_t n = (size_t)(nl - line) + 1;
		/* The lines are our own (out_add): name, then three numbers. */
		char *sp = memchr(line, ' ', n);
		int changed = 1;
		if (sp) {
			char *end;
			*sp = 0;
			unsigned long long h = strtoull(sp + 1, &end, 10);
			unsigned long long pk = strtoull(end, &end, 10);
			unsigned long long by = strtoull(end, &end, 10);
			changed = seen_update(t, line, h, pk, by);
			*sp = ' ';
		}
		if (changed < 0)
			return -1;
		if (changed || !only_changes) {
			memmove(o->buf + w, line, n);
			w += n;
		}
		r += n;
	}
	o->len = w;
	return 0;
}

static int usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--table NAME] [--rules CHAIN | --neigh IFNAME | --changes] [--serve]\n", argv0);
	return EXIT_FAILURE;
}

/* One reading into out: EXIT_SUCCESS, EXIT_GONE or EXIT_FAILURE (why in msg). */
static int read_counters(const char *table, struct out *out, char *buf, size_t size, uint32_t *seq, char *msg, size_t msg_size)
{
	struct mnl_socket *nl = NULL;
	int status = EXIT_FAILURE;
	msg[0] = 0;
	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		/* A fresh socket per attempt: the rest of an interrupted dump is still queued on the old one. */
		if (nl)
			mnl_socket_close(nl);
		nl = mnl_socket_open(NETLINK_NETFILTER);
		if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			snprintf(msg, msg_size, "netlink socket: %s", strerror(errno));
			goto done;
		}
		out->len = 0;
		out->count = 0;
		if (dump_counters(nl, table, out, buf, size, (*seq)++) < 0) {
			if (errno == EINTR && !out->failed)
				continue;
			snprintf(msg, msg_size, "%s", out->failed ? "out of memory" : strerror(errno));
			goto done;
		}
		if (out->count == 0) {
			int exists = table_exists(nl, table, buf, size, (*seq)++);
			if (exists < 0) {
				snprintf(msg, msg_size, "get table: %s", strerror(errno));
				goto done;
			}
			if (!exists) {
				snprintf(msg, msg_size, "table inet %s does not exist", table);
				status = EXIT_GONE;
				goto done;
			}
		}
		status = EXIT_SUCCESS;
		goto done;
	}
	snprintf(msg, msg_size, "ruleset kept changing during the dump");
done:
	if (nl)
		mnl_socket_close(nl);
	return status;
}

int main(int argc, char **argv)
{
	const char *table = "qlink";
	const char *rules = NULL;
	const char *neigh = NULL;
	int serve = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--table") == 0 && i + 1 < argc)
			table = argv[++i];
		else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
			rules = argv[++i];
		else if (strcmp(argv[i], "--neigh") == 0 && i + 1 < argc)
			neigh = argv[++i];
		else if (strcmp(argv[i], "--serve") == 0)
			serve = 1;
		else if (strcmp(argv[i], "--changes") == 0)
			; /* once, with nothing seen before, every counter is a change: a whole reading */
		else
			return usage(argv[0]);
	}
	if (!*table || strlen(table) >= MAX_TABLE_NAME)
		return usage(argv[0]);

	/* Dump replies come in skbs up to 32 KiB when the reader offers that much room. */
	static char buf[32768];
	struct out out = { 0 };
	uint32_t seq = (uint32_t)time(NULL);
	char msg[256];

	if (!serve && neigh) {
		int status = read_neighbours(neigh, &out, buf, sizeof(buf), &seq, msg, sizeof(msg));
		if (status == EXIT_SUCCESS && out.len)
			fwrite(out.buf, 1, out.len, stdout);
		if (msg[0])
			fprintf(stderr, "qlink-counters: %s\n", msg);
		free(out.buf);
		return status;
	}
	if (!serve && rules) {
		unsigned n = 0;
		int status = count_rules(table, rules, &n, buf, sizeof(buf), &seq, msg, sizeof(msg));
		if (status == EXIT_SUCCESS)
			printf("rules %u\n", n);
		else
			fprintf(stderr, "qlink-counters: %s\n", msg);
		return status;
	}
	if (!serve) {
		int status = read_counters(table, &out, buf, sizeof(buf), &seq, msg, sizeof(msg));
		if (status == EXIT_SUCCESS && out.len && fwrite(out.buf, 1, out.len, stdout) != out.len)
			status = EXIT_FAILURE;
		if (status == EXIT_SUCCESS && fflush(stdout) != 0)
			status = EXIT_FAILURE;
		if (msg[0])
			fprintf(stderr, "qlink-counters: %s\n", msg);
		free(out.buf);
		return status;
	}
	/*
	 * --serve: one reading per line read on stdin, each ended by `. <status>`
	 * (and the reason when it failed), until stdin closes. The agent keeps it
	 * running, so a poll costs a dump, not a process start.
	 */
	char req[300];
	struct seen seen = { 0 };
	while (fgets(req, sizeof(req), stdin)) {
		req[strcspn(req, "\n")] = 0;
		if (strncmp(req, "neigh ", 6) == 0) {
			/* `neigh <ifname>`: that interface's neighbours, as --neigh prints them. */
			int status = read_neighbours(req + 6, &out, buf, sizeof(buf), &seq, msg, sizeof(msg));
			if (status == EXIT_SUCCESS && out.len)
				fwrite(out.buf, 1, out.len, stdout);
			if (msg[0])
				printf(". %d %s\n", status, msg);
			else
				printf(". %d\n", status);
			if (fflush(stdout) != 0)
				break;
			continue;
		}
		if (strncmp(req, "rules ", 6) == 0) {
			/* `rules <chain>`: the count, as the one-shot --rules prints it. */
			unsigned n = 0;
			int status = count_rules(table, req + 6, &n, buf, sizeof(buf), &seq, msg, sizeof(msg));
			if (status == EXIT_SUCCESS)
				printf("rules %u\n. 0\n", n);
			else
				printf(". %d %s\n", status, msg);
			if (fflush(stdout) != 0)
				break;
			continue;
		}
		/* `dump`: every counter; `changes`: those new or moved since the last reading of either kind. */
		int only_changes = strcmp(req, "changes") == 0;
		int status = read_counters(table, &out, buf, sizeof(buf), &seq, msg, sizeof(msg));
		if (status == EXIT_SUCCESS && keep_changes(&out, &seen, only_changes) < 0) {
			status = EXIT_FAILURE;
			snprintf(msg, sizeof(msg), "out of memory");
		}
		if (status == EXIT_SUCCESS && out.len)
			fwrite(out.buf, 1, out.len, stdout);
		if (msg[0])
			printf(". %d %s\n", status, msg);
		else
			printf(". %d\n", status);
		if (fflush(stdout) != 0)
			break;
	}
	free(out.buf);
	return EXIT_SUCCESS;
}
