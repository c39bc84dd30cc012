/*
 * bridge.h - the pod network's bridge, shared by the pods of a state root:
 * the lock a sandbox holds while it joins the bridge, and the retire that
 * deletes the bridge after the last pod, off everybody's critical path.
 *
 * Why a retire: the kernel's unregister of a net device (RTM_DELLINK) holds
 * RTNL through RCU grace periods and waits for the device's last reference,
 * 50 to 100 ms for a bridge. Done in the supervisor, that wait was most of
 * the last pod's `rm -f`. A short-lived detached process does it instead.
 *
 *   ROOT/bridge.lock      flock LOCK_EX: held by a sandbox from "bridge
 *                         there?" to "veth attached" (bridge_lock), and by
 *                         a retire from "no port?" to "deleted": a pod never
 *                         joins a bridge that is being deleted, and the
 *                         bridge is never deleted under a pod joining it
 *   ROOT/bridge.retiring  flock LOCK_SH: held by every retire not yet done,
 *                         from before bridge_retire returns until it exits.
 *                         Whoever must see the retired bridge gone (tests,
 *                         benchmarks) takes LOCK_EX on it: `flock -w 10
 *                         ROOT/bridge.retiring true`
 *
 * The locks go with the processes that hold them: a retire killed midway
 * leaves at worst an unused bridge of ours, which the next retire (the next
 * pod's end, `podrun rm`) or scripts/clean-host.sh deletes.
 */
#ifndef PODLAB_BRIDGE_H
#define PODLAB_BRIDGE_H

/* Take ROOT/bridge.lock; close the fd to release it. The state root exists
 * (pod_lock_root made it). */
int bridge_lock(void);

/* The last pod left the bridge (or may have): when the bridge is ours and has
 * no port, a detached process takes ROOT/bridge.lock, looks again and deletes
 * it. Returns at once, without waiting for the kernel; does nothing when a
 * port is still attached (the pod that owns it retires the bridge when it
 * ends). Errors are not reported: the bridge stays, and the next retire tries
 * again. */
void bridge_retire(const char *bridge);

#endif
