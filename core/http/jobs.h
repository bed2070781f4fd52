/* jobs — long work the server does in the background: billing runs. Each
 * job has a thread and a database connection of its own; its progress is
 * in the database (GET /v1/billing-runs/{id}), so a job needs no handle.
 * A job stops between two items when the server shuts down; what it left
 * pending is resumed by starting the run again. */
#ifndef CD_HTTP_JOBS_H
#define CD_HTTP_JOBS_H

#include <stdint.h>

#include "billing/settings.h"
#include "http/server.h"

/* Executes billing run id in the background, unless a job of this server
 * executes it already. Returns 0, or -1 when no thread could be started
 * (logged; the run stays resumable). */
int jobs_start_billing_run(const server_ctx *ctx, const billing_settings *bs, int64_t id);
/* Asks every job to stop after its current item and waits for them. */
void jobs_stop_all(void);

#endif
