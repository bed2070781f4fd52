/* cli_db — how contractctl reaches the database: the configured URL, or
 * the private MariaDB under the state directory. */
#include "cli/cli.h"
#include "storage/db.h"
#include "storage/privdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
cli_db_open(cli_ctx *ctx)
{
	const config *cfg = ctx->cfg;
	db_params params = { 0 };
	char err[1024];
	int rc = -1;

	if (ctx->db != NULL)
		return 0;
	if (cfg->db_url != NULL && cfg->db_url[0] != '\0') {
		if (db_url_parse(cfg->db_url, &params, err, sizeof err) != 0) {
			fprintf(stderr, "contractctl: [database] url: %s\n", err);
			goto out;
		}
	} else {
		if (!privdb_initialised(cfg->state_dir) && cfg->mariadbd != NULL &&
		    access(cfg->mariadbd, X_OK) == 0 && cfg->mariadb_install_db != NULL &&
		    access(cfg->mariadb_install_db, X_OK) == 0)
			fprintf(stderr, "contractctl: initialising the private MariaDB under %s/mariadb "
			    "(first run, a few seconds)\n", cfg->state_dir);
		ctx->privdb = privdb_start(cfg->state_dir, cfg->mariadbd, cfg->mariadb_install_db,
		    err, sizeof err);
		if (ctx->privdb == NULL) {
			fprintf(stderr, "contractctl: private MariaDB: %s\n", err);
			goto out;
		}
		privdb_params(ctx->privdb, &params);
	}
	ctx->db = db_connect(&params, err, sizeof err);
	if (ctx->db == NULL) {
		fprintf(stderr, "contractctl: %s\n", err);
		goto out;
	}
	rc = 0;
out:
	db_params_free(&params);
	return rc;
}

void
cli_close(cli_ctx *ctx)
{
	db_close(ctx->db);
	ctx->db = NULL;
	privdb_stop(ctx->privdb);
	ctx->privdb = NULL;
	db_library_end();
}
