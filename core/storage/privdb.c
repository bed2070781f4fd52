#include "storage/privdb.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* mariadb-install-db takes a few seconds; give slow disks plenty. */
#define PRIVDB_INSTALL_TIMEOUT 300
#define PRIVDB_POLL_MS 100
#define PRIVDB_TAIL_BYTES 700
#define PRIVDB_PACKAGE_HINT "install the Debian package mariadb-server (apt-get install mariadb-server)"

struct privdb {
	char *dir;          /* STATE_DIR/mariadb, absolute */
	char *datadir;
	char *socket;
	char *pidfile;
	char *errlog;
	char *tmpdir;
	char *lockpath;
	char *userslock;
	char *mariadbd;
	char *install_db;
	char *user;         /* whom to connect as */
	int users_fd;       /* shared lock on users.lock while we use the server */
	pid_t child;        /* > 0: the server is our child */
	pid_t server_pid;   /* the server's pid as far as we know, 0 if unknown */
	int failures;       /* restarts that failed in a row */
	time_t next_try;    /* no restart attempt before this (monotonic) */
};

static time_t
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------------------
 * Files and processes
 * --------------------------------------------------------------------- */

/* Creates path and its missing parents; the last component gets mode,
 * parents 0755. Returns 0, or -1 with errno set. */
