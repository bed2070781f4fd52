/* contractctl dealer — dealers, how they authenticate, and their client
 * certificates. */
#include "cli/cli.h"
#include "storage/apikeys.h"
#include "storage/audit.h"
#include "storage/dealer_certs.h"
#include "storage/dealers.h"
#include "base/buf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A certificate file larger than this is not a certificate. */
#define CERT_FILE_MAX (1024 * 1024)

static void
dealer_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl dealer add ID --name NAME [--auth key|cert|both]\n"
	    "       contractctl dealer list\n"
	    "       contractctl dealer set-auth ID key|cert|both\n"
	    "       contractctl dealer set-billing ID --country CC [--street S] [--city C]\n"
	    "                  [--postal-code P] [--vat-id V] [--email E]\n"
	    "       contractctl dealer cert add ID FILE.pem\n"
	    "       contractctl dealer cert list [ID]\n"
	    "       contractctl dealer cert revoke FINGERPRINT\n"
	    "\n"
	    "ID is the dealer's own code: 1-64 characters of A-Z a-z 0-9 . _ -\n"
	    "The auth mode says what a dealer's requests must carry: an API key (key,\n"
	    "the default), a client certificate mapped to the dealer (cert; API keys are\n"
	    "refused), or both together, both the dealer's own (both).\n"
	    "cert add maps a client certificate to the dealer by its SHA-256 fingerprint;\n"
	    "the certificate must be issued by a CA in [server] tls_client_ca.\n"
	    "cert revoke takes the fingerprint as cert list or openssl prints it.\n"
	    "set-billing replaces the dealer's billing identity, the buyer on the invoices\n"
	    "it receives (a field left out is cleared); without a country a dealer is\n"
	    "taken to be in the seller's.\n");
}

/* What a mode means, for messages. */
static const char *
auth_words(const char *mode)
{
	if (strcmp(mode, "key") == 0)
		return "API key";
	if (strcmp(mode, "cert") == 0)
		return "client certificate";
	return "API key and client certificate together";
}

static int
dealer_add_cmd(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "auth", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *auth = "key", *id;
	char err[512], actor[64];
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
	r = dealer_add(ctx->db, cli_actor(actor, sizeof actor), id, name, auth, err, sizeof err);
	if (r != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return r == DEALER_INVALID ? 2 : 1;
	}
	printf("created dealer %s (%s), authenticating by %s\n", id, name, auth_words(auth));
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
	cli_format format;

	if (cli_take_format(&argc, argv, &format) != 0)
		return 2;
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
	cli_print_rows(format, header, cells, n, 4);
	free(cells);
	free(list);
	return 0;
}

/* Counts the dealer's usable keys and certificates, for warnings; -1 when
 * they cannot be read. */
static void
count_credentials(cli_ctx *ctx, const char *id, long *keys, long *certs)
{
	apikey_info *kl = NULL;
	dealer_cert *cl = NULL;
	size_t n = 0;
	char err[512];

	*keys = *certs = -1;
	if (apikey_list(ctx->db, &kl, &n, err, sizeof err) == 0) {
		*keys = 0;
		for (size_t i = 0; i < n; i++)
			if (strcmp(kl[i].dealer_id, id) == 0 && kl[i].revoked_at[0] == '\0')
				(*keys)++;
		apikey_list_free(kl, n);
	}
	if (dealer_cert_list(ctx->db, id, &cl, &n, err, sizeof err) == 0) {
		*certs = 0;
		for (size_t i = 0; i < n; i++)
			if (cl[i].revoked_at[0] == '\0')
				(*certs)++;
		free(cl);
	}
}

/* The transaction of dealer set-billing: the change and its audit record. */
typedef struct billing_txn {
	const char *id, *actor;
	const dealer_billing *b;
	char *err;
	size_t errlen;
} billing_txn;

