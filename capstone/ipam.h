/*
 * ipam.h - pod addresses on the bridge's subnet, handed out as CNI's
 * host-local IPAM plugin does: one file per address taken, made with O_EXCL,
 * so that taking one costs the same beside 100 pods as beside none.
 *
 *   ROOT/pods/.ips/A.B.C.D         taken: holds the name of the pod that has it
 *   ROOT/pods/.ips/last-N.N.N.N_P  the last address given in subnet N.N.N.N/P:
 *                                  the next search starts after it, round the subnet
 *
 * On the state's tmpfs, beside the pods' directories (state.h): when the
 * last pod goes, so do these files, and the next pod's search starts at .2.
 *
 * Round the subnet, not from the lowest: an address just given back is the
 * last one given again, so a new pod does not inherit the ARP entries and
 * connections the old one left in its peers' tables.
 *
 * The pod's own state says the address too (pods/NAME/ip). A file whose pod
 * is gone, or records another address, is a crash's leftover: the search
 * takes it over. So a supervisor killed anywhere costs no address for good.
 */
#ifndef PODLAB_IPAM_H
#define PODLAB_IPAM_H

#include <netinet/in.h>

/* in ROOT/pods: no pod's name starts with a dot */
#define IPAM_DIR ".ips"

/* Take a free address of subnet ("198.18.0.0/24") for pod, and write it to
 * ip. Returns its host index (ip = network + index, >= 2: .1 is the
 * bridge's), or -1 and ip "": ENOSPC when every address is taken. The
 * caller holds the state root's lock (pod_lock_root) and records ip in the
 * pod's state before it lets go: what decides a leftover is that record.
 *
 * Pods that run without the directory (a podrun before this one started
 * them) have their addresses recorded in it as it is made. */
int ipam_reserve(const char *subnet, const char *pod, char ip[INET_ADDRSTRLEN]);

/* Give ip back, if pod has it: 0 also when ip is "" or another pod's (taken
 * over as a leftover). Call it before the pod's state stops saying ip. */
int ipam_release(const char *ip, const char *pod);

#endif
