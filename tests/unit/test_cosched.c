/*
 * test_cosched.c - the co-scheduling simulator: the scenario parser (a good
 * file, every kind of error with its line:col) and each strategy on scenarios
 * small enough to work out by hand.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common.h"
#include "cosched.h"

static struct cosched_scenario s;
static struct cosched_result r;
static const struct cosched_options opt = {.schedulers = 2, .attempts = 4};

static void parse_ok(const char *text)
{
	int rc = cosched_scenario_parse("t.txt", text, &s);
	cr_assert_eq(rc, 0, "parse failed: %s", last_error());
}

/* The error must be exactly "t.txt:LINE:COL: ..." and mention `words`. */
static void parse_err(const char *text, const char *where, const char *words)
{
	errno = 0;
	cr_assert_eq(cosched_scenario_parse("t.txt", text, &s), -1, "accepted: %s", text);
	cr_assert_eq(errno, EINVAL);
	const char *msg = last_error();
	cr_assert(!strncmp(msg, where, strlen(where)), "expected '%s...', got '%s'", where, msg);
	cr_assert(strstr(msg, words), "expected '%s' in '%s'", words, msg);
}

static int idx(const char *name)
{
	for (int c = 0; c < s.ncontainers; c++)
		if (!strcmp(s.containers[c].name, name))
			return c;
	cr_assert_fail("no container %s", name);
	return -1;
}

static const char *node_of(const char *container)
{
	int n = r.node_of[idx(container)];
	return n < 0 ? "-" : s.nodes[n].name;
}

static void run(enum cosched_strategy st)
{
	cr_assert_eq(cosched_run(st, &s, &opt, &r), 0, "%s: %s", cosched_strategy_name(st),
	             last_error());
}

/* ---- parser -------------------------------------------------------------------- */

Test(parse, study_note_file)
{
	parse_ok("# comment line\n"
	         "scenario note\n"
	         "\n"
	         "node Node_A 1.25Gi   # trailing comment\n"
	         "node\tNode_B\t2Gi\r\n"
	         "container App 1Gi group=logging\n"
	         "container LogController 512Mi group=logging at=5\n"
	         "container Solo 256Mi");
	cr_assert_str_eq(s.name, "note");
	cr_assert_eq(s.nnodes, 2);
	cr_assert_eq(s.nodes[0].mib, 1280);
	cr_assert_str_eq(s.nodes[1].name, "Node_B");
	cr_assert_eq(s.nodes[1].mib, 2048);
	cr_assert_eq(s.ncontainers, 3);
	cr_assert_eq(s.containers[0].at, 0);
	cr_assert_eq(s.containers[1].at, 5);
	cr_assert_eq(s.containers[2].at, 6, "at= defaults to one after the previous");
	/* logging, and a group of its own for Solo */
	cr_assert_eq(s.ngroups, 2);
	cr_assert_eq(s.containers[0].group, s.containers[1].group);
	const struct cosched_group *g = &s.groups[s.containers[0].group];
	cr_assert_str_eq(g->name, "logging");
	cr_assert_eq(g->count, 2);
	cr_assert_eq(g->mib, 1536);
	cr_assert_eq(g->first_at, 0);
	cr_assert_eq(g->last_at, 5);
	cr_assert(s.groups[s.containers[2].group].implicit);
}

Test(parse, builtin_matches_the_note)
{
	cosched_scenario_study_note(&s);
	cr_assert_eq(s.nnodes, 2);
	cr_assert_eq(s.nodes[0].mib, 1280);
	cr_assert_eq(s.nodes[1].mib, 2048);
	cr_assert_eq(s.containers[idx("App")].mib, 1024);
	cr_assert_eq(s.containers[idx("LogController")].mib, 512);
	cr_assert_eq(s.ngroups, 1);
}

