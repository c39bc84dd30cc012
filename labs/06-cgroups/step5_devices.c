/*
 * step5_devices - the device allow-list: which device files a container may
 * open, whatever its capabilities and whatever device nodes it can make.
 *
 * A device node is only a name for (type, major, minor); anyone with
 * CAP_MKNOD can make one for any device. So the kernel asks the cgroup at
 * open(2) and mknod(2) time. v1 has a controller for it: devices.deny "a"
 * forbids everything, devices.allow "c 1:3 rwm" opens /dev/null again. v2
 * has no such file: the runtime attaches a small BPF program
 * (BPF_PROG_TYPE_CGROUP_DEVICE) to the cgroup, which the kernel runs with
 * (type, access, major, minor) and which returns 1 to allow, 0 to refuse.
 *
 * The container default lets mknod make any node ("c *:* m"), so mknod of
 * /dev/loop-control (10:237) works inside, but opening it is refused - while
 * the host opens the same node. On this hybrid host --mode bpf attaches the
 * program to the cgroup2 hierarchy (/sys/fs/cgroup/unified); v1 then allows
 * all and the program alone decides.
 *
 * Syscalls: mkdir(2) of a cgroup, write(2) to devices.deny/devices.allow,
 * bpf(2) BPF_PROG_LOAD and BPF_PROG_ATTACH, fork(2), mknod(2), open(2).
 */
#include "lab6.h"

#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: step5_devices [OPTION]...\n"
	        "Open and mknod devices in a cgroup with the container default allow-list.\n\n"
	        "  --mode MODE      v1 (devices.allow), bpf (a BPF program on cgroup2) or\n"
	        "                   auto (v1 where the devices controller is, default)\n"
	        "  --privileged     allow every device (a *:* rwm)\n"
	        "  --allow RULE     allow one more, in devices.allow's words: \"c 10:237 rm\"\n"
	        "                   (repeatable)\n"
	        "  --cgroup NAME    the cgroup, one name below this process's own\n"
	        "                   (default lab6-PID)\n"
	        "  --hold           keep the cgroup until stdin reaches EOF or Ctrl-C\n"
	        "  --help           show this help\n");
}

static char node[PATH_MAX];

static void try_open(const char *who, const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	printf("%s: open(%s, O_RDWR): %s\n", who, path, fd < 0 ? strerror(errno) : "ok");
	if (fd >= 0)
		close(fd);
}

/* Inside the cgroup: an allowed device, then a node of one that is not. */
static int probe(void *arg)
{
	(void)arg;
	try_open("inside", "/dev/null");
	if (mknod(node, S_IFCHR | 0600, makedev(10, 237)) < 0) {
		printf("inside: mknod(%s, c 10:237): %s\n", node, strerror(errno));
		return 1;
	}
	printf("inside: mknod(%s, c 10:237): ok\n", node);
	try_open("inside", node);
	return 0;
}

#define MAX_EXTRA 8

/* A major or minor number of a rule: "*" is any (-1). */
static int64_t rule_number(const char *rule, const char *s)
{
	long v;
	if (!strcmp(s, "*"))
		return -1;
	if (parse_long(s, 0, INT32_MAX, &v) < 0)
		die_usage("option '--allow': '%s': '%s' is no device number", rule, s);
	return v;
}

/* "c 10:237 rm", "b *:* m": a rule as devices.allow takes it. */
static struct cg_dev_rule parse_rule(const char *s)
{
	char type, maj[16], min[16], acc[8];
	int used = 0;
	if (sscanf(s, "%c %15[0-9*]:%15[0-9*] %7[rwm]%n", &type, maj, min, acc, &used) != 4 ||
	    s[used] || (type != 'a' && type != 'b' && type != 'c'))
		die_usage("option '--allow': '%s' is not a rule like \"c 10:237 rm\"", s);
	struct cg_dev_rule r = {type, rule_number(s, maj), rule_number(s, min), 0};
	for (const char *a = acc; *a; a++)
		r.access |= *a == 'r' ? CG_DEV_READ : *a == 'w' ? CG_DEV_WRITE : CG_DEV_MKNOD;
	return r;
}

/* Die with last_error(), after removing the cgroup and the directory the
 * probe makes its node in. */
static NORETURN void fail_and_remove(const struct cg *cg, const char *tmpdir)
{
	char why[1024];
	snprintf(why, sizeof(why), "%s", last_error());
	if (cg_remove(cg) < 0)
		warn("%s", last_error());
	unlink(node);
	rmdir(tmpdir);
	die("%s", why);
}

