/* ledger — [ledger] accounts and balanced entries (see ledger.h). */
#include "reports/ledger.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *key, *def;
} accounts[ACC_COUNT] = {
	[ACC_RECEIVABLE] = { "receivable", "1200" },
	[ACC_CLAIMS_PAYABLE] = { "claims_payable", "1600" },
	[ACC_VAT_PAYABLE] = { "vat_payable", "1776" },
	[ACC_UNEARNED_REVENUE] = { "unearned_revenue", "2400" },
	[ACC_CORE_DEPOSITS] = { "core_deposits", "2450" },
	[ACC_REVENUE_CONTRACTS] = { "revenue_contracts", "4000" },
	[ACC_CANCELLATIONS] = { "cancellations", "4050" },
	[ACC_REVENUE_PARTS] = { "revenue_parts", "4100" },
	[ACC_REVENUE_LABOR] = { "revenue_labor", "4200" },
	[ACC_REVENUE_FEES] = { "revenue_fees", "4300" },
	[ACC_DISCOUNTS] = { "discounts", "4400" },
	[ACC_REVENUE_OTHER] = { "revenue_other", "4900" },
	[ACC_DEALER_CLEARING] = { "dealer_clearing", "1590" },
	[ACC_CLAIMS_EXPENSE] = { "claims_expense", "5000" },
	[ACC_WARRANTY_EXPENSE] = { "warranty_expense", "5100" },
	[ACC_CASH] = { "cash", "1000" },
	[ACC_UNAPPLIED_CASH] = { "unapplied_cash", "2100" },
	[ACC_SUSPENSE] = { "suspense", "9999" },
};

const char *
ledger_account_key(ledger_account_id id)
{
	return (unsigned)id < ACC_COUNT ? accounts[id].key : NULL;
}

const char *
ledger_account_default(ledger_account_id id)
{
	return (unsigned)id < ACC_COUNT ? accounts[id].def : NULL;
}

/* 1-32 of letters, digits, space and . _ : / -, not starting or ending
 * with a space. */
static bool
account_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LEDGER_ACCOUNT_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    strchr(" ._:/-", c) != NULL))
			return false;
	}
	return true;
}

/* An origin name as invoices store them: 1-32 of a-z, 0-9 and '-'. */
static bool
origin_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

int
ledger_accounts_load(const config *cfg, ledger_accounts *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < ACC_COUNT; i++)
		snprintf(out->account[i], sizeof out->account[i], "%s", accounts[i].def);
	if (cfg == NULL)
		return 0;
	for (size_t i = 0; i < cfg->nall; i++) {
		const char *full = cfg->all[i].key, *key, *value = cfg->all[i].value;
		int which = -1;

		if (strncmp(full, "ledger.", 7) != 0)
			continue;
		key = full + 7;
		if (strncmp(key, "origin.", 7) == 0) {
			const char *origin = key + 7;
			size_t k;
			if (!origin_valid(origin)) {
				snprintf(err, errlen, "[ledger] %s: '%s' is not an invoice origin such as "
				    "origin.parts-order", key, origin);
				return -1;
			}
			if (!account_valid(value)) {
				snprintf(err, errlen, "[ledger] %s: '%s' is not an account (1-%d letters, "
				    "digits, spaces and . _ : / -)", key, value, LEDGER_ACCOUNT_MAX);
				return -1;
			}
			/* Later lines win, as everywhere in the file. */
			for (k = 0; k < out->norigins; k++)
				if (strcmp(out->origins[k].origin, origin) == 0)
					break;
			if (k == out->norigins) {
				if (out->norigins == LEDGER_ORIGINS_MAX) {
					snprintf(err, errlen, "[ledger] more than %d origin.NAME keys",
					    LEDGER_ORIGINS_MAX);
					return -1;
				}
				out->norigins++;
			}
			snprintf(out->origins[k].origin, sizeof out->origins[k].origin, "%s", origin);
			snprintf(out->origins[k].account, sizeof out->origins[k].account, "%s", value);
			continue;
		}
		for (int a = 0; a < ACC_COUNT; a++)
			if (strcmp(key, accounts[a].key) == 0)
				which = a;
		if (which < 0) {
			snprintf(err, errlen, "[ledger] %s: unknown key (see contractd.conf(5))", key);
			return -1;
		}
		if (!account_valid(value)) {
			snprintf(err, errlen, "[ledger] %s: '%s' is not an account (1-%d letters, digits, "
			    "spaces and . _ : / -)", key, value, LEDGER_ACCOUNT_MAX);
			return -1;
		}
		snprintf(out->account[which], sizeof out->account[which], "%s", value);
	}
	return 0;
}

const char *
ledger_origin_account_of(const ledger_accounts *a, const char *origin)
{
	for (size_t i = 0; i < a->norigins; i++)
		if (strcmp(a->origins[i].origin, origin) == 0)
			return a->origins[i].account;
	return NULL;
}

void
ledger_entry_init(ledger_entry *e)
{
	memset(e, 0, sizeof *e);
}

void
ledger_entry_add(ledger_entry *e, const char *account, int64_t amount)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->lines[i].account, account) == 0) {
			if (__builtin_add_overflow(e->lines[i].amount, amount, &e->lines[i].amount))
				e->overflow = true;
			return;
		}
	if (e->n == LEDGER_ENTRY_MAX_LINES) {
		e->overflow = true;
		return;
	}
	e->lines[e->n].account = account;
	e->lines[e->n].amount = amount;
	e->n++;
}

int
ledger_entry_finish(ledger_entry *e, const char *suspense)
{
	ledger_line debits[LEDGER_ENTRY_MAX_LINES], credits[LEDGER_ENTRY_MAX_LINES];
	size_t nd = 0, nc = 0;
	int64_t sum = 0;
	int rc = 0;

	if (e->overflow)
		return -1;
	for (size_t i = 0; i < e->n; i++)
		if (__builtin_add_overflow(sum, e->lines[i].amount, &sum))
			return -1;
	if (sum != 0) {
		ledger_entry_add(e, suspense, -sum);
		if (e->overflow)
			return -1;
		rc = 1;
	}
	for (size_t i = 0; i < e->n; i++) {
		if (e->lines[i].amount > 0)
			debits[nd++] = e->lines[i];
		else if (e->lines[i].amount < 0)
			credits[nc++] = e->lines[i];
	}
	memcpy(e->lines, debits, nd * sizeof *debits);
	memcpy(e->lines + nd, credits, nc * sizeof *credits);
	e->n = nd + nc;
	return rc;
}
