/* contractctl catalog — import the plans for sale from a Catalog document,
 * list them. */
#include "cli/cli.h"
#include "exchange/catalog.h"
#include "domain/plan.h"
#include "storage/audit.h"
#include "storage/db.h"
#include "xml/schema.h"
#include "xml/xml_in.h"
#include "base/buf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CATALOG_FILE_MAX (64u * 1024 * 1024)

static void
catalog_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl catalog import [--dry-run] FILE.xml\n"
	    "       contractctl catalog list\n"
	    "\n"
	    "import reads a Catalog document (contracts/schema/Catalog.xsd), checks it\n"
	    "against its schema and the catalog rules, and stores each plan: a plan\n"
	    "whose definition changed becomes a new version, an unchanged plan stays\n"
	    "as it is. The whole file is imported in one transaction, or nothing is.\n"
	    "--dry-run checks the file and prints the plans without storing them.\n");
}

/* Reads path into a new buffer (NUL-terminated). Returns it, or NULL with a
 * message printed. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	buf b;
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "contractctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf_init(&b, CATALOG_FILE_MAX);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (buf_append(&b, chunk, n) != 0) {
			fprintf(stderr, "contractctl: %s: larger than %u bytes\n", path,
			    CATALOG_FILE_MAX);
			fclose(f);
			buf_free(&b);
			return NULL;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "contractctl: %s: read error\n", path);
		fclose(f);
		buf_free(&b);
		return NULL;
	}
	fclose(f);
	if (b.data == NULL)
		buf_puts(&b, "");
	return buf_detach(&b, len);
}

/* Warns about plans priced by a plugin the configuration does not load. */
static void
warn_unconfigured_plugins(const cli_ctx *ctx, const catalog_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const plan *p = entries[i].plan;
		bool found = false;
		for (size_t k = 0; k < ctx->cfg->nplugins; k++)
			if (strcmp(ctx->cfg->plugins[k].name, p->pricing_plugin) == 0)
				found = true;
		if (!found)
			fprintf(stderr, "contractctl: warning: plan %s is priced by '%s', which %s does "
			    "not configure ([plugin %s]); it cannot be quoted until it does\n", p->code,
			    p->pricing_plugin, ctx->config_path ? ctx->config_path : "the configuration",
			    p->pricing_plugin);
	}
}

/* Stores every entry in one transaction; prints what happened to each. */
static int
store_all(cli_ctx *ctx, catalog_entry *entries, size_t n)
{
	char err[512], actor[64], version[16];
	size_t created = 0, unchanged = 0;
	buf detail;

	cli_actor(actor, sizeof actor);
	if (db_begin(ctx->db) != 0) {
		fprintf(stderr, "contractctl: %s\n", db_error(ctx->db));
		return 1;
	}
	buf_init(&detail, 0);
	for (size_t i = 0; i < n; i++) {
		plan *p = entries[i].plan;
		plan_store_result result;
		int r = plan_store(ctx->db, p, entries[i].requested_version, &result, err, sizeof err);
		if (r != 0) {
			fprintf(stderr, "contractctl: %s\n", err);
			goto fail;
		}
		if (result == PLAN_STORED_UNCHANGED) {
			printf("%-20s version %-4d unchanged\n", p->code, p->version);
			unchanged++;
			continue;
		}
		printf("%-20s version %-4d %s\n", p->code, p->version,
		    result == PLAN_STORED_NEW ? "new plan" : "new version");
		created++;
		buf_reset(&detail);
		snprintf(version, sizeof version, "%d", p->version);
		audit_detail_add(&detail, "version", version);
		audit_detail_add(&detail, "hash", p->definition_hash);
		audit_detail_add(&detail, "plugin", p->pricing_plugin);
		if (audit_append(ctx->db, actor, "plan.import", "plan", p->code, detail.data, err,
		    sizeof err) != 0) {
			fprintf(stderr, "contractctl: %s\n", err);
			goto fail;
		}
	}
	if (db_commit(ctx->db) != 0) {
		fprintf(stderr, "contractctl: %s\n", db_error(ctx->db));
		goto fail;
	}
	buf_free(&detail);
	printf("%zu plan version(s) stored, %zu unchanged\n", created, unchanged);
	return 0;
fail:
	db_rollback(ctx->db);
	buf_free(&detail);
	fprintf(stderr, "contractctl: nothing was imported\n");
	return 1;
}

static int
catalog_import(cli_ctx *ctx, int argc, char **argv)
{
	const char *path = NULL;
	bool dry_run = false;
	catalog_entry *entries = NULL;
	problem_list pl;
	size_t len = 0, n = 0;
	char *data = NULL, err[512];
	int rc = 1, r;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0)
			dry_run = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			catalog_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || path != NULL) {
			catalog_usage(stderr);
			return 2;
		} else
			path = argv[i];
	}
	if (path == NULL) {
		catalog_usage(stderr);
		return 2;
	}
	problems_init(&pl, "");
	xml_init();
	if (xml_schemas_load(err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: the schemas do not load: %s\n", err);
		goto out;
	}
	data = read_file(path, &len);
	if (data == NULL)
		goto out;
	r = catalog_parse(data, len, &entries, &n, &pl, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "contractctl: %s: %s\n", path, err);
		goto out;
	}
	if (r > 0) {
		for (size_t i = 0; i < pl.n; i++)
			fprintf(stderr, "%s: %s: %s: %s\n", path, pl.items[i].path, pl.items[i].code,
			    pl.items[i].message);
		if (pl.dropped)
			fprintf(stderr, "%s: ... and %zu more problems\n", path, pl.dropped);
		fprintf(stderr, "contractctl: %s is not a valid catalog; nothing was imported\n", path);
		goto out;
	}
	warn_unconfigured_plugins(ctx, entries, n);
	if (dry_run) {
		for (size_t i = 0; i < n; i++) {
			plan_compute_hash(entries[i].plan);
			printf("%-20s %s  %s\n", entries[i].plan->code, entries[i].plan->definition_hash,
			    entries[i].plan->name);
		}
		printf("%zu plan(s) checked; nothing stored (--dry-run)\n", n);
		rc = 0;
		goto out;
	}
	if (cli_db_open(ctx) != 0)
		goto out;
	rc = store_all(ctx, entries, n);
out:
	catalog_free(entries, n);
	problems_free(&pl);
	free(data);
	xml_schemas_free();
	xml_cleanup();
	return rc;
}

static int
catalog_list(cli_ctx *ctx)
{
	plan **list = NULL;
	size_t n = 0;
	char err[512];

	if (cli_db_open(ctx) != 0)
		return 1;
	if (plan_list_current(ctx->db, &list, &n, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	printf("%-20s %-8s %-8s %-6s %-20s %s\n", "CODE", "VERSION", "CURRENCY", "TERM", "PRICING",
	    "NAME");
	for (size_t i = 0; i < n; i++)
		printf("%-20s %-8d %-8s %-6d %-20s %s\n", list[i]->code, list[i]->version,
		    list[i]->currency, list[i]->term_months, list[i]->pricing_plugin, list[i]->name);
	plan_list_free(list, n);
	return 0;
}

int
cmd_catalog(cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 1) {
		catalog_usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "import") == 0)
		return catalog_import(ctx, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0 && argc == 1)
		return catalog_list(ctx);
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		catalog_usage(stdout);
		return 0;
	}
	catalog_usage(stderr);
	return 2;
}