static int
mkdir_p(const char *path, mode_t mode)
{
	char *tmp = xstrdup(path);
	int rc = -1;

	for (char *s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			goto out;
		*s = '/';
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		goto out;
	rc = 0;
out:
	free(tmp);
	return rc;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a directory tree we created ourselves. */
static int
remove_tree(const char *path)
{
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Opens (creating) a lock file and flocks it with op. Returns the
 * descriptor (close-on-exec), or -1 with a message in err. */
static int
lock_file(const char *path, int op, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, op) != 0) {
		if (errno == EINTR)
			continue;
		snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Writes the last lines of path written after offset from into out (at
 * most PRIVDB_TAIL_BYTES, starting at a line), or "" if there are none. */
static void
tail_file(const char *path, off_t from, char *out, size_t outlen)
{
	char data[PRIVDB_TAIL_BYTES + 1];
	off_t size = file_size(path), start = from;
	ssize_t n;
	char *s;
	int fd;

	out[0] = '\0';
	if (size - start > PRIVDB_TAIL_BYTES)
		start = size - PRIVDB_TAIL_BYTES;
	if (start < 0)
		start = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = pread(fd, data, PRIVDB_TAIL_BYTES, start);
	close(fd);
	if (n <= 0)
		return;
	data[n] = '\0';
	s = data;
	if (start > from) {
		char *nl = strchr(s, '\n');
		if (nl != NULL)
			s = nl + 1;
	}
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		data[--n] = '\0';
	snprintf(out, outlen, "%s", s);
}

/* Writes "the end of PATH:\nLINES" (the lines written after offset from)
 * or "PATH says nothing" into out, for error messages. */
static void
log_excerpt(const char *path, off_t from, char *out, size_t outlen)
{
	char tail[PRIVDB_TAIL_BYTES + 1];

	tail_file(path, from, tail, sizeof tail);
	if (tail[0] == '\0')
		snprintf(out, outlen, "%s says nothing", path);
	else
		snprintf(out, outlen, "the end of %s:\n%s", path, tail);
}

/* The pid in the pid file, or 0. */
static pid_t
read_pidfile(const char *path)
{
	char text[32];
	ssize_t n;
	long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	v = strtol(text, NULL, 10);
	return v > 0 && v < INT_MAX ? (pid_t)v : 0;
}

/* True when pid runs and is no zombie. */
static bool
pid_running(pid_t pid)
{
	char path[64], stat[256];
	ssize_t n;
	int fd;

	if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
		return false;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, stat, sizeof stat - 1);
	close(fd);
	if (n > 0) {
		stat[n] = '\0';
		const char *paren = strrchr(stat, ')');
		if (paren != NULL && paren[1] == ' ' && paren[2] == 'Z')
			return false;
	}
	return true;
}

/* True when pid is a running mariadbd with our data directory: a pid from
 * a stale pid file may since belong to anything, even another MariaDB. */
static bool
pid_is_our_server(const privdb *p, pid_t pid)
{
	char path[64], *want, cmd[8192];
	ssize_t n;
	bool found = false;
	int fd;

	if (!pid_running(pid))
		return false;
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, cmd, sizeof cmd - 1);
	close(fd);
	if (n <= 0)
		return false;
	cmd[n] = '\0';
	want = xasprintf("--datadir=%s", p->datadir);
	for (char *s = cmd; s < cmd + n; s += strlen(s) + 1) {
		if (strcmp(s, want) == 0) {
			found = true;
			break;
		}
	}
	free(want);
	return found;
}

/* True when a server answers on our socket. */
static bool
server_answers(const privdb *p)
{
	db_params params;
	bool ok;

	privdb_params(p, &params);
	free(params.database);
	params.database = NULL;
	ok = db_server_answers(&params);
	db_params_free(&params);
	return ok;
}

/* Closes every descriptor from 3 up, in a child before exec. */
static void
close_from_3(long maxfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
#endif
	for (long fd = 3; fd < maxfd; fd++)
		close((int)fd);
}

/* Starts argv[0] with argv in a process group of its own, stdin from
 * /dev/null, stdout and stderr appended to logpath, default signal
 * handling and no other descriptor. Returns the pid, or -1 with a message
 * in err. */
static pid_t
spawn(char *const argv[], const char *logpath, char *err, size_t errlen)
{
	struct sigaction dfl;
	sigset_t none;
	long maxfd = sysconf(_SC_OPEN_MAX);
	int logfd = -1, nullfd = -1;
	pid_t pid = -1;

	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&none);
	/* Both above 2, so the dup2 calls below cannot clobber them. */
	logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || nullfd < 0) {
		snprintf(err, errlen, "%s: %s", logfd < 0 ? logpath : "/dev/null", strerror(errno));
		goto out;
	}
	if (logfd < 3) {
		int fd = fcntl(logfd, F_DUPFD_CLOEXEC, 3);
		close(logfd);
		logfd = fd;
	}
	if (nullfd < 3) {
		int fd = fcntl(nullfd, F_DUPFD_CLOEXEC, 3);
		close(nullfd);
		nullfd = fd;
	}
	if (logfd < 0 || nullfd < 0) {
		snprintf(err, errlen, "cannot duplicate a descriptor: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* The child: async-signal-safe calls only. */
		setpgid(0, 0);
		for (int sig = 1; sig < NSIG; sig++)
			sigaction(sig, &dfl, NULL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(nullfd, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(126);
		close_from_3(maxfd);
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid); /* also here, so no signal can reach it before the child runs */
out:
	if (logfd >= 0)
		close(logfd);
	if (nullfd >= 0)
		close(nullfd);
	return pid;
}

static void
describe_status(int status, char *out, size_t outlen)
{
	if (WIFEXITED(status))
		snprintf(out, outlen, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, outlen, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, outlen, "status %d", status);
}

/* Waits up to timeout seconds for our child pid to exit. Returns 1 and sets
 * *status when it did, 0 on time-out, -1 if it is not our child. */
static int
wait_child(pid_t pid, int timeout, int *status)
{
	long waited = 0;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (waited >= (long)timeout * 1000)
			return 0;
		sleep_ms(50);
		waited += 50;
	}
}

/* ------------------------------------------------------------------------
 * Initialising, starting and stopping the server
 * --------------------------------------------------------------------- */

static char *
current_user(void)
{
	struct passwd pw, *res = NULL;
	char pwbuf[4096];

	if (geteuid() == 0)
		return xstrdup("root");
	if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res != NULL)
		return xstrdup(res->pw_name);
	return xasprintf("%ld", (long)geteuid());
}

