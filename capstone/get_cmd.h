/*
 * get_cmd.h - a pod as data, as kubectl shows it: `podrun get`, `podrun
 * describe`, `podrun wait`. Each reads the pod's state (podjson.h builds the
 * v1 Pod from it) and never parses YAML.
 */
#ifndef PODRUN_GET_CMD_H
#define PODRUN_GET_CMD_H

/* podrun get [POD] [-o wide|json|yaml]: kubectl get pods' table (NAME READY
 * STATUS RESTARTS AGE), or the Pod (a v1 List of them without POD) as JSON
 * or YAML. argv[0] is "get". Returns the exit status: 0 ok, 1 no such pod;
 * a usage error (a bad pod name) exits with status 2. */
int cmd_get(int argc, char **argv);

/* podrun describe POD: kubectl describe pod's layout, events included. */
int cmd_describe(int argc, char **argv);

/* podrun wait --for=condition=C[=V]|delete|jsonpath='{.a.b}'=V [--timeout DUR] POD:
 * 0 once it holds, 1 "timed out waiting for the condition on pods/POD". */
int cmd_wait(int argc, char **argv);

#endif
