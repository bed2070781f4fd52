/* privdb — the private MariaDB that runs under the state directory.
 *
 * With no database URL configured, contractd and contractctl use a MariaDB
 * server of their own, reachable only through a Unix socket:
 *
 *	STATE_DIR/mariadb/data          the data directory
 *	STATE_DIR/mariadb/mariadb.sock  the socket (no TCP at all)
 *	STATE_DIR/mariadb/mariadb.pid   the server's pid
 *	STATE_DIR/mariadb/error.log     the server's log
 *	STATE_DIR/mariadb/install.log   the output of mariadb-install-db
 *	STATE_DIR/mariadb/lock          serialises starting and stopping
 *	STATE_DIR/mariadb/users.lock    held (shared) by every process using it
 *
 * The first process that needs the server initialises the data directory
 * and starts it; later processes find it running and use it. Whoever is
 * the last user to stop also stops the server, whether it started it or
 * not: when contractctl started it and contractd came along meanwhile, the
 * server stays up for contractd and goes down with contractd. A server left
 * behind by a crash is adopted by the next user the same way.
 *
 * The server runs in its own process group, so a Ctrl-C in the terminal
 * reaches only contractd, which then stops it in order; it inherits no
 * descriptor but its log. The process that started it must not set
 * SIGCHLD to SIG_IGN. A privdb is used by one thread. */
#ifndef CD_STORAGE_PRIVDB_H
#define CD_STORAGE_PRIVDB_H

#include <stdbool.h>
#include <stddef.h>

#include "storage/db.h"

/* The database contractd uses on the private server. */
#define PRIVDB_DATABASE "contractd"
/* Seconds to wait for the server to accept connections, and to stop. */
#define PRIVDB_START_TIMEOUT 30
#define PRIVDB_STOP_TIMEOUT 30

typedef struct privdb privdb;

/* Makes the private server available: creates state_dir (0700) and the
 * data directory if needed (running install_db), starts mariadbd unless a
 * server already answers on the socket, waits until it accepts
 * connections, and creates the database "contractd" if missing. mariadbd
 * and install_db are the paths of the binaries. Returns the handle (stop
 * and free it with privdb_stop), or NULL with a message in err (the end of
 * error.log when the server would not start). */
privdb *privdb_start(const char *state_dir, const char *mariadbd, const char *install_db,
    char *err, size_t errlen);
/* True when the data directory under state_dir has been initialised. */
bool privdb_initialised(const char *state_dir);
/* Fills out with what to connect with: the socket, user root (or, when
 * not running as root, the current user's name, which mariadb-install-db
 * allowed in), database contractd. The caller frees it with
 * db_params_free. */
void privdb_params(const privdb *p, db_params *out);
/* The socket's path, borrowed from p. */
const char *privdb_socket(const privdb *p);
/* True when this process started the server that is running now. */
bool privdb_is_owner(const privdb *p);
/* Call every second or so from the daemon's main loop. When the server
 * died (ours, or one adopted from another process), starts it again and
 * logs it. Returns 0 when the server is running, 1 when it was restarted
 * (database connections must reconnect: db_ensure does), -1 when a restart
 * failed (logged; retried by later calls, with growing pauses up to a
 * minute). May block for up to PRIVDB_START_TIMEOUT seconds while
 * restarting. */
int privdb_check(privdb *p);
/* Gives up this process's use of the server and frees p: when no other
 * process uses it, shuts the server down cleanly (SIGTERM, up to
 * PRIVDB_STOP_TIMEOUT seconds, then SIGKILL). NULL is fine. */
void privdb_stop(privdb *p);

#endif
