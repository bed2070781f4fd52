/* plan — the catalog: plans, their canonical definition, versions. */
#include "domain/plan.h"
#include "domain/canon_text.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANONICAL_MAGIC "contractd-plan 1"

/* ------------------------------------------------------------------------
 * Building and freeing
 * ------------------------------------------------------------------------ */

plan *
plan_new(void)
{
	plan *p = xcalloc(1, sizeof *p);

	p->coverage = PLAN_COVERS_PARTS_AND_LABOR;
	p->liability_limit = -1;
	return p;
}

void
plan_free(plan *p)
{
	if (p == NULL)
		return;
	free(p->product_categories);
	free(p->components);
	for (size_t i = 0; i < p->nparams; i++) {
		free((char *)p->params[i].key);
		free((char *)p->params[i].value);
	}
	free(p->params);
	for (size_t i = 0; i < p->nentitlements; i++)
		free(p->entitlements[i].operations);
	free(p->entitlements);
	free(p);
}

void
plan_add_category(plan *p, const char *category)
{
	p->product_categories = xreallocarray(p->product_categories, p->nproduct_categories + 1,
	    sizeof *p->product_categories);
	snprintf(p->product_categories[p->nproduct_categories++], PLAN_CATEGORY_MAX + 1, "%s",
	    category);
}

void
plan_add_component(plan *p, const char *component)
{
	p->components = xreallocarray(p->components, p->ncomponents + 1, sizeof *p->components);
	snprintf(p->components[p->ncomponents++], PLAN_CATEGORY_MAX + 1, "%s", component);
}

void
plan_add_param(plan *p, const char *key, const char *value)
{
	p->params = xreallocarray(p->params, p->nparams + 1, sizeof *p->params);
	p->params[p->nparams].key = xstrdup(key);
	p->params[p->nparams].value = xstrdup(value);
	p->nparams++;
}

plan_entitlement *
plan_add_entitlement(plan *p)
{
	plan_entitlement *e;

	p->entitlements = xreallocarray(p->entitlements, p->nentitlements + 1,
	    sizeof *p->entitlements);
	e = &p->entitlements[p->nentitlements++];
	memset(e, 0, sizeof *e);
	return e;
}

void
plan_entitlement_add_operation(plan_entitlement *e, const char *operation)
{
	e->operations = xreallocarray(e->operations, e->noperations + 1, sizeof *e->operations);
	snprintf(e->operations[e->noperations++], PLAN_OPERATION_MAX + 1, "%s", operation);
}

const char *
plan_param(const plan *p, const char *key)
{
	for (size_t i = 0; i < p->nparams; i++)
		if (strcmp(p->params[i].key, key) == 0)
			return p->params[i].value;
	return NULL;
}

bool
plan_sells_category(const plan *p, const char *category)
{
	if (p->nproduct_categories == 0)
		return true;
	for (size_t i = 0; i < p->nproduct_categories; i++)
		if (strcmp(p->product_categories[i], category) == 0)
			return true;
	return false;
}

