/* Unit tests for canonical hashing: a plan's canonical definition
 * (core/domain/plan.c), the pricing input (core/domain/pricing.c), the
 * quote's signing text (core/domain/quote.c), and the canonical content of
 * an inbound document (core/exchange/canon.c). The exact texts are pinned:
 * changing a canonical form would make every stored plan look changed and
 * every stored document look different. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/plan.h"
#include "domain/pricing.h"
#include "domain/quote.h"
#include "exchange/canon.h"
#include "xml/xml_in.h"
#include "base/crypto.h"

static date_t
D(const char *text)
{
	date_t d = 0;

	assert_int_equal(date_parse(text, &d), 0);
	return d;
}

/* The example powertrain plan, built field by field. */
static plan *
powertrain(void)
{
	plan *p = plan_new();
	plan_entitlement *e;

	snprintf(p->code, sizeof p->code, "VEH-PT-36");
	snprintf(p->name, sizeof p->name, "Powertrain 36 / 100 000 km");
	snprintf(p->currency, sizeof p->currency, "EUR");
	plan_add_category(p, "vehicle.suv");
	plan_add_category(p, "vehicle.car");
	p->term_months = 36;
	p->usage_unit = CD_USAGE_KM;
	p->usage_limit = 100000;
	p->waiting_days = 30;
	p->coverage = PLAN_COVERS_PARTS_AND_LABOR;
	plan_add_component(p, "transmission");
	plan_add_component(p, "engine");
	p->deductible = 10000;
	p->free_look_days = 14;
	p->refund_method = PLAN_REFUND_BY_DAYS_OR_USAGE;
	p->cancellation_fee = 5000;
	p->deduct_claims = true;
	snprintf(p->pricing_plugin, sizeof p->pricing_plugin, "pricing-ratetable");
	plan_add_param(p, "table", "VEH-2024");
	plan_add_param(p, "dealer-cost-percent", "70");
	e = plan_add_entitlement(p);
	plan_entitlement_add_operation(e, "OIL-0110");
	plan_entitlement_add_operation(e, "OIL-0100");
	snprintf(e->description, sizeof e->description, "Oil\nand filter");
	e->count = 1;
	e->usage_interval = 15000;
	e->usage_unit = CD_USAGE_KM;
	return p;
}

static const char powertrain_text[] =
    "contractd-plan 1\n"
    "code=VEH-PT-36\n"
    "name=Powertrain 36 / 100 000 km\n"
    "description=\n"
    "currency=EUR\n"
    "category=vehicle.car\n"
    "category=vehicle.suv\n"
    "term-months=36\n"
    "usage-unit=km\n"
    "usage-limit=100000\n"
    "term-start=purchase\n"
    "waiting-days=30\n"
    "coverage=parts-and-labor\n"
    "component=engine\n"
    "component=transmission\n"
    "deductible=10000\n"
    "liability-limit=-1\n"
    "free-look-days=14\n"
    "refund-method=days-or-usage\n"
    "cancellation-fee=5000\n"
    "deduct-claims=yes\n"
    "pricing-plugin=pricing-ratetable\n"
    "param.dealer-cost-percent=70\n"
    "param.table=VEH-2024\n"
    "entitlement-begin\n"
    "operation=OIL-0100\n"
    "operation=OIL-0110\n"
    "description=Oil\\nand filter\n"
    "count=1\n"
    "period-months=0\n"
    "usage-interval=15000\n"
    "usage-interval-unit=km\n"
    "entitlement-end\n";

static void
test_plan_canonical_text(void **state)
{
	plan *p = powertrain();
	char *text = plan_canonical(p, NULL), want[65];

	(void)state;
	assert_string_equal(text, powertrain_text);
	plan_compute_hash(p);
	sha256_hex(powertrain_text, strlen(powertrain_text), want);
	assert_string_equal(p->definition_hash, want);
	free(text);
	plan_free(p);
}

/* Order and spelling that do not change the meaning do not change the
 * hash; every field that does, does. */
