/*
 * The part of libmnl's API that agent/native's programs use, with the same
 * names, types and behaviour, implemented in ../mnl.c. Our own code, not
 * libmnl's: it lets a router build link statically against musl with nothing
 * but a C compiler (zig cc from PyPI), because Debian ships no libmnl.a and its
 * libmnl.so is linked against glibc. The programs include <libmnl/libmnl.h> as
 * usual; with the system's libmnl (Debian's libmnl-dev, OpenWrt's +libmnl) they
 * build unchanged against the real one. See docs/openwrt.md, "Native programs".
 */
#ifndef QLINK_NL_LIBMNL_H
#define QLINK_NL_LIBMNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/netlink.h>

#define MNL_SOCKET_AUTOPID 0
#define MNL_SOCKET_DUMP_SIZE 32768
#define MNL_SOCKET_BUFFER_SIZE 8192L

#define MNL_ALIGNTO 4
#define MNL_ALIGN(len) (((len) + MNL_ALIGNTO - 1) & ~(MNL_ALIGNTO - 1))
#define MNL_NLMSG_HDRLEN MNL_ALIGN(sizeof(struct nlmsghdr))
#define MNL_ATTR_HDRLEN MNL_ALIGN(sizeof(struct nlattr))

#define MNL_CB_ERROR -1
#define MNL_CB_STOP 0
#define MNL_CB_OK 1

struct mnl_socket;

struct mnl_socket *mnl_socket_open(int bus);
struct mnl_socket *mnl_socket_open2(int bus, int flags);
int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid);
int mnl_socket_close(struct mnl_socket *nl);
int mnl_socket_get_fd(const struct mnl_socket *nl);
unsigned int mnl_socket_get_portid(const struct mnl_socket *nl);
ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *req, size_t siz);
ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t siz);
int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len);

size_t mnl_nlmsg_size(size_t len);
size_t mnl_nlmsg_get_payload_len(const struct nlmsghdr *nlh);
struct nlmsghdr *mnl_nlmsg_put_header(void *buf);
void *mnl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size);
bool mnl_nlmsg_ok(const struct nlmsghdr *nlh, int len);
struct nlmsghdr *mnl_nlmsg_next(const struct nlmsghdr *nlh, int *len);
bool mnl_nlmsg_seq_ok(const struct nlmsghdr *nlh, unsigned int seq);
bool mnl_nlmsg_portid_ok(const struct nlmsghdr *nlh, unsigned int portid);
void *mnl_nlmsg_get_payload(const struct nlmsghdr *nlh);
void *mnl_nlmsg_get_payload_offset(const struct nlmsghdr *nlh, size_t offset);
void *mnl_nlmsg_get_payload_tail(const struct nlmsghdr *nlh);

enum mnl_attr_data_type {
	MNL_TYPE_UNSPEC,
	MNL_TYPE_U8,
	MNL_TYPE_U16,
	MNL_TYPE_U32,
	MNL_TYPE_U64,
	MNL_TYPE_STRING,
	MNL_TYPE_FLAG,
	MNL_TYPE_MSECS,
	MNL_TYPE_NESTED,
	MNL_TYPE_NESTED_COMPAT,
	MNL_TYPE_NUL_STRING,
	MNL_TYPE_BINARY,
	MNL_TYPE_MAX,
};

uint16_t mnl_attr_get_type(const struct nlattr *attr);
uint16_t mnl_attr_get_len(const struct nlattr *attr);
uint16_t mnl_attr_get_payload_len(const struct nlattr *attr);
void *mnl_attr_get_payload(const struct nlattr *attr);
uint8_t mnl_attr_get_u8(const struct nlattr *attr);
uint16_t mnl_attr_get_u16(const struct nlattr *attr);
uint32_t mnl_attr_get_u32(const struct nlattr *attr);
uint64_t mnl_attr_get_u64(const struct nlattr *attr);
const char *mnl_attr_get_str(const struct nlattr *attr);

void mnl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data);
void mnl_attr_put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t data);
void mnl_attr_put_u16(struct nlmsghdr *nlh, uint16_t type, uint16_t data);
void mnl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t data);
void mnl_attr_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t data);
void mnl_attr_put_str(struct nlmsghdr *nlh, uint16_t type, const char *data);
void mnl_attr_put_strz(struct nlmsghdr *nlh, uint16_t type, const char *data);
struct nlattr *mnl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type);
void mnl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start);
void mnl_attr_nest_cancel(struct nlmsghdr *nlh, struct nlattr *start);

bool mnl_attr_ok(const struct nlattr *attr, int len);
struct nlattr *mnl_attr_next(const struct nlattr *attr);
int mnl_attr_type_valid(const struct nlattr *attr, uint16_t maxtype);
int mnl_attr_validate(const struct nlattr *attr, enum mnl_attr_data_type type);
int mnl_attr_validate2(const struct nlattr *attr, enum mnl_attr_data_type type, size_t len);

typedef int (*mnl_attr_cb_t)(const struct nlattr *attr, void *data);
int mnl_attr_parse(const struct nlmsghdr *nlh, unsigned int offset, mnl_attr_cb_t cb, void *data);
int mnl_attr_parse_nested(const struct nlattr *attr, mnl_attr_cb_t cb, void *data);

#define mnl_attr_for_each(attr, nlh, offset)                                                     \
	for ((attr) = mnl_nlmsg_get_payload_offset((nlh), (offset));                               \
	     mnl_attr_ok((attr), (int)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)(attr))); \
	     (attr) = mnl_attr_next(attr))

#define mnl_attr_for_each_nested(attr, nest)                                                       \
	for ((attr) = mnl_attr_get_payload(nest);                                                    \
	     mnl_attr_ok((attr), (int)((char *)mnl_attr_get_payload(nest) + mnl_attr_get_payload_len(nest) - \
				       (char *)(attr)));                                        \
	     (attr) = mnl_attr_next(attr))

typedef int (*mnl_cb_t)(const struct nlmsghdr *nlh, void *data);
int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid, mnl_cb_t cb_data, void *data);

#endif
