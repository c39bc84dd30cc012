/*
 * test_status.c - unit tests of capstone/status.c: the pod's events file
 * stays bounded, and keeps whole lines, the newest ones; a condition's
 * reason changes without its transition time.
 */
#include "common.h"
#include "status.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/podlab-test-status.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	rm_rf(dir);
}

Test(events, a_failing_probe_for_a_day_does_not_fill_the_state, .init = make_dir,
     .fini = remove_dir)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/events", dir);
	/* a day of one failure a second: 86400 events of ~200 bytes, 17 MB
	 * unbounded; a tenth of it is enough to cross the bound many times */
	for (int i = 0; i < 8640; i++)
		status_event(dir, "Warning", "Unhealthy", "spec.containers{app}",
		             "Readiness probe failed: HTTP probe failed with statuscode: 500 (%d)",
		             i);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_leq(st.st_size, STATUS_EVENTS_MAX);
	cr_expect_geq(st.st_size, STATUS_EVENTS_MAX / 2 - 1024);
	/* whole lines, and the last event is the newest one */
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f);
	char line[2048], last[2048] = "";
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		cr_expect(!strncmp(line, "20", 2) && strstr(line, "\tWarning\tUnhealthy\t"),
		          "a cut line: %s", line);
		snprintf(last, sizeof(last), "%s", line);
		n++;
	}
	fclose(f);
	cr_expect_gt(n, 100);
	cr_expect_not_null(strstr(last, "(8639)\n"), "last: %s", last);
	snprintf(path, sizeof(path), "%s/events.tmp", dir);
	cr_expect_neq(access(path, F_OK), 0, "the temporary file stays");
}

/* kubelet keeps a condition's lastTransitionTime while its status stays,
 * and shows the reason of now: Ready False for ContainersNotReady, then for
 * PodCompleted once the pod ended. */
Test(conditions, a_new_reason_for_the_same_status_keeps_its_time)
{
	struct status_pod st = {0};
	cr_expect(status_set(&st, STATUS_READY, false, "ContainersNotReady"));
	int64_t since = st.cond[STATUS_READY].since_ns;
	cr_expect_not(status_set(&st, STATUS_READY, false, "ContainersNotReady"));
	cr_expect(status_set(&st, STATUS_READY, false, "PodCompleted"), "a new reason is a change");
	cr_expect_str_eq(st.cond[STATUS_READY].reason, "PodCompleted");
	cr_expect_eq(st.cond[STATUS_READY].since_ns, since, "the transition time moved");
	cr_expect(status_set(&st, STATUS_READY, true, "ignored"));
	cr_expect_null(st.cond[STATUS_READY].reason, "a True condition gives no reason");
	cr_expect_not(status_set(&st, STATUS_READY, true, "another"));
}