static void
test_plan_hash_invariance(void **state)
{
	plan *a = powertrain(), *b = plan_new();
	plan_entitlement *e;

	(void)state;
	*b = (plan){ 0 };
	b->liability_limit = -1;
	snprintf(b->code, sizeof b->code, "VEH-PT-36");
	snprintf(b->name, sizeof b->name, "Powertrain 36 / 100 000 km");
	snprintf(b->currency, sizeof b->currency, "EUR");
	plan_add_category(b, "vehicle.car");
	plan_add_category(b, "vehicle.suv");
	plan_add_category(b, "vehicle.car"); /* a repeat means nothing */
	b->term_months = 36;
	b->usage_unit = CD_USAGE_KM;
	b->usage_limit = 100000;
	b->waiting_days = 30;
	b->coverage = PLAN_COVERS_PARTS_AND_LABOR;
	plan_add_component(b, "engine");
	plan_add_component(b, "transmission");
	b->deductible = 10000;
	b->free_look_days = 14;
	b->refund_method = PLAN_REFUND_BY_DAYS_OR_USAGE;
	b->cancellation_fee = 5000;
	b->deduct_claims = true;
	snprintf(b->pricing_plugin, sizeof b->pricing_plugin, "pricing-ratetable");
	plan_add_param(b, "dealer-cost-percent", "70");
	plan_add_param(b, "table", "VEH-2024");
	e = plan_add_entitlement(b);
	plan_entitlement_add_operation(e, "OIL-0100");
	plan_entitlement_add_operation(e, "OIL-0110");
	snprintf(e->description, sizeof e->description, "Oil\nand filter");
	e->count = 1;
	e->usage_interval = 15000;
	e->usage_unit = CD_USAGE_KM;
	b->version = 7; /* the version is not part of the definition */

	plan_compute_hash(a);
	plan_compute_hash(b);
	assert_string_equal(a->definition_hash, b->definition_hash);

#define CHANGED(stmt) do { \
		char before[65]; \
		memcpy(before, b->definition_hash, sizeof before); \
		stmt; \
		plan_compute_hash(b); \
		assert_string_not_equal(before, b->definition_hash); \
	} while (0)
	CHANGED(b->term_months = 48);
	CHANGED(b->usage_limit = 120000);
	CHANGED(b->deductible = 10001);
	CHANGED(b->liability_limit = 1500000);
	CHANGED(b->waiting_days = 0);
	CHANGED(b->term_start = PLAN_START_AT_WARRANTY_END);
	CHANGED(b->coverage = PLAN_COVERS_PARTS);
	CHANGED(b->free_look_days = 30);
	CHANGED(b->refund_method = PLAN_REFUND_BY_DAYS);
	CHANGED(b->cancellation_fee = 0);
	CHANGED(b->deduct_claims = false);
	CHANGED(plan_add_component(b, "cooling"));
	CHANGED(plan_add_category(b, "vehicle.van"));
	CHANGED(plan_add_param(b, "commercial-surcharge", "35"));
	CHANGED(snprintf(b->pricing_plugin, sizeof b->pricing_plugin, "pricing-percent"));
	CHANGED(snprintf(b->name, sizeof b->name, "Powertrain 36"));
	CHANGED(snprintf(b->description, sizeof b->description, "now with a description"));
	CHANGED(b->entitlements[0].count = 2);
#undef CHANGED
	plan_free(a);
	plan_free(b);
}

/* The stored text rebuilds the same plan. */
static void
test_plan_round_trip(void **state)
{
	plan *p = powertrain(), *back = NULL;
	char *text = NULL, *again = NULL, err[256];

	(void)state;
	plan_add_param(p, "odd", "back\\slash\r\nnew=line");
	text = plan_canonical(p, NULL);
	assert_int_equal(plan_parse_canonical(text, &back, err, sizeof err), 0);
	again = plan_canonical(back, NULL);
	assert_string_equal(text, again);
	assert_string_equal(plan_param(back, "odd"), "back\\slash\r\nnew=line");
	assert_int_equal(back->nentitlements, 1);
	assert_string_equal(back->entitlements[0].description, "Oil\nand filter");
	plan_compute_hash(p);
	assert_string_equal(back->definition_hash, p->definition_hash);
	free(again);
	plan_free(back);
	back = NULL;
	assert_int_equal(plan_parse_canonical("not a plan\n", &back, err, sizeof err), -1);
	assert_null(back);
	assert_int_equal(plan_parse_canonical("contractd-plan 1\ncode=X\nterm-months=abc\n", &back,
	    err, sizeof err), -1);
	assert_int_equal(plan_parse_canonical("contractd-plan 1\ncode=X\nbogus=1\n", &back, err,
	    sizeof err), -1);
	assert_int_equal(plan_parse_canonical("contractd-plan 1\ncode=X\nname=a\\q\n", &back, err,
	    sizeof err), -1);
	free(text);
	plan_free(p);
}

