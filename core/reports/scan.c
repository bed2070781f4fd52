/* scan — contracts page by page, and the per-group accumulator (see
 * scan.h). */
#include "reports/scan.h"
#include "reports/report.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Reading contracts
 * ------------------------------------------------------------------------ */

static void
copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

int
report_scan_contracts(db_conn *db, date_t from, date_t to, scan_fn fn, void *arg, char *err,
    size_t errlen)
{
	int64_t after = 0;

	for (;;) {
		/* By primary key from where the last page ended: each page is a
		 * range read, so the whole scan reads the table once. */
		db_rows *r = db_query(db,
		    "SELECT id, number, plan_code, dealer_id, currency, net_price, sale_date, "
		    "start_date, end_date, cancelled_on FROM contracts "
		    "WHERE id > ? AND sale_date < ? AND (sale_date >= ? OR end_date > ?) "
		    "ORDER BY id LIMIT ?", "iDDDd", after, to, from, from, (int)REPORT_PAGE);
		size_t rows = 0;
		int rc = 0;

		if (r == NULL) {
			snprintf(err, errlen, "reading contracts: %s", db_error(db));
			return -1;
		}
		while (rc == 0 && db_rows_next(r) == 1) {
			scanned_contract c;

			memset(&c, 0, sizeof c);
			rows++;
			after = c.id = db_rows_int(r, 0);
			copy(c.number, sizeof c.number, db_rows_str(r, 1));
			copy(c.plan_code, sizeof c.plan_code, db_rows_str(r, 2));
			copy(c.dealer_id, sizeof c.dealer_id, db_rows_str(r, 3));
			copy(c.currency, sizeof c.currency, db_rows_str(r, 4));
			c.e.price = db_rows_int(r, 5);
			c.e.cancelled = db_rows_date(r, 9, &c.e.cancelled_on) == 0;
			if (db_rows_date(r, 6, &c.e.sale_date) != 0 ||
			    db_rows_date(r, 7, &c.e.start_date) != 0 ||
			    db_rows_date(r, 8, &c.e.end_date) != 0 ||
			    c.e.end_date <= c.e.start_date ||
			    (c.e.cancelled && c.e.cancelled_on < c.e.sale_date)) {
				snprintf(err, errlen, "contract %s (id %" PRId64 ") has an empty term or "
				    "a cancellation before its sale; the report cannot place it",
				    c.number, c.id);
				rc = -1;
				break;
			}
			rc = fn(arg, &c);
		}
		db_rows_free(r);
		if (rc != 0)
			return rc;
		if (rows < REPORT_PAGE)
			return 0;
	}
}

/* ------------------------------------------------------------------------
 * Groups
 * ------------------------------------------------------------------------ */

static uint64_t
hash(const char *key, const char *currency)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (const char *p = currency; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

void
rev_groups_init(rev_groups *gs, const date_t *bound, int nbound)
{
	memset(gs, 0, sizeof *gs);
	gs->bound = bound;
	gs->nbound = nbound;
	gs->nbuckets = 64;
	gs->bucket = xcalloc(gs->nbuckets, sizeof *gs->bucket);
}

static void
grow(rev_groups *gs)
{
	size_t nb = gs->nbuckets * 2;
	rev_group **b = xcalloc(nb, sizeof *b);

	for (size_t i = 0; i < gs->nbuckets; i++)
		for (rev_group *g = gs->bucket[i], *next; g != NULL; g = next) {
			size_t k = hash(g->key, g->currency) & (nb - 1);
			next = g->next;
			g->next = b[k];
			b[k] = g;
		}
	free(gs->bucket);
	gs->bucket = b;
	gs->nbuckets = nb;
}

rev_group *
rev_groups_get(rev_groups *gs, const char *key, const char *currency)
{
	size_t k = hash(key, currency) & (gs->nbuckets - 1);
	rev_group *g;

	for (g = gs->bucket[k]; g != NULL; g = g->next)
		if (strcmp(g->key, key) == 0 && strcmp(g->currency, currency) == 0)
			return g;
	if (gs->n >= gs->nbuckets) {
		grow(gs);
		k = hash(key, currency) & (gs->nbuckets - 1);
	}
	g = xcalloc(1, sizeof *g);
	copy(g->key, sizeof g->key, key);
	copy(g->currency, sizeof g->currency, currency);
	g->pos = xcalloc((size_t)gs->nbound * POS_N, sizeof *g->pos);
	g->extra = xcalloc((size_t)(gs->nbound > 1 ? gs->nbound - 1 : 1), sizeof *g->extra);
	g->next = gs->bucket[k];
	gs->bucket[k] = g;
	gs->n++;
	return g;
}

static void
add(rev_groups *gs, int64_t *to, int64_t v)
{
	if (__builtin_add_overflow(*to, v, to))
		gs->overflow = true;
}

int
rev_groups_add(rev_groups *gs, rev_group *g, const earning_contract *c)
{
	for (int i = 0; i < gs->nbound; i++) {
		earning_position p;
		int64_t *s = g->pos + (size_t)i * POS_N;

		if (gs->bound[i] <= c->sale_date)
			continue; /* nothing before the sale */
		if (earning_position_at(c, gs->bound[i], &p) != 0)
			return -1;
		add(gs, &s[POS_WRITTEN], p.written);
		add(gs, &s[POS_EARNED], p.earned);
		add(gs, &s[POS_CANCELLED], p.cancelled);
		add(gs, &s[POS_UNEARNED], p.unearned);
	}
	return 0;
}

void
rev_groups_add_extra(rev_groups *gs, rev_group *g, int p, int64_t amount)
{
	if (p < 0 || p >= gs->nbound - 1)
		return;
	add(gs, &g->extra[p], amount);
}

static int
cmp_group(const void *pa, const void *pb)
{
	const rev_group *a = *(const rev_group *const *)pa, *b = *(const rev_group *const *)pb;
	int c = strcmp(a->key, b->key);

	return c != 0 ? c : strcmp(a->currency, b->currency);
}

rev_group **
rev_groups_sorted(const rev_groups *gs, size_t *n)
{
	rev_group **out = xcalloc(gs->n + 1, sizeof *out);
	size_t k = 0;

	for (size_t i = 0; i < gs->nbuckets; i++)
		for (rev_group *g = gs->bucket[i]; g != NULL; g = g->next)
			out[k++] = g;
	qsort(out, k, sizeof *out, cmp_group);
	*n = k;
	return out;
}

void
rev_groups_free(rev_groups *gs)
{
	for (size_t i = 0; gs->bucket != NULL && i < gs->nbuckets; i++)
		for (rev_group *g = gs->bucket[i], *next; g != NULL; g = next) {
			next = g->next;
			free(g->pos);
			free(g->extra);
			free(g);
		}
	free(gs->bucket);
	memset(gs, 0, sizeof *gs);
}
