/*
 * adapter - the adapter sidecar: the app reports its state in its own
 * format on its own /metrics ("requests=12 errors=3 queue_depth=4"), and the
 * adapter converts it to what the platform expects:
 *
 *   /healthz   200 or 503 by a rule on the app's numbers (the kubelet's
 *              readiness probe, a load balancer's health check)
 *   /metrics   the same numbers in Prometheus' text format
 *
 * The app is not changed at all: the adapter reaches it over localhost,
 * because the two share the pod's network namespace, and fetches the app's
 * page afresh for every request it answers, the way a Prometheus exporter does.
 *
 * The HTTP is handwritten and minimal (http.c); whatever reaches the pod's
 * port that is not a well-formed request gets a 400 and the adapter carries
 * on. One connection at a time, each with 2 s in all to send its request.
 */
#include "common.h"
#include "http.h"
#include "netutil.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_METRICS 64

struct metric {
	char name[64];
	double value;
};

struct app_metrics {
	bool up; /* the app answered with a page we could read */
	char why[256];
	struct metric m[MAX_METRICS];
	size_t n;
};

static struct sockaddr_in app_addr;
static const char *app_path = "/metrics";
static double max_error_ratio = 0.1;
static double max_queue = 100;

static void usage(FILE *out)
{
	fprintf(out, "Usage: adapter --listen HOST:PORT --app HOST:PORT [OPTION]...\n"
	             "Serve /healthz and Prometheus /metrics from the app's own /metrics page.\n"
	             "\n"
	             "  --listen HOST:PORT      where to serve /healthz and /metrics\n"
	             "  --app HOST:PORT         the app's HTTP server (normally 127.0.0.1:PORT)\n"
	             "  --app-path PATH         the app's metrics page (default /metrics)\n"
	             "  --max-error-ratio R     unhealthy when errors/requests > R (default 0.1)\n"
	             "  --max-queue N           unhealthy when queue_depth > N (default 100)\n"
	             "  -h, --help              show this help\n");
}

/* The app's format: "name=value" tokens separated by blanks or newlines,
 * names [a-z_][a-z0-9_]*, values non-negative numbers. */
static void parse_app(const char *text, struct app_metrics *am)
{
	am->n = 0;
	const char *p = text;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		size_t tok = strcspn(p, " \t\r\n");
		const char *eq = memchr(p, '=', tok);
		struct metric m = {0};
		size_t nl = eq ? (size_t)(eq - p) : 0;
		bool ok = eq && nl > 0 && nl < sizeof(m.name) &&
		          (islower((unsigned char)*p) || *p == '_');
		for (size_t i = 0; ok && i < nl; i++)
			ok = islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]) ||
			     p[i] == '_';
		if (ok) {
			char num[64], *end;
			size_t vl = tok - nl - 1;
			ok = vl > 0 && vl < sizeof(num);
			if (ok) {
				memcpy(num, eq + 1, vl);
				num[vl] = '\0';
				m.value = strtod(num, &end);
				ok = *end == '\0' && isfinite(m.value) && m.value >= 0;
			}
		}
		if (!ok) {
			am->up = false;
			snprintf(am->why, sizeof(am->why), "app metrics: bad token '%.*s'",
			         (int)(tok < 40 ? tok : 40), p);
			return;
		}
		memcpy(m.name, p, nl);
		for (size_t i = 0; i < am->n; i++) {
			if (strcmp(am->m[i].name, m.name) == 0) {
				/* which of the two is it? not a number to judge by */
				am->up = false;
				snprintf(am->why, sizeof(am->why), "app metrics: '%s' given twice",
				         m.name);
				return;
			}
		}
		if (am->n < MAX_METRICS)
			am->m[am->n++] = m;
		p += tok;
	}
	am->up = true;
}

static void fetch_app(struct app_metrics *am)
{
	static char body[64 * 1024];
	*am = (struct app_metrics){0};
	int status = http_get(&app_addr, app_path, 1000, body, sizeof(body));
	if (status < 0) {
		snprintf(am->why, sizeof(am->why), "app unreachable: %s", last_error());
		return;
	}
	if (status != 200) {
		snprintf(am->why, sizeof(am->why), "app %s answered %d", app_path, status);
		return;
	}
	parse_app(body, am);
}