static void
test_pricing_input(void **state)
{
	plan *p = plan_new();
	asset a;
	cd_pricing_request req;
	char *text, hash[65], again[65], want[65];
	static const char expect[] =
	    "contractd-pricing-input 1\n"
	    "currency=EUR\n"
	    "plan=APPL-36\n"
	    "dealer=DLR-0042\n"
	    "product-category=appliance.washer\n"
	    "model=AquaPro 8 WM-800X\n"
	    "purchase-price=89900\n"
	    "purchase-date=2024-03-15\n"
	    "quote-date=2025-04-16\n"
	    "asset-age-months=13\n"
	    "term-months=36\n"
	    "usage-unit=none\n"
	    "usage-at-sale=0\n"
	    "usage-limit=0\n"
	    "commercial-use=0\n"
	    "param.max-price=399.00\n"
	    "param.rate.appliance.500-1500=0.12\n";

	(void)state;
	snprintf(p->code, sizeof p->code, "APPL-36");
	snprintf(p->currency, sizeof p->currency, "EUR");
	p->term_months = 36;
	plan_add_param(p, "rate.appliance.500-1500", "0.12");
	plan_add_param(p, "max-price", "399.00");
	memset(&a, 0, sizeof a);
	snprintf(a.model, sizeof a.model, "AquaPro 8 WM-800X");
	snprintf(a.product_category, sizeof a.product_category, "appliance.washer");
	a.purchase_date = D("2024-03-15");
	a.purchase_price = 89900;
	pricing_request_fill(&req, p, &a, "DLR-0042", D("2025-04-16"));
	assert_int_equal(req.asset_age_months, 13);
	text = pricing_input_canonical(&req, NULL);
	assert_string_equal(text, expect);
	pricing_input_hash(&req, hash);
	sha256_hex(expect, strlen(expect), want);
	assert_string_equal(hash, want);
	/* Same input, same hash: parameters in another order too. */
	{
		cd_param swapped[2] = { p->params[1], p->params[0] };
		req.params = swapped;
		pricing_input_hash(&req, again);
		assert_string_equal(hash, again);
		req.params = p->params;
	}
	/* Any field changes it. */
	req.commercial_use = 1;
	pricing_input_hash(&req, again);
	assert_string_not_equal(hash, again);
	req.commercial_use = 0;
	req.purchase_price++;
	pricing_input_hash(&req, again);
	assert_string_not_equal(hash, again);
	free(text);
	plan_free(p);
}

static void
test_tax(void **state)
{
	priced p;
	tax_rates rates;
	char pct[32];

	(void)state;
	memset(&p, 0, sizeof p);
	memset(&rates, 0, sizeof rates);
	p.net = 10788;
	p.tax_category = CD_TAX_STANDARD;
	assert_int_equal(pricing_apply_tax(&p, &rates), PRICING_NO_TAX_RATE);
	rates.rates[CD_TAX_STANDARD] = (rate){ 19, 2 };
	rates.set[CD_TAX_STANDARD] = true;
	assert_int_equal(pricing_apply_tax(&p, &rates), PRICING_OK);
	assert_int_equal(p.tax, 2050);     /* 20.4972 half-up */
	assert_int_equal(p.total, 12838);
	p.net = 7788;
	assert_int_equal(pricing_apply_tax(&p, &rates), PRICING_OK);
	assert_int_equal(p.tax, 1480);     /* 14.7972 */
	p.net = 50;                        /* 0.095 -> 0.10: half-up */
	assert_int_equal(pricing_apply_tax(&p, &rates), PRICING_OK);
	assert_int_equal(p.tax, 10);
	tax_rate_percent((rate){ 19, 2 }, pct, sizeof pct);
	assert_string_equal(pct, "19");
	tax_rate_percent((rate){ 75, 3 }, pct, sizeof pct);
	assert_string_equal(pct, "7.5");
	tax_rate_percent((rate){ 0, 0 }, pct, sizeof pct);
	assert_string_equal(pct, "0");
}

