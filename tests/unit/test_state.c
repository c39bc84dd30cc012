/*
 * test_state.c - unit tests of capstone/state.c's liveness check, which
 * every command and every admission trusts: a recorded pid counts as alive
 * only while that very process (same start time) runs and is no zombie;
 * and of resources.c's sum of what the running pods request.
 */
#include "common.h"
#include "resources.h"
#include "state.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/podlab-test-state.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	rm_rf(dir);
}

/* A child that sleeps until killed, named NAME (its comm, in /proc/PID/stat). */
static pid_t sleeper(const char *name)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, name);
		close(p[0]);
		close(p[1]); /* renamed: the parent may read /proc/PID/stat now */
		pause();
		_exit(0);
	}
	close(p[1]);
	char c;
	cr_assert_eq(read(p[0], &c, 1), 0);
	close(p[0]);
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void put_long(const char *key, long long v)
{
	cr_assert_eq(state_put(dir, key, "%lld", v), 0);
}

Test(live_pid, a_running_process_is_alive, .init = make_dir, .fini = remove_dir)
{
	pid_t pid = sleeper("sup");
	cr_assert_eq(state_put_pid(dir, "supervisor", pid), 0);
	cr_expect_eq(state_live_pid(dir, "supervisor"), pid);
	stop(pid);
}

/* The command name may hold ") " and a state letter: the fields after it
 * are found from the last ')', or the check reads a name for a zombie. */
Test(live_pid, a_name_that_looks_like_fields_is_skipped, .init = make_dir, .fini = remove_dir)
{
	pid_t pid = sleeper("a) Z 1 2 3 4");
	cr_assert_eq(state_put_pid(dir, "", pid), 0);
	cr_expect_gt(state_proc_start(pid), 0);
	cr_expect_eq(state_live_pid(dir, ""), pid);
	stop(pid);
}

Test(live_pid, a_zombie_is_not_alive, .init = make_dir, .fini = remove_dir)
{
	pid_t pid = sleeper("sup");
	cr_assert_eq(state_put_pid(dir, "supervisor", pid), 0);
	kill(pid, SIGKILL);
	/* exited, not reaped: /proc/PID/stat still shows it, with state Z */
	siginfo_t si;
	cr_assert_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	cr_expect_eq(state_live_pid(dir, "supervisor"), 0);
	waitpid(pid, NULL, 0);
	cr_expect_eq(state_live_pid(dir, "supervisor"), 0);
}

/* A pid reused by another process: its start time differs. */
Test(live_pid, another_process_with_the_pid_is_not_alive, .init = make_dir, .fini = remove_dir)
{
	pid_t pid = sleeper("sup");
	cr_assert_eq(state_put(dir, "supervisor.pid", "%d", (int)pid), 0);
	put_long("supervisor.start", state_proc_start(pid) - 1);
	cr_expect_eq(state_live_pid(dir, "supervisor"), 0);
	stop(pid);
}

Test(live_pid, missing_files_are_not_alive, .init = make_dir, .fini = remove_dir)
{
	cr_expect_eq(state_live_pid(dir, "supervisor"), 0);
	cr_assert_eq(state_put(dir, "supervisor.pid", "%d", (int)getpid()), 0);
	cr_expect_eq(state_live_pid(dir, "supervisor"), 0); /* no start time */
}

/* One pod under the state root: its requests, and a supervisor pid. */
static void pod(const char *name, long long cpu, long long mem, pid_t sup)
{
	char d[PATH_MAX];
	snprintf(d, sizeof(d), "%s/pods/%s", dir, name);
	cr_assert_eq(mkdir_p(d, 0700), 0);
	cr_assert_eq(state_put(d, "requests", "%lld %lld", cpu, mem), 0);
	if (sup > 0)
		cr_assert_eq(state_put_pid(d, "supervisor", sup), 0);
}

/* Admission counts what running pods request: a pod whose supervisor is
 * gone (killed, not yet removed) holds nothing on the node. */
Test(requested, only_pods_with_a_live_supervisor_count, .init = make_dir, .fini = remove_dir)
{
	cr_assert_eq(setenv("PODRUN_ROOT", dir, 1), 0);
	pid_t live = sleeper("sup"), dead = sleeper("sup");
	pod("running", 250, 64 << 20, live);
	pod("dead", 500, 128 << 20, dead);
	pod("besteffort", 0, 0, 0);
	stop(dead);
	int64_t mem, cpu;
	cr_assert_eq(res_requested(&mem, &cpu), 0);
	cr_expect_eq(cpu, 250);
	cr_expect_eq(mem, 64 << 20);
	stop(live);
	cr_assert_eq(res_requested(&mem, &cpu), 0);
	cr_expect_eq(cpu, 0);
	cr_expect_eq(mem, 0);
}

