/*
 * qlink-counters: prints the named counter objects of one nftables table
 * (default `inet qlink`) as `<name> <handle> <packets> <bytes>` lines.
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

static struct nlmsghdr *put_request(char *buf, uint16_t msg, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_INET;
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
	struct nlmsghdr *nlh = put_request(buf, NFT_MSG_GETOBJ, NLM_F_DUMP, seq);
	mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, table);
	mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_COUNTER));
	struct dump_ctx ctx = { out, table };
	return talk(nl, nlh, obj_cb, &ctx, buf, size) < 0 ? -1 : 0;
}

/* 1 when the table exists, 0 when it does not, -1 with errno on failure. A
 * dump of a missing table is just empty, so "no counters" needs this check. */
static int table_exists(struct mnl_socket *nl, const char *table, char *buf, size_t size, uint32_t seq)
{
	struct nlmsghdr *nlh = put_request(buf, NFT_MSG_GETTABLE, NLM_F_ACK, seq);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
	if (talk(nl, nlh, NULL, NULL, buf, size) >= 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

static int usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--table NAME]\n", argv0);
	return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	const char *table = "qlink";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--table") == 0 && i + 1 < argc)
			table = argv[++i];
		else
			return usage(argv[0]);
	}
	if (!*table || strlen(table) >= MAX_TABLE_NAME)
		return usage(argv[0]);

	/* Dump replies come in skbs up to 32 KiB when the reader offers that much room. */
	static char buf[32768];
	struct out out = { 0 };
	int status = EXIT_FAILURE;
	struct mnl_socket *nl = NULL;
	uint32_t seq = (uint32_t)time(NULL);

	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		/* A fresh socket per attempt: the rest of an interrupted dump is still queued on the old one. */
		if (nl)
			mnl_socket_close(nl);
		nl = mnl_socket_open(NETLINK_NETFILTER);
		if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			perror("qlink-counters: netlink socket");
			goto done;
		}
		out.len = 0;
		out.count = 0;
		if (dump_counters(nl, table, &out, buf, sizeof(buf), seq++) < 0) {
			if (errno == EINTR && !out.failed)
				continue;
			perror(out.failed ? "qlink-counters: out of memory" : "qlink-counters: dump counters");
			goto done;
		}
		if (out.count == 0) {
			int exists = table_exists(nl, table, buf, sizeof(buf), seq++);
			if (exists < 0) {
				perror("qlink-counters: get table");
				goto done;
			}
			if (!exists) {
				fprintf(stderr, "qlink-counters: table inet %s does not exist\n", table);
				status = EXIT_GONE;
				goto done;
			}
		}
		if (out.len && fwrite(out.buf, 1, out.len, stdout) != out.len)
			goto done;
		status = fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		goto done;
	}
	fprintf(stderr, "qlink-counters: ruleset kept changing during the dump\n");
done:
	if (nl)
		mnl_socket_close(nl);
	free(out.buf);
	return status;
}
