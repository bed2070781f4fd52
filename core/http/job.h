/* job — one request on its way from an event thread to a worker and back. */
#ifndef CD_HTTP_JOB_H
#define CD_HTTP_JOB_H

#include <stdint.h>

#include "http/request.h"

struct evhttp_request;
struct event;
struct io_thread;

typedef struct job {
	struct job *next;            /* the worker queue's link */
	http_req req;
	http_resp resp;
	int route_index;
	uint64_t start_us;
	struct evhttp_request *evreq; /* touched only on the event thread */
	struct event *done;          /* activated by the worker when resp is ready */
	struct io_thread *io;
} job;

#endif
