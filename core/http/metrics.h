/* metrics — counters for GET /metrics, in the Prometheus text format.
 *
 * Routes are a fixed table, so every counter lives in a preallocated slot
 * and is bumped with an atomic add: no locks on the request path. */
#ifndef CD_HTTP_METRICS_H
#define CD_HTTP_METRICS_H

#include <stdint.h>

#include "base/buf.h"

/* Route index used for requests no route matched. */
#define METRICS_ROUTE_UNMATCHED 0

/* Registers the route names, in route-table order after "unmatched". */
void metrics_init(const char *const *route_names, int nroutes);
void metrics_observe(int route, int status, uint64_t micros);
/* Database pool gauges, kept by the worker pool. */
void metrics_db_busy_add(int delta);
void metrics_db_pool_size(int size);
void metrics_db_error(void);
/* Appends the exposition of every counter to out. */
void metrics_render(buf *out);

#endif