bool
plan_covers_component(const plan *p, const char *component)
{
	if (p->ncomponents == 0 || component == NULL)
		return true;
	for (size_t i = 0; i < p->ncomponents; i++)
		if (strcmp(p->components[i], component) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------------------
 * Vocabulary
 * ------------------------------------------------------------------------ */

const char *
plan_coverage_name(plan_coverage c)
{
	switch (c) {
	case PLAN_COVERS_PARTS: return "parts";
	case PLAN_COVERS_LABOR: return "labor";
	case PLAN_COVERS_PARTS_AND_LABOR: return "parts-and-labor";
	}
	return "parts-and-labor";
}

int
plan_coverage_parse(const char *s, plan_coverage *out)
{
	if (strcmp(s, "parts") == 0)
		*out = PLAN_COVERS_PARTS;
	else if (strcmp(s, "labor") == 0)
		*out = PLAN_COVERS_LABOR;
	else if (strcmp(s, "parts-and-labor") == 0)
		*out = PLAN_COVERS_PARTS_AND_LABOR;
	else
		return -1;
	return 0;
}

const char *
plan_term_start_name(plan_term_start s)
{
	return s == PLAN_START_AT_WARRANTY_END ? "warranty-end" : "purchase";
}

int
plan_term_start_parse(const char *s, plan_term_start *out)
{
	if (strcmp(s, "purchase") == 0)
		*out = PLAN_START_AT_PURCHASE;
	else if (strcmp(s, "warranty-end") == 0)
		*out = PLAN_START_AT_WARRANTY_END;
	else
		return -1;
	return 0;
}

const char *
plan_refund_method_name(plan_refund_method m)
{
	return m == PLAN_REFUND_BY_DAYS_OR_USAGE ? "days-or-usage" : "days";
}

int
plan_refund_method_parse(const char *s, plan_refund_method *out)
{
	if (strcmp(s, "days") == 0)
		*out = PLAN_REFUND_BY_DAYS;
	else if (strcmp(s, "days-or-usage") == 0)
		*out = PLAN_REFUND_BY_DAYS_OR_USAGE;
	else
		return -1;
	return 0;
}

static const char *const usage_names[] = { "none", "km", "mi", "hours", "cycles" };

const char *
usage_unit_name(cd_usage_unit u)
{
	if ((unsigned)u < sizeof usage_names / sizeof usage_names[0])
		return usage_names[u];
	return "none";
}

int
usage_unit_parse(const char *s, cd_usage_unit *out)
{
	for (size_t i = 0; i < sizeof usage_names / sizeof usage_names[0]; i++) {
		if (strcmp(s, usage_names[i]) == 0) {
			*out = (cd_usage_unit)i;
			return 0;
		}
	}
	return -1;
}

/* ------------------------------------------------------------------------
 * Canonical text
 * ------------------------------------------------------------------------ */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes key=item for each of n strings, sorted, without repeats. */
static void
put_sorted(buf *b, const char *key, const char *items, size_t stride, size_t n)
{
	const char **sorted = xcalloc(n ? n : 1, sizeof *sorted);

	for (size_t i = 0; i < n; i++)
		sorted[i] = items + i * stride;
	qsort(sorted, n, sizeof *sorted, cmp_str);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0)
			canon_put(b, key, sorted[i]);
	free(sorted);
}

static int
cmp_param(const void *a, const void *b)
{
	const cd_param *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* One entitlement's block, its operations sorted; a new string. */
static char *
entitlement_block(const plan_entitlement *e)
{
	buf b;

	buf_init(&b, 0);
	buf_puts(&b, "entitlement-begin\n");
	put_sorted(&b, "operation", (const char *)e->operations, sizeof *e->operations,
	    e->noperations);
	canon_put(&b, "description", e->description);
	canon_put_int(&b, "count", e->count);
	canon_put_int(&b, "period-months", e->period_months);
	canon_put_int(&b, "usage-interval", e->usage_interval);
	canon_put(&b, "usage-interval-unit", usage_unit_name(e->usage_unit));
	buf_puts(&b, "entitlement-end\n");
	return buf_detach(&b, NULL);
}

char *
plan_canonical(const plan *p, size_t *len)
{
	buf b;
	cd_param *params = xcalloc(p->nparams ? p->nparams : 1, sizeof *params);
	char **blocks = xcalloc(p->nentitlements ? p->nentitlements : 1, sizeof *blocks);

	buf_init(&b, 0);
	buf_puts(&b, CANONICAL_MAGIC "\n");
	canon_put(&b, "code", p->code);
	canon_put(&b, "name", p->name);
	canon_put(&b, "description", p->description);
	canon_put(&b, "currency", p->currency);
	put_sorted(&b, "category", (const char *)p->product_categories,
	    sizeof *p->product_categories, p->nproduct_categories);
	canon_put_int(&b, "term-months", p->term_months);
	canon_put(&b, "usage-unit", usage_unit_name(p->usage_unit));
	canon_put_int(&b, "usage-limit", p->usage_limit);
	canon_put(&b, "term-start", plan_term_start_name(p->term_start));
	canon_put_int(&b, "waiting-days", p->waiting_days);
	canon_put(&b, "coverage", plan_coverage_name(p->coverage));
	put_sorted(&b, "component", (const char *)p->components, sizeof *p->components,
	    p->ncomponents);
	canon_put_int(&b, "deductible", p->deductible);
	canon_put_int(&b, "liability-limit", p->liability_limit);
	canon_put_int(&b, "free-look-days", p->free_look_days);
	canon_put(&b, "refund-method", plan_refund_method_name(p->refund_method));
	canon_put_int(&b, "cancellation-fee", p->cancellation_fee);
	canon_put(&b, "deduct-claims", p->deduct_claims ? "yes" : "no");
	canon_put(&b, "pricing-plugin", p->pricing_plugin);
	if (p->nparams > 0)
		memcpy(params, p->params, p->nparams * sizeof *params);
	qsort(params, p->nparams, sizeof *params, cmp_param);
	for (size_t i = 0; i < p->nparams; i++) {
		char *key = xasprintf("param.%s", params[i].key);
		canon_put(&b, key, params[i].value);
		free(key);
	}
	for (size_t i = 0; i < p->nentitlements; i++)
		blocks[i] = entitlement_block(&p->entitlements[i]);
	qsort(blocks, p->nentitlements, sizeof *blocks, cmp_str);
	for (size_t i = 0; i < p->nentitlements; i++) {
		buf_puts(&b, blocks[i]);
		free(blocks[i]);
	}
	free(blocks);
	free(params);
	return buf_detach(&b, len);
}

void
plan_compute_hash(plan *p)
{
	size_t len;
	char *text = plan_canonical(p, &len);

	sha256_hex(text, len, p->definition_hash);
	free(text);
}

/* Undoes canon_put's escaping in place. Returns 0, or -1 on a bad escape. */
static int
unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s != '\\') {
			*out++ = *s;
			continue;
		}
		s++;
		if (*s == '\\')
			*out++ = '\\';
		else if (*s == 'n')
			*out++ = '\n';
		else if (*s == 'r')
			*out++ = '\r';
		else
			return -1;
	}
	*out = '\0';
	return 0;
}