/* Runs mariadb-install-db into a scratch directory, then renames it into
 * place, so an interrupted installation never looks like a data directory.
 * Returns 0, or -1 with a message in err. */
static int
install_datadir(privdb *p, char *err, size_t errlen)
{
	char *tmp = xasprintf("%s/data.tmp", p->dir);
	char *logpath = xasprintf("%s/install.log", p->dir);
	char *a_datadir = xasprintf("--datadir=%s", tmp);
	char *a_tmpdir = xasprintf("--tmpdir=%s", p->tmpdir);
	char *a_user = geteuid() == 0 ? xstrdup("--user=root") :
	    xasprintf("--auth-root-socket-user=%s", p->user);
	char *argv[] = {
		p->install_db, "--no-defaults", a_datadir, a_tmpdir,
		"--auth-root-authentication-method=socket", "--skip-test-db",
		"--skip-name-resolve", a_user, NULL,
	};
	char tail[PRIVDB_TAIL_BYTES + 600], how[64];
	off_t logstart = file_size(logpath);
	int status = 0, rc = -1, w;
	pid_t pid;

	if (is_dir(tmp) && remove_tree(tmp) != 0) {
		snprintf(err, errlen, "cannot remove the unfinished %s: %s", tmp, strerror(errno));
		goto out;
	}
	log_info("initialising the private MariaDB data directory %s", p->datadir);
	pid = spawn(argv, logpath, err, errlen);
	if (pid < 0)
		goto out;
	w = wait_child(pid, PRIVDB_INSTALL_TIMEOUT, &status);
	if (w == 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(err, errlen, "%s did not finish within %d s (see %s)", p->install_db,
		    PRIVDB_INSTALL_TIMEOUT, logpath);
		goto out;
	}
	if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		describe_status(status, how, sizeof how);
		log_excerpt(logpath, logstart, tail, sizeof tail);
		snprintf(err, errlen, "%s failed (%s); %s", p->install_db, how, tail);
		goto out;
	}
	if (rename(tmp, p->datadir) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, p->datadir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(logpath);
	free(a_datadir);
	free(a_tmpdir);
	free(a_user);
	return rc;
}

/* Starts mariadbd and waits until it accepts connections. Returns 0 with
 * p->child set, or -1 with a message (and the end of error.log) in err. */
static int
start_server(privdb *p, char *err, size_t errlen)
{
	char *a_datadir = xasprintf("--datadir=%s", p->datadir);
	char *a_socket = xasprintf("--socket=%s", p->socket);
	char *a_pid = xasprintf("--pid-file=%s", p->pidfile);
	char *a_log = xasprintf("--log-error=%s", p->errlog);
	char *a_tmpdir = xasprintf("--tmpdir=%s", p->tmpdir);
	char *argv[] = {
		p->mariadbd, "--no-defaults", a_datadir, a_socket, a_pid, a_log, a_tmpdir,
		"--skip-networking", "--skip-log-bin", "--innodb-buffer-pool-size=256M",
		"--max-connections=500", "--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_unicode_ci",
		geteuid() == 0 ? "--user=root" : NULL, NULL,
	};
	char tail[PRIVDB_TAIL_BYTES + 600], how[64];
	off_t logstart = file_size(p->errlog);
	long waited = 0;
	int status, rc = -1;
	pid_t pid;

	log_info("starting the private MariaDB on %s", p->socket);
	pid = spawn(argv, p->errlog, err, errlen);
	if (pid < 0)
		goto out;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			describe_status(status, how, sizeof how);
			log_excerpt(p->errlog, logstart, tail, sizeof tail);
			snprintf(err, errlen, "mariadbd exited during start-up (%s); %s", how, tail);
			goto out;
		}
		if (server_answers(p))
			break;
		if (waited >= PRIVDB_START_TIMEOUT * 1000L) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			log_excerpt(p->errlog, logstart, tail, sizeof tail);
			snprintf(err, errlen, "mariadbd did not accept connections on %s within %d s; %s",
			    p->socket, PRIVDB_START_TIMEOUT, tail);
			goto out;
		}
		sleep_ms(PRIVDB_POLL_MS);
		waited += PRIVDB_POLL_MS;
	}
	p->child = pid;
	p->server_pid = pid;
	log_info("the private MariaDB runs as pid %ld", (long)pid);
	rc = 0;
