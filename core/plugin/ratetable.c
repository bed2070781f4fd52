/* ratetable — the host side of the rate-table service. See ratetable.h.
 *
 * A table is built once, by rate_table_parse, into plain arrays:
 *   age_bands, usage_bands   as written, in document order;
 *   cells                    one per Rate, sorted by category, age band,
 *                            usage band and term, so a lookup is a binary
 *                            search;
 *   surcharges               in document order (they apply in that order);
 *   dealers                  sorted by dealer id.
 * Every string the public structs point to is a copy the table owns
 * (strings[]), so the XML document is freed as soon as the table is built. */
#include "plugin/ratetable.h"
#include "base/log.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "xml/schema.h"
#include "xml/xml_in.h"
#include "xml/xml_out.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper than any rate table needs (RateTable/Surcharges/Surcharge/Code is
 * four levels). */
#define RATE_TABLE_MAX_DEPTH 16
/* Schema problems reported per load; all of them go to the log. */
#define RATE_TABLE_PROBLEMS 32
/* The longest product category a lookup accepts. */
#define CATEGORY_MAX 128
/* The query fields ABI 1.0 defines: a smaller struct_size is a plugin bug. */
#define QUERY_SIZE_1_0 \
	(offsetof(cd_rate_query, commercial_use) + sizeof(((cd_rate_query *)0)->commercial_use))

typedef enum surcharge_match {
	MATCH_COMMERCIAL_USE,
	MATCH_CATEGORY,
	MATCH_MODEL_PREFIX,
} surcharge_match;

/* A surcharge and the requests it applies to. */
typedef struct surcharge {
	cd_rate_adjustment adj;
	surcharge_match match;
	const char *value;           /* the category or model prefix */
} surcharge;

struct cd_rate_table {
	cd_rate_table_info info;
	char **strings;              /* owned copies everything points into */
	size_t nstrings;
	cd_rate_band *age_bands;
	size_t nage_bands;
	cd_rate_band *usage_bands;
	size_t nusage_bands;
	cd_rate_cell *cells;         /* sorted: see compare_cells */
	size_t ncells;
	surcharge *surcharges;       /* document order */
	size_t nsurcharges;
	cd_rate_adjustment *dealers; /* sorted by code (the dealer id) */
	size_t ndealers;
};

/* What building one table needs at hand. */
typedef struct loader {
	cd_rate_table *t;
	const char *label;           /* the file, for messages */
	cd_error *err;
	const char **categories;     /* distinct categories so far (the table's copies) */
	size_t ncategories;
} loader;

static cd_status __attribute__((format(printf, 3, 4)))
set_error(cd_error *err, cd_status status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->message == NULL || err->size == 0)
		return status;
	va_start(ap, fmt);
	vsnprintf(err->message, err->size, fmt, ap);
	va_end(ap);
	return status;
}

/* A copy of s that t owns; NULL stays NULL. */
static const char *
keep(cd_rate_table *t, const char *s)
{
	char *copy;

	if (s == NULL)
		return NULL;
	copy = xstrdup(s);
	t->strings = xreallocarray(t->strings, t->nstrings + 1, sizeof *t->strings);
	t->strings[t->nstrings++] = copy;
	return copy;
}

static const char *
unit_name(cd_usage_unit unit)
{
	switch (unit) {
	case CD_USAGE_NONE:
		return "none";
	case CD_USAGE_KM:
		return "km";
	case CD_USAGE_MI:
		return "mi";
	case CD_USAGE_HOURS:
		return "hours";
	case CD_USAGE_CYCLES:
		return "cycles";
	}
	return "unknown unit";
}

static int
unit_parse(const char *s, cd_usage_unit *out)
{
	static const cd_usage_unit units[] = {
		CD_USAGE_NONE, CD_USAGE_KM, CD_USAGE_MI, CD_USAGE_HOURS, CD_USAGE_CYCLES,
	};

	for (size_t i = 0; s != NULL && i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(s, unit_name(units[i])) == 0) {
			*out = units[i];
			return 0;
		}
	}
	return -1;
}

/* True when category is prefix or lies below it in the dotted hierarchy:
 * "vehicle.car" is within "vehicle" and within itself, "vehicles" is not. */
static bool
category_within(const char *category, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(category, prefix, n) == 0 && (category[n] == '\0' || category[n] == '.');
}