Test(parse, errors_point_at_the_word)
{
	parse_err("node A 1Gi\nnod B 1Gi\n", "t.txt:2:1: ", "unknown keyword 'nod'");
	parse_err("node A 1Gi\ncontainer x 1Gi\n  frobnicate\n", "t.txt:3:3: ", "unknown keyword");
	parse_err("node A\n", "t.txt:1:7: ", "expected 'node NAME SIZE'");
	parse_err("node A 1Gi extra\n", "t.txt:1:12: ", "unexpected 'extra'");
	parse_err("node A 1Gi\nnode A 2Gi\n", "t.txt:2:6: ", "defined twice");
	parse_err("node A/B 1Gi\n", "t.txt:1:7: ", "'/' in node name");
	parse_err("node A 1G\n", "t.txt:1:9: ", "unknown unit 'G'");
	parse_err("node A 100\n", "t.txt:1:11: ", "missing unit");
	parse_err("node A big\n", "t.txt:1:8: ", "expected a size");
	parse_err("node A 1.Gi\n", "t.txt:1:10: ", "digits after '.'");
	parse_err("node A 1.1Gi\n", "t.txt:1:8: ", "not a whole number of MiB");
	parse_err("node A 0Mi\n", "t.txt:1:8: ", "more than 0");
	parse_err("node A 2000Gi\n", "t.txt:1:8: ", "too large");
	parse_err("node A 1Gi\ncontainer c 1Gi color=red\n",
	          "t.txt:2:17: ", "unknown option 'color'");
	parse_err("node A 1Gi\ncontainer c 1Gi at=soon\n", "t.txt:2:20: ", "tick number");
	parse_err("node A 1Gi\ncontainer c 1Gi at=-1\n", "t.txt:2:20: ", "tick number");
	parse_err("node A 1Gi\ncontainer c 1Gi group=\n", "t.txt:2:23: ", "group name");
	parse_err("node A 1Gi\ncontainer c 1Gi group=a group=b\n", "t.txt:2:25: ", "twice");
	parse_err("node A 1Gi\ncontainer c 1Gi lonely\n", "t.txt:2:17: ", "group=NAME or at=TICK");
	parse_err("node A 1Gi\ncontainer c 1Gi\ncontainer c 1Gi\n", "t.txt:3:11: ", "twice");
	parse_err("node A 1Gi\ncontainer c\n", "t.txt:2:12: ", "expected 'container NAME SIZE");
	parse_err("scenario\n", "t.txt:1:9: ", "expected 'scenario NAME'");
}

Test(parse, whole_file_errors)
{
	parse_err("# nothing\n", "t.txt:1:1: ", "no node");
	parse_err("node A 1Gi\n\n", "t.txt:2:1: ", "no container");
	parse_err("", "t.txt:1:1: ", "no node");
	char big[400];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	parse_err(big, "t.txt:1:256: ", "line longer");
}

Test(parse, limits)
{
	char text[4096] = "";
	for (int i = 0; i <= COSCHED_MAX_NODES; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "node n%d 1Gi\n", i);
	parse_err(text, "t.txt:17:1: ", "too many nodes");
}

