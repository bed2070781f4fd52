/* contractctl — the command-line tool for admin and finance work. */
#include "cli/cli.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	cli_command_fn fn;
	const char *summary;
} commands[] = {
	{ "db", cmd_db, "db migrate | db status" },
	{ "dealer", cmd_dealer, "dealer add ID --name NAME [--auth key|cert|both] | dealer list [--format F] | "
	    "dealer set-auth ID key|cert|both\n"
	    "  dealer set-billing ID --country CC [--street S] [--city C] [--postal-code P] "
	    "[--vat-id V] [--email E]\n"
	    "  dealer cert add ID FILE.pem | dealer cert list [ID] | dealer cert revoke FINGERPRINT" },
	{ "key", cmd_key, "key create --role ROLE [--dealer ID] [--label TEXT] | key list [--format table|csv|xml] | key revoke KEYID" },
	{ "plugin", cmd_plugin, "plugin check [-n NAME] [-p KEY=VALUE]... FILE.so | plugin quote [-n NAME] [-p KEY=VALUE]... FILE.so REQUEST.xml\n"
	    "  plugin price [-n NAME] [-p KEY=VALUE]... FILE.so REQUEST.xml" },
	{ "catalog", cmd_catalog, "catalog import [--dry-run] FILE.xml | catalog list" },
	{ "audit", cmd_audit, "audit verify | audit list [--entity ENTITY] [--id ID] [--limit N]" },
	{ "report", cmd_report, "report revenue|loss-ratio --from YYYY-MM --to YYYY-MM [--by plan|dealer] "
	    "[--format table|csv|xml]\n"
	    "  report invoices|journal --from YYYY-MM-DD --to YYYY-MM-DD [--format table|csv|xml]" },
	{ "billing", cmd_billing, "billing run --period YYYY-MM [--dealer ID] [--dry-run] "
	    "[--format table|csv|xml] | billing show RUN-ID" },
	{ "payment", cmd_payment, "payment record (--dealer ID | --customer NAME) --amount A --currency C "
	    "--reference R [--date D] [--allocate INVOICE=AMOUNT]... [--no-auto]\n"
	    "  payment apply ID [--allocate INVOICE=AMOUNT]... | payment refund CREDIT-NOTE --amount A "
	    "--currency C --reference R\n"
	    "  payment show ID | payment list [--dealer ID] [--from D] [--to D] [--format table|csv|xml]\n"
	    "  report aging [--as-of YYYY-MM-DD] [--dealer ID] [--format table|csv|xml]" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: contractctl [-c FILE] COMMAND ...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %s\n", commands[i].summary);
	fprintf(f, "\nSee contractctl(1).\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	cli_ctx ctx = { 0 };
	const char *path = getenv("CONTRACTD_CONFIG");
	char err[512];
	int c, rc;

	/* "+": stop at the first word, so subcommands parse their own options. */
	while ((c = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("contractctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	log_setup(LOG_LEVEL_WARN, stderr);
	if (path != NULL) {
		ctx.cfg = config_load(path, err, sizeof err);
		if (ctx.cfg == NULL) {
			fprintf(stderr, "contractctl: %s\n", err);
			return 1;
		}
		ctx.config_path = path;
	} else {
		ctx.cfg = config_new_defaults();
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			rc = commands[i].fn(&ctx, argc - optind - 1, argv + optind + 1);
			cli_close(&ctx);
			config_free(ctx.cfg);
			return rc;
		}
	}
	fprintf(stderr, "contractctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	config_free(ctx.cfg);
	return 2;
}
