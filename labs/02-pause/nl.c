/*
 * nl.c - rtnetlink requests for the pod network (see nl.h).
 *
 * A request is one message: a struct nlmsghdr, a fixed header for the
 * family (struct ifinfomsg for links, ifaddrmsg for addresses, rtmsg for
 * routes), then attributes (struct rtattr: length, type, value), some of
 * them nested. With NLM_F_ACK the kernel answers every request with an
 * NLMSG_ERROR message whose error field is 0 on success or -errno.
 *
 * Syscalls: socket(AF_NETLINK, NETLINK_ROUTE), sendto(2), recv(2), setns(2)
 * (nl_open_in). See man 7 netlink, man 7 rtnetlink.
 */
#include "nl.h"

#include "common.h"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct nl_msg {
	struct nlmsghdr *h;
	bool overflow;
	int *index_out; /* RTM_GETLINK: where the answer's ifi_index goes */
	union {
		struct nlmsghdr align;
		char buf[1024];
	} u;
};

static void nl_init(struct nl_msg *m, int type, int flags, const void *fixed, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->h = &m->u.align;
	m->h->nlmsg_len = NLMSG_LENGTH(len);
	m->h->nlmsg_type = (unsigned short)type;
	m->h->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
	memcpy(NLMSG_DATA(m->h), fixed, len);
}

static struct rtattr *nl_attr(struct nl_msg *m, int type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(m->h->nlmsg_len);
	if (at + RTA_SPACE(len) > sizeof(m->u.buf)) {
		m->overflow = true;
		return NULL;
	}
	struct rtattr *rta = (struct rtattr *)(m->u.buf + at);
	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	m->h->nlmsg_len = (unsigned)(at + RTA_ALIGN(rta->rta_len));
	return rta;
}

static void nl_attr_str(struct nl_msg *m, int type, const char *s)
{
	nl_attr(m, type, s, strlen(s) + 1);
}

/* A nested attribute is one whose value is more attributes: open it empty,
 * append the inner ones, then close it by fixing its length. */
static struct rtattr *nl_nest_begin(struct nl_msg *m, int type)
{
	return nl_attr(m, type, NULL, 0);
}

static void nl_nest_end(struct nl_msg *m, struct rtattr *nest)
{
	if (nest)
		nest->rta_len = (unsigned short)(m->u.buf + m->h->nlmsg_len - (char *)nest);
}

/* Raw bytes inside a nest (the peer's struct ifinfomsg inside VETH_INFO_PEER). */
static void nl_put(struct nl_msg *m, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(m->h->nlmsg_len);
	if (at + NLMSG_ALIGN(len) > sizeof(m->u.buf)) {
		m->overflow = true;
		return;
	}
	memcpy(m->u.buf + at, data, len);
	m->h->nlmsg_len = (unsigned)(at + NLMSG_ALIGN(len));
}

/* Send the request on sock (-1: a fresh socket, of the namespace we are in
 * now), read the acknowledgement. what names the request in the error
 * message, e.g. "RTM_NEWLINK(lab2br0 type bridge)". */