Test(parse, load_missing_file)
{
	cr_assert_eq(cosched_scenario_load("/nonexistent/cosched.txt", &s), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert(strstr(last_error(), "open(/nonexistent/cosched.txt)"));
}

Test(parse, load_rejects_what_is_not_a_scenario)
{
	/* a directory opens, but cannot be read */
	errno = 0;
	cr_assert_eq(cosched_scenario_load("/", &s), -1);
	cr_expect_eq(errno, EISDIR);
	cr_expect(strstr(last_error(), "read(/)"), "got: %s", last_error());

	/* binary bytes: refused as a whole, before the parser sees a word */
	char path[] = "/tmp/test_cosched.XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	static const char bin[] = "node A 1Gi\n\0container";
	cr_assert_eq(write(fd, bin, sizeof(bin) - 1), (ssize_t)sizeof(bin) - 1);
	close(fd);
	errno = 0;
	int rc = cosched_scenario_load(path, &s);
	int err = errno;
	unlink(path);
	cr_assert_eq(rc, -1);
	cr_expect_eq(err, EINVAL);
	cr_expect(strstr(last_error(), "NUL"), "got: %s", last_error());
}

Test(parse, load_rejects_a_huge_file)
{
	/* /dev/zero never ends: the bounded read must stop and say so */
	errno = 0;
	cr_assert_eq(cosched_scenario_load("/dev/zero", &s), -1);
	cr_expect_eq(errno, EFBIG);
	cr_expect(strstr(last_error(), "larger than"), "got: %s", last_error());
}

Test(parse, dump_round_trips)
{
	static struct cosched_scenario again;
	static char buf[8192];
	cosched_scenario_random(42, &s);
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	cosched_scenario_write(f, &s);
	fclose(f);
	cr_assert_eq(cosched_scenario_parse("dump", buf, &again), 0, "%s", last_error());
	cr_assert_str_eq(again.name, s.name);
	cr_assert_eq(again.nnodes, s.nnodes);
	cr_assert_eq(again.ncontainers, s.ncontainers);
	cr_assert_eq(again.ngroups, s.ngroups);
	for (int c = 0; c < s.ncontainers; c++) {
		cr_assert_eq(again.containers[c].mib, s.containers[c].mib);
		cr_assert_eq(again.containers[c].at, s.containers[c].at);
	}
}

Test(parse, dump_of_any_file_replays)
{
	/* Without a 'scenario' line the name is the path, which need not be a
	 * name the parser takes back: --dump must still print a file that replays. */
	static struct cosched_scenario again;
	static char buf[1024];
	cr_assert_eq(cosched_scenario_parse("my dir/x.txt", "node A 1Gi\ncontainer x 512Mi\n", &s),
	             0);
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	cosched_scenario_write(f, &s);
	fclose(f);
	cr_assert_eq(cosched_scenario_parse("again.txt", buf, &again), 0, "%s\n%s", last_error(),
	             buf);
	cr_assert_eq(again.ncontainers, 1);

	/* An arrival one past the previous is still an arrival the format takes. */
	parse_err("node A 1Gi\ncontainer x 1Gi at=100000\ncontainer y 1Gi\n",
	          "t.txt:3:11: ", "past tick 100000");
	parse_ok("node A 1Gi\ncontainer x 1Gi at=100000\ncontainer y 1Gi at=3\n");
}

Test(parse, fmt_mib)
{
	char b[32];
	cr_assert_str_eq(cosched_fmt_mib(b, sizeof(b), 1280), "1.25Gi");
	cr_assert_str_eq(cosched_fmt_mib(b, sizeof(b), 1536), "1.5Gi");
	cr_assert_str_eq(cosched_fmt_mib(b, sizeof(b), 2048), "2Gi");
	cr_assert_str_eq(cosched_fmt_mib(b, sizeof(b), 512), "512Mi");
	cr_assert_str_eq(cosched_fmt_mib(b, sizeof(b), 1000), "1000Mi");
	/* A group's sum can reach 64 containers of 1024Gi: x100 is past INT_MAX. */
	cr_assert_str_eq(cosched_fmt_mib(b, sizeof(b), 21 * COSCHED_MAX_MIB), "21504Gi");
	cr_assert_str_eq(cosched_fmt_mib(b, sizeof(b), 64 * COSCHED_MAX_MIB), "65536Gi");
}

Test(random, same_seed_same_scenario)
{
	static struct cosched_scenario a, b;
	cosched_scenario_random(7, &a);
	cosched_scenario_random(7, &b);
	cr_assert(!memcmp(&a, &b, sizeof(a)));
	cosched_scenario_random(8, &b);
	cr_assert(memcmp(&a, &b, sizeof(a)));
	uint64_t x = 0;
	/* splitmix64 from state 0: the reference generator's first output */
	cr_assert_eq(cosched_rand(&x), 0xe220a8397b1dcdafULL);
}

/* ---- strategies on the study note ----------------------------------------------------- */

Test(strategy, greedy_strands_app_on_node_a)
{
	cosched_scenario_study_note(&s);
	for (int st = COSCHED_FIRST_FIT; st <= COSCHED_BEST_FIT; st++) {
		run(st);
		cr_assert_str_eq(node_of("App"), "Node_A");
		cr_assert_str_eq(node_of("LogController"), "-");
		cr_assert_eq(r.placed, 1);
		cr_assert_eq(r.failed, 1);
		cr_assert_eq(r.groups_ok, 0);
		cr_assert_eq(r.stranded, 1024, "App runs without its partner");
		cr_assert(strstr(r.why[idx("LogController")], "Node_A"));
	}
}

Test(strategy, first_fit_and_best_fit_differ)
{
	parse_ok("node big 4Gi\nnode small 1Gi\ncontainer c 1Gi\n");
	run(COSCHED_FIRST_FIT);
	cr_assert_str_eq(node_of("c"), "big");
	run(COSCHED_BEST_FIT);
	cr_assert_str_eq(node_of("c"), "small");
}

Test(strategy, hoarding_holds_then_places)
{
	cosched_scenario_study_note(&s);
	run(COSCHED_HOARDING);
	cr_assert_str_eq(node_of("App"), "Node_B");
	cr_assert_str_eq(node_of("LogController"), "Node_B");
	cr_assert_eq(r.placed_at[idx("App")], 1, "App waits for LogController");
	cr_assert_eq(r.idle, 1024, "1Gi held for one tick");
	cr_assert_eq(r.deadlock_tick, -1);
	cr_assert_eq(r.groups_ok, 1);
}

Test(strategy, optimistic_places_without_holding)
{
	cosched_scenario_study_note(&s);
	run(COSCHED_OPTIMISTIC);
	cr_assert_str_eq(node_of("App"), "Node_B");
	cr_assert_str_eq(node_of("LogController"), "Node_B");
	cr_assert_eq(r.idle, 0);
	cr_assert_eq(r.conflicts, 0, "one group, nobody to conflict with");
}

Test(strategy, pod_places_the_group_on_node_b)
{
	cosched_scenario_study_note(&s);
	run(COSCHED_POD);
	cr_assert_str_eq(node_of("App"), "Node_B");
	cr_assert_str_eq(node_of("LogController"), "Node_B");
	cr_assert_eq(r.groups_ok, 1);
	cr_assert_eq(r.idle, 0);
	cr_assert_eq(r.stranded, 0);
}

/* ---- the interesting failures ---------------------------------------------------------- */

static const char deadlock[] = "node n1 3Gi\nnode n2 3Gi\n"
                               "container e 1Gi group=etl at=0\n"
                               "container f 1Gi group=web at=1\n"
                               "container t 1Gi group=etl at=2\n"
                               "container c 1Gi group=web at=3\n"
                               "container l 1Gi group=etl at=4\n";

Test(strategy, hoarding_deadlock_is_detected)
{
	parse_ok(deadlock);
	run(COSCHED_HOARDING);
	cr_assert_eq(r.deadlock_tick, 4);
	cr_assert(strstr(r.deadlock, "etl") && strstr(r.deadlock, "web"), "%s", r.deadlock);
	cr_assert_eq(r.placed, 0);
	cr_assert_eq(r.groups_failed, 2);
	/* held: 1Gi at t0, 2Gi at t1, 3Gi at t2, t3, t4 */
	cr_assert_eq(r.idle, 1024 * (1 + 2 + 3 + 3 + 3));
	cr_assert(strstr(r.why[idx("l")], "deadlock"));
}

Test(strategy, hoarding_starves_without_deadlock)
{
	/* b waits for memory App-like "x" uses for real: nobody hoards it, so no cycle. */
	parse_ok("node n 2Gi\ncontainer a 1Gi group=g at=0\ncontainer x 1Gi at=1\n"
	         "container b 1Gi group=g at=2\n");
	run(COSCHED_HOARDING);
	cr_assert_eq(r.deadlock_tick, -1);
	cr_assert_str_eq(node_of("x"), "n");
	cr_assert_str_eq(node_of("a"), "-");
	cr_assert(strstr(r.why[idx("b")], "never comes"));
}

Test(strategy, hoarding_fails_a_group_no_node_can_take)
{
	parse_ok("node n 1Gi\ncontainer a 1Gi group=g\ncontainer b 1Gi group=g\n");
	run(COSCHED_HOARDING);
	cr_assert_eq(r.placed, 0);
	cr_assert_eq(r.idle, 0, "nothing held for a group that cannot fit");
}

Test(strategy, pod_avoids_the_deadlock)
{
	parse_ok(deadlock);
	run(COSCHED_POD);
	cr_assert_eq(r.groups_ok, 2);
	cr_assert_str_eq(node_of("c"), "n1");
	cr_assert_str_eq(node_of("e"), "n2");
}

Test(strategy, pod_never_splits_a_group)
{
	/* 1.5Gi in total, 1Gi on each node: a pod scheduler must refuse. */
	parse_ok("node a 1Gi\nnode b 1Gi\ncontainer x 768Mi group=g\ncontainer y 768Mi group=g\n");
	run(COSCHED_POD);
	cr_assert_eq(r.placed, 0);
	cr_assert_eq(r.failed, 2);
	cr_assert_eq(r.stranded, 0);
}

Test(strategy, longest_names_are_not_cut)
{
	/* Names may have 31 characters: every message must still end as written. */
	static const char na[] = "node_A_is_thirty_one_characters",
	                  nb[] = "node_B_is_thirty_one_characters",
	                  ga[] = "group_a_is_thirty_one_character",
	                  gb[] = "group_b_is_thirty_one_character";
	static char text[1024];
	snprintf(text, sizeof(text),
	         "node %s 1.25Gi\nnode %s 2Gi\n"
	         "container app_is_thirty_one_characters_ 1Gi group=%s at=0\n"
	         "container log_is_thirty_one_characters_ 512Mi group=%s at=1\n",
	         na, nb, ga, ga);
	parse_ok(text);
	run(COSCHED_FIRST_FIT);
	const char *why = r.why[idx("log_is_thirty_one_characters_")];
	cr_assert(strstr(why, "needs 512Mi"), "cut: %s", why);
	cr_assert(strstr(r.events[1].text, "256Mi free"), "cut: %s", r.events[1].text);

	snprintf(text, sizeof(text),
	         "node %s 3Gi\n"
	         "container e_is_thirty_one_characters_long 1Gi group=%s at=0\n"
	         "container f_is_thirty_one_characters_long 1Gi group=%s at=1\n"
	         "container t_is_thirty_one_characters_long 1Gi group=%s at=2\n"
	         "container c_is_thirty_one_characters_long 1Gi group=%s at=3\n"
	         "container l_is_thirty_one_characters_long 1Gi group=%s at=4\n",
	         nb, ga, gb, ga, gb, ga);
	parse_ok(text);
	run(COSCHED_HOARDING);
	cr_assert_eq(r.deadlock_tick, 4);
	char cycle[256];
	snprintf(cycle, sizeof(cycle), "%s holds 2Gi on %s, %s holds 1Gi on %s", ga, nb, gb, nb);
	cr_assert_str_eq(r.deadlock, cycle);
	const char *ev = r.events[r.nevents - 1].text;
	cr_assert(strstr(ev, "DEADLOCK") && strstr(ev, cycle), "cut: %s", ev);
	why = r.why[idx("l_is_thirty_one_characters_long")];
	cr_assert(strstr(why, "and waits"), "cut: %s", why);
}

static const char contended[] = "node n1 2Gi\nnode n2 2Gi\nnode n3 2Gi\n"
                                "container a 1Gi group=A at=0\ncontainer a2 512Mi group=A at=0\n"
                                "container b 1Gi group=B at=0\ncontainer b2 512Mi group=B at=0\n"
                                "container c 1Gi group=C at=0\ncontainer c2 512Mi group=C at=0\n";

Test(strategy, optimistic_conflicts_and_retries)
{
	parse_ok(contended);
	run(COSCHED_OPTIMISTIC);
	cr_assert_eq(r.conflicts, 2);
	cr_assert_eq(r.retries, 2);
	cr_assert_eq(r.groups_ok, 3);
	cr_assert_str_eq(node_of("a"), "n1");
	cr_assert_str_eq(node_of("c"), "n2");
	cr_assert_str_eq(node_of("b"), "n3");
	cr_assert_eq(r.placed_at[idx("b")], 3, "two wasted decisions");
}

Test(strategy, optimistic_one_scheduler_never_conflicts)
{
	const struct cosched_options one = {.schedulers = 1, .attempts = 4};
	parse_ok(contended);
	cr_assert_eq(cosched_run(COSCHED_OPTIMISTIC, &s, &one, &r), 0);
	cr_assert_eq(r.conflicts, 0);
	cr_assert_eq(r.groups_ok, 3);
}

Test(strategy, optimistic_gives_up_after_its_attempts)
{
	const struct cosched_options once = {.schedulers = 2, .attempts = 1};
	parse_ok(contended);
	cr_assert_eq(cosched_run(COSCHED_OPTIMISTIC, &s, &once, &r), 0);
	cr_assert_eq(r.conflicts, 1);
	cr_assert_eq(r.retries, 0);
	cr_assert_eq(r.groups_failed, 1);
	cr_assert(strstr(r.why[idx("b")], "conflicted"));
}

Test(strategy, optimistic_rejects_bad_options)
{
	const struct cosched_options bad = {.schedulers = 0, .attempts = 4};
	cosched_scenario_study_note(&s);
	cr_assert_eq(cosched_run(COSCHED_OPTIMISTIC, &s, &bad, &r), -1);
	cr_assert_eq(errno, EINVAL);
}

/* ---- the exercise's function on its own ---------------------------------------------- */

Test(pod_fit, whole_group_or_nothing)
{
	struct cosched_state st;
	cosched_scenario_study_note(&s);
	cosched_state_init(&s, &st);
	cr_assert_eq(cosched_pod_fit(&s, &st, 0), 1, "Node_B, the only node with 1.5Gi");
	st.used[1] = 1024; /* Node_B now has 1Gi free: neither node takes 1.5Gi */
	errno = 0;
	cr_assert_eq(cosched_pod_fit(&s, &st, 0), -1);
	cr_assert_eq(errno, ENOSPC);
	cr_assert_eq(st.used[0], 0, "changes nothing");
	st.used[1] = 0;
	st.held[1] = 1024; /* held memory is not free either */
	cr_assert_eq(cosched_pod_fit(&s, &st, 0), -1);
}

Test(pod_fit, first_node_that_fits)
{
	/* 1.5Gi: a is too small; b is the first that fits, c the tightest fit,
	 * d the roomiest. Only first fit answers b, then c once b is full. */
	struct cosched_state st;
	parse_ok("node a 1Gi\nnode b 3Gi\nnode c 2Gi\nnode d 4Gi\n"
	         "container x 512Mi group=g\ncontainer y 1Gi group=g\n");
	cosched_state_init(&s, &st);
	cr_assert_eq(cosched_pod_fit(&s, &st, 0), 1, "b: the first node with 1.5Gi free");
	st.used[1] = 2048;
	cr_assert_eq(cosched_pod_fit(&s, &st, 0), 2, "c: b has 1Gi free now");
}

Test(strategy, unknown_strategy_is_an_error)
{
	cosched_scenario_study_note(&s);
	cr_assert_eq(cosched_strategy_lookup("fastest"), -1);
	cr_assert_eq(cosched_strategy_lookup(""), -1);
	cr_assert_eq(cosched_strategy_lookup("pod"), COSCHED_POD);
	errno = 0;
	cr_assert_eq(cosched_run((enum cosched_strategy)COSCHED_NSTRATEGIES, &s, &opt, &r), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect(strstr(last_error(), "no strategy"), "got: %s", last_error());
}