/* ------------------------------------------------------------------------
 * Reading the document
 * ------------------------------------------------------------------------ */

/* True when n is the element name of the contractd namespace. */
static bool
is_element(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, CD_XML_NS) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

/* The first element child of parent called name, or NULL. */
static xmlNodePtr
child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent != NULL ? parent->children : NULL; n != NULL; n = n->next)
		if (is_element(n, name))
			return n;
	return NULL;
}

/* The next sibling of n called name, or NULL. */
static xmlNodePtr
next_named(xmlNodePtr n, const char *name)
{
	for (n = n->next; n != NULL; n = n->next)
		if (is_element(n, name))
			return n;
	return NULL;
}

/* The text content of a simple element (borrowed from the document). The
 * schema has made sure there is nothing else inside. */
static const char *
text_of(xmlNodePtr n)
{
	if (n == NULL)
		return NULL;
	if (n->children == NULL)
		return "";
	return (const char *)n->children->content;
}

/* The value of n's attribute name (borrowed), or NULL. */
static const char *
attr_of(xmlNodePtr n, const char *name)
{
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0)
			return a->children != NULL ? (const char *)a->children->content : "";
	return NULL;
}

/* A whole number the schema has already checked for digits and range. */
static int64_t
number_of(const char *s)
{
	return s != NULL ? (int64_t)strtoll(s, NULL, 10) : -1;
}

/* Reads the regular file path (at most RATE_TABLE_MAX_BYTES) into a new
 * NUL-terminated buffer the caller frees. Returns 0, or -1 with the
 * reason in why. */
static int
read_file(const char *path, char **data, size_t *len, char *why, size_t whylen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto out;
	}
	if ((uintmax_t)st.st_size > RATE_TABLE_MAX_BYTES) {
		snprintf(why, whylen, "larger than the %u MiB a rate table may have",
		    RATE_TABLE_MAX_BYTES >> 20);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "cannot read: %s",
			    n < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ------------------------------------------------------------------------
 * Building the table
 * ------------------------------------------------------------------------ */

/* Reads the bands of one band list (AgeBands or UsageBands) and checks
 * that each is a real range and that no two overlap. On CD_OK *out is a
 * new array of *nout bands. */
static cd_status
load_bands(loader *ld, xmlNodePtr list, const char *list_name, const char *from_attr,
    const char *to_attr, cd_rate_band **out, size_t *nout)
{
	cd_rate_table *t = ld->t;
	cd_rate_band *bands = NULL;
	cd_status st = CD_OK;
	size_t n = 0;

	for (xmlNodePtr b = child(list, "Band"); b != NULL; b = next_named(b, "Band")) {
		const char *to = attr_of(b, to_attr);
		cd_rate_band *band;

		bands = xreallocarray(bands, n + 1, sizeof *bands);
		band = &bands[n++];
		band->struct_size = sizeof *band;
		band->id = keep(t, attr_of(b, "id"));
		band->from = number_of(attr_of(b, from_attr));
		band->to = to != NULL ? number_of(to) : -1;
		if (band->to >= 0 && band->to <= band->from) {
			st = set_error(ld->err, CD_ERR_CONFIG,
			    "rate table %s: /RateTable/%s/Band[%zu] (%s): %s %" PRId64
			    " is not above %s %" PRId64, ld->label, list_name, n, band->id,
			    to_attr, band->to, from_attr, band->from);
			goto out;
		}
	}
	/* Half-open ranges [from, to) overlap when each starts before the
	 * other ends; a band without 'to' never ends. */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			const cd_rate_band *a = &bands[i], *b = &bands[j];
			bool a_starts_before_b_ends = b->to < 0 || a->from < b->to;
			bool b_starts_before_a_ends = a->to < 0 || b->from < a->to;

			if (a_starts_before_b_ends && b_starts_before_a_ends) {
				st = set_error(ld->err, CD_ERR_CONFIG,
				    "rate table %s: /RateTable/%s: bands %s and %s overlap",
				    ld->label, list_name, a->id, b->id);
				goto out;
			}
		}
	}
	*out = bands;
	*nout = n;
	bands = NULL;
out:
	free(bands);
	return st;
}