/* A change of many files (a container's status) is bracketed by an odd and
 * an even seq; a reader sees whether one happened while it read. */
Test(change, begin_makes_seq_odd_end_even_and_readers_see_it, .init = make_dir, .fini = remove_dir)
{
	long before = state_read_begin(dir, true); /* no seq yet: 0, nothing under way */
	cr_expect_eq(before, 0);
	cr_assert_eq(state_change_begin(dir), 0);
	cr_expect_eq(state_get_long(dir, "seq", -1), 1);
	cr_expect(state_read_changed(dir, before));
	cr_assert_eq(state_change_end(dir), 0);
	cr_expect_eq(state_get_long(dir, "seq", -1), 2);
	long seq = state_read_begin(dir, true);
	cr_expect_eq(seq, 2);
	cr_expect_not(state_read_changed(dir, seq));
	/* an end without its begin (a writer restarted) still ends even */
	cr_assert_eq(state_change_end(dir), 0);
	cr_expect_eq(state_get_long(dir, "seq", -1), 4);
}

/* A reader that finds a change under way waits for its end, then reads. */
Test(change, a_reader_waits_for_a_change_under_way, .init = make_dir, .fini = remove_dir)
{
	cr_assert_eq(state_change_begin(dir), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		sleep_ms(100);
		_exit(state_change_end(dir) == 0 ? 0 : 1);
	}
	long seq = state_read_begin(dir, true);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_expect_eq(seq, 2, "read while the change was under way (seq %ld)", seq);
}

/* A writer killed in the middle of a change leaves seq odd for good: with
 * the writer dead, the reader takes what is there at once, and does not
 * count it as changed. */
Test(change, a_dead_writer_is_not_waited_for, .init = make_dir, .fini = remove_dir)
{
	cr_assert_eq(state_change_begin(dir), 0);
	int64_t t0 = now_ms();
	long seq = state_read_begin(dir, false);
	cr_expect_eq(seq, 1);
	cr_expect_lt(now_ms() - t0, STATE_READ_WAIT_MS / 2);
	cr_expect_not(state_read_changed(dir, seq));
}

/* The inode of dir/key: each write is a new file renamed over the old. */
static ino_t inode_of(const char *key)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	cr_assert_eq(stat(path, &st), 0, "stat(%s): %s", path, strerror(errno));
	return st.st_ino;
}

/* A memo writes a key again only when its value changed, and each key on
 * its own: what a container's status change leaves as it was stays the
 * file it was (a reader holding it open reads no new one). */
Test(memo, a_value_written_again_is_not_rewritten, .init = make_dir, .fini = remove_dir)
{
	struct state_memo memo = {0};
	char buf[64];
	cr_assert_eq(state_put_memo(&memo, dir, "state", "%s", "Waiting"), 0);
	cr_assert_eq(state_put_memo(&memo, dir, "restarts", "%d", 0), 0);
	ino_t state = inode_of("state"), restarts = inode_of("restarts");
	cr_assert_eq(state_put_memo(&memo, dir, "state", "%s", "Waiting"), 0);
	cr_expect_eq(inode_of("state"), state, "the same value was written again");
	cr_assert_eq(state_put_memo(&memo, dir, "state", "%s", "Running"), 0);
	cr_expect_neq(inode_of("state"), state, "a new value was not written");
	cr_assert_eq(state_get(dir, "state", buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "Running");
	cr_assert_eq(state_put_memo(&memo, dir, "restarts", "%d", 0), 0);
	cr_expect_eq(inode_of("restarts"), restarts, "another key's write rewrote this one");
	/* back to a value it held before: a change all the same */
	cr_assert_eq(state_put_memo(&memo, dir, "state", "%s", "Waiting"), 0);
	cr_assert_eq(state_get(dir, "state", buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "Waiting");
	state_memo_free(&memo);
	cr_expect_null(memo.head);
}

/* A write that failed is not remembered as written: the same value is
 * written the next time, when the directory is there again. */
Test(memo, a_failed_write_is_tried_again, .init = make_dir, .fini = remove_dir)
{
	struct state_memo memo = {0};
	char buf[64];
	cr_assert_eq(state_put_memo(&memo, dir, "phase", "%s", "Pending"), 0);
	rm_rf(dir);
	cr_expect_lt(state_put_memo(&memo, dir, "phase", "%s", "Running"), 0);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(state_put_memo(&memo, dir, "phase", "%s", "Running"), 0);
	cr_assert_eq(state_get(dir, "phase", buf, sizeof(buf)), 0, "not written again");
	cr_expect_str_eq(buf, "Running");
	state_memo_free(&memo);
}