static int
set_billing_txn(db_conn *db, void *arg)
{
	billing_txn *t = arg;
	buf detail;
	int r;

	if ((r = dealer_set_billing(db, t->id, t->b, t->err, t->errlen)) != 0)
		return r;
	buf_init(&detail, 0);
	audit_detail_add(&detail, "country", t->b->country);
	audit_detail_add(&detail, "vat_id", t->b->vat_id);
	audit_detail_add(&detail, "city", t->b->city);
	r = audit_append(db, t->actor, "dealer.set_billing", "dealer", t->id, detail.data, t->err,
	    t->errlen);
	buf_free(&detail);
	return r;
}

static int
dealer_set_billing_cmd(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "street", required_argument, NULL, 's' },
		{ "city", required_argument, NULL, 'c' },
		{ "postal-code", required_argument, NULL, 'p' },
		{ "country", required_argument, NULL, 'C' },
		{ "vat-id", required_argument, NULL, 'v' },
		{ "email", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	dealer_billing b;
	char err[512], actor[64];
	struct {
		int opt;
		char *dst;
		size_t size;
	} map[] = {
		{ 's', b.street, sizeof b.street }, { 'c', b.city, sizeof b.city },
		{ 'p', b.postal_code, sizeof b.postal_code }, { 'C', b.country, sizeof b.country },
		{ 'v', b.vat_id, sizeof b.vat_id }, { 'e', b.email, sizeof b.email },
	};
	int c, r;

	memset(&b, 0, sizeof b);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		size_t i;
		for (i = 0; i < sizeof map / sizeof map[0] && map[i].opt != c; i++)
			;
		if (i == sizeof map / sizeof map[0]) {
			fprintf(stderr, "contractctl: dealer set-billing: %s '%s'\n",
			    c == ':' ? "a value is needed after" : "unknown option", argv[optind - 1]);
			dealer_usage(stderr);
			return 2;
		}
		if (strlen(optarg) >= map[i].size) {
			fprintf(stderr, "contractctl: dealer set-billing: '%s' is too long\n", optarg);
			return 2;
		}
		snprintf(map[i].dst, map[i].size, "%s", optarg);
	}
	if (argc - optind != 1) {
		fprintf(stderr, "contractctl: dealer set-billing needs an ID\n");
		dealer_usage(stderr);
		return 2;
	}
	if (!dealer_billing_valid(&b, err, sizeof err)) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	billing_txn t = { argv[optind], cli_actor(actor, sizeof actor), &b, err, sizeof err };
	r = db_transaction(ctx->db, 5, set_billing_txn, &t);
	if (r != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return r == DEALER_INVALID ? 2 : 1;
	}
	printf("dealer %s bills to %s%s%s\n", argv[optind], b.country[0] ? b.country :
	    "the seller's country", b.vat_id[0] ? ", VAT id " : "", b.vat_id);
	return 0;
}

