/* contractctl dealer — add and list dealers. */
#include "cli/cli.h"
#include "storage/dealers.h"
#include "base/xalloc.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
dealer_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl dealer add ID --name NAME [--auth key|cert|both]\n"
	    "       contractctl dealer list\n"
	    "\n"
	    "ID is the dealer's own code: 1-64 characters of A-Z a-z 0-9 . _ -\n"
	    "--auth says how the dealer authenticates: API keys (key, the default),\n"
	    "client certificates (cert) or either (both).\n");
}

/* Display width of UTF-8 text: its code points. */
static size_t
text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Prints rows of ncols cells under a header, in columns two spaces apart. */
static void
print_table(const char *const *header, const char *const *cells, size_t nrows, size_t ncols)
{
	size_t width[8] = { 0 };

	for (size_t c = 0; c < ncols && c < 8; c++) {
		width[c] = text_width(header[c]);
		for (size_t r = 0; r < nrows; r++) {
			size_t w = text_width(cells[r * ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t r = 0; r <= nrows; r++) {
		const char *const *row = r == 0 ? header : cells + (r - 1) * ncols;
		for (size_t c = 0; c < ncols && c < 8; c++) {
			bool last = c + 1 == ncols;
			fputs(row[c], stdout);
			if (!last)
				printf("%*s", (int)(width[c] - text_width(row[c]) + 2), "");
		}
		putchar('\n');
	}
}

static int
dealer_add(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "auth", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *auth = "key", *id;
	char err[512];
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:a:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'a':
			auth = optarg;
			break;
		case 'h':
			dealer_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "contractctl: dealer add: %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "contractctl: dealer add: unknown option '%s'\n", argv[optind - 1]);
			dealer_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1 || name == NULL) {
		fprintf(stderr, "contractctl: dealer add needs an ID and --name NAME\n");
		dealer_usage(stderr);
		return 2;
	}
	id = argv[optind];
	if (!dealer_id_valid(id)) {
		fprintf(stderr, "contractctl: invalid dealer ID: 1-%d characters of A-Z a-z 0-9 . _ -\n",
		    DEALER_ID_MAX);
		return 2;
	}
	if (!dealer_name_valid(name)) {
		fprintf(stderr, "contractctl: invalid dealer name: 1-%d bytes without control "
		    "characters\n", DEALER_NAME_MAX);
		return 2;
	}
	if (!dealer_auth_mode_valid(auth)) {
		fprintf(stderr, "contractctl: --auth must be key, cert or both\n");
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	r = dealer_create(ctx->db, id, name, auth, err, sizeof err);
	if (r != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return r == DEALER_INVALID ? 2 : 1;
	}
	printf("created dealer %s (%s), authenticating by %s\n", id, name,
	    strcmp(auth, "key") == 0 ? "API key" : strcmp(auth, "cert") == 0 ?
	    "client certificate" : "API key or client certificate");
	return 0;
}

static int
dealer_list_cmd(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const header[] = { "ID", "NAME", "AUTH", "CREATED (UTC)" };
	const char **cells;
	dealer *list;
	size_t n;
	char err[512];

	if (argc != 1) {
		dealer_usage(stderr);
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	if (dealer_list(ctx->db, &list, &n, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "contractctl: no dealers yet (add one: contractctl dealer add)\n");
		free(list);
		return 0;
	}
	cells = xcalloc(n * 4, sizeof *cells);
	for (size_t i = 0; i < n; i++) {
		/* "YYYY-MM-DD HH:MM:SS" is precise enough to read. */
		list[i].created_at[19] = '\0';
		cells[i * 4 + 0] = list[i].id;
		cells[i * 4 + 1] = list[i].name;
		cells[i * 4 + 2] = list[i].auth_mode;
		cells[i * 4 + 3] = list[i].created_at;
	}
	print_table(header, cells, n, 4);
	free(cells);
	free(list);
	return 0;
}

int
cmd_dealer(cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 1) {
		dealer_usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		dealer_usage(stdout);
		return 0;
	}
	if (strcmp(argv[0], "add") == 0)
		return dealer_add(ctx, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return dealer_list_cmd(ctx, argc, argv);
	fprintf(stderr, "contractctl: dealer: unknown subcommand '%s'\n", argv[0]);
	dealer_usage(stderr);
	return 2;
}