static int
parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
parse_int(const char *s, int *out)
{
	int64_t v;

	if (parse_i64(s, &v) != 0 || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* Applies one line of an entitlement block to e. */
static int
apply_entitlement_line(plan_entitlement *e, const char *key, const char *value)
{
	if (strcmp(key, "operation") == 0)
		plan_entitlement_add_operation(e, value);
	else if (strcmp(key, "description") == 0)
		snprintf(e->description, sizeof e->description, "%s", value);
	else if (strcmp(key, "count") == 0)
		return parse_int(value, &e->count);
	else if (strcmp(key, "period-months") == 0)
		return parse_int(value, &e->period_months);
	else if (strcmp(key, "usage-interval") == 0)
		return parse_i64(value, &e->usage_interval);
	else if (strcmp(key, "usage-interval-unit") == 0)
		return usage_unit_parse(value, &e->usage_unit);
	else
		return -1;
	return 0;
}

/* Applies one top-level line to p. */
static int
apply_plan_line(plan *p, const char *key, const char *value)
{
	if (strcmp(key, "code") == 0)
		snprintf(p->code, sizeof p->code, "%s", value);
	else if (strcmp(key, "name") == 0)
		snprintf(p->name, sizeof p->name, "%s", value);
	else if (strcmp(key, "description") == 0)
		snprintf(p->description, sizeof p->description, "%s", value);
	else if (strcmp(key, "currency") == 0)
		snprintf(p->currency, sizeof p->currency, "%s", value);
	else if (strcmp(key, "category") == 0)
		plan_add_category(p, value);
	else if (strcmp(key, "term-months") == 0)
		return parse_int(value, &p->term_months);
	else if (strcmp(key, "usage-unit") == 0)
		return usage_unit_parse(value, &p->usage_unit);
	else if (strcmp(key, "usage-limit") == 0)
		return parse_i64(value, &p->usage_limit);
	else if (strcmp(key, "term-start") == 0)
		return plan_term_start_parse(value, &p->term_start);
	else if (strcmp(key, "waiting-days") == 0)
		return parse_int(value, &p->waiting_days);
	else if (strcmp(key, "coverage") == 0)
		return plan_coverage_parse(value, &p->coverage);
	else if (strcmp(key, "component") == 0)
		plan_add_component(p, value);
	else if (strcmp(key, "deductible") == 0)
		return parse_i64(value, &p->deductible);
	else if (strcmp(key, "liability-limit") == 0)
		return parse_i64(value, &p->liability_limit);
	else if (strcmp(key, "free-look-days") == 0)
		return parse_int(value, &p->free_look_days);
	else if (strcmp(key, "refund-method") == 0)
		return plan_refund_method_parse(value, &p->refund_method);
	else if (strcmp(key, "cancellation-fee") == 0)
		return parse_i64(value, &p->cancellation_fee);
	else if (strcmp(key, "deduct-claims") == 0)
		p->deduct_claims = strcmp(value, "yes") == 0;
	else if (strcmp(key, "pricing-plugin") == 0)
		snprintf(p->pricing_plugin, sizeof p->pricing_plugin, "%s", value);
	else if (strncmp(key, "param.", 6) == 0 && key[6] != '\0')
		plan_add_param(p, key + 6, value);
	else
		return -1;
	return 0;
}

int
plan_parse_canonical(const char *text, plan **out, char *err, size_t errlen)
{
	char *copy = xstrdup(text), *line, *save = NULL;
	plan *p = plan_new();
	plan_entitlement *ent = NULL;
	int lineno = 0, rc = -1;

	*out = NULL;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, CANONICAL_MAGIC) != 0) {
				snprintf(err, errlen, "not a canonical plan definition");
				goto out;
			}
			continue;
		}
		if (strcmp(line, "entitlement-begin") == 0 && ent == NULL) {
			ent = plan_add_entitlement(p);
			continue;
		}
		if (strcmp(line, "entitlement-end") == 0 && ent != NULL) {
			ent = NULL;
			continue;
		}
		char *eq = strchr(line, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "plan definition line %d: expected key=value", lineno);
			goto out;
		}
		*eq = '\0';
		if (unescape(eq + 1) != 0 ||
		    (ent ? apply_entitlement_line(ent, line, eq + 1) : apply_plan_line(p, line, eq + 1)) != 0) {
			snprintf(err, errlen, "plan definition line %d: bad value for '%s'", lineno, line);
			goto out;
		}
	}
	if (lineno == 0 || ent != NULL || p->code[0] == '\0') {
		snprintf(err, errlen, "plan definition is incomplete");
		goto out;
	}
	plan_compute_hash(p);
	*out = p;
	p = NULL;
	rc = 0;