static int
dealer_set_auth_cmd(cli_ctx *ctx, int argc, char **argv)
{
	char err[512], actor[64], previous[5];
	long keys, certs;
	dealer d;
	int r;

	if (argc != 3) {
		fprintf(stderr, "contractctl: dealer set-auth needs an ID and key, cert or both\n");
		dealer_usage(stderr);
		return 2;
	}
	if (!dealer_auth_mode_valid(argv[2])) {
		fprintf(stderr, "contractctl: the auth mode must be key, cert or both\n");
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	r = dealer_set_auth(ctx->db, cli_actor(actor, sizeof actor), argv[1], argv[2], previous,
	    err, sizeof err);
	if (r != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return r == DEALER_INVALID ? 2 : 1;
	}
	if (dealer_get(ctx->db, argv[1], &d, err, sizeof err) != 1)
		snprintf(d.id, sizeof d.id, "%s", argv[1]);
	if (strcmp(previous, argv[2]) == 0) {
		printf("dealer %s authenticates by %s already\n", d.id, auth_words(argv[2]));
		return 0;
	}
	printf("dealer %s now authenticates by %s (was: %s)\n", d.id, auth_words(argv[2]),
	    auth_words(previous));
	count_credentials(ctx, d.id, &keys, &certs);
	if (strcmp(argv[2], "key") != 0 && certs == 0)
		fprintf(stderr, "contractctl: warning: dealer %s has no client certificate yet "
		    "(map one: contractctl dealer cert add %s FILE.pem)\n", d.id, d.id);
	if (strcmp(argv[2], "cert") != 0 && keys == 0)
		fprintf(stderr, "contractctl: warning: dealer %s has no API key yet "
		    "(create one: contractctl key create --role dealer --dealer %s)\n", d.id, d.id);
	if (strcmp(argv[2], "cert") == 0 && keys > 0)
		fprintf(stderr, "contractctl: note: the %ld API key%s of dealer %s no longer "
		    "authenticate%s\n", keys, keys == 1 ? "" : "s", d.id, keys == 1 ? "s" : "");
	return 0;
}

/* Reads a whole file of at most CERT_FILE_MAX bytes into a new buffer. */
static char *
read_small_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	data = xmalloc(CERT_FILE_MAX + 1);
	n = fread(data, 1, CERT_FILE_MAX + 1, f);
	if (ferror(f) || n > CERT_FILE_MAX) {
		snprintf(err, errlen, ferror(f) ? "cannot read %s" : "%s is too large to be a "
		    "certificate", path);
		free(data);
		data = NULL;
	} else {
		data[n] = '\0';
		*len = n;
	}
	fclose(f);
	return data;
}

