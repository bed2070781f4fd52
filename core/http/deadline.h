/* deadline — a connection must deliver each request within the timeout.
 *
 * libevent's own timeout is an idle timeout: a client that drips one byte
 * every few seconds ("slowloris") keeps a connection, and a file
 * descriptor, forever. Each event thread keeps a table of its connections;
 * the clock starts at a request's first byte and stops when the request is
 * complete, and a once-a-second sweep shuts down connections over the
 * limit. Everything here runs on the owning event thread. */
#ifndef CD_HTTP_DEADLINE_H
#define CD_HTTP_DEADLINE_H

struct event_base;
struct bufferevent;

typedef struct deadline_table deadline_table;

deadline_table *deadline_new(struct event_base *base, int timeout_seconds);
/* Frees the table, releasing every connection it still watches. */
void deadline_free(deadline_table *t);
/* Starts watching a new connection's bufferevent (holds a reference to it
 * until evhttp has let go of it). */
void deadline_watch(deadline_table *t, struct bufferevent *bev);
/* The connection's current request has arrived completely. */
void deadline_request_done(deadline_table *t, struct bufferevent *bev);

#endif