static void
test_quote_signature(void **state)
{
	quote q;
	char sig[65], other[65];
	static const char key[] = "0123456789abcdef0123456789abcdef";

	(void)state;
	memset(&q, 0, sizeof q);
	snprintf(q.id, sizeof q.id, "Q-1");
	snprintf(q.dealer_id, sizeof q.dealer_id, "DLR-0042");
	snprintf(q.plan_code, sizeof q.plan_code, "APPL-36");
	q.plan_version = 2;
	q.quote_date = D("2024-03-15");
	q.valid_until = D("2024-04-14");
	snprintf(q.asset.serial, sizeof q.asset.serial, "WM8-2291-0457");
	q.asset.purchase_date = D("2024-03-15");
	q.asset.purchase_price = 89900;
	q.asset.mw_months = 24;
	snprintf(q.price.currency, sizeof q.price.currency, "EUR");
	q.price.net = 10788;
	q.price.tax_rate = (rate){ 19, 2 };
	q.price.tax = 2050;
	q.price.total = 12838;
	quote_sign(&q, key, strlen(key), sig);
	snprintf(q.signature, sizeof q.signature, "%s", sig);
	assert_true(quote_signature_valid(&q, key, strlen(key), sig));
	/* Another key, a changed signature, a changed price: refused. */
	assert_false(quote_signature_valid(&q, "another key, just as long as that",
	    strlen("another key, just as long as that"), sig));
	memcpy(other, sig, sizeof other);
	other[0] = other[0] == 'a' ? 'b' : 'a';
	assert_false(quote_signature_valid(&q, key, strlen(key), other));
	assert_false(quote_signature_valid(&q, key, strlen(key), "short"));
	q.price.net = 10787;
	assert_false(quote_signature_valid(&q, key, strlen(key), sig));
	q.price.net = 10788;
	q.valid_until++;
	assert_false(quote_signature_valid(&q, key, strlen(key), sig));
	q.valid_until--;
	assert_true(quote_signature_valid(&q, key, strlen(key), sig));
	{
		char *text = quote_signing_text(&q, NULL);
		assert_non_null(strstr(text, "contractd-quote 1\nquote-id=Q-1\ndealer=DLR-0042\n"
		    "plan=APPL-36\nplan-version=2\nquote-date=2024-03-15\nvalid-until=2024-04-14\n"));
		assert_non_null(strstr(text, "\nnet=10788\ntax-category=S\ntax-rate=0.19\ntax=2050\n"
		    "total=12838\n"));
		free(text);
	}
}

/* ------------------------------------------------------------------------
 * Documents
 * ------------------------------------------------------------------------ */

static void
doc_hash(const char *xml, char out[65])
{
	xml_limits lim = { 1 << 20, 64 };
	xml_problem prob;
	xmlDocPtr doc = xml_parse_untrusted(xml, strlen(xml), &lim, &prob);

	if (doc == NULL)
		fail_msg("not parsed: %s: %s", prob.code, prob.message);
	canon_hash(xmlDocGetRootElement(doc), out);
	xmlFreeDoc(doc);
}

static const char qr[] =
    "<QuoteRequest xmlns=\"urn:contractd:1\"><Header><DocumentId>D-1</DocumentId>"
    "<DealerId>DLR-0042</DealerId></Header><Asset><SerialNumber>WM-1</SerialNumber>"
    "<PurchasePrice currency=\"EUR\">899.00</PurchasePrice></Asset></QuoteRequest>";