__attribute__((unused)) static const struct metric *find(const struct app_metrics *am,
                                                         const char *name)
{
	for (size_t i = 0; i < am->n; i++)
		if (strcmp(am->m[i].name, name) == 0)
			return &am->m[i];
	return NULL;
}

/* The health rule. Returns true when healthy; why says what failed. */
static bool healthy(const struct app_metrics *am, char *why, size_t size)
{
	/* BEGIN EXERCISE: adapter-health (easy, 20 min): the health rule behind /healthz
	 * Hint: README.md "The adapter: adapter, handwritten HTTP"; unhealthy when the app is down,
	 * when errors/requests is above --max-error-ratio (no requests: no ratio), or queue_depth
	 * above --max-queue; why says which, as "error ratio %.3f > %.3f" or "queue_depth %g > %g".
	 */
	/* STUB: (void)am; snprintf(why, size, "lab-5 exercise not done: adapter-health");
	 * exercise_todo(5, "adapter-health"); return false; */
	if (!am->up) {
		snprintf(why, size, "%s", am->why);
		return false;
	}
	const struct metric *req = find(am, "requests"), *err = find(am, "errors");
	const struct metric *queue = find(am, "queue_depth");
	if (req && err && req->value > 0 && err->value / req->value > max_error_ratio) {
		snprintf(why, size, "error ratio %.3f > %.3f", err->value / req->value,
		         max_error_ratio);
		return false;
	}
	if (queue && queue->value > max_queue) {
		snprintf(why, size, "queue_depth %g > %g", queue->value, max_queue);
		return false;
	}
	snprintf(why, size, "ok");
	return true;
	/* END EXERCISE */
}

/* Counters only go up, and Prometheus wants them named *_total; everything
 * else the app reports is a gauge. This table is the adapter knowing the app. */
static bool is_counter(const char *name)
{
	return strcmp(name, "requests") == 0 || strcmp(name, "errors") == 0;
}

/* The text format allows one family per name, and Prometheus refuses the
 * whole scrape when a family comes twice. The adapter's own app_up and
 * app_healthy, and a counter's app_NAME_total, win over an app's gauge that
 * would get the same name ("up", "requests_total"): that one is left out. */
static bool shadowed(const struct app_metrics *am, const char *name)
{
	if (is_counter(name))
		return false;
	if (strcmp(name, "up") == 0 || strcmp(name, "healthy") == 0)
		return true;
	size_t len = strlen(name);
	char base[sizeof(am->m[0].name)];
	if (len <= 6 || strcmp(name + len - 6, "_total") != 0)
		return false;
	snprintf(base, sizeof(base), "%.*s", (int)(len - 6), name);
	return is_counter(base) && find(am, base);
}

static void prometheus(const struct app_metrics *am, char *out, size_t size)
{
	char why[256];
	bool ok = healthy(am, why, sizeof(why));
	size_t n =
	    (size_t)snprintf(out, size,
	                     "# HELP app_up Whether the adapter could read the app's metrics.\n"
	                     "# TYPE app_up gauge\napp_up %d\n"
	                     "# HELP app_healthy Whether /healthz answers 200.\n"
	                     "# TYPE app_healthy gauge\napp_healthy %d\n",
	                     am->up, ok);
	for (size_t i = 0; am->up && i < am->n && n < size; i++) {
		const struct metric *m = &am->m[i];
		if (shadowed(am, m->name))
			continue;
		bool counter = is_counter(m->name);
		n += (size_t)snprintf(out + n, size - n,
		                      "# HELP app_%s%s %s, as reported by the app.\n"
		                      "# TYPE app_%s%s %s\napp_%s%s %.17g\n",
		                      m->name, counter ? "_total" : "", m->name, m->name,
		                      counter ? "_total" : "", counter ? "counter" : "gauge",
		                      m->name, counter ? "_total" : "", m->value);
	}
}

