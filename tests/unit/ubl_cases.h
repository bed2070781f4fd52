/* ubl_cases — sample invoices and credit notes for the UBL writer: the
 * cases test_billing_ubl checks, and that tests/tools/ubl-samples writes to
 * files for tests/e2e/test_ubl_samples.py and for checking by hand with
 * the official EN 16931 validator. Each is a valid invoice with its totals
 * computed from its lines; a test breaks a copy to see a refusal. */
#ifndef CD_TESTS_UBL_CASES_H
#define CD_TESTS_UBL_CASES_H

#include <stddef.h>

#include "billing/invoice.h"

typedef struct ubl_case {
	const char *name;                   /* a file stem: "eur-many-lines" */
	const char *what;                   /* one line for a reader */
	void (*build)(invoice *out);        /* fills *out; ubl_case_free releases it */
} ubl_case;

extern const ubl_case ubl_cases[];
extern const size_t ubl_ncases;

/* The case called name, or NULL. */
const ubl_case *ubl_case_find(const char *name);
/* Recomputes inv's totals from its lines (after a test changed them);
 * returns the money_status of invoice_totals_compute_in. */
int ubl_case_totals(invoice *inv);
/* Frees the lines of a built case (not invoice_free, which lives with the
 * database code in issue.c). */
void ubl_case_free(invoice *inv);

#endif
