/* settings — [seller], [invoices] and [tax] (see settings.h). */
#include "billing/settings.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies [section] key into out (size n) when set; refuses a value that
 * does not fit or holds control characters. */
static int
text(const config *cfg, const char *section, const char *key, char *out, size_t n, char *err,
    size_t errlen)
{
	const char *v = config_get(cfg, section, key);

	if (v == NULL)
		return 0;
	if (strlen(v) >= n) {
		snprintf(err, errlen, "[%s] %s: longer than %zu bytes", section, key, n - 1);
		return -1;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20) {
			snprintf(err, errlen, "[%s] %s: control characters are not allowed", section, key);
			return -1;
		}
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* A series prefix: 1-16 of [A-Z0-9], so numbers sort and read well. */
static bool
series_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > BILLING_SERIES_MAX)
		return false;
	for (; *s; s++)
		if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s))
			return false;
	return true;
}

static const char *const tax_keys[4] = { "standard", "zero", "exempt", "reverse" };

/* Reads [tax]: every category but standard defaults to 0. */
static int
load_tax(const config *cfg, tax_rates *out, char *err, size_t errlen)
{
	static const char *const keys[] = { "standard", "zero", "exempt", "reverse", NULL };

	memset(out, 0, sizeof *out);
	if (config_check_keys(cfg, "tax", keys, err, errlen) != 0)
		return -1;
	for (int i = 0; i < 4; i++) {
		const char *v = config_get(cfg, "tax", tax_keys[i]);
		if (v == NULL) {
			if (i != 0) {
				out->rates[i] = (rate){ 0, 0 };
				out->set[i] = true;
			}
			continue;
		}
		if (rate_parse(v, &out->rates[i]) != MONEY_OK || out->rates[i].value < 0) {
			snprintf(err, errlen, "[tax] %s: '%s' is not a decimal rate such as 0.19",
			    tax_keys[i], v);
			return -1;
		}
		/* A rate of 1 or more is a percentage written by mistake. */
		int64_t whole = out->rates[i].value;
		for (int s = 0; s < out->rates[i].scale; s++)
			whole /= 10;
		if (whole >= 1) {
			snprintf(err, errlen, "[tax] %s: '%s' must be a fraction below 1 (0.19 for 19 %%)",
			    tax_keys[i], v);
			return -1;
		}
		/* EN 16931: zero-rated, exempt and reverse-charge lines carry 0. */
		if (i != 0 && out->rates[i].value != 0) {
			snprintf(err, errlen, "[tax] %s: must be 0 (EN 16931 taxes %s lines at 0)",
			    tax_keys[i], tax_keys[i]);
			return -1;
		}
		out->set[i] = true;
	}
	return 0;
}

int
billing_settings_load(const config *cfg, billing_settings *out, char *err, size_t errlen)
{
	invoice_party *s = &out->seller;
	const char *v;
	static const struct {
		const char *key;
		size_t off, size;
	} party[] = {
#define F(k, f) { k, offsetof(invoice_party, f), sizeof(((invoice_party *)0)->f) }
		F("name", name), F("street", street), F("additional_street", additional_street),
		F("city", city), F("postal_code", postal_code), F("country", country),
		F("vat_id", vat_id), F("legal_id", legal_id), F("email", email),
#undef F
	};

	static const char *const seller_keys[] = { "name", "street", "additional_street", "city",
		"postal_code", "country", "vat_id", "legal_id", "email", "iban", NULL };
	static const char *const invoice_keys[] = { "payment_days", "payment_means",
		"invoice_series", "credit_note_series", "exempt_reason", "reverse_charge_reason",
		"run_invoice_lines", "claim_settlement", NULL };

	memset(out, 0, sizeof *out);
	if (config_check_keys(cfg, "seller", seller_keys, err, errlen) != 0 ||
	    config_check_keys(cfg, "invoices", invoice_keys, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < sizeof party / sizeof party[0]; i++)
		if (text(cfg, "seller", party[i].key, (char *)s + party[i].off, party[i].size, err,
		    errlen) != 0)
			return -1;
	if (s->country[0] != '\0' && (!isupper((unsigned char)s->country[0]) ||
	    !isupper((unsigned char)s->country[1]) || s->country[2] != '\0')) {
		snprintf(err, errlen, "[seller] country: '%s' is not an ISO 3166 code such as DE",
		    s->country);
		return -1;
	}
	if (text(cfg, "seller", "iban", out->iban, sizeof out->iban, err, errlen) != 0)
		return -1;
	out->configured = s->name[0] != '\0' && s->country[0] != '\0';

	snprintf(out->payment_means, sizeof out->payment_means, "58");
	out->payment_days = 30;
	snprintf(out->invoice_series, sizeof out->invoice_series, "INV");
	snprintf(out->credit_note_series, sizeof out->credit_note_series, "CN");
	snprintf(out->exempt_reason, sizeof out->exempt_reason, "Exempt from VAT");
	snprintf(out->reverse_charge_reason, sizeof out->reverse_charge_reason, "Reverse charge");
	if ((v = config_get(cfg, "invoices", "payment_days")) != NULL) {
		char *end;
		long d = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || d < 0 || d > 365) {
			snprintf(err, errlen, "[invoices] payment_days: '%s' is not 0-365", v);
			return -1;
		}
		out->payment_days = (int)d;
	}
	out->run_invoice_lines = 500;
	if ((v = config_get(cfg, "invoices", "run_invoice_lines")) != NULL) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || n < 1 || n > 10000) {
			snprintf(err, errlen, "[invoices] run_invoice_lines: '%s' is not 1-10000", v);
			return -1;
		}
		out->run_invoice_lines = (int)n;
	}
	if ((v = config_get(cfg, "invoices", "payment_means")) != NULL) {
		if (strlen(v) < 1 || strlen(v) > 3 || strspn(v, "0123456789") != strlen(v)) {
			snprintf(err, errlen, "[invoices] payment_means: '%s' is not a UNCL 4461 code", v);
			return -1;
		}
		snprintf(out->payment_means, sizeof out->payment_means, "%s", v);
	}
	if ((v = config_get(cfg, "invoices", "claim_settlement")) != NULL) {
		if (strcmp(v, "billing-run") != 0 && strcmp(v, "per-claim") != 0) {
			snprintf(err, errlen, "[invoices] claim_settlement: '%s' is neither per-claim "
			    "nor billing-run", v);
			return -1;
		}
		out->settle_claims_in_runs = strcmp(v, "billing-run") == 0;
	}
	if (load_tax(cfg, &out->tax, err, errlen) != 0)
		return -1;
	if (text(cfg, "invoices", "invoice_series", out->invoice_series,
	    sizeof out->invoice_series, err, errlen) != 0 ||
	    text(cfg, "invoices", "credit_note_series", out->credit_note_series,
	    sizeof out->credit_note_series, err, errlen) != 0 ||
	    text(cfg, "invoices", "exempt_reason", out->exempt_reason,
	    sizeof out->exempt_reason, err, errlen) != 0 ||
	    text(cfg, "invoices", "reverse_charge_reason", out->reverse_charge_reason,
	    sizeof out->reverse_charge_reason, err, errlen) != 0)
		return -1;
	if (!series_valid(out->invoice_series) || !series_valid(out->credit_note_series) ||
	    strcmp(out->invoice_series, out->credit_note_series) == 0) {
		snprintf(err, errlen, "[invoices] invoice_series and credit_note_series must be "
		    "different, 1-%d capital letters or digits", BILLING_SERIES_MAX);
		return -1;
	}
	return 0;
}