static int nl_talk_on(int sock, struct nl_msg *m, const char *what)
{
	if (m->overflow)
		return fail_msg(EMSGSIZE, "netlink %s: request too long", what);
	_cleanup_close_ int own = -1;
	if (sock < 0) {
		own = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (own < 0)
			return fail_errno("socket(AF_NETLINK)");
		sock = own;
	}
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	m->h->nlmsg_seq = 1;
	if (sendto(sock, m->h, m->h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return fail_errno("netlink %s: sendto", what);
	union {
		struct nlmsghdr align;
		char buf[8192];
	} reply;
	for (;;) {
		ssize_t n = recv(sock, reply.buf, sizeof(reply.buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno("netlink %s: recv", what);
		size_t left = (size_t)n;
		for (struct nlmsghdr *h = &reply.align; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			/* A GET is answered with the object itself, then the ack. */
			if (h->nlmsg_type == RTM_NEWLINK && m->index_out &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg)))
				*m->index_out =
				    ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = NLMSG_DATA(h);
			if (e->error == 0)
				return 0;
			errno = -e->error;
			return fail_errno("netlink %s", what);
		}
	}
}

static int nl_talk(struct nl_msg *m, const char *what)
{
	return nl_talk_on(-1, m, what);
}

int nl_open_in(int netns_fd, int home_fd)
{
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return fail_errno("setns(the pod's network namespace)");
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int err = errno;
	/* Back home before anything else: a socket belongs to the namespace
	 * of the thread that made it, and every later one must be ours. */
	if (setns(home_fd, CLONE_NEWNET) < 0) {
		err = errno;
		if (fd >= 0)
			close(fd);
		return fail_msg(ENOTRECOVERABLE,
		                "setns(back to our own network namespace): %s: this thread is "
		                "stranded in the pod's, where every socket it makes would be the "
		                "pod's: fatal, the process must exit",
		                strerror(err));
	}
	if (fd < 0) {
		errno = err;
		return fail_errno("socket(AF_NETLINK) in the pod's network namespace");
	}
	return fd;
}

static int nl_index(const char *name)
{
	unsigned idx = if_nametoindex(name);
	if (!idx)
		return fail_errno("no link %s", name);
	return (int)idx;
}

int nl_bridge_add(const char *name)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg m;
	nl_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	nl_attr_str(&m, IFLA_IFNAME, name);
	struct rtattr *info = nl_nest_begin(&m, IFLA_LINKINFO);
	nl_attr_str(&m, IFLA_INFO_KIND, "bridge");
	nl_nest_end(&m, info);
	char what[64];
	snprintf(what, sizeof(what), "RTM_NEWLINK(%s type bridge)", name);
	return nl_talk(&m, what);
}

int nl_veth_add(const char *host, const char *peer, int netns_fd)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg m;
	nl_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	nl_attr_str(&m, IFLA_IFNAME, host);
	struct rtattr *info = nl_nest_begin(&m, IFLA_LINKINFO);
	nl_attr_str(&m, IFLA_INFO_KIND, "veth");
	struct rtattr *data = nl_nest_begin(&m, IFLA_INFO_DATA);
	/* The peer is described like a whole link of its own: its ifinfomsg,
	 * then its attributes, including the namespace it is born in. */
	struct rtattr *p = nl_nest_begin(&m, VETH_INFO_PEER);
	nl_put(&m, &ifi, sizeof(ifi));
	nl_attr_str(&m, IFLA_IFNAME, peer);
	if (netns_fd >= 0) {
		__u32 fd = (__u32)netns_fd;
		nl_attr(&m, IFLA_NET_NS_FD, &fd, sizeof(fd));
	}
	nl_nest_end(&m, p);
	nl_nest_end(&m, data);
	nl_nest_end(&m, info);
	char what[96];
	snprintf(what, sizeof(what), "RTM_NEWLINK(%s type veth peer %s)", host, peer);
	return nl_talk(&m, what);
}

static int nl_link_change(const char *name, unsigned flags, int master)
{
	int idx = nl_index(name);
	if (idx < 0)
		return -1;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = idx};
	ifi.ifi_flags = flags;
	ifi.ifi_change = flags; /* only the bits named in ifi_change are changed */
	struct nl_msg m;
	nl_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	char what[64];
	if (master >= 0) {
		/* master 0: no master at all (ip link set NAME nomaster) */
		__u32 mi = (__u32)master;
		nl_attr(&m, IFLA_MASTER, &mi, sizeof(mi));
		snprintf(what, sizeof(what), "RTM_NEWLINK(%s %s)", name,
		         master ? "master" : "nomaster");
	} else {
		snprintf(what, sizeof(what), "RTM_NEWLINK(%s up)", name);
	}
	return nl_talk(&m, what);
}

/* One string attribute of a link that exists, named by its index. */
static int link_set_str(const char *name, int type, const char *value, const char *what)
{
	int idx = nl_index(name);
	if (idx < 0)
		return -1;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = idx};
	struct nl_msg m;
	nl_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	nl_attr_str(&m, type, value);
	return nl_talk(&m, what);
}

int nl_link_set_alias(const char *name, const char *alias)
{
	char what[64];
	snprintf(what, sizeof(what), "RTM_NEWLINK(%s alias)", name);
	return link_set_str(name, IFLA_IFALIAS, alias, what);
}

int nl_link_rename(const char *name, const char *newname)
{
	/* With the link named by its index, IFLA_IFNAME is the new name
	 * (do_setlink: dev_change_name). The kernel refuses a name that is
	 * taken (EEXIST) and, before Linux 6.2, a link that is up (EBUSY). */
	char what[64];
	snprintf(what, sizeof(what), "RTM_NEWLINK(%s name %s)", name, newname);
	return link_set_str(name, IFLA_IFNAME, newname, what);
}

int nl_link_index(const char *name)
{
	return nl_link_index_at(-1, name);
}

int nl_link_up(const char *name)
{
	return nl_link_change(name, IFF_UP, -1);
}

int nl_link_addrgenmode_none(const char *name)
{
	int idx = nl_index(name);
	if (idx < 0)
		return -1;
	return nl_link_addrgenmode_none_at(-1, name, idx);
}

int nl_link_set_master(const char *name, const char *master)
{
	int mi = nl_index(master);
	if (mi < 0)
		return -1;
	return nl_link_change(name, 0, mi);
}

int nl_link_set_nomaster(const char *name)
{
	return nl_link_change(name, 0, 0);
}

int nl_link_del(const char *name)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg m;
	nl_init(&m, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	nl_attr_str(&m, IFLA_IFNAME, name);
	char what[64];
	snprintf(what, sizeof(what), "RTM_DELLINK(%s)", name);
	return nl_talk(&m, what);
}

