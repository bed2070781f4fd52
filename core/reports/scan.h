/* scan — reading contracts page by page and folding their earning into
 * groups (private to core/reports).
 *
 * report_scan_contracts() reads every contract a range [from, to) must see
 * (earning_touches(): sold before to, and sold in the range or with term
 * left at from) in pages of REPORT_PAGE rows by id and calls fn for each.
 * Only the page is in memory.
 *
 * A rev_groups accumulator keeps, per group (a plan or dealer and a
 * currency), the sum of the contracts' positions (earning.h: written,
 * earned, cancelled, unearned) at each of a fixed list of boundary days:
 * a period between two boundaries then moves by the difference, and the
 * roll-forward holds by construction. Memory is groups x boundaries,
 * whatever the number of contracts. */
#ifndef CD_REPORTS_SCAN_H
#define CD_REPORTS_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/earning.h"
#include "storage/db.h"

typedef struct scanned_contract {
	int64_t id;
	char number[33];
	char plan_code[41];
	char dealer_id[65];
	char currency[4];
	earning_contract e;
} scanned_contract;

typedef int (*scan_fn)(void *arg, const scanned_contract *c);

/* Calls fn for every contract the range [from, to) must see, in id order.
 * fn returns 0 to go on, non-zero to stop (returned as is). Returns 0, fn's
 * value, or -1 with a message in err (a database error, or a contract
 * whose term is empty). */
int report_scan_contracts(db_conn *db, date_t from, date_t to, scan_fn fn, void *arg,
    char *err, size_t errlen);

/* The four sums at each boundary, and anything a report wants per period. */
enum { POS_WRITTEN = 0, POS_EARNED, POS_CANCELLED, POS_UNEARNED, POS_N };

typedef struct rev_group {
	struct rev_group *next;   /* hash chain */
	char key[65];
	char currency[4];
	int64_t *pos;             /* nbound x POS_N */
	int64_t *extra;           /* nbound - 1 periods: e.g. claims incurred */
} rev_group;

typedef struct rev_groups {
	rev_group **bucket;
	size_t nbuckets, n;
	const date_t *bound;      /* ascending; borrowed */
	int nbound;
	bool overflow;
} rev_groups;

void rev_groups_init(rev_groups *gs, const date_t *bound, int nbound);
/* The group of key and currency, created (all zero) when new. */
rev_group *rev_groups_get(rev_groups *gs, const char *key, const char *currency);
/* Adds c's positions at every boundary to g. Returns 0, or -1 for a
 * malformed contract. An overflow sets gs->overflow. */
int rev_groups_add(rev_groups *gs, rev_group *g, const earning_contract *c);
/* Adds amount to g's extra value of period p. */
void rev_groups_add_extra(rev_groups *gs, rev_group *g, int p, int64_t amount);
/* A new array (free()) of the groups ordered by key, then currency. */
rev_group **rev_groups_sorted(const rev_groups *gs, size_t *n);
void rev_groups_free(rev_groups *gs);

#endif
