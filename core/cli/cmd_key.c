/* contractctl key — create, list and revoke API keys. */
#include "cli/cli.h"
#include "storage/apikeys.h"
#include "base/xalloc.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
key_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl key create --role admin|finance|dealer [--dealer ID] [--label TEXT]\n"
	    "       contractctl key list [--format table|csv|xml]\n"
	    "       contractctl key revoke KEYID\n"
	    "\n"
	    "key create prints the new key, and nothing else, on standard output: it is\n"
	    "shown only this once (the database keeps only its hash). A dealer key needs\n"
	    "--dealer; admin and finance keys belong to no dealer.\n");
}

static int
key_create(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "dealer", required_argument, NULL, 'd' },
		{ "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rolestr = NULL, *dealer_id = NULL, *label = NULL;
	char key[APIKEY_MAX_LEN], err[512], actor[64];
	role r;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:d:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rolestr = optarg;
			break;
		case 'd':
			dealer_id = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 'h':
			key_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "contractctl: key create: %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "contractctl: key create: unknown option '%s'\n", argv[optind - 1]);
			key_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "contractctl: key create: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (rolestr == NULL || role_parse(rolestr, &r) != 0) {
		fprintf(stderr, "contractctl: key create needs --role admin, finance or dealer\n");
		return 2;
	}
	if (r == ROLE_DEALER && (dealer_id == NULL || dealer_id[0] == '\0')) {
		fprintf(stderr, "contractctl: a dealer key needs --dealer ID\n");
		return 2;
	}
	if (r != ROLE_DEALER && dealer_id != NULL) {
		fprintf(stderr, "contractctl: --dealer is only for --role dealer\n");
		return 2;
	}
	if (dealer_id != NULL && !dealer_id_valid(dealer_id)) {
		fprintf(stderr, "contractctl: invalid dealer ID: 1-%d characters of A-Z a-z 0-9 . _ -\n",
		    DEALER_ID_MAX);
		return 2;
	}
	if (label != NULL && !apikey_label_valid(label)) {
		fprintf(stderr, "contractctl: invalid --label: at most %d bytes, no control "
		    "characters\n", APIKEY_LABEL_MAX);
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	if (apikey_create(ctx->db, cli_actor(actor, sizeof actor), r, dealer_id, label, key,
	    sizeof key, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	printf("%s\n", key);
	fflush(stdout);
	fprintf(stderr, "contractctl: created %s key %.*s%s%s; it is shown only this once, "
	    "store it now\n", role_name(r), APIKEY_ID_LEN, key + strlen(APIKEY_PREFIX),
	    r == ROLE_DEALER ? " for dealer " : "", r == ROLE_DEALER ? dealer_id : "");
	explicit_bzero(key, sizeof key);
	return 0;
}

static int
key_list(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const header[] = {
		"KEY ID", "ROLE", "DEALER", "LABEL", "CREATED (UTC)", "REVOKED (UTC)",
	};
	apikey_info *list;
	const char **cells;
	size_t n;
	char err[512];
	cli_format format;

	if (cli_take_format(&argc, argv, &format) != 0)
		return 2;
	if (argc != 1) {
		key_usage(stderr);
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	if (apikey_list(ctx->db, &list, &n, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "contractctl: no API keys yet (create one: contractctl key create)\n");
		apikey_list_free(list, n);
		return 0;
	}
	cells = xcalloc(n * 6, sizeof *cells);
	for (size_t i = 0; i < n; i++) {
		apikey_info *k = &list[i];
		/* "YYYY-MM-DD HH:MM:SS" is precise enough to read. */
		k->created_at[19] = '\0';
		k->revoked_at[19] = '\0';
		cells[i * 6 + 0] = k->key_id;
		cells[i * 6 + 1] = role_name(k->role);
		cells[i * 6 + 2] = k->dealer_id[0] ? k->dealer_id : "-";
		cells[i * 6 + 3] = k->label[0] ? k->label : "-";
		cells[i * 6 + 4] = k->created_at;
		cells[i * 6 + 5] = k->revoked_at[0] ? k->revoked_at : "-";
	}
	cli_print_rows(format, header, cells, n, 6);
	free(cells);
	apikey_list_free(list, n);
	return 0;
}

static bool
key_id_valid(const char *s)
{
	if (strlen(s) != APIKEY_ID_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int
key_revoke(cli_ctx *ctx, int argc, char **argv)
{
	char key_id[APIKEY_ID_LEN + 1], secret[APIKEY_SECRET_MAX + 1], err[512], actor[64];
	int r;

	if (argc != 2) {
		fprintf(stderr, "contractctl: key revoke needs the KEYID\n");
		key_usage(stderr);
		return 2;
	}
	/* The id, or the whole key when that is what is at hand. */
	if (apikey_parse(argv[1], key_id, secret) == 0) {
		explicit_bzero(secret, sizeof secret);
	} else if (key_id_valid(argv[1])) {
		snprintf(key_id, sizeof key_id, "%s", argv[1]);
	} else {
		fprintf(stderr, "contractctl: '%s' is not a key id (12 lowercase hex digits, as "
		    "'contractctl key list' shows)\n", argv[1]);
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	r = apikey_revoke(ctx->db, cli_actor(actor, sizeof actor), key_id, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	printf(r == 0 ? "revoked key %s\n" : "key %s was revoked already\n", key_id);
	return 0;
}

int
cmd_key(cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 1) {
		key_usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		key_usage(stdout);
		return 0;
	}
	if (strcmp(argv[0], "create") == 0)
		return key_create(ctx, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return key_list(ctx, argc, argv);
	if (strcmp(argv[0], "revoke") == 0)
		return key_revoke(ctx, argc, argv);
	fprintf(stderr, "contractctl: key: unknown subcommand '%s'\n", argv[0]);
	key_usage(stderr);
	return 2;
}
