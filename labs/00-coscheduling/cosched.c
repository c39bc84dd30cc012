/*
 * cosched - why a Pod is the unit of scheduling: a co-scheduling simulator.
 *
 * Two containers that must share a node arrive one after the other at a
 * cluster. Watch five schedulers place them: the greedy ones strand the first
 * container where the second cannot follow, Mesos-style hoarding wastes held
 * memory and can deadlock, Omega-style optimistic schedulers collide and
 * retry, and the Pod, one unit for the whole group, simply fits or not.
 *
 *   cosched                          the study note's scenario, every strategy
 *   cosched scenarios/deadlock.txt   a scenario file
 *   cosched --seed 7                 a random scenario (the same one for the same seed)
 *   cosched --sweep 500              success and costs over 500 random clusters
 *
 * No syscalls worth the name: this lab is about the idea, before the kernel.
 */
#include "cosched.h"

#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cosched [OPTION]... [SCENARIO]\n"
	           "Simulate placing containers with affinity groups on a cluster.\n"
	           "Without SCENARIO (a file, or - for stdin) runs the study note's scenario.\n"
	           "\n"
	           "  -s, --strategy LIST  strategies to run, comma separated (default: all):\n"
	           "                       first-fit, best-fit, hoarding, optimistic, pod\n"
	           "  -n, --schedulers N   optimistic: schedulers sharing the cluster (default 2)\n"
	           "      --seed N         run a random scenario made from seed N\n"
	           "      --sweep N        run N random scenarios (seeds from --seed, default 1)\n"
	           "                       and print each strategy's success rate and costs\n"
	           "      --format FMT     text (default) or tsv, for scripts\n"
	           "      --dump           print the scenario in the file format and stop\n"
	           "  -h, --help           show this help\n"
	           "\n"
	           "Exit status: 0 ok, 1 a strategy failed to run, 2 usage or scenario error.\n");
}

enum { OPT_SEED = 256, OPT_SWEEP, OPT_FORMAT, OPT_DUMP };

static unsigned parse_strategies(const char *list)
{
	char buf[128];
	unsigned set = 0;
	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		die_usage("--strategy list too long");
	char *rest = buf;
	for (char *tok; (tok = strsep(&rest, ","));) {
		if (!strcmp(tok, "all")) {
			set |= (1u << COSCHED_NSTRATEGIES) - 1;
			continue;
		}
		int st = cosched_strategy_lookup(tok);
		if (st < 0)
			die_usage("unknown strategy '%s'", tok);
		set |= 1u << st;
	}
	return set;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"strategy", required_argument, NULL, 's'},
	    {"schedulers", required_argument, NULL, 'n'},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"sweep", required_argument, NULL, OPT_SWEEP},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"dump", no_argument, NULL, OPT_DUMP},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned strategies = (1u << COSCHED_NSTRATEGIES) - 1;
	struct cosched_options opt = {.schedulers = 2, .attempts = 4};
	enum cosched_format fmt = COSCHED_TEXT;
	bool have_seed = false, dump = false;
	long seed = 1, sweep = 0, v;
	int ch;

	opterr = 0; /* getopt's own messages are two lines and name the full path */
	while ((ch = getopt_long(argc, argv, ":s:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			strategies = parse_strategies(optarg);
			break;
		case 'n':
			if (parse_long(optarg, 1, COSCHED_MAX_SCHEDULERS, &v) < 0)
				die_usage("--schedulers: expected 1 to %d, got '%s'",
				          COSCHED_MAX_SCHEDULERS, optarg);
			opt.schedulers = (int)v;
			break;
		case OPT_SEED:
			if (parse_long(optarg, 0, 1000000000, &seed) < 0)
				die_usage("--seed: expected 0 to 1000000000, got '%s'", optarg);
			have_seed = true;
			break;
		case OPT_SWEEP:
			if (parse_long(optarg, 1, 100000, &sweep) < 0)
				die_usage("--sweep: expected 1 to 100000, got '%s'", optarg);
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "text"))
				fmt = COSCHED_TEXT;
			else if (!strcmp(optarg, "tsv"))
				fmt = COSCHED_TSV;
			else
				die_usage("--format: expected text or tsv, got '%s'", optarg);
			break;
		case OPT_DUMP:
			dump = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(ch, argv);
		}
	}
	if (argc - optind > 1)
		die_usage("one scenario at a time (got '%s' and '%s')", argv[optind],
		          argv[optind + 1]);
	const char *file = optind < argc ? argv[optind] : NULL;
	if (file && (have_seed || sweep))
		die_usage("a scenario file, or --seed/--sweep for random ones, not both");
	if (sweep && dump)
		die_usage("--dump prints one scenario; it does not go with --sweep");

	static struct cosched_scenario s;
	static struct cosched_result r[COSCHED_NSTRATEGIES];

	if (sweep) {
		static struct cosched_sweep w;
		w.clusters = (int)sweep;
		for (long i = 0; i < sweep; i++) {
			cosched_scenario_random((uint64_t)(seed + i), &s);
			for (int st = 0; st < COSCHED_NSTRATEGIES; st++) {
				if (!(strategies & (1u << st)))
					continue;
				if (cosched_run(st, &s, &opt, &r[0]) < 0)
					die("%s: %s", cosched_strategy_name(st), last_error());
				cosched_sweep_add(&w, &s, &r[0]);
			}
		}
		cosched_report_sweep(stdout, fmt, &w, (uint64_t)seed);
		return 0;
	}

	if (file) {
		if (cosched_scenario_load(file, &s) < 0) {
			/* A parse error reads "file:line:col: message", the way compilers
			 * say it, so editors can jump there; a file we cannot read is
			 * named like any other failure. Both are bad input: exit 2. */
			fflush(stdout);
			if (errno == EINVAL)
				fprintf(stderr, "%s\n", last_error());
			else
				fprintf(stderr, "cosched: %s\n", last_error());
			return 2;
		}
	} else if (have_seed) {
		cosched_scenario_random((uint64_t)seed, &s);
	} else {
		cosched_scenario_study_note(&s);
	}
	if (dump) {
		cosched_scenario_write(stdout, &s);
		return 0;
	}

	cosched_report_scenario(stdout, fmt, &s);
	int n = 0;
	for (int st = 0; st < COSCHED_NSTRATEGIES; st++) {
		if (!(strategies & (1u << st)))
			continue;
		if (cosched_run(st, &s, &opt, &r[n]) < 0)
			die("%s: %s", cosched_strategy_name(st), last_error());
		cosched_report_timeline(stdout, fmt, &s, &r[n]);
		n++;
	}
	cosched_report_summary(stdout, fmt, r, n);
	return 0;
}
