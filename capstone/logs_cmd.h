/*
 * logs_cmd.h - `podrun logs`: a container's log as kubectl logs prints it,
 * read from DATA/pods/POD/logs/C/ (capstone/logs.h does the reading).
 */
#ifndef PODRUN_LOGS_CMD_H
#define PODRUN_LOGS_CMD_H

/* argv[0] is "logs". Returns the exit status: 0 ok, 1 runtime failure (no
 * such pod, no previous run); a usage error exits with status 2. */
int cmd_logs(int argc, char **argv);

#endif
