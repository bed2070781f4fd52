/* workers — the pool of threads that run handlers, one database
 * connection each. */
#ifndef CD_HTTP_WORKERS_H
#define CD_HTTP_WORKERS_H

#include "http/job.h"

struct server_ctx;
typedef struct worker_pool worker_pool;

/* Starts n workers; each connects to the database lazily, on its first job
 * that needs it, and reconnects after losing the connection. */
worker_pool *workers_start(struct server_ctx *ctx, int n);
/* Queues a job; a worker runs it and activates job->done. Thread-safe. */
void workers_submit(worker_pool *pool, job *j);
/* Stops the workers after the queue is empty; with abandon, jobs still
 * queued are dropped unanswered (their connections are about to close). */
void workers_stop(worker_pool *pool, int abandon);

/* Runs job j's route with the worker's database connection: authenticates,
 * checks the role, wraps transactions and idempotency, calls the handler.
 * Leaves the answer in j->resp. (dispatch.c) */
void dispatch_job(struct server_ctx *ctx, struct db_conn **db, job *j);

#endif