static void
test_document_canonical(void **state)
{
	char a[65], b[65];

	(void)state;
	doc_hash(qr, a);
	/* Formatting, comments, whitespace around values, a prefix: the same. */
	doc_hash("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- sent again -->\n"
		 "<cd:QuoteRequest xmlns:cd=\"urn:contractd:1\">\n  <cd:Header>\n"
		 "    <cd:DocumentId> D-1 </cd:DocumentId>\n    <cd:DealerId>DLR-0042</cd:DealerId>\n"
		 "  </cd:Header>\n  <cd:Asset>\n    <cd:SerialNumber>WM-1</cd:SerialNumber>\n"
		 "    <!-- the price -->\n    <cd:PurchasePrice currency=\"EUR\">\n      899.00\n"
		 "    </cd:PurchasePrice>\n  </cd:Asset>\n</cd:QuoteRequest>\n", b);
	assert_string_equal(a, b);
	/* Inside a Batch: the same document. */
	{
		xml_limits lim = { 1 << 20, 64 };
		xml_problem prob;
		const char *batch = "<Batch xmlns=\"urn:contractd:1\"><Header><DocumentId>B</DocumentId>"
		    "<DealerId>DLR-0042</DealerId></Header><QuoteRequest><Header>"
		    "<DocumentId>D-1</DocumentId><DealerId>DLR-0042</DealerId></Header><Asset>"
		    "<SerialNumber>WM-1</SerialNumber><PurchasePrice currency=\"EUR\">899.00"
		    "</PurchasePrice></Asset></QuoteRequest></Batch>";
		xmlDocPtr doc = xml_parse_untrusted(batch, strlen(batch), &lim, &prob);
		xmlNodePtr inner = xmlDocGetRootElement(doc)->children;
		while (inner && (inner->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)inner->name, "QuoteRequest") != 0))
			inner = inner->next;
		assert_non_null(inner);
		canon_hash(inner, b);
		assert_string_equal(a, b);
		xmlFreeDoc(doc);
	}
	/* Another value, another attribute value, another namespace: different. */
	doc_hash("<QuoteRequest xmlns=\"urn:contractd:1\"><Header><DocumentId>D-1</DocumentId>"
		 "<DealerId>DLR-0042</DealerId></Header><Asset><SerialNumber>WM-1</SerialNumber>"
		 "<PurchasePrice currency=\"EUR\">899.01</PurchasePrice></Asset></QuoteRequest>", b);
	assert_string_not_equal(a, b);
	doc_hash("<QuoteRequest xmlns=\"urn:contractd:1\"><Header><DocumentId>D-1</DocumentId>"
		 "<DealerId>DLR-0042</DealerId></Header><Asset><SerialNumber>WM-1</SerialNumber>"
		 "<PurchasePrice currency=\"USD\">899.00</PurchasePrice></Asset></QuoteRequest>", b);
	assert_string_not_equal(a, b);
	doc_hash("<QuoteRequest xmlns=\"urn:other\"><Header><DocumentId>D-1</DocumentId>"
		 "<DealerId>DLR-0042</DealerId></Header><Asset><SerialNumber>WM-1</SerialNumber>"
		 "<PurchasePrice currency=\"EUR\">899.00</PurchasePrice></Asset></QuoteRequest>", b);
	assert_string_not_equal(a, b);
	/* Text moved between elements is not the same document. */
	doc_hash("<QuoteRequest xmlns=\"urn:contractd:1\"><Header><DocumentId>D-1</DocumentId>"
		 "<DealerId>DLR-0042</DealerId></Header><Asset><SerialNumber>WM-1899.00"
		 "</SerialNumber><PurchasePrice currency=\"EUR\"></PurchasePrice></Asset>"
		 "</QuoteRequest>", b);
	assert_string_not_equal(a, b);
}

static void
test_document_canonical_text(void **state)
{
	xml_limits lim = { 1 << 20, 64 };
	xml_problem prob;
	const char *xml = "<A xmlns=\"urn:x\" z=\" 2 \" b=\"1\"><B>  two\n words </B><C/>tail</A>";
	xmlDocPtr doc = xml_parse_untrusted(xml, strlen(xml), &lim, &prob);
	char *text;

	(void)state;
	assert_non_null(doc);
	text = canon_text(xmlDocGetRootElement(doc), NULL);
	assert_string_equal(text, "<{urn:x}A\n@b=1\n@z=2\n<{urn:x}B\n=two words\n>\n"
	    "<{urn:x}C\n>\n=tail\n>\n");
	free(text);
	xmlFreeDoc(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_canonical_text),
		cmocka_unit_test(test_plan_hash_invariance),
		cmocka_unit_test(test_plan_round_trip),
		cmocka_unit_test(test_pricing_input),
		cmocka_unit_test(test_tax),
		cmocka_unit_test(test_quote_signature),
		cmocka_unit_test(test_document_canonical),
		cmocka_unit_test(test_document_canonical_text),
	};
	int rc;

	xml_init();
	rc = cmocka_run_group_tests_name("domain_canon", tests, NULL, NULL);
	xml_cleanup();
	return rc;
}
