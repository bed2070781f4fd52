/* totals — an invoice's totals and tax breakdown, computed as EN 16931
 * defines them.
 *
 * Line net amounts are given (already rounded to the minor unit). They are
 * grouped by tax category and rate; each group's tax is its taxable amount
 * times the rate, rounded half-up to the minor unit once per group — never
 * per line, so a thousand 0.01 lines at 19 % carry 1.90 tax, not 0.00. The
 * totals then follow by addition only:
 *
 *   BT-106 sum of line net amounts
 *   BT-109 total without tax        = BT-106 (no document allowances yet)
 *   BT-110 total tax                = sum of the groups' tax (BT-117)
 *   BT-112 total with tax           = BT-109 + BT-110
 *   BT-115 amount due               = BT-112 - prepaid (BT-113)
 *
 * Categories Z (zero rated), E (exempt) and AE (reverse charge) carry a
 * rate of 0, as the EN 16931 rules BR-Z-*, BR-E-* and BR-AE-* require.
 * Amounts are minor units of one currency; no floating point. */
#ifndef CD_BILLING_TOTALS_H
#define CD_BILLING_TOTALS_H

#include <stddef.h>
#include <stdint.h>

#include "base/money.h"
#include "contractd/plugin.h"

#define INVOICE_MAX_TAX_GROUPS 16

typedef struct invoice_line_amount {
	int64_t net;                 /* BT-131, minor units; negative on credit lines */
	cd_tax_category category;    /* BT-151 */
	rate tax_rate;               /* BT-152 as a fraction: 0.19 for 19 % */
} invoice_line_amount;

typedef struct tax_group {
	cd_tax_category category;    /* BT-118 */
	rate tax_rate;               /* BT-119 */
	int64_t taxable;             /* BT-116 */
	int64_t tax;                 /* BT-117 */
} tax_group;

typedef struct invoice_totals {
	int64_t line_total;          /* BT-106 */
	int64_t tax_exclusive;       /* BT-109 */
	int64_t tax_total;           /* BT-110 */
	int64_t tax_inclusive;       /* BT-112 */
	int64_t prepaid;             /* BT-113 */
	int64_t payable;             /* BT-115 */
	tax_group groups[INVOICE_MAX_TAX_GROUPS]; /* in order of first appearance */
	size_t ngroups;
} invoice_totals;

/* Computes *out from n lines and an amount already paid. Returns MONEY_OK;
 * MONEY_ERANGE when a Z, E or AE line has a non-zero rate, a rate is
 * negative or there are more than INVOICE_MAX_TAX_GROUPS groups;
 * MONEY_EOVERFLOW when a sum does not fit. *out is complete only on
 * MONEY_OK. */
money_status invoice_totals_compute(const invoice_line_amount *lines, size_t n, int64_t prepaid,
    invoice_totals *out);
/* The same, with each group's tax rounded half-up to a multiple of granule
 * minor units (invoice_amount_granule: 10 for a three-decimal currency,
 * whose invoices are issued in hundredths; 1 otherwise). */
money_status invoice_totals_compute_in(const invoice_line_amount *lines, size_t n,
    int64_t prepaid, int64_t granule, invoice_totals *out);

#endif
