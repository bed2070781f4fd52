#include "http/metrics.h"
#include "base/xalloc.h"

#include <stdatomic.h>
#include <string.h>

#define MAX_ROUTES 64
#define NSTATUS 600

static const uint64_t bucket_micros[] = { 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000 };
#define NBUCKETS (sizeof bucket_micros / sizeof bucket_micros[0])

typedef struct route_metrics {
	const char *name;
	_Atomic uint64_t by_status[NSTATUS];
	_Atomic uint64_t buckets[NBUCKETS]; /* not cumulative; summed on render */
	_Atomic uint64_t sum_micros;
	_Atomic uint64_t count;
} route_metrics;

static route_metrics *routes;
static int nroutes;
static _Atomic int db_busy;
static _Atomic int db_size;
static _Atomic uint64_t db_errors;

void
metrics_init(const char *const *names, int n)
{
	if (n + 1 > MAX_ROUTES)
		n = MAX_ROUTES - 1;
	routes = xcalloc((size_t)n + 1, sizeof *routes);
	routes[0].name = "unmatched";
	for (int i = 0; i < n; i++)
		routes[i + 1].name = names[i];
	nroutes = n + 1;
}

void
metrics_observe(int route, int status, uint64_t micros)
{
	if (routes == NULL || route < 0 || route >= nroutes)
		return;
	route_metrics *r = &routes[route];
	if (status >= 100 && status < NSTATUS)
		atomic_fetch_add_explicit(&r->by_status[status], 1, memory_order_relaxed);
	size_t b = 0;
	while (b < NBUCKETS && micros > bucket_micros[b])
		b++;
	if (b < NBUCKETS)
		atomic_fetch_add_explicit(&r->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->sum_micros, micros, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
}

void
metrics_db_busy_add(int delta)
{
	atomic_fetch_add_explicit(&db_busy, delta, memory_order_relaxed);
}

void
metrics_db_pool_size(int size)
{
	atomic_store(&db_size, size);
}

void
metrics_db_error(void)
{
	atomic_fetch_add_explicit(&db_errors, 1, memory_order_relaxed);
}

void
metrics_render(buf *out)
{
	buf_puts(out, "# HELP contractd_http_requests_total HTTP requests answered, by route and status.\n"
		      "# TYPE contractd_http_requests_total counter\n");
	for (int i = 0; i < nroutes; i++)
		for (int s = 100; s < NSTATUS; s++) {
			uint64_t v = atomic_load_explicit(&routes[i].by_status[s], memory_order_relaxed);
			if (v)
				buf_printf(out, "contractd_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
				    routes[i].name, s, (unsigned long long)v);
		}
	buf_puts(out, "# HELP contractd_http_request_duration_seconds Time from a request's arrival to its answer.\n"
		      "# TYPE contractd_http_request_duration_seconds histogram\n");
	for (int i = 0; i < nroutes; i++) {
		route_metrics *r = &routes[i];
		uint64_t count = atomic_load_explicit(&r->count, memory_order_relaxed), cum = 0;
		if (count == 0)
			continue;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cum += atomic_load_explicit(&r->buckets[b], memory_order_relaxed);
			buf_printf(out, "contractd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
			    r->name, (double)bucket_micros[b] / 1e6, (unsigned long long)cum);
		}
		uint64_t sum = atomic_load_explicit(&r->sum_micros, memory_order_relaxed);
		buf_printf(out, "contractd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
		    r->name, (unsigned long long)count);
		buf_printf(out, "contractd_http_request_duration_seconds_sum{route=\"%s\"} %llu.%06llu\n",
		    r->name, (unsigned long long)(sum / 1000000), (unsigned long long)(sum % 1000000));
		buf_printf(out, "contractd_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
		    r->name, (unsigned long long)count);
	}
	int busy = atomic_load(&db_busy), size = atomic_load(&db_size);
	buf_printf(out, "# HELP contractd_db_pool_connections Database connections of the worker pool.\n"
			"# TYPE contractd_db_pool_connections gauge\n"
			"contractd_db_pool_connections{state=\"busy\"} %d\n"
			"contractd_db_pool_connections{state=\"idle\"} %d\n",
	    busy, size - busy > 0 ? size - busy : 0);
	buf_printf(out, "# HELP contractd_db_errors_total Database calls that failed for want of a connection.\n"
			"# TYPE contractd_db_errors_total counter\n"
			"contractd_db_errors_total %llu\n",
	    (unsigned long long)atomic_load(&db_errors));
}