static const cd_rate_band *
band_by_id(const cd_rate_band *bands, size_t n, const char *id)
{
	for (size_t i = 0; id != NULL && i < n; i++)
		if (strcmp(bands[i].id, id) == 0)
			return &bands[i];
	return NULL;
}

/* The table's copy of category, made once however many rates name it. */
static const char *
intern_category(loader *ld, const char *category)
{
	for (size_t i = ld->ncategories; i-- > 0;)
		if (strcmp(ld->categories[i], category) == 0)
			return ld->categories[i];
	ld->categories = xreallocarray(ld->categories, ld->ncategories + 1,
	    sizeof *ld->categories);
	return ld->categories[ld->ncategories++] = keep(ld->t, category);
}

/* Cells sort by category, then age band, usage band and term. Bands
 * compare by their place in the table's band arrays. */
static int
compare_cells(const void *pa, const void *pb)
{
	const cd_rate_cell *a = pa, *b = pb;
	int c = strcmp(a->category, b->category);

	if (c != 0)
		return c;
	if (a->age_band != b->age_band)
		return a->age_band < b->age_band ? -1 : 1;
	if (a->usage_band != b->usage_band)
		return a->usage_band < b->usage_band ? -1 : 1;
	return (a->term_months > b->term_months) - (a->term_months < b->term_months);
}

/* Reads an amount of the table's currency, refusing more decimals than the
 * currency has. */
static cd_status
load_amount(loader *ld, const char *text, const char *where, int64_t *out)
{
	money_status ms = money_parse(text, ld->t->info.currency, out);

	if (ms == MONEY_OK)
		return CD_OK;
	if (ms == MONEY_EPRECISION)
		return set_error(ld->err, CD_ERR_CONFIG,
		    "rate table %s: %s: %s has more decimals than %s has (%d)", ld->label, where,
		    text, ld->t->info.currency, currency_exponent(ld->t->info.currency));
	return set_error(ld->err, CD_ERR_CONFIG, "rate table %s: %s: %s is not an amount in %s",
	    ld->label, where, text, ld->t->info.currency);
}

static cd_status
load_rates(loader *ld, xmlNodePtr rates)
{
	cd_rate_table *t = ld->t;
	size_t n = 0, max = 0;
	char where[64];
	cd_status st;

	for (xmlNodePtr r = child(rates, "Rate"); r != NULL; r = next_named(r, "Rate"))
		max++;
	t->cells = xcalloc(max ? max : 1, sizeof *t->cells);
	for (xmlNodePtr r = child(rates, "Rate"); r != NULL; r = next_named(r, "Rate")) {
		cd_rate_cell *cell = &t->cells[n];
		const char *text = text_of(r);
		rate value;

		snprintf(where, sizeof where, "/RateTable/Rates/Rate[%zu]", n + 1);
		cell->struct_size = sizeof *cell;
		if (rate_parse(text, &value) != MONEY_OK)
			return set_error(ld->err, CD_ERR_CONFIG,
			    "rate table %s: %s: '%s' is not a rate", ld->label, where, text);
		cell->rate.value = value.value;
		cell->rate.scale = value.scale;
		if ((st = load_amount(ld, text, where, &cell->amount)) != CD_OK)
			return st;
		cell->text = keep(t, text);
		cell->category = intern_category(ld, attr_of(r, "category"));
		cell->term_months = (int32_t)number_of(attr_of(r, "term"));
		/* The schema's keyrefs guarantee both bands exist. */
		cell->age_band = band_by_id(t->age_bands, t->nage_bands, attr_of(r, "age"));
		cell->usage_band = band_by_id(t->usage_bands, t->nusage_bands, attr_of(r, "usage"));
		if (cell->age_band == NULL || cell->usage_band == NULL)
			return set_error(ld->err, CD_ERR_CONFIG,
			    "rate table %s: %s names a band that does not exist", ld->label, where);
		t->ncells = ++n;
	}
	qsort(t->cells, t->ncells, sizeof *t->cells, compare_cells);
	/* The schema's RateCell key already refuses these; kept because the
	 * binary search depends on it. */
	for (size_t i = 1; i < t->ncells; i++)
		if (compare_cells(&t->cells[i - 1], &t->cells[i]) == 0)
			return set_error(ld->err, CD_ERR_CONFIG,
			    "rate table %s: two rates for %s, age band %s, usage band %s, "
			    "%d months", ld->label, t->cells[i].category,
			    t->cells[i].age_band->id, t->cells[i].usage_band->id,
			    t->cells[i].term_months);
	t->info.nrates = t->ncells;
	return CD_OK;
}

