/* contractctl audit — verify and read the audit chain; and who contractctl
 * is in it. */
#include "cli/cli.h"
#include "storage/audit.h"
#include "storage/db.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
audit_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl audit verify\n"
	    "       contractctl audit list [--entity ENTITY] [--id ID] [--limit N]\n"
	    "\n"
	    "verify walks the whole hash chain and checks every record: exit 0 and\n"
	    "\"audit chain intact: N records, head HASH\", or exit 1 naming each record\n"
	    "that was altered, deleted or added behind contractd's back. Keep the head\n"
	    "hash somewhere else too: it is what proves the chain was not rewritten.\n"
	    "list prints the last N records (default 50), oldest first, optionally only\n"
	    "those of one entity (dealer, api_key, dealer_cert, contract, ...) and/or id.\n");
}

const char *
cli_actor(char *out, size_t outlen)
{
	struct passwd pw, *found = NULL;
	char pwbuf[1024];
	uid_t uid = geteuid();

	if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &found) == 0 && found != NULL &&
	    found->pw_name != NULL && found->pw_name[0] != '\0')
		snprintf(out, outlen, "cli:%s", found->pw_name);
	else
		snprintf(out, outlen, "cli:uid%lu", (unsigned long)uid);
	return out;
}

static int
audit_verify_cmd(cli_ctx *ctx, int argc, char **argv)
{
	audit_verify_result res;
	char err[512];
	int rc;

	if (argc != 1) {
		audit_usage(stderr);
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	rc = audit_verify(ctx->db, stdout, &res, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	if (rc == 0) {
		printf("audit chain intact: %" PRId64 " records, head %s\n", res.records, res.last_hash);
		return 0;
	}
	printf("audit chain BROKEN: %" PRId64 " problem%s in %" PRId64 " records, the first at "
	    "seq %" PRId64 "\n", res.problems, res.problems == 1 ? "" : "s", res.records,
	    res.first_bad_seq);
	printf("log ends at seq %" PRId64 " hash %s; chain head seq %" PRId64 " hash %s\n",
	    res.last_seq, res.last_hash, res.head_seq, res.head_hash[0] ? res.head_hash : "-");
	return 1;
}

static void
print_record(const audit_record *r, void *arg)
{
	(void)arg;
	printf("%8" PRId64 "  %s  %s  %s  %s %s", r->seq, r->at, r->actor, r->action, r->entity,
	    r->entity_id[0] ? r->entity_id : "-");
	if (r->detail != NULL && r->detail[0] != '\0')
		printf("  %s", r->detail);
	putchar('\n');
}

static int
audit_list_cmd(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "entity", required_argument, NULL, 'e' },
		{ "id", required_argument, NULL, 'i' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *entity = NULL, *id = NULL;
	int64_t limit = 50, n;
	char err[512], *end;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:i:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			entity = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'n':
			errno = 0;
			limit = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || limit < 1 || limit > 1000000) {
				fprintf(stderr, "contractctl: audit list: --limit takes a number from 1 to "
				    "1000000\n");
				return 2;
			}
			break;
		case 'h':
			audit_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "contractctl: audit list: %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "contractctl: audit list: unknown option '%s'\n", argv[optind - 1]);
			audit_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "contractctl: audit list: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	n = audit_list(ctx->db, entity, id, limit, print_record, NULL, err, sizeof err);
	if (n < 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	if (n == 0)
		fprintf(stderr, "contractctl: no audit records%s\n",
		    entity || id ? " match" : " yet");
	return 0;
}

int
cmd_audit(cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 1) {
		audit_usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		audit_usage(stdout);
		return 0;
	}
	if (strcmp(argv[0], "verify") == 0)
		return audit_verify_cmd(ctx, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return audit_list_cmd(ctx, argc, argv);
	fprintf(stderr, "contractctl: audit: unknown subcommand '%s'\n", argv[0]);
	audit_usage(stderr);
	return 2;
}
