/*
 * cosched.h - a co-scheduling simulator: why a Pod is the unit of scheduling.
 *
 * A cluster of nodes, each with some free memory, receives containers one at a
 * time. Some containers belong to an affinity group: every member of the group
 * must run on the same node (they share files, localhost, a network namespace).
 * Five strategies place the same arrivals and we count what each one costs:
 *
 *   first-fit, best-fit  one container at a time; a group follows its first member
 *   hoarding             Mesos: hold resources until the whole group has arrived
 *   optimistic           Omega: several schedulers, shared state, conflicts retried
 *   pod                  Kubernetes: the group is one unit that fits on a node or not
 *
 * Time is measured in ticks, memory in MiB. Nothing ever finishes, so memory
 * once used or held is never given back: the simulation is about placement,
 * not about the life of the containers.
 *
 * Like every podlab module, cosched never prints and never exits: the
 * strategies record a timeline of events as text, and report.c's
 * cosched_report_timeline() prints it.
 */
#ifndef PODLAB_COSCHED_H
#define PODLAB_COSCHED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define COSCHED_MAX_NODES      16
#define COSCHED_MAX_CONTAINERS 64
#define COSCHED_MAX_NAME       32      /* including the NUL */
#define COSCHED_MAX_MIB        1048576 /* 1 TiB, a bound that catches typos */
#define COSCHED_MAX_TICK       100000
#define COSCHED_MAX_EVENTS     512
#define COSCHED_MAX_SCHEDULERS 8

/* ---- the scenario ---------------------------------------------------------- */

struct cosched_node {
	char name[COSCHED_MAX_NAME];
	int mib; /* free memory when the run starts */
};

struct cosched_container {
	char name[COSCHED_MAX_NAME];
	int mib;   /* memory request */
	int group; /* index into groups[] */
	int at;    /* arrival tick */
};

/*
 * Every container is in exactly one group. A container written without
 * group= gets a group of its own (implicit = true), so the strategies only
 * ever deal with groups.
 */
struct cosched_group {
	char name[COSCHED_MAX_NAME];
	bool implicit;
	int members[COSCHED_MAX_CONTAINERS]; /* container indexes, in file order */
	int count;
	int mib;      /* sum of the members' requests */
	int first_at; /* arrival of the first member */
	int last_at;  /* arrival of the last member: the group is complete */
};

struct cosched_scenario {
	char name[64];
	struct cosched_node nodes[COSCHED_MAX_NODES];
	int nnodes;
	struct cosched_container containers[COSCHED_MAX_CONTAINERS];
	int ncontainers;
	struct cosched_group groups[COSCHED_MAX_CONTAINERS];
	int ngroups;
};

/*
 * Parse a scenario from text. `file` is the name errors start with. On a bad
 * line: -1, errno EINVAL, and last_error() is "file:line:col: message", the
 * column pointing at the offending word.
 */
int cosched_scenario_parse(const char *file, const char *text, struct cosched_scenario *s);
/* Read and parse a scenario file ("-" is stdin). */
int cosched_scenario_load(const char *path, struct cosched_scenario *s);
/* The study note's cluster: Node_A 1.25Gi, Node_B 2Gi; App 1Gi then LogController 512Mi. */
void cosched_scenario_study_note(struct cosched_scenario *s);
/* A random cluster and workload; the same seed always gives the same scenario. */
void cosched_scenario_random(uint64_t seed, struct cosched_scenario *s);
/* Write a scenario back in the file format (what --dump prints). */
void cosched_scenario_write(FILE *f, const struct cosched_scenario *s);

/* Memory as a person writes it: "512Mi", "1Gi", "1.25Gi". Returns buf. */
const char *cosched_fmt_mib(char *buf, size_t size, int mib);

/* splitmix64: a tiny PRNG of our own, so runs are identical on every libc. */
uint64_t cosched_rand(uint64_t *state);

/* ---- running a strategy ---------------------------------------------------- */

enum cosched_strategy {
	COSCHED_FIRST_FIT,
	COSCHED_BEST_FIT,
	COSCHED_HOARDING,
	COSCHED_OPTIMISTIC,
	COSCHED_POD,
	COSCHED_NSTRATEGIES,
};

/* "first-fit", "best-fit", "hoarding", "optimistic", "pod" */
const char *cosched_strategy_name(enum cosched_strategy st);
/* A one-line description for the timeline's heading. */
const char *cosched_strategy_doc(enum cosched_strategy st);
/* The strategy with that name, or -1. */
int cosched_strategy_lookup(const char *name);

/* The cluster as the strategies see it: memory running, and memory held. */
struct cosched_state {
	int cap[COSCHED_MAX_NODES];
	int used[COSCHED_MAX_NODES]; /* by placed containers */
	int held[COSCHED_MAX_NODES]; /* hoarded for a group, running nothing */
};

