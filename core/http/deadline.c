#include "http/deadline.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define NBUCKETS 1024

typedef struct conn_watch {
	struct conn_watch *next;
	struct bufferevent *bev;
	uint64_t started;   /* monotonic ms of the current request's first byte */
	bool in_request;
	bool cut;
} conn_watch;

struct deadline_table {
	conn_watch *buckets[NBUCKETS];
	struct event *sweep;
	uint64_t timeout_ms;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t
bucket_of(const struct bufferevent *bev)
{
	return ((uintptr_t)bev >> 4) % NBUCKETS;
}

/* Bytes arrived: the first of a request starts its clock. */
static void
on_input(struct evbuffer *buffer, const struct evbuffer_cb_info *info, void *arg)
{
	conn_watch *w = arg;

	(void)buffer;
	if (info->n_added > 0 && !w->in_request) {
		w->in_request = true;
		w->started = now_ms();
	}
}

static void
release(conn_watch *w)
{
	evbuffer_remove_cb(bufferevent_get_input(w->bev), on_input, w);
	bufferevent_decref(w->bev);
	free(w);
}

/* Drops connections evhttp has freed and shuts down those whose request is
 * overdue; evhttp then sees the close and cleans up as for any client that
 * went away. bufferevent_free clears every callback, while a live evhttp
 * connection always keeps its event callback (the read callback alone is
 * cleared while a request is being answered), so a missing event callback
 * is the sign that evhttp has let go. */
static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	deadline_table *t = arg;
	uint64_t now = now_ms();

	(void)fd;
	(void)what;
	for (size_t i = 0; i < NBUCKETS; i++) {
		conn_watch **link = &t->buckets[i];
		while (*link) {
			conn_watch *w = *link;
			bufferevent_event_cb eventcb = NULL;
			bufferevent_getcb(w->bev, NULL, NULL, &eventcb, NULL);
			if (eventcb == NULL) {
				*link = w->next;
				release(w);
				continue;
			}
			if (w->in_request && !w->cut && now - w->started > t->timeout_ms) {
				evutil_socket_t sock = bufferevent_getfd(w->bev);
				log_info("closing a connection whose request took longer than %llu s",
				    (unsigned long long)(t->timeout_ms / 1000));
				if (sock >= 0)
					shutdown(sock, SHUT_RDWR);
				w->cut = true;
			}
			link = &w->next;
		}
	}
}

deadline_table *
deadline_new(struct event_base *base, int timeout_seconds)
{
	deadline_table *t = xcalloc(1, sizeof *t);
	struct timeval second = { 1, 0 };

	t->timeout_ms = (uint64_t)timeout_seconds * 1000u;
	t->sweep = event_new(base, -1, EV_PERSIST, on_sweep, t);
	event_add(t->sweep, &second);
	return t;
}

void
deadline_free(deadline_table *t)
{
	if (t == NULL)
		return;
	event_free(t->sweep);
	for (size_t i = 0; i < NBUCKETS; i++) {
		while (t->buckets[i]) {
			conn_watch *w = t->buckets[i];
			t->buckets[i] = w->next;
			release(w);
		}
	}
	free(t);
}

void
deadline_watch(deadline_table *t, struct bufferevent *bev)
{
	conn_watch *w = xcalloc(1, sizeof *w);
	size_t b = bucket_of(bev);

	w->bev = bev;
	bufferevent_incref(bev);
	evbuffer_add_cb(bufferevent_get_input(bev), on_input, w);
	w->next = t->buckets[b];
	t->buckets[b] = w;
}

void
deadline_request_done(deadline_table *t, struct bufferevent *bev)
{
	for (conn_watch *w = t->buckets[bucket_of(bev)]; w; w = w->next) {
		if (w->bev == bev) {
			w->in_request = false;
			return;
		}
	}
}
