/* invoice — names and small helpers of the invoice model (see invoice.h). */
#include "billing/invoice.h"

#include <stdlib.h>
#include <string.h>

int64_t
invoice_amount_granule(const char *currency)
{
	int exp = currency_exponent(currency);
	int64_t granule = 1;

	for (int i = 2; i < exp; i++)
		granule *= 10;
	return granule;
}

const char *
invoice_type_name(invoice_type t)
{
	switch (t) {
	case INVOICE_COMMERCIAL:
		return "invoice";
	case INVOICE_CREDIT_NOTE:
		return "credit-note";
	}
	return NULL;
}

/* Indexed by invoice_origin; the names are stored in the database. */
static const char *const origin_names[] = {
	[ORIGIN_CONTRACT_SALE] = "contract-sale",
	[ORIGIN_CLAIM_CUSTOMER] = "claim-customer",
	[ORIGIN_CLAIM_SETTLEMENT] = "claim-settlement",
	[ORIGIN_REPAIR] = "repair",
	[ORIGIN_PARTS_ORDER] = "parts-order",
	[ORIGIN_CANCELLATION] = "cancellation",
	[ORIGIN_CORRECTION] = "correction",
	[ORIGIN_OTHER] = "other",
	[ORIGIN_REMITTANCE] = "remittance",
	[ORIGIN_CHARGEBACK] = "chargeback",
};

#define NORIGINS (sizeof origin_names / sizeof origin_names[0])

const char *
invoice_origin_name(invoice_origin o)
{
	if ((unsigned)o >= NORIGINS)
		return NULL;
	return origin_names[o];
}

int
invoice_origin_parse(const char *name, invoice_origin *out)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < NORIGINS; i++)
		if (strcmp(name, origin_names[i]) == 0) {
			*out = (invoice_origin)i;
			return 0;
		}
	return -1;
}

const char *
invoice_unit_for_kind(cd_line_kind kind)
{
	return kind == CD_LINE_LABOR ? "HUR" : "C62";
}

void
invoice_free(invoice *inv)
{
	if (inv == NULL)
		return;
	free(inv->lines);
	inv->lines = NULL;
	inv->nlines = 0;
}