/* Reads the Percent or Amount child of parent into adj. */
static cd_status
load_adjustment(loader *ld, xmlNodePtr parent, const char *where, cd_rate_adjustment *adj)
{
	xmlNodePtr percent = child(parent, "Percent");
	const char *text;
	rate value;

	adj->struct_size = sizeof *adj;
	if (percent != NULL) {
		text = text_of(percent);
		/* 35 % is the factor 0.35: the same digits, two more decimals. */
		if (rate_parse(text, &value) != MONEY_OK || value.scale + 2 > RATE_MAX_SCALE)
			return set_error(ld->err, CD_ERR_CONFIG,
			    "rate table %s: %s/Percent: '%s' is not a percentage with at most %d "
			    "decimals", ld->label, where, text, RATE_MAX_SCALE - 2);
		adj->kind = CD_ADJUST_PERCENT;
		adj->factor.value = value.value;
		adj->factor.scale = value.scale + 2;
	} else {
		char amount_where[112];
		cd_status st;

		/* The schema allows nothing but Percent or Amount here. */
		text = text_of(child(parent, "Amount"));
		snprintf(amount_where, sizeof amount_where, "%s/Amount", where);
		adj->kind = CD_ADJUST_AMOUNT;
		if ((st = load_amount(ld, text != NULL ? text : "", amount_where, &adj->amount)) !=
		    CD_OK)
			return st;
	}
	adj->text = keep(ld->t, text);
	return CD_OK;
}

static cd_status
load_surcharges(loader *ld, xmlNodePtr list)
{
	cd_rate_table *t = ld->t;
	char where[64];
	cd_status st;

	for (xmlNodePtr s = child(list, "Surcharge"); s != NULL; s = next_named(s, "Surcharge")) {
		surcharge *sc;
		xmlNodePtr m;

		t->surcharges = xreallocarray(t->surcharges, t->nsurcharges + 1,
		    sizeof *t->surcharges);
		sc = &t->surcharges[t->nsurcharges++];
		memset(sc, 0, sizeof *sc);
		snprintf(where, sizeof where, "/RateTable/Surcharges/Surcharge[%zu]",
		    t->nsurcharges);
		sc->adj.code = keep(t, text_of(child(s, "Code")));
		sc->adj.description = keep(t, text_of(child(s, "Description")));
		if (child(s, "CommercialUse") != NULL) {
			sc->match = MATCH_COMMERCIAL_USE;
		} else if ((m = child(s, "Category")) != NULL) {
			sc->match = MATCH_CATEGORY;
			sc->value = keep(t, text_of(m));
		} else {
			sc->match = MATCH_MODEL_PREFIX;
			sc->value = keep(t, text_of(child(s, "ModelPrefix")));
		}
		if ((st = load_adjustment(ld, s, where, &sc->adj)) != CD_OK)
			return st;
	}
	t->info.nsurcharges = t->nsurcharges;
	return CD_OK;
}

static int
compare_dealers(const void *pa, const void *pb)
{
	const cd_rate_adjustment *a = pa, *b = pb;

	return strcmp(a->code, b->code);
}

static cd_status
load_dealers(loader *ld, xmlNodePtr list)
{
	cd_rate_table *t = ld->t;
	char where[80];
	cd_status st;

	for (xmlNodePtr a = child(list, "Adjustment"); a != NULL; a = next_named(a, "Adjustment")) {
		cd_rate_adjustment *adj;

		t->dealers = xreallocarray(t->dealers, t->ndealers + 1, sizeof *t->dealers);
		adj = &t->dealers[t->ndealers++];
		memset(adj, 0, sizeof *adj);
		snprintf(where, sizeof where, "/RateTable/DealerAdjustments/Adjustment[%zu]",
		    t->ndealers);
		adj->code = keep(t, attr_of(a, "dealer"));
		if ((st = load_adjustment(ld, a, where, adj)) != CD_OK)
			return st;
	}
	qsort(t->dealers, t->ndealers, sizeof *t->dealers, compare_dealers);
	t->info.ndealer_adjustments = t->ndealers;
	return CD_OK;
}