out:
	free(a_datadir);
	free(a_socket);
	free(a_pid);
	free(a_log);
	free(a_tmpdir);
	return rc;
}

/* With the start lock held: makes a server answer on the socket, adopting
 * one that runs already or initialising and starting our own. Returns 0,
 * or -1 with a message in err. */
static int
bring_up(privdb *p, char *err, size_t errlen)
{
	pid_t pid;

	if (server_answers(p)) {
		p->child = 0;
		p->server_pid = read_pidfile(p->pidfile);
		log_info("using the private MariaDB that runs already (pid %ld)", (long)p->server_pid);
		return 0;
	}
	pid = read_pidfile(p->pidfile);
	if (pid > 0 && pid_is_our_server(p, pid)) {
		/* Running, but not answering: starting up, or hung. */
		for (long waited = 0; waited < PRIVDB_START_TIMEOUT * 1000L; waited += PRIVDB_POLL_MS) {
			if (server_answers(p)) {
				p->child = 0;
				p->server_pid = pid;
				return 0;
			}
			if (!pid_running(pid))
				break;
			sleep_ms(PRIVDB_POLL_MS);
		}
		if (pid_running(pid)) {
			snprintf(err, errlen, "a mariadbd (pid %ld) runs on %s but does not answer on %s: "
			    "stop it (kill %ld) and try again", (long)pid, p->datadir, p->socket, (long)pid);
			return -1;
		}
	}
	if (!is_dir(p->datadir) && install_datadir(p, err, errlen) != 0)
		return -1;
	return start_server(p, err, errlen);
}

/* Creates the contractd database if it is missing. */
static int
create_database(const privdb *p, char *err, size_t errlen)
{
	db_params params;
	db_conn *c;
	int rc = -1;

	privdb_params(p, &params);
	free(params.database);
	params.database = NULL;
	c = db_connect(&params, err, errlen);
	if (c == NULL)
		goto out;
	if (db_exec_once(c, "CREATE DATABASE IF NOT EXISTS " PRIVDB_DATABASE
	    " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci") < 0) {
		snprintf(err, errlen, "cannot create the database %s: %s", PRIVDB_DATABASE,
		    db_error(c));
		goto out;
	}
	rc = 0;
out:
	db_close(c);
	db_params_free(&params);
	return rc;
}

/* Stops the server: our child, or one whose pid file names a process that
 * is provably ours. */
