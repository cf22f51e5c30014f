/*
 * farmd.c - the farm daemon: reads farm.conf, sets up the lab network,
 * the database, the HTTP server and the machines, then runs the event
 * loop until SIGINT/SIGTERM, and cleans up everything it made.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "api.h"
#include "api_web.h"
#include "apps.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "lab.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "netlab.h"
#include "power.h"
#include "sched.h"
#include "suite.h"
#include "util.h"
#include "webhook.h"

#define FARM_VERSION "0.1.0"

static void
usage(void)
{
	fprintf(stderr, "usage: farmd [-nsv] [-c farm.conf]\n"
	    "  -c FILE  configuration (default: farm.conf)\n"
	    "  -n       check the configuration and exit\n"
	    "  -s       log to syslog (facility daemon) instead of stderr\n"
	    "  -v       more log (twice: debug)\n");
	exit(2);
}

/* SIGHUP: read farm.conf again; a file with errors, or one that changes
 * what cannot change while farmd runs, leaves the running one in force. */
static void
on_reload_signal(int signo, void *arg)
{
	struct farm_conf *conf = arg, *n;
	char *cause = NULL;

	(void)signo;
	n = config_load(conf->path, &cause);
	if (n == NULL) {
		log_warnx("reload: %s has errors; the running configuration stays:\n%s",
		    conf->path, cause);
	} else if (config_apply(conf, n, &cause) < 0) {
		log_warnx("reload: %s: %s; restart farmd to apply it. The running"
		    " configuration stays", conf->path, cause);
	} else {
		http_set_token(conf->api_token);
		api_reload(conf);
		sched_kick();
		log_info("reload: %s applied", conf->path);
	}
	config_free(n);
	free(cause);
}

static void
on_stop_signal(int signo, void *arg)
{
	(void)arg;
	log_info("signal %d: stopping", signo);
	loop_stop();
}

/* Takes an exclusive lock on the state directory: one farmd per state. */
static int
lock_state(const char *dir, char **cause)
{
	char *path = xasprintf("%s/farmd.lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		*cause = xasprintf("%s: %s", path, errno == EWOULDBLOCK ?
		    "another farmd uses this state directory" : strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return fd;
}

/* Without CAP_NET_ADMIN the lab network cannot be made: QEMU machines use
 * QEMU's user networking instead, which needs no privileges. */
static void
fall_back_to_user(struct farm_conf *conf)
{
	log_warnx("mode = lab needs CAP_NET_ADMIN (run farmd as root);"
	    " falling back to mode = user for QEMU machines");
	conf->mode = NET_USER;
	free(conf->server_url);
	conf->server_url = xasprintf("http://10.0.2.2:%d", conf->listen_port);
}

int
main(int argc, char **argv)
{
	const char *path = "farm.conf";
	struct farm_conf *conf;
	struct db *db;
	char *cause = NULL, *dbpath;
	int ch, check = 0, verbose = 0, rc = 1, lockfd, lab = 0, use_syslog = 0;
	size_t i;

	while ((ch = getopt(argc, argv, "c:nsvV")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 's':
			use_syslog = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("farmd %s\n", FARM_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("farmd", verbose);
	if (use_syslog)
		log_to_syslog();

	conf = config_load(path, &cause);
	if (conf == NULL) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	if (check) {
		struct suite *s = suite_load(conf->suite, &cause);

		if (s == NULL) {
			fprintf(stderr, "%s\n", cause);
			config_free(conf);
			return 1;
		}
		printf("%s: ok (%zu machines; suite %s: %zu tests)\n", path,
		    conf->nmachines, conf->suite, s->ntests);
		suite_free(s);
		config_free(conf);
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	if (mkdir_p(conf->state_dir, 0755) < 0)
		fatal("state directory %s", conf->state_dir);
	/* Children (dnsmasq) change directory: give them absolute paths. */
	{
		char *abs = realpath(conf->state_dir, NULL);

		if (abs == NULL)
			fatal("state directory %s", conf->state_dir);
		free(conf->state_dir);
		conf->state_dir = abs;
	}
	if ((lockfd = lock_state(conf->state_dir, &cause)) < 0)
		fatalx("%s", cause);
	dbpath = xasprintf("%s/farm.db", conf->state_dir);
	db = db_open(dbpath, &cause);
	free(dbpath);
	if (db == NULL)
		fatalx("%s", cause);
	if (apps_init(conf->state_dir) < 0)
		fatal("app store in %s", conf->state_dir);
	if (loop_init() < 0)
		fatal("epoll");
	loop_signal(SIGINT, on_stop_signal, NULL);
	loop_signal(SIGTERM, on_stop_signal, NULL);
	loop_signal(SIGHUP, on_reload_signal, conf);

	if (conf->mode == NET_LAB) {
		if (!netlab_can()) {
			fall_back_to_user(conf);
		} else if (lab_start(conf, sched_dhcp_event, &cause) < 0) {
			log_warnx("lab network: %s", cause);
			goto out_db;
		} else {
			lab = 1;
		}
	} else if (conf->mode == NET_PROXY) {
		/* ProxyDHCP beside the lab's DHCP server: dnsmasq on the lab's
		 * interface, no network of farmd's own. */
		if (lab_start(conf, sched_dhcp_event, &cause) < 0) {
			log_warnx("proxy DHCP on %s: %s", conf->interface, cause);
			goto out_db;
		}
		lab = 1;
	}
	if (http_listen(conf->listen_host, conf->listen_port, &cause) < 0) {
		log_warnx("%s", cause);
		goto out_lab;
	}
	if (conf->mode != NET_USER && strcmp(conf->listen_host, conf->address) != 0 &&
	    strcmp(conf->listen_host, "0.0.0.0") != 0 &&
	    http_listen(conf->address, conf->listen_port, &cause) < 0) {
		log_warnx("%s", cause);
		goto out_http;
	}
	for (i = 0; i < conf->nmachines; i++)
		if (conf->machines[i].kind == MACHINE_QEMU &&
		    strcmp(conf->machines[i].accel, "auto") == 0)
			power_kvm_works(conf, conf->machines[i].arch);
	api_web_init(conf, db);
	api_init(conf, db);
	metrics_init(db);
	webhook_init(conf);
	if (sched_init(conf, db, &cause) < 0) {
		log_warnx("%s", cause);
		goto out_http;
	}
	log_info("ready: http://%s:%d/ (%zu machines, machines boot from %s)",
	    conf->listen_host, conf->listen_port, conf->nmachines, conf->server_url);
	rc = loop_run() < 0 ? 1 : 0;

	sched_shutdown();
	webhook_free();
out_http:
	http_stop();
	api_free();
	api_web_free();
out_lab:
	if (lab)
		lab_stop();
out_db:
	db_close(db);
	apps_free();
	loop_free();
	close(lockfd);
	config_free(conf);
	free(cause);
	log_info("stopped");
	return rc;
}