out:
	plan_free(p);
	free(copy);
	return rc;
}

/* ------------------------------------------------------------------------
 * Storage
 * ------------------------------------------------------------------------ */

int
plan_store(db_conn *c, plan *p, int requested_version, plan_store_result *result, char *err,
    size_t errlen)
{
	size_t len;
	char *text = NULL;
	db_rows *r = NULL;
	int current = 0, rc = -1;
	bool changed = true;

	plan_compute_hash(p);
	r = db_query(c, "SELECT version, definition_hash FROM plans WHERE code = ? "
			"ORDER BY version DESC LIMIT 1 FOR UPDATE", "s", p->code);
	if (r == NULL)
		goto db_error;
	if (db_rows_next(r) == 1) {
		current = (int)db_rows_int(r, 0);
		changed = strcmp(db_rows_str(r, 1), p->definition_hash) != 0;
	}
	if (current > 0 && !changed) {
		p->version = current;
		*result = PLAN_STORED_UNCHANGED;
		rc = 0;
		goto out;
	}
	if (requested_version > 0 && requested_version <= current) {
		snprintf(err, errlen, "plan %s: version %d is not newer than the stored version %d, "
		    "and its definition differs from it", p->code, requested_version, current);
		rc = 1;
		goto out;
	}
	p->version = requested_version > 0 ? requested_version : current + 1;
	text = plan_canonical(p, &len);
	if (db_exec(c, "INSERT INTO plans (code, version, name, currency, term_months, "
		       "pricing_plugin, definition_hash, definition, created_at) "
		       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))",
		"sdssdssS", p->code, p->version, p->name, p->currency, p->term_months,
		p->pricing_plugin, p->definition_hash, text, len) < 0)
		goto db_error;
	*result = current > 0 ? PLAN_STORED_VERSION : PLAN_STORED_NEW;
	rc = 0;
	goto out;