static void
stop_server(privdb *p)
{
	int status;
	pid_t pid = p->child;

	if (pid > 0) {
		kill(pid, SIGTERM);
		int w = wait_child(pid, PRIVDB_STOP_TIMEOUT, &status);
		if (w == 0) {
			log_warn("the private MariaDB (pid %ld) did not stop within %d s; killing it",
			    (long)pid, PRIVDB_STOP_TIMEOUT);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		if (w != -1) {
			p->child = 0;
			p->server_pid = 0;
			log_info("the private MariaDB stopped");
			return;
		}
		/* Not our child after all (SIGCHLD ignored?): stop it by pid. */
	}
	pid = read_pidfile(p->pidfile);
	if (pid <= 0 || !pid_running(pid))
		return;
	if (!pid_is_our_server(p, pid)) {
		log_warn("%s names pid %ld, which is not the private MariaDB; leaving it alone",
		    p->pidfile, (long)pid);
		return;
	}
	kill(pid, SIGTERM);
	for (long waited = 0; pid_running(pid); waited += 50) {
		if (waited >= PRIVDB_STOP_TIMEOUT * 1000L) {
			log_warn("the private MariaDB (pid %ld) did not stop within %d s; killing it",
			    (long)pid, PRIVDB_STOP_TIMEOUT);
			kill(pid, SIGKILL);
			break;
		}
		sleep_ms(50);
	}
	p->child = 0;
	p->server_pid = 0;
	log_info("the private MariaDB stopped");
}

static void
privdb_free(privdb *p)
{
	if (p->users_fd >= 0)
		close(p->users_fd);
	free(p->dir);
	free(p->datadir);
	free(p->socket);
	free(p->pidfile);
	free(p->errlog);
	free(p->tmpdir);
	free(p->lockpath);
	free(p->userslock);
	free(p->mariadbd);
	free(p->install_db);
	free(p->user);
	free(p);
}

/* ------------------------------------------------------------------------
 * The interface
 * --------------------------------------------------------------------- */

bool
privdb_initialised(const char *state_dir)
{
	char *path = xasprintf("%s/mariadb/data", state_dir);
	bool ok = is_dir(path);

	free(path);
	return ok;
}

privdb *
privdb_start(const char *state_dir, const char *mariadbd, const char *install_db,
    char *err, size_t errlen)
{
	privdb *p = xcalloc(1, sizeof *p);
	char *abs = NULL;
	int lockfd = -1;
	bool ok = false;

	p->users_fd = -1;
	if (mariadbd == NULL || access(mariadbd, X_OK) != 0) {
		snprintf(err, errlen, "mariadbd not found at %s: " PRIVDB_PACKAGE_HINT,
		    mariadbd ? mariadbd : "(not configured)");
		goto out;
	}
	if (!privdb_initialised(state_dir) && (install_db == NULL || access(install_db, X_OK) != 0)) {
		snprintf(err, errlen, "mariadb-install-db not found at %s: " PRIVDB_PACKAGE_HINT,
		    install_db ? install_db : "(not configured)");
		goto out;
	}
	if (state_dir == NULL || state_dir[0] == '\0') {
		snprintf(err, errlen, "no state directory configured");
		goto out;
	}
	if (mkdir_p(state_dir, 0700) != 0) {
		snprintf(err, errlen, "cannot create the state directory %s: %s", state_dir,
		    strerror(errno));
		goto out;
	}
	abs = realpath(state_dir, NULL);
	if (abs == NULL) {
		snprintf(err, errlen, "%s: %s", state_dir, strerror(errno));
		goto out;
	}
	p->dir = xasprintf("%s/mariadb", abs);
	p->datadir = xasprintf("%s/data", p->dir);
	p->socket = xasprintf("%s/mariadb.sock", p->dir);
	p->pidfile = xasprintf("%s/mariadb.pid", p->dir);
	p->errlog = xasprintf("%s/error.log", p->dir);
	/* A private tmpdir: concurrent instances sharing /tmp collide on
	 * mariadb-install-db's temporary tables. */
	p->tmpdir = xasprintf("%s/tmp", p->dir);
	p->lockpath = xasprintf("%s/lock", p->dir);
	p->userslock = xasprintf("%s/users.lock", p->dir);
	p->mariadbd = xstrdup(mariadbd);
	p->install_db = xstrdup(install_db);
	p->user = current_user();
	if (strlen(p->socket) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
		snprintf(err, errlen, "the socket path %s is longer than %zu bytes: "
		    "choose a shorter state_dir", p->socket,
		    sizeof ((struct sockaddr_un *)0)->sun_path - 1);
		goto out;
	}
	if (mkdir(p->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", p->dir, strerror(errno));
		goto out;
	}
	if (mkdir(p->tmpdir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", p->tmpdir, strerror(errno));
		goto out;
	}
	/* Order matters: the start lock first, then our share of users.lock,
	 * so we never join a server that a last user is stopping. */
	lockfd = lock_file(p->lockpath, LOCK_EX, err, errlen);
	if (lockfd < 0)
		goto out;
	p->users_fd = lock_file(p->userslock, LOCK_SH, err, errlen);
	if (p->users_fd < 0)
		goto out;
	if (bring_up(p, err, errlen) != 0)
		goto out;
	close(lockfd);
	lockfd = -1;
	if (create_database(p, err, errlen) != 0)
		goto out;
	ok = true;
out:
	if (lockfd >= 0)
		close(lockfd);
	free(abs);
	if (!ok) {
		if (p->users_fd >= 0) {
			privdb_stop(p); /* stops what we started, unless others use it */
		} else {
			privdb_free(p);
		}
		return NULL;
	}
	return p;
}

void
privdb_params(const privdb *p, db_params *out)
{
	memset(out, 0, sizeof *out);
	out->socket = xstrdup(p->socket);
	out->user = xstrdup(p->user);
	out->database = xstrdup(PRIVDB_DATABASE);
}

const char *
privdb_socket(const privdb *p)
{
	return p->socket;
}

bool
privdb_is_owner(const privdb *p)
{
	return p->child > 0;
}

int
privdb_check(privdb *p)
{
	char err[1024], how[64];
	time_t now = now_mono();
	int status, lockfd, rc;

	if (p->next_try > now)
		return -1;
	if (p->child > 0) {
		pid_t r = waitpid(p->child, &status, WNOHANG);
		if (r == 0 || (r < 0 && errno == ECHILD && pid_running(p->child)))
			return 0;
		if (r == p->child)
			describe_status(status, how, sizeof how);
		else
			snprintf(how, sizeof how, "gone");
		log_error("the private MariaDB (pid %ld) exited unexpectedly (%s); restarting it",
		    (long)p->child, how);
		p->child = 0;
		p->server_pid = 0;
	} else {
		if (p->server_pid > 0 && pid_is_our_server(p, p->server_pid))
			return 0;
		if (p->server_pid <= 0) {
			pid_t pid = read_pidfile(p->pidfile);
			if (pid > 0 && pid_is_our_server(p, pid)) {
				p->server_pid = pid;
				return 0;
			}
		}
		log_error("the private MariaDB (pid %ld) is gone; starting it again",
		    (long)p->server_pid);
		p->server_pid = 0;
	}
	lockfd = lock_file(p->lockpath, LOCK_EX, err, sizeof err);
	rc = lockfd < 0 ? -1 : bring_up(p, err, sizeof err);
	if (lockfd >= 0)
		close(lockfd);
	if (rc != 0) {
		p->failures++;
		p->next_try = now + (p->failures >= 6 ? 60 : 1L << p->failures);
		log_error("cannot restart the private MariaDB: %s", err);
		return -1;
	}
	p->failures = 0;
	p->next_try = 0;
	return 1;
}

void
privdb_stop(privdb *p)
{
	char err[512];
	int lockfd;

	if (p == NULL)
		return;
	lockfd = lock_file(p->lockpath, LOCK_EX, err, sizeof err);
	if (lockfd < 0)
		log_warn("%s", err);
	/* Converting our shared lock succeeds only when nobody else holds one. */
	if (p->users_fd >= 0 && flock(p->users_fd, LOCK_EX | LOCK_NB) == 0)
		stop_server(p);
	else if (p->child > 0)
		log_info("the private MariaDB (pid %ld) stays up for the other processes using it",
		    (long)p->child);
	/* users.lock before the start lock, so a process waiting to start
	 * sees the server stopped and nobody using it. */
	if (p->users_fd >= 0) {
		close(p->users_fd);
		p->users_fd = -1;
	}
	if (lockfd >= 0)
		close(lockfd);
	privdb_free(p);
}
