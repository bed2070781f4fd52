/* contractctl db — schema migrations and the database's state. */
#include "cli/cli.h"
#include "storage/db.h"
#include "storage/migrate.h"
#include "storage/privdb.h"

#include <stdio.h>
#include <string.h>

static void
db_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl db migrate   apply the pending schema migrations\n"
	    "       contractctl db status    show the schema version; exits 1 when the\n"
	    "                                schema is not the one this contractctl knows\n");
}

/* Describes where the database is, for people: never the password. */
static void
describe_database(const cli_ctx *ctx, char *out, size_t outlen)
{
	const config *cfg = ctx->cfg;
	db_params p;
	char err[256];

	if (ctx->privdb != NULL) {
		snprintf(out, outlen, "private MariaDB, socket %s", privdb_socket(ctx->privdb));
	} else if (cfg->db_url != NULL && db_url_parse(cfg->db_url, &p, err, sizeof err) == 0) {
		db_params_describe(&p, out, outlen);
		db_params_free(&p);
	} else {
		snprintf(out, outlen, "(unknown)");
	}
}

static int
db_migrate(cli_ctx *ctx)
{
	char err[1024];
	int n;

	if (cli_db_open(ctx) != 0)
		return 1;
	fflush(stdout);
	n = migrate_apply(ctx->db, stdout, err, sizeof err);
	if (n < 0) {
		fprintf(stderr, "contractctl: db migrate: %s\n", err);
		return 1;
	}
	return 0;
}

static int
db_status(cli_ctx *ctx)
{
	char err[1024], where[600];
	int current, latest;

	if (cli_db_open(ctx) != 0)
		return 1;
	if (migrate_status(ctx->db, &current, &latest, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: db status: %s\n", err);
		return 1;
	}
	describe_database(ctx, where, sizeof where);
	printf("database:        %s\n", where);
	printf("schema version:  %d\n", current);
	printf("latest known:    %d\n", latest);
	if (current == latest) {
		printf("state:           current\n");
		return 0;
	}
	if (current < latest)
		printf("state:           %d migration%s pending (run: contractctl db migrate)\n",
		    latest - current, latest - current == 1 ? "" : "s");
	else
		printf("state:           the database is newer than this contractctl: upgrade it\n");
	return 1;
}

int
cmd_db(cli_ctx *ctx, int argc, char **argv)
{
	if (argc == 1 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "help") == 0)) {
		db_usage(stdout);
		return 0;
	}
	if (argc != 1) {
		db_usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "migrate") == 0)
		return db_migrate(ctx);
	if (strcmp(argv[0], "status") == 0)
		return db_status(ctx);
	fprintf(stderr, "contractctl: db: unknown subcommand '%s'\n", argv[0]);
	db_usage(stderr);
	return 2;
}