db_error:
	snprintf(err, errlen, "plan %s: %s", p->code, db_error(c));
out:
	db_rows_free(r);
	free(text);
	return rc;
}

/* Builds a plan from a row (version, definition, definition_hash),
 * checking that the text still has the hash it was stored with. */
static int
plan_from_row(const db_rows *r, plan **out, char *err, size_t errlen)
{
	const char *text = db_rows_str(r, 1), *hash = db_rows_str(r, 2);
	plan *p = NULL;

	if (text == NULL || plan_parse_canonical(text, &p, err, errlen) != 0)
		return -1;
	if (hash == NULL || strcmp(hash, p->definition_hash) != 0) {
		snprintf(err, errlen, "plan %s: the stored definition does not match its hash", p->code);
		plan_free(p);
		return -1;
	}
	p->version = (int)db_rows_int(r, 0);
	*out = p;
	return 0;
}

int
plan_load(db_conn *c, const char *code, int version, plan **out, char *err, size_t errlen)
{
	db_rows *r;
	int rc = 0;

	*out = NULL;
	if (version > 0)
		r = db_query(c, "SELECT version, definition, definition_hash FROM plans "
				"WHERE code = ? AND version = ?", "sd", code, version);
	else
		r = db_query(c, "SELECT version, definition, definition_hash FROM plans "
				"WHERE code = ? ORDER BY version DESC LIMIT 1", "s", code);
	if (r == NULL) {
		snprintf(err, errlen, "%s", db_error(c));
		return -1;
	}
	if (db_rows_next(r) == 1)
		rc = plan_from_row(r, out, err, errlen) == 0 ? 1 : -1;
	db_rows_free(r);
	return rc;
}

int
plan_current_version(db_conn *c, const char *code, int *version, char *err, size_t errlen)
{
	int64_t v = 0;
	int rc = db_query_int(c, &v, "SELECT MAX(version) FROM plans WHERE code = ?", "s", code);

	if (rc < 0) {
		snprintf(err, errlen, "%s", db_error(c));
		return -1;
	}
	if (rc == 0 || v <= 0)
		return 0;
	*version = (int)v;
	return 1;
}

int
plan_list_current(db_conn *c, plan ***out, size_t *n, char *err, size_t errlen)
{
	db_rows *r = db_query(c,
	    "SELECT p.version, p.definition, p.definition_hash FROM plans p "
	    "JOIN (SELECT code, MAX(version) AS v FROM plans GROUP BY code) m "
	    "ON p.code = m.code AND p.version = m.v ORDER BY p.code", NULL);
	plan **list = NULL;
	size_t count = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (r == NULL) {
		snprintf(err, errlen, "%s", db_error(c));
		return -1;
	}
	list = xcalloc(db_rows_count(r) + 1, sizeof *list);
	while (db_rows_next(r) == 1) {
		if (plan_from_row(r, &list[count], err, errlen) != 0)
			goto out;
		count++;
	}
	*out = list;
	*n = count;
	list = NULL;
	rc = 0;
out:
	plan_list_free(list, count);
	db_rows_free(r);
	return rc;
}

void
plan_list_free(plan **list, size_t n)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		plan_free(list[i]);
	free(list);
}
