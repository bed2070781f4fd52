/* jobs — background billing runs (see jobs.h). */
#include "http/jobs.h"
#include "billing/runs.h"
#include "storage/db.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define JOBS_MAX 16

typedef struct job {
	bool used;
	bool finished;
	pthread_t thread;
	int64_t run_id;
	const server_ctx *ctx;
	const billing_settings *bs;
} job;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static job jobs[JOBS_MAX];
static atomic_bool stopping;

static void *
job_main(void *arg)
{
	job *j = arg;
	char err[600];
	db_conn *db = db_connect(&j->ctx->db, err, sizeof err);
	int r = -1;

	if (db == NULL) {
		log_warn("billing run %lld: cannot reach the database: %s", (long long)j->run_id,
		    err);
	} else {
		r = run_execute(db, j->bs, j->run_id, "job:billing-run", &stopping, NULL, NULL, err,
		    sizeof err);
		if (r != 0)
			log_warn("billing run %lld stopped: %s", (long long)j->run_id, err);
		else
			log_info("billing run %lld: worked through its items", (long long)j->run_id);
		db_close(db);
	}
	pthread_mutex_lock(&lock);
	j->finished = true;
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Joins the jobs that have finished, so their slots can be used again.
 * Called with lock held. */
static void
reap(void)
{
	for (int i = 0; i < JOBS_MAX; i++)
		if (jobs[i].used && jobs[i].finished) {
			pthread_join(jobs[i].thread, NULL);
			jobs[i].used = false;
		}
}

int
jobs_start_billing_run(const server_ctx *ctx, const billing_settings *bs, int64_t id)
{
	job *slot = NULL;
	int rc = -1;

	pthread_mutex_lock(&lock);
	reap();
	for (int i = 0; i < JOBS_MAX; i++) {
		if (jobs[i].used && jobs[i].run_id == id) {
			rc = 0;            /* running already */
			goto out;
		}
		if (!jobs[i].used && slot == NULL)
			slot = &jobs[i];
	}
	if (slot == NULL || atomic_load(&stopping)) {
		log_warn("billing run %lld not started: %s", (long long)id,
		    slot ? "the server is stopping" : "too many jobs running");
		goto out;
	}
	*slot = (job){ .used = true, .run_id = id, .ctx = ctx, .bs = bs };
	if (pthread_create(&slot->thread, NULL, job_main, slot) != 0) {
		slot->used = false;
		log_warn("billing run %lld: cannot start a thread", (long long)id);
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

void
jobs_stop_all(void)
{
	atomic_store(&stopping, true);
	for (int i = 0; i < JOBS_MAX; i++) {
		pthread_t t;
		bool used;
		pthread_mutex_lock(&lock);
		used = jobs[i].used;
		t = jobs[i].thread;
		jobs[i].used = false;
		pthread_mutex_unlock(&lock);
		if (used)
			pthread_join(t, NULL);
	}
}