static inline int cosched_free(const struct cosched_state *st, int node)
{
	return st->cap[node] - st->used[node] - st->held[node];
}

/*
 * The text sizes fit the longest message with every name at its 31
 * characters and every size at its widest: an event about 210 bytes (a
 * deadlock of two groups), a why about 110, a two-group cycle about 170.
 */
struct cosched_event {
	int tick;
	char text[256];
};

struct cosched_options {
	int schedulers; /* optimistic: how many schedulers share the cluster (>= 1) */
	int attempts;   /* optimistic: commits tried per group before giving up */
};

struct cosched_result {
	enum cosched_strategy strategy;
	int node_of[COSCHED_MAX_CONTAINERS];   /* -1: not placed */
	int placed_at[COSCHED_MAX_CONTAINERS]; /* tick it started running */
	char why[COSCHED_MAX_CONTAINERS][160]; /* why an unplaced container failed */

	int placed, failed;           /* containers */
	int groups_ok, groups_failed; /* groups: every member placed, on one node */
	long wait;                    /* ticks from arrival to placement, summed */
	long idle;                    /* MiB x ticks held without running anything */
	long stranded;                /* MiB running for groups that never completed */
	int conflicts, retries;       /* optimistic: commits refused, decisions redone */
	int deadlock_tick;            /* hoarding: first tick with a cycle, or -1 */
	char deadlock[200];           /* the cycle, in words */

	struct cosched_event events[COSCHED_MAX_EVENTS];
	int nevents;
	bool truncated; /* more than COSCHED_MAX_EVENTS happened */
};

/* Run one strategy over a scenario. -1 + last_error() if the strategy failed. */
int cosched_run(enum cosched_strategy st, const struct cosched_scenario *s,
                const struct cosched_options *opt, struct cosched_result *r);

/*
 * Pod-atomic fit: the first node whose free memory holds the WHOLE group.
 * Places nothing and changes nothing. Returns the node index, or -1 with
 * errno ENOSPC when no single node can take every member.
 */
int cosched_pod_fit(const struct cosched_scenario *s, const struct cosched_state *st, int group);

/* The strategies, one file each; cosched_run() sets r up and calls them. */
int cosched_greedy(const struct cosched_scenario *s, bool best_fit, struct cosched_result *r);
int cosched_hoarding(const struct cosched_scenario *s, struct cosched_result *r);
int cosched_optimistic(const struct cosched_scenario *s, const struct cosched_options *opt,
                       struct cosched_result *r);
int cosched_pod(const struct cosched_scenario *s, struct cosched_result *r);

/* Helpers the strategies share (sim.c). */
void cosched_state_init(const struct cosched_scenario *s, struct cosched_state *st);
void cosched_event(struct cosched_result *r, int tick, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cosched_place(const struct cosched_scenario *s, struct cosched_state *st,
                   struct cosched_result *r, int c, int node, int tick);
void cosched_fail(struct cosched_result *r, int c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Containers in arrival order: by tick, then file order. */
void cosched_arrival_order(const struct cosched_scenario *s, int order[COSCHED_MAX_CONTAINERS]);
/* Groups in the order they become complete: by last arrival, then file order. */
void cosched_completion_order(const struct cosched_scenario *s, int order[COSCHED_MAX_CONTAINERS]);
/* The last tick anything arrives. */
int cosched_last_arrival(const struct cosched_scenario *s);

/* ---- reporting (report.c) -------------------------------------------------- */

enum cosched_format { COSCHED_TEXT, COSCHED_TSV };

void cosched_report_scenario(FILE *f, enum cosched_format fmt, const struct cosched_scenario *s);
void cosched_report_timeline(FILE *f, enum cosched_format fmt, const struct cosched_scenario *s,
                             const struct cosched_result *r);
void cosched_report_summary(FILE *f, enum cosched_format fmt, const struct cosched_result *r,
                            int n);

/* A sweep adds up many runs per strategy. */
struct cosched_sweep {
	int clusters;
	int runs[COSCHED_NSTRATEGIES]; /* 0: the strategy was not selected */
	int groups[COSCHED_NSTRATEGIES], groups_ok[COSCHED_NSTRATEGIES];
	long idle[COSCHED_NSTRATEGIES], stranded[COSCHED_NSTRATEGIES], wait[COSCHED_NSTRATEGIES];
	long conflicts[COSCHED_NSTRATEGIES];
	int deadlocks[COSCHED_NSTRATEGIES];
};
void cosched_sweep_add(struct cosched_sweep *w, const struct cosched_scenario *s,
                       const struct cosched_result *r);
void cosched_report_sweep(FILE *f, enum cosched_format fmt, const struct cosched_sweep *w,
                          uint64_t seed);

#endif