static int
dealer_cert_add_cmd(cli_ctx *ctx, int argc, char **argv)
{
	dealer_cert_info *ci = xcalloc(1, sizeof *ci);
	char err[512], actor[64], *pem = NULL;
	size_t len = 0;
	dealer d;
	int rc = 1, r;

	if (argc != 4) {
		fprintf(stderr, "contractctl: dealer cert add needs an ID and a FILE.pem\n");
		dealer_usage(stderr);
		rc = 2;
		goto out;
	}
	if (!dealer_id_valid(argv[2])) {
		fprintf(stderr, "contractctl: invalid dealer ID: 1-%d characters of A-Z a-z 0-9 . _ -\n",
		    DEALER_ID_MAX);
		rc = 2;
		goto out;
	}
	if ((pem = read_small_file(argv[3], &len, err, sizeof err)) == NULL ||
	    dealer_cert_parse_pem(pem, len, ci, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s: %s\n", argv[3], err);
		goto out;
	}
	if (ci->expired) {
		fprintf(stderr, "contractctl: %s: the certificate expired on %s UTC; it could never "
		    "authenticate\n", argv[3], ci->not_after);
		goto out;
	}
	if (ci->not_yet_valid)
		fprintf(stderr, "contractctl: warning: the certificate is valid only from %s UTC\n",
		    ci->not_before);
	if (ctx->cfg->tls_client_ca == NULL) {
		fprintf(stderr, "contractctl: warning: [server] tls_client_ca is not set: contractd "
		    "asks for no client certificates until it is\n");
	} else {
		r = dealer_cert_verify_pem(pem, len, ctx->cfg->tls_client_ca, err, sizeof err);
		if (r == 0)
			fprintf(stderr, "contractctl: warning: the certificate does not verify against "
			    "%s (%s): the server will refuse it in the handshake\n",
			    ctx->cfg->tls_client_ca, err);
		else if (r < 0)
			fprintf(stderr, "contractctl: warning: cannot check the certificate against "
			    "%s: %s\n", ctx->cfg->tls_client_ca, err);
	}
	if (cli_db_open(ctx) != 0)
		goto out;
	r = dealer_cert_add(ctx->db, cli_actor(actor, sizeof actor), argv[2], ci, err, sizeof err);
	if (r != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		rc = r == DEALER_CERT_INVALID ? 2 : 1;
		goto out;
	}
	if (dealer_get(ctx->db, argv[2], &d, err, sizeof err) != 1)
		snprintf(d.auth_mode, sizeof d.auth_mode, "key");
	printf("mapped certificate %s (%s, expires %s UTC) to dealer %s\n", ci->fingerprint,
	    ci->subject, ci->not_after, d.id[0] ? d.id : argv[2]);
	if (strcmp(d.auth_mode, "key") == 0)
		fprintf(stderr, "contractctl: note: dealer %s authenticates by API key; for the "
		    "certificate to count: contractctl dealer set-auth %s cert (or both)\n",
		    argv[2], argv[2]);
	rc = 0;
out:
	free(pem);
	free(ci);
	return rc;
}

static int
dealer_cert_list_cmd(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const header[] = {
		"FINGERPRINT (SHA-256)", "DEALER", "SUBJECT", "EXPIRES (UTC)", "ADDED (UTC)",
		"REVOKED (UTC)",
	};
	const char *dealer_id = argc == 3 ? argv[2] : NULL;
	const char **cells;
	dealer_cert *list;
	size_t n;
	char err[512];

	if (argc > 3) {
		dealer_usage(stderr);
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	if (dealer_cert_list(ctx->db, dealer_id, &list, &n, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "contractctl: no client certificates%s%s yet (map one: contractctl "
		    "dealer cert add ID FILE.pem)\n", dealer_id ? " for dealer " : "",
		    dealer_id ? dealer_id : "");
		free(list);
		return 0;
	}
	cells = xcalloc(n * 6, sizeof *cells);
	for (size_t i = 0; i < n; i++) {
		dealer_cert *dc = &list[i];
		dc->not_after[19] = '\0';
		dc->created_at[19] = '\0';
		dc->revoked_at[19] = '\0';
		cells[i * 6 + 0] = dc->fingerprint;
		cells[i * 6 + 1] = dc->dealer_id;
		cells[i * 6 + 2] = dc->subject;
		cells[i * 6 + 3] = dc->not_after;
		cells[i * 6 + 4] = dc->created_at;
		cells[i * 6 + 5] = dc->revoked_at[0] ? dc->revoked_at : "-";
	}
	cli_print_table(header, cells, n, 6);
	free(cells);
	free(list);
	return 0;
}

static int
dealer_cert_revoke_cmd(cli_ctx *ctx, int argc, char **argv)
{
	char err[512], actor[64], fp[SHA256_HEX_LEN + 1];
	int r;

	if (argc != 3) {
		fprintf(stderr, "contractctl: dealer cert revoke needs the FINGERPRINT\n");
		dealer_usage(stderr);
		return 2;
	}
	if (!dealer_cert_fingerprint_normalise(argv[2], fp)) {
		fprintf(stderr, "contractctl: '%s' is not a SHA-256 fingerprint (64 hex digits, "
		    "colons allowed, as 'contractctl dealer cert list' shows)\n", argv[2]);
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	r = dealer_cert_revoke(ctx->db, cli_actor(actor, sizeof actor), fp, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	printf(r == 0 ? "revoked certificate %s\n" : "certificate %s was revoked already\n", fp);
	return 0;
}

static int
dealer_cert_cmd(cli_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return dealer_cert_add_cmd(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return dealer_cert_list_cmd(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "revoke") == 0)
		return dealer_cert_revoke_cmd(ctx, argc, argv);
	fprintf(stderr, "contractctl: dealer cert: expected add, list or revoke\n");
	dealer_usage(stderr);
	return 2;
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
		return dealer_add_cmd(ctx, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return dealer_list_cmd(ctx, argc, argv);
	if (strcmp(argv[0], "set-auth") == 0)
		return dealer_set_auth_cmd(ctx, argc, argv);
	if (strcmp(argv[0], "set-billing") == 0)
		return dealer_set_billing_cmd(ctx, argc, argv);
	if (strcmp(argv[0], "cert") == 0)
		return dealer_cert_cmd(ctx, argc, argv);
	fprintf(stderr, "contractctl: dealer: unknown subcommand '%s'\n", argv[0]);
	dealer_usage(stderr);
	return 2;
}