/* Validates doc against the RateTable schema. Returns CD_OK, or an error
 * whose message has the first problem and how many more there are; every
 * problem is logged. */
static cd_status
validate(loader *ld, xmlDocPtr doc)
{
	const xml_schema *schema = xml_schema_for_root("RateTable");
	xml_problem problems[RATE_TABLE_PROBLEMS];
	size_t count = 0;
	int rc;

	if (schema == NULL)
		return set_error(ld->err, CD_ERR_INTERNAL,
		    "rate table %s: cannot validate it: the host has not loaded its XML schemas "
		    "(xml_schemas_load)", ld->label);
	rc = xml_validate(schema, doc, problems, RATE_TABLE_PROBLEMS, &count);
	if (rc == 0)
		return CD_OK;
	if (rc < 0 || count == 0)
		return set_error(ld->err, CD_ERR_INTERNAL, "rate table %s: cannot validate it: %s",
		    ld->label, count > 0 ? problems[0].message : "unknown error");
	for (size_t i = 0; i < count; i++)
		log_error("rate table %s: %s: %s (%s)", ld->label, problems[i].path,
		    problems[i].message, problems[i].code);
	if (count == 1)
		return set_error(ld->err, CD_ERR_CONFIG, "rate table %s is not a valid RateTable: "
		    "%s: %s", ld->label, problems[0].path, problems[0].message);
	return set_error(ld->err, CD_ERR_CONFIG, "rate table %s is not a valid RateTable: %s: %s "
	    "(and %zu more problems, each logged)", ld->label, problems[0].path,
	    problems[0].message, count - 1);
}

/* Builds t from a valid RateTable document. */
static cd_status
build(loader *ld, xmlDocPtr doc)
{
	cd_rate_table *t = ld->t;
	xmlNodePtr root = xmlDocGetRootElement(doc), usage;
	cd_status st;

	t->info.struct_size = sizeof t->info;
	t->info.path = keep(t, ld->label);
	t->info.code = keep(t, text_of(child(root, "Code")));
	t->info.name = keep(t, text_of(child(root, "Name")));
	t->info.currency = keep(t, text_of(child(root, "Currency")));
	t->info.effective_date = keep(t, text_of(child(root, "EffectiveDate")));
	if (currency_exponent(t->info.currency) < 0)
		return set_error(ld->err, CD_ERR_CONFIG,
		    "rate table %s: /RateTable/Currency: %s is not an ISO 4217 currency", ld->label,
		    t->info.currency);
	usage = child(root, "UsageBands");
	if (unit_parse(attr_of(usage, "unit"), &t->info.usage_unit) != 0)
		return set_error(ld->err, CD_ERR_CONFIG,
		    "rate table %s: /RateTable/UsageBands/@unit: unknown usage unit", ld->label);
	if ((st = load_bands(ld, child(root, "AgeBands"), "AgeBands", "fromMonths", "toMonths",
	    &t->age_bands, &t->nage_bands)) != CD_OK)
		return st;
	if ((st = load_bands(ld, usage, "UsageBands", "from", "to", &t->usage_bands,
	    &t->nusage_bands)) != CD_OK)
		return st;
	if ((st = load_rates(ld, child(root, "Rates"))) != CD_OK)
		return st;
	if ((st = load_surcharges(ld, child(root, "Surcharges"))) != CD_OK)
		return st;
	return load_dealers(ld, child(root, "DealerAdjustments"));
}

/* ------------------------------------------------------------------------
 * Loading and freeing
 * ------------------------------------------------------------------------ */

cd_status
rate_table_parse(const char *data, size_t len, const char *label, cd_rate_table **out,
    cd_error *err)
{
	const xml_limits limits = { .max_bytes = RATE_TABLE_MAX_BYTES,
		.max_depth = RATE_TABLE_MAX_DEPTH };
	loader ld = { .t = xcalloc(1, sizeof *ld.t), .label = label, .err = err };
	xml_problem problem;
	xmlDocPtr doc = NULL;
	cd_status st;

	*out = NULL;
	doc = xml_parse_untrusted(data, len, &limits, &problem);
	if (doc == NULL) {
		st = set_error(err, CD_ERR_CONFIG, "rate table %s: %s: %s", label, problem.path,
		    problem.message);
		goto out;
	}
	if ((st = validate(&ld, doc)) != CD_OK)
		goto out;
	if ((st = build(&ld, doc)) != CD_OK)
		goto out;
	*out = ld.t;
	ld.t = NULL;
out:
	rate_table_free(ld.t);
	free(ld.categories);
	if (doc != NULL)
		xmlFreeDoc(doc);
	return st;
}

