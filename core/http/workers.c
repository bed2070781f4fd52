#include "http/workers.h"
#include "http/metrics.h"
#include "http/server.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>

struct worker_pool {
	struct server_ctx *ctx;
	pthread_mutex_t lock;
	pthread_cond_t ready;
	job *head, *tail;
	int stopping;
	int abandon;
	int nthreads;
	pthread_t *threads;
};

static job *
next_job(worker_pool *pool)
{
	job *j;

	pthread_mutex_lock(&pool->lock);
	while (pool->head == NULL && !pool->stopping)
		pthread_cond_wait(&pool->ready, &pool->lock);
	j = pool->abandon ? NULL : pool->head;
	if (j != NULL) {
		pool->head = j->next;
		if (pool->head == NULL)
			pool->tail = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	return j;
}

static void *
worker_main(void *arg)
{
	worker_pool *pool = arg;
	db_conn *db = NULL;
	job *j;

	while ((j = next_job(pool)) != NULL) {
		log_set_request_id(j->req.request_id);
		metrics_db_busy_add(1);
		dispatch_job(pool->ctx, &db, j);
		metrics_db_busy_add(-1);
		log_set_request_id(NULL);
		/* Hands the answer back to the job's event thread. */
		event_active(j->done, EV_TIMEOUT, 1);
	}
	if (db)
		db_close(db);
	return NULL;
}

worker_pool *
workers_start(struct server_ctx *ctx, int n)
{
	worker_pool *pool = xcalloc(1, sizeof *pool);

	pool->ctx = ctx;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->ready, NULL);
	pool->threads = xcalloc((size_t)n, sizeof *pool->threads);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0) {
			log_error("cannot start worker thread %d", i);
			abort();
		}
	}
	pool->nthreads = n;
	metrics_db_pool_size(n);
	return pool;
}

void
workers_submit(worker_pool *pool, job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&pool->lock);
	if (pool->tail)
		pool->tail->next = j;
	else
		pool->head = j;
	pool->tail = j;
	pthread_cond_signal(&pool->ready);
	pthread_mutex_unlock(&pool->lock);
}

void
workers_stop(worker_pool *pool, int abandon)
{
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pool->abandon = abandon;
	pthread_cond_broadcast(&pool->ready);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->ready);
	free(pool->threads);
	free(pool);
}