int main(int argc, char **argv)
{
	const char *mode = "auto", *rel = NULL;
	char relbuf[64];
	bool hold = false, privileged = false;
	size_t n_extra = 0;
	struct cg_dev_rule extra[MAX_EXTRA];
	static const struct option opts[] = {
	    {"mode", required_argument, NULL, 'm'},
	    {"privileged", no_argument, NULL, 'p'},
	    {"allow", required_argument, NULL, 'a'},
	    {"cgroup", required_argument, NULL, 'c'},
	    {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			mode = optarg;
			break;
		case 'p':
			privileged = true;
			break;
		case 'a':
			if (n_extra == MAX_EXTRA)
				die_usage("option '--allow': at most %d rules", MAX_EXTRA);
			extra[n_extra++] = parse_rule(optarg);
			break;
		case 'c':
			rel = optarg;
			break;
		case 'H':
			hold = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_bad_option(c, argv);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (strcmp(mode, "auto") && strcmp(mode, "v1") && strcmp(mode, "bpf"))
		die_usage("option '--mode': '%s' is not v1, bpf or auto", mode);
	if (!rel) {
		snprintf(relbuf, sizeof(relbuf), "lab6-%d", (int)getpid());
		rel = relbuf;
	}
	lab6_check_name(rel);

	struct cg_host host;
	lab6_detect(&host);
	lab6_refuse_existing(&host, rel);
	bool bpf = !strcmp(mode, "bpf") ||
	           (!strcmp(mode, "auto") && (!host.dir[CG_DEVICES][0] || host.v2[CG_DEVICES]));
	if (!bpf && (!host.dir[CG_DEVICES][0] || host.v2[CG_DEVICES]))
		die("--mode v1: this host has no v1 devices controller");

	/* the extra rules after the default ones, as a runtime appends a pod's
	 * devices to its defaults */
	struct cg_dev_rule rules[32];
	size_t n = privileged ? 1 : cg_n_default_devices;
	if (n + n_extra > ARRAY_SIZE(rules))
		die("%zu device rules: room for %zu", n + n_extra, ARRAY_SIZE(rules));
	memcpy(rules, privileged ? cg_all_devices : cg_default_devices, n * sizeof(rules[0]));
	memcpy(rules + n, extra, n_extra * sizeof(extra[0]));
	n += n_extra;

	char tmpl[] = "/tmp/lab6-dev.XXXXXX";
	if (!mkdtemp(tmpl))
		die_errno("mkdtemp(%s)", tmpl);
	snprintf(node, sizeof(node), "%s/loop-control", tmpl);

	interrupt_defer();
	struct cg cg;
	step("creating cgroup %s with the %s allow-list%s (%s)", rel,
	     privileged ? "privileged" : "default", n_extra ? " and --allow's" : "",
	     bpf ? "BPF program" : "v1 devices.allow");
	if (cg_create(&host, rel, &cg) < 0) {
		rmdir(tmpl);
		die_last();
	}
	if ((bpf ? cg_set_devices_bpf(&cg, rules, n) : cg_set_devices(&cg, rules, n)) < 0)
		fail_and_remove(&cg, tmpl);
	step_done();
	char dir[PATH_MAX];
	if (bpf)
		printf("unified cgroup: %s/%s\n", host.unified, cg.rel);
	else if (cg_path(&cg, CG_DEVICES, dir, sizeof(dir)) == 0)
		printf("devices cgroup: %s\n", dir);

	pid_t pid = lab6_spawn(&cg, probe, NULL);
	if (pid < 0)
		fail_and_remove(&cg, tmpl);
	int st = lab6_wait(pid);
	/* The contrast: the same node, opened from outside the cgroup. */
	if (access(node, F_OK) == 0)
		try_open("host", node);
	fflush(stdout);
	if (hold)
		hold_until_eof();
	/* The node and its directory first: they need no cgroup, and a
	 * removal of the cgroup that dies would leave them behind. */
	unlink(node);
	if (rmdir(tmpl) < 0) {
		fail_errno("rmdir(%s)", tmpl);
		fail_and_remove(&cg, tmpl);
	}
	lab6_remove(&cg);
	char how[64];
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("the probe %s", lab6_status(st, how, sizeof(how)));
	interrupt_check();
	return 0;
}