static void answer(int fd)
{
	char buf[HTTP_HEAD_MAX];
	size_t len = 0;
	struct http_request req;
	int head;
	/* Read until the head is complete, for 2 s in all. A timeout per read
	 * (SO_RCVTIMEO) would not do: a client sending a byte a second never
	 * trips it, and holds the adapter for hours (slowloris). */
	int64_t deadline = now_ms() + 2000;
	while ((head = http_parse_request(buf, len, &req)) == 0) {
		int64_t left = deadline - now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0)
			return; /* too slow: nobody to answer */
		int ready = poll(&p, 1, (int)left);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return;
		ssize_t r = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return; /* gone or too slow: nobody to answer */
		len += (size_t)r;
	}
	if (head < 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "bad request: %s\n", last_error());
		http_respond(fd, 400, "text/plain", msg);
		return;
	}
	if (strcmp(req.method, "GET") != 0) {
		http_respond(fd, 405, "text/plain", "only GET\n");
		return;
	}

	static struct app_metrics am;
	static char body[64 * 1024];
	if (strcmp(req.path, "/healthz") == 0) {
		char why[256];
		fetch_app(&am);
		bool ok = healthy(&am, why, sizeof(why));
		snprintf(body, sizeof(body), "%s\n", why);
		http_respond(fd, ok ? 200 : 503, "text/plain", body);
	} else if (strcmp(req.path, "/metrics") == 0) {
		fetch_app(&am);
		prometheus(&am, body, sizeof(body));
		http_respond(fd, 200, "text/plain; version=0.0.4", body);
	} else {
		http_respond(fd, 404, "text/plain", "not found: try /healthz or /metrics\n");
	}
}

/* Closing a socket with unread bytes in it makes the kernel send RST, and
 * an RST can overtake our answer: the client of a 400 would see "connection
 * reset" instead. So say we are done (FIN), read what is left for a moment,
 * then close. */
static void linger_close(int fd)
{
	char sink[4096];
	shutdown(fd, SHUT_WR);
	nu_set_timeout(fd, 200);
	int64_t until = now_ms() + 500;
	while (now_ms() < until && recv(fd, sink, sizeof(sink), 0) > 0)
		;
	close(fd);
}

static double parse_number(const char *flag, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0)
		die_usage("%s: '%s' is not a non-negative number", flag, s);
	return v;
}

/* A container's PID 1 gets no default action for SIGTERM from the kernel:
 * without a handler, stopping the pod would wait out its whole grace period. */
static void on_sigterm(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"app", required_argument, NULL, 'a'},
	    {"app-path", required_argument, NULL, 'p'},
	    {"max-error-ratio", required_argument, NULL, 'e'},
	    {"max-queue", required_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *listen_at = NULL, *app = NULL;
	int c;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_at = optarg;
			break;
		case 'a':
			app = optarg;
			break;
		case 'p':
			app_path = optarg;
			break;
		case 'e':
			max_error_ratio = parse_number("--max-error-ratio", optarg);
			break;
		case 'q':
			max_queue = parse_number("--max-queue", optarg);
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
	if (!listen_at || !app)
		die_usage("--listen and --app are required");
	if (app_path[0] != '/' || strpbrk(app_path, " \r\n") || strlen(app_path) > 200)
		die_usage("--app-path must be a path like /metrics");
	struct sockaddr_in addr;
	if (nu_parse_hostport(listen_at, &addr) < 0)
		die_usage("--listen: %s", last_error());
	if (nu_parse_hostport(app, &app_addr) < 0)
		die_usage("--app: %s", last_error());

	signal(SIGTERM, on_sigterm);
	int lfd = nu_listen(&addr, 0);
	if (lfd < 0)
		die_last();
	signal(SIGPIPE, SIG_IGN);
	char where[NU_ADDRSTRLEN], app_where[NU_ADDRSTRLEN];
	printf("adapter: listening on %s, app at %s%s\n", nu_addr_str(&addr, where),
	       nu_addr_str(&app_addr, app_where), app_path);
	fflush(stdout);

	for (;;) {
		int fd = nu_accept(lfd);
		if (fd < 0)
			die_last();
		if (nu_set_timeout(fd, 2000) == 0)
			answer(fd);
		linger_close(fd);
	}
}