cd_status
rate_table_load(const char *path, cd_rate_table **out, cd_error *err)
{
	char *data = NULL, why[256];
	size_t len = 0;
	cd_status st;

	if (out == NULL)
		return set_error(err, CD_ERR_INVALID, "rate_table_load: out is NULL");
	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return set_error(err, CD_ERR_CONFIG, "no rate table file named");
	if (read_file(path, &data, &len, why, sizeof why) != 0)
		return set_error(err, CD_ERR_CONFIG, "rate table %s: %s", path, why);
	st = rate_table_parse(data, len, path, out, err);
	free(data);
	return st;
}

void
rate_table_free(cd_rate_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nstrings; i++)
		free(t->strings[i]);
	free(t->strings);
	free(t->age_bands);
	free(t->usage_bands);
	free(t->cells);
	free(t->surcharges);
	free(t->dealers);
	free(t);
}

/* ------------------------------------------------------------------------
 * Lookups: read-only, so any number of threads may run them at once
 * ------------------------------------------------------------------------ */

const cd_rate_table_info *
rate_table_info(const cd_rate_table *t)
{
	return t != NULL ? &t->info : NULL;
}

/* The band of bands that holds value, or NULL. */
static const cd_rate_band *
band_for(const cd_rate_band *bands, size_t n, int64_t value)
{
	for (size_t i = 0; i < n; i++)
		if (value >= bands[i].from && (bands[i].to < 0 || value < bands[i].to))
			return &bands[i];
	return NULL;
}

/* "0 to 149999 km" or "12 months and over": from the lowest band's start
 * to the highest band's end (exclusive, and values are whole numbers), for
 * messages. */
static void
describe_span(const cd_rate_band *bands, size_t n, const char *unit, char *out, size_t outlen)
{
	int64_t lo = INT64_MAX, hi = 0;
	bool open = false;

	for (size_t i = 0; i < n; i++) {
		lo = bands[i].from < lo ? bands[i].from : lo;
		open = open || bands[i].to < 0;
		hi = bands[i].to > hi ? bands[i].to : hi;
	}
	if (n == 0)
		snprintf(out, outlen, "nothing");
	else if (open)
		snprintf(out, outlen, "%" PRId64 " %s and over", lo, unit);
	else
		snprintf(out, outlen, "%" PRId64 " to %" PRId64 " %s", lo, hi - 1, unit);
}

