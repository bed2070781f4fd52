/* cli — the shared plumbing of contractctl's subcommands. */
#ifndef CD_CLI_CLI_H
#define CD_CLI_CLI_H

#include <stddef.h>

#include "config/config.h"

struct db_conn;
struct privdb;

typedef struct cli_ctx {
	config *cfg;
	const char *config_path;  /* NULL when running on defaults */
	struct db_conn *db;       /* opened on demand by cli_db_open */
	struct privdb *privdb;    /* a private MariaDB this process started */
} cli_ctx;

/* Opens the database the configuration names, starting the private MariaDB
 * under the state directory when no URL is configured and it is not running
 * already (it is stopped again by cli_close). Prints a clear error and
 * returns -1 on failure. */
int cli_db_open(cli_ctx *ctx);
/* Closes what cli_db_open opened. */
void cli_close(cli_ctx *ctx);

/* Each subcommand gets the words after its name; returns the exit status. */
typedef int (*cli_command_fn)(cli_ctx *ctx, int argc, char **argv);

int cmd_db(cli_ctx *ctx, int argc, char **argv);
int cmd_dealer(cli_ctx *ctx, int argc, char **argv);
int cmd_key(cli_ctx *ctx, int argc, char **argv);
int cmd_plugin(cli_ctx *ctx, int argc, char **argv);
int cmd_catalog(cli_ctx *ctx, int argc, char **argv);
int cmd_audit(cli_ctx *ctx, int argc, char **argv);
int cmd_report(cli_ctx *ctx, int argc, char **argv);
int cmd_billing(cli_ctx *ctx, int argc, char **argv);
/* Payments and the aging report (cmd_payment.c); cmd_report hands
 * "report aging" to cmd_report_aging. */
int cmd_payment(cli_ctx *ctx, int argc, char **argv);
int cmd_report_aging(cli_ctx *ctx, int argc, char **argv);

/* Who contractctl acts as in the audit trail: "cli:<effective unix user>".
 * Writes into out (64 bytes are plenty) and returns it. */
const char *cli_actor(char *out, size_t outlen);

#define CLI_TABLE_MAX_COLS 12

/* Prints nrows rows of ncols cells (row-major) under a header, in columns
 * two spaces apart, aligned by display width. */
void cli_print_table(const char *const *header, const char *const *cells, size_t nrows,
    size_t ncols);
/* The same rows as CSV (RFC 4180: a header line, CRLF line ends, fields
 * quoted when needed), for spreadsheets and scripts. */
void cli_print_csv(const char *const *header, const char *const *cells, size_t nrows,
    size_t ncols);

/* --format: aligned tables for people (the default), CSV or XML for
 * programs. */
typedef enum cli_format {
	CLI_FORMAT_TABLE = 0,
	CLI_FORMAT_CSV = 1,
	CLI_FORMAT_XML = 2,
} cli_format;

/* "table", "csv", "xml". Returns 0 or -1. */
int cli_format_parse(const char *s, cli_format *out);
/* Takes "--format FORMAT" out of argv (after argv[0]), into *out (table
 * when absent). Returns 0, or -1 after printing why. */
int cli_take_format(int *argc, char **argv, cli_format *out);
/* The rows as a table, CSV, or XML (<Rows><Row><Field name="ID">...</Field>
 * ...</Row></Rows> in the contractd namespace). */
void cli_print_rows(cli_format f, const char *const *header, const char *const *cells,
    size_t nrows, size_t ncols);

#endif