int nl_link_del_index(int index)
{
	/* rtnl_dellink looks a link up by ifi_index first, and only without
	 * one by IFLA_IFNAME: the index alone names it */
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index};
	struct nl_msg m;
	nl_init(&m, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	char what[64];
	snprintf(what, sizeof(what), "RTM_DELLINK(index %d)", index);
	return nl_talk(&m, what);
}

static int addr_add(int sock, int idx, const char *name, struct in_addr addr, int prefix)
{
	struct ifaddrmsg ifa = {
	    .ifa_family = AF_INET,
	    .ifa_prefixlen = (unsigned char)prefix,
	    .ifa_index = (unsigned)idx,
	};
	struct nl_msg m;
	nl_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	/* IFA_LOCAL is the address itself; IFA_ADDRESS the peer's on
	 * point-to-point links and the same on every other kind. */
	nl_attr(&m, IFA_LOCAL, &addr, sizeof(addr));
	nl_attr(&m, IFA_ADDRESS, &addr, sizeof(addr));
	char what[96], a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(what, sizeof(what), "RTM_NEWADDR(%s/%d dev %s)", a, prefix, name);
	return nl_talk_on(sock, &m, what);
}

int nl_addr_add(const char *name, struct in_addr addr, int prefix)
{
	int idx = nl_index(name);
	if (idx < 0)
		return -1;
	return addr_add(-1, idx, name, addr, prefix);
}

static int route_add_default(int sock, struct in_addr gw)
{
	struct rtmsg rt = {
	    .rtm_family = AF_INET,
	    .rtm_dst_len = 0, /* prefix length 0: the default route */
	    .rtm_table = RT_TABLE_MAIN,
	    .rtm_protocol = RTPROT_BOOT,
	    .rtm_scope = RT_SCOPE_UNIVERSE,
	    .rtm_type = RTN_UNICAST,
	};
	struct nl_msg m;
	nl_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
	nl_attr(&m, RTA_GATEWAY, &gw, sizeof(gw));
	char what[64], a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &gw, a, sizeof(a));
	snprintf(what, sizeof(what), "RTM_NEWROUTE(default via %s)", a);
	return nl_talk_on(sock, &m, what);
}

int nl_route_add_default(struct in_addr gw)
{
	return route_add_default(-1, gw);
}

/* ---- on a socket of another namespace (nl_open_in) ------------------------ */

int nl_link_index_at(int sock, const char *name)
{
	/* if_nametoindex(3) would ask through a socket of our own namespace:
	 * ask the kernel over sock instead (RTM_GETLINK by name). */
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg m;
	nl_init(&m, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	nl_attr_str(&m, IFLA_IFNAME, name);
	int idx = 0;
	m.index_out = &idx;
	char what[64];
	snprintf(what, sizeof(what), "RTM_GETLINK(%s)", name);
	if (nl_talk_on(sock, &m, what) < 0)
		return -1;
	if (idx <= 0)
		return fail_msg(ENODEV, "netlink %s: no index in the answer", what);
	return idx;
}

int nl_link_up_at(int sock, const char *name, int index)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index};
	ifi.ifi_flags = IFF_UP;
	ifi.ifi_change = IFF_UP;
	struct nl_msg m;
	nl_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	char what[64];
	snprintf(what, sizeof(what), "RTM_NEWLINK(%s up)", name);
	return nl_talk_on(sock, &m, what);
}

int nl_link_addrgenmode_none_at(int sock, const char *name, int index)
{
	/* Per family settings of a link travel in IFLA_AF_SPEC, one nest per
	 * family (AF_INET6 here, whose attributes are IFLA_INET6_*). The kernel
	 * makes a link-local address when the link comes up, and does not take
	 * it back when the mode changes later: hence while the link is down. */
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index};
	struct nl_msg m;
	nl_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	struct rtattr *spec = nl_nest_begin(&m, IFLA_AF_SPEC);
	struct rtattr *inet6 = nl_nest_begin(&m, AF_INET6);
	__u8 mode = IN6_ADDR_GEN_MODE_NONE;
	nl_attr(&m, IFLA_INET6_ADDR_GEN_MODE, &mode, sizeof(mode));
	nl_nest_end(&m, inet6);
	nl_nest_end(&m, spec);
	char what[64];
	snprintf(what, sizeof(what), "RTM_NEWLINK(%s addrgenmode none)", name);
	int r = nl_talk_on(sock, &m, what);
	/* no IPv6 in this kernel (ipv6.disable=1): no address to keep away */
	if (r < 0 && errno == EAFNOSUPPORT)
		return 0;
	return r;
}

int nl_addr_add_at(int sock, const char *name, int index, struct in_addr addr, int prefix)
{
	return addr_add(sock, index, name, addr, prefix);
}

int nl_route_add_default_at(int sock, struct in_addr gw)
{
	return route_add_default(sock, gw);
}
