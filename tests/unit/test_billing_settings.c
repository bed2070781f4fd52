/* Unit tests for [seller], [invoices] and [tax] (billing/settings.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "billing/settings.h"

/* Loads text as contractd.conf and reads its billing settings. Returns
 * what billing_settings_load returned; err gets its message. */
static int
load(const char *text, billing_settings *out, char *err, size_t errlen)
{
	char path[64] = "/tmp/cd-test-billing-XXXXXX";
	int fd = mkstemp(path);
	config *c;
	int r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	c = config_load(path, err, errlen);
	unlink(path);
	assert_non_null(c);
	r = billing_settings_load(c, out, err, errlen);
	config_free(c);
	return r;
}

static void
defaults(void **state)
{
	billing_settings bs;
	char err[256] = "";

	(void)state;
	assert_int_equal(load("[seller]\nname = W\ncountry = DE\n", &bs, err, sizeof err), 0);
	assert_true(bs.configured);
	assert_false(bs.settle_claims_in_runs);
	assert_int_equal(bs.run_invoice_lines, 500);
	assert_int_equal(bs.payment_days, 30);
	assert_string_equal(bs.invoice_series, "INV");
	/* No standard rate: S lines are refused later; the others are 0. */
	assert_false(bs.tax.set[CD_TAX_STANDARD]);
	assert_true(bs.tax.set[CD_TAX_ZERO] && bs.tax.rates[CD_TAX_ZERO].value == 0);
}

static void
claim_settlement(void **state)
{
	billing_settings bs;
	char err[256] = "";

	(void)state;
	assert_int_equal(load("[invoices]\nclaim_settlement = billing-run\n", &bs, err,
	    sizeof err), 0);
	assert_true(bs.settle_claims_in_runs);
	assert_int_equal(load("[invoices]\nclaim_settlement = per-claim\n", &bs, err,
	    sizeof err), 0);
	assert_false(bs.settle_claims_in_runs);
	assert_int_equal(load("[invoices]\nclaim_settlement = monthly\n", &bs, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "claim_settlement"));
	assert_non_null(strstr(err, "monthly"));
}

static void
tax_rates_checked(void **state)
{
	billing_settings bs;
	char err[256] = "";

	(void)state;
	assert_int_equal(load("[tax]\nstandard = 0.19\n", &bs, err, sizeof err), 0);
	assert_true(bs.tax.set[CD_TAX_STANDARD]);
	assert_int_equal(bs.tax.rates[CD_TAX_STANDARD].value, 19);
	assert_int_equal(bs.tax.rates[CD_TAX_STANDARD].scale, 2);
	/* A percentage written by mistake, a rate on exempt lines, a typo. */
	assert_int_equal(load("[tax]\nstandard = 19\n", &bs, err, sizeof err), -1);
	assert_non_null(strstr(err, "fraction below 1"));
	assert_int_equal(load("[tax]\nexempt = 0.07\n", &bs, err, sizeof err), -1);
	assert_non_null(strstr(err, "must be 0"));
	assert_int_equal(load("[tax]\nstandrad = 0.19\n", &bs, err, sizeof err), -1);
	assert_non_null(strstr(err, "standrad"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(claim_settlement),
		cmocka_unit_test(tax_rates_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