/* The first cell at or after the key (category, age, usage, term). */
static size_t
lower_bound(const cd_rate_table *t, const cd_rate_cell *key)
{
	size_t lo = 0, hi = t->ncells;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (compare_cells(&t->cells[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
has_category(const cd_rate_table *t, const char *category)
{
	/* The smallest possible key of the category: no band sorts before
	 * the first band, no term before 0. */
	cd_rate_cell key = {
		.category = category,
		.age_band = t->age_bands,
		.usage_band = t->usage_bands,
		.term_months = INT32_MIN,
	};
	size_t i = lower_bound(t, &key);

	return i < t->ncells && strcmp(t->cells[i].category, category) == 0;
}

/* Copies into out the most specific category of t that is category or a
 * dotted prefix of it. Returns false when there is none. */
static bool
resolve_category(const cd_rate_table *t, const char *category, char *out, size_t outlen)
{
	char *dot;

	if (strlen(category) >= outlen)
		return false;
	strcpy(out, category);
	while (!has_category(t, out)) {
		dot = strrchr(out, '.');
		if (dot == NULL)
			return false;
		*dot = '\0';
	}
	return true;
}

cd_status
rate_table_lookup(const cd_rate_table *t, const cd_rate_query *q, const cd_rate_cell **out,
    cd_error *err)
{
	const cd_rate_band *age, *usage;
	cd_rate_cell key;
	char category[CATEGORY_MAX], span[96];
	const char *code, *unit;
	int64_t reading = 0;
	size_t i;

	if (out != NULL)
		*out = NULL;
	if (t == NULL || q == NULL || out == NULL || q->struct_size < QUERY_SIZE_1_0)
		return set_error(err, CD_ERR_INVALID, "rate table lookup without a table, a result "
		    "or a query (with struct_size set)");
	code = t->info.code;
	unit = unit_name(t->info.usage_unit);
	if (q->category == NULL || q->category[0] == '\0')
		return set_error(err, CD_ERR_INVALID,
		    "no product category to look up in rate table %s", code);
	if (q->age_months < 0)
		return set_error(err, CD_ERR_INVALID, "asset age of %d months is negative",
		    (int)q->age_months);
	if (q->term_months <= 0)
		return set_error(err, CD_ERR_INVALID, "term of %d months is not positive",
		    (int)q->term_months);
	if (!resolve_category(t, q->category, category, sizeof category))
		return set_error(err, CD_ERR_NOT_FOUND,
		    "rate table %s has no rates for product category '%s'", code, q->category);

	age = band_for(t->age_bands, t->nage_bands, q->age_months);
	if (age == NULL) {
		describe_span(t->age_bands, t->nage_bands, "months", span, sizeof span);
		return set_error(err, CD_ERR_NOT_FOUND, "rate table %s has no rate for an asset %d "
		    "months old (its age bands cover %s)", code, (int)q->age_months, span);
	}
	if (t->info.usage_unit != CD_USAGE_NONE) {
		if (q->usage_unit == CD_USAGE_NONE)
			return set_error(err, CD_ERR_INVALID, "rate table %s prices by usage in "
			    "%s, and the asset has no usage reading", code, unit);
		if (q->usage_unit != t->info.usage_unit)
			return set_error(err, CD_ERR_UNSUPPORTED,
			    "rate table %s counts usage in %s, not in %s", code, unit,
			    unit_name(q->usage_unit));
		if (q->usage < 0)
			return set_error(err, CD_ERR_INVALID,
			    "usage reading %" PRId64 " %s is negative", q->usage, unit);
		reading = q->usage;
	}
	usage = band_for(t->usage_bands, t->nusage_bands, reading);
	if (usage == NULL) {
		describe_span(t->usage_bands, t->nusage_bands, unit, span, sizeof span);
		return set_error(err, CD_ERR_NOT_FOUND, "rate table %s has no rate for %" PRId64
		    " %s at sale (its usage bands cover %s)", code, reading, unit, span);
	}

	key = (cd_rate_cell){
		.category = category,
		.age_band = age,
		.usage_band = usage,
		.term_months = q->term_months,
	};
	i = lower_bound(t, &key);
	if (i >= t->ncells || compare_cells(&t->cells[i], &key) != 0)
		return set_error(err, CD_ERR_NOT_FOUND,
		    "rate table %s has no %d-month rate for %s, age band %s, usage band %s", code,
		    (int)q->term_months, category, age->id, usage->id);
	*out = &t->cells[i];
	return CD_OK;
}

static bool
surcharge_applies(const surcharge *s, const cd_rate_query *q)
{
	switch (s->match) {
	case MATCH_COMMERCIAL_USE:
		return q->commercial_use != 0;
	case MATCH_CATEGORY:
		return q->category != NULL && category_within(q->category, s->value);
	case MATCH_MODEL_PREFIX:
		return q->model != NULL && strncmp(q->model, s->value, strlen(s->value)) == 0;
	}
	return false;
}

const cd_rate_adjustment *
rate_table_surcharge(const cd_rate_table *t, const cd_rate_query *q, size_t index)
{
	if (t == NULL || q == NULL || q->struct_size < QUERY_SIZE_1_0)
		return NULL;
	for (size_t i = 0; i < t->nsurcharges; i++) {
		if (!surcharge_applies(&t->surcharges[i], q))
			continue;
		if (index-- == 0)
			return &t->surcharges[i].adj;
	}
	return NULL;
}

const cd_rate_adjustment *
rate_table_dealer_adjustment(const cd_rate_table *t, const char *dealer_id)
{
	cd_rate_adjustment key = { .code = dealer_id };

	if (t == NULL || dealer_id == NULL || t->ndealers == 0)
		return NULL;
	return bsearch(&key, t->dealers, t->ndealers, sizeof *t->dealers, compare_dealers);
}
