/* catalog — reading and writing Catalog documents (see catalog.h). */
#include "exchange/catalog.h"
#include "exchange/xmlread.h"
#include "exchange/xmlwrite.h"
#include "xml/schema.h"
#include "xml/xml_in.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A catalog may be large: 500 plans of 200 parameters. */
#define CATALOG_MAX_BYTES (64u * 1024 * 1024)
#define CATALOG_MAX_DEPTH 32

void
catalog_free(catalog_entry *entries, size_t n)
{
	if (entries == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		plan_free(entries[i].plan);
	free(entries);
}

/* A money element of the plan, which must be in the plan's currency. */
static void
read_amount(xmlNodePtr parent, const char *name, const plan *p, int64_t *out, problem_list *pl,
    const char *base)
{
	char rel[600];

	snprintf(rel, sizeof rel, "%s/%s", base, name);
	xr_money(xr_child(parent, name), p->currency, out, NULL, pl, rel);
}

/* One <Plan> element; rel is its path below the root ("Plan[2]"). */
static plan *
read_plan(xmlNodePtr el, const char *rel, int *requested, problem_list *pl)
{
	plan *p = plan_new();
	xmlNodePtr cov = xr_child(el, "Coverage"), canc = xr_child(el, "Cancellation");
	xmlNodePtr pricing = xr_child(el, "Pricing"), limit = xr_child(el, "UsageLimit");
	char text[PLAN_DESCRIPTION_MAX + 1], path[400];
	int64_t v;

	xr_text(el, "Code", p->code, sizeof p->code);
	*requested = xr_int(el, "Version", &v, NULL, NULL) ? (int)v : 0;
	xr_text(el, "Name", p->name, sizeof p->name);
	xr_text(el, "Description", p->description, sizeof p->description);
	for (xmlNodePtr c = xr_child(xr_child(el, "ProductCategories"), "Category"); c;
	     c = xr_next(c, "Category")) {
		xr_text_of(c, text, sizeof text);
		plan_add_category(p, text);
	}
	xr_text(el, "Currency", p->currency, sizeof p->currency);
	if (xr_int(el, "TermMonths", &v, NULL, NULL))
		p->term_months = (int)v;
	if (limit != NULL) {
		xmlChar *unit = xmlGetNoNsProp(limit, BAD_CAST "unit");
		if (unit)
			usage_unit_parse((const char *)unit, &p->usage_unit);
		xmlFree(unit);
		if (xr_text_of(limit, text, sizeof text))
			p->usage_limit = strtoll(text, NULL, 10);
	}
	if (xr_text(cov, "Scope", text, sizeof text))
		plan_coverage_parse(text, &p->coverage);
	for (xmlNodePtr c = xr_child(xr_child(cov, "Components"), "Component"); c;
	     c = xr_next(c, "Component")) {
		xr_text_of(c, text, sizeof text);
		plan_add_component(p, text);
	}
	read_amount(el, "Deductible", p, &p->deductible, pl, rel);
	if (xr_child(el, "LimitOfLiability") != NULL)
		read_amount(el, "LimitOfLiability", p, &p->liability_limit, pl, rel);
	if (xr_int(el, "WaitingPeriodDays", &v, NULL, NULL))
		p->waiting_days = (int)v;
	if (xr_text(el, "TermStart", text, sizeof text))
		plan_term_start_parse(text, &p->term_start);
	if (xr_int(canc, "FreeLookDays", &v, NULL, NULL))
		p->free_look_days = (int)v;
	if (xr_text(canc, "Method", text, sizeof text))
		plan_refund_method_parse(text, &p->refund_method);
	snprintf(path, sizeof path, "%s/Cancellation", rel);
	read_amount(canc, "Fee", p, &p->cancellation_fee, pl, path);
	xr_bool(canc, "DeductClaims", &p->deduct_claims);
	for (xmlNodePtr e = xr_child(xr_child(el, "Maintenance"), "Entitlement"); e;
	     e = xr_next(e, "Entitlement")) {
		plan_entitlement *ent = plan_add_entitlement(p);
		xmlNodePtr interval = xr_child(e, "UsageInterval");
		for (xmlNodePtr o = xr_child(e, "OperationCode"); o; o = xr_next(o, "OperationCode")) {
			xr_text_of(o, text, sizeof text);
			plan_entitlement_add_operation(ent, text);
		}
		xr_text(e, "Description", ent->description, sizeof ent->description);
		if (xr_int(e, "Count", &v, NULL, NULL))
			ent->count = (int)v;
		if (xr_int(e, "PeriodMonths", &v, NULL, NULL))
			ent->period_months = (int)v;
		if (interval != NULL) {
			xmlChar *unit = xmlGetNoNsProp(interval, BAD_CAST "unit");
			if (unit)
				usage_unit_parse((const char *)unit, &ent->usage_unit);
			xmlFree(unit);
			if (xr_text_of(interval, text, sizeof text))
				ent->usage_interval = strtoll(text, NULL, 10);
			if (p->usage_limit > 0 && ent->usage_unit != p->usage_unit) {
				char ipath[400];
				xr_path(interval, ipath, sizeof ipath);
				problems_add(pl, "usage-unit-mismatch", ipath,
				    "the interval is in %s but plan %s counts usage in %s",
				    usage_unit_name(ent->usage_unit), p->code, usage_unit_name(p->usage_unit));
			}
		}
	}
	xr_text(pricing, "Plugin", p->pricing_plugin, sizeof p->pricing_plugin);
	for (xmlNodePtr prm = xr_child(pricing, "Param"); prm; prm = xr_next(prm, "Param")) {
		xmlChar *key = xmlGetNoNsProp(prm, BAD_CAST "key");
		xmlChar *value = xmlNodeGetContent(prm);
		plan_add_param(p, key ? (const char *)key : "", value ? (const char *)value : "");
		xmlFree(key);
		xmlFree(value);
	}
	return p;
}

int
catalog_parse(const char *data, size_t len, catalog_entry **entries, size_t *n,
    problem_list *pl, char *err, size_t errlen)
{
	xml_limits lim = { CATALOG_MAX_BYTES, CATALOG_MAX_DEPTH };
	xml_problem prob, *xp = NULL;
	xmlDocPtr doc;
	xmlNodePtr root;
	catalog_entry *list = NULL;
	size_t count = 0, nxp = 0;
	int rc = -1, v;

	*entries = NULL;
	*n = 0;
	doc = xml_parse_untrusted(data, len, &lim, &prob);
	if (doc == NULL) {
		problems_add(pl, prob.code, prob.path[0] == '/' ? prob.path : NULL, "%s%s%s",
		    prob.message, prob.path[0] != '/' ? " at " : "", prob.path[0] != '/' ? prob.path : "");
		return 1;
	}
	root = xmlDocGetRootElement(doc);
	xp = xcalloc(PROBLEMS_MAX, sizeof *xp);
	v = xml_validate(xml_schema_for_root("Catalog"), doc, xp, PROBLEMS_MAX, &nxp);
	if (v < 0) {
		snprintf(err, errlen, "the catalog could not be validated: %s",
		    nxp ? xp[0].message : "internal error");
		goto out;
	}
	if (v > 0) {
		for (size_t i = 0; i < nxp; i++)
			problems_add(pl, xp[i].code, xp[i].path[0] == '/' ? xp[i].path : NULL, "%s",
			    xp[i].message);
		rc = 1;
		goto out;
	}
	for (xmlNodePtr el = xr_child(root, "Plan"); el; el = xr_next(el, "Plan"))
		count++;
	list = xcalloc(count + 1, sizeof *list);
	count = 0;
	for (xmlNodePtr el = xr_child(root, "Plan"); el; el = xr_next(el, "Plan")) {
		char path[300];
		xr_path(el, path, sizeof path);
		list[count].plan = read_plan(el, path, &list[count].requested_version, pl);
		count++;
	}
	if (problems_count(pl) > 0) {
		rc = 1;
		goto out;
	}
	*entries = list;
	*n = count;
	list = NULL;
	rc = 0;
out:
	catalog_free(list, count);
	free(xp);
	xmlFreeDoc(doc);
	return rc;
}

void
catalog_write_plan(xmlNodePtr parent, const plan *p)
{
	xmlNodePtr el = xw_elem(parent, "Plan"), list, cov, canc, pricing;

	xw_text(el, "Code", p->code);
	xw_int(el, "Version", p->version);
	xw_text(el, "Name", p->name);
	xw_opt(el, "Description", p->description);
	list = xw_elem(el, "ProductCategories");
	for (size_t i = 0; i < p->nproduct_categories; i++)
		xw_text(list, "Category", p->product_categories[i]);
	xw_text(el, "Currency", p->currency);
	xw_int(el, "TermMonths", p->term_months);
	if (p->usage_limit > 0)
		xw_attr(xw_int(el, "UsageLimit", p->usage_limit), "unit", usage_unit_name(p->usage_unit));
	cov = xw_elem(el, "Coverage");
	xw_text(cov, "Scope", plan_coverage_name(p->coverage));
	if (p->ncomponents == 0) {
		xw_elem(cov, "AllComponents");
	} else {
		list = xw_elem(cov, "Components");
		for (size_t i = 0; i < p->ncomponents; i++)
			xw_text(list, "Component", p->components[i]);
	}
	xw_money(el, "Deductible", p->deductible, p->currency);
	if (p->liability_limit >= 0)
		xw_money(el, "LimitOfLiability", p->liability_limit, p->currency);
	xw_int(el, "WaitingPeriodDays", p->waiting_days);
	xw_text(el, "TermStart", plan_term_start_name(p->term_start));
	canc = xw_elem(el, "Cancellation");
	xw_int(canc, "FreeLookDays", p->free_look_days);
	xw_text(canc, "Method", plan_refund_method_name(p->refund_method));
	xw_money(canc, "Fee", p->cancellation_fee, p->currency);
	xw_text(canc, "DeductClaims", p->deduct_claims ? "true" : "false");
	if (p->nentitlements > 0) {
		xmlNodePtr m = xw_elem(el, "Maintenance");
		for (size_t i = 0; i < p->nentitlements; i++) {
			const plan_entitlement *e = &p->entitlements[i];
			xmlNodePtr en = xw_elem(m, "Entitlement");
			for (size_t k = 0; k < e->noperations; k++)
				xw_text(en, "OperationCode", e->operations[k]);
			xw_opt(en, "Description", e->description);
			xw_int(en, "Count", e->count);
			if (e->usage_interval > 0)
				xw_attr(xw_int(en, "UsageInterval", e->usage_interval), "unit",
				    usage_unit_name(e->usage_unit));
			else
				xw_int(en, "PeriodMonths", e->period_months);
		}
	}
	pricing = xw_elem(el, "Pricing");
	xw_text(pricing, "Plugin", p->pricing_plugin);
	for (size_t i = 0; i < p->nparams; i++)
		xw_attr(xw_text(pricing, "Param", p->params[i].value), "key", p->params[i].key);
}
