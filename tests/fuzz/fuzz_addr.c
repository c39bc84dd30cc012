/*
 * fuzz_addr - the address parsers: lab 05's HOST:PORT (the sidecars'
 * command lines, which a Pod YAML fills in) and lab 02's pod subnet
 * ($PODRUN_SUBNET).
 */
#include "fuzz.h"
#include "infra.h"
#include "netutil.h"

#include <arpa/inet.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (!s)
		return 0;
	struct sockaddr_in sa;
	if (nu_parse_hostport(s, &sa) == 0)
		FUZZ_CHECK(sa.sin_family == AF_INET && ntohs(sa.sin_port) >= 1);
	struct in_addr net;
	int prefix = -1;
	if (infra_parse_subnet(s, &net, &prefix) == 0)
		FUZZ_CHECK(prefix >= 15 && prefix <= 30 &&
		           (ntohl(net.s_addr) & ~(0xffffffffu << (32 - prefix))) == 0);
	free(s);
	return 0;
}
