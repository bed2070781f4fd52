/* contractctl plugin — work with plugins without a running server.
 *
 *   contractctl [-c FILE] plugin check [-n NAME] [-p KEY=VALUE]... PLUGIN.so
 *
 * loads a plugin exactly as contractd would (every check, then init with
 * the parameters of the "[plugin NAME]" section that names this file, if
 * the configuration has one, and those given with -p, which win) and
 * prints its descriptor; exit status 0. A plugin contractd would refuse is
 * refused here with the same message, and the exit status is 1.
 *
 *   contractctl [-c FILE] plugin quote [-n NAME] [-p KEY=VALUE]... PLUGIN.so REQUEST.xml
 *
 * loads a pricing plugin the same way, prices the PricingRequest document
 * REQUEST.xml ("-": standard input) and prints the PricingResult; exit
 * status 0. When the plugin refuses the request the PricingResult carries
 * the refusal, its message goes to standard error, and the exit status is
 * 1, as it is for a request that is not a valid PricingRequest and for an
 * answer the server would refuse (amounts that do not add up).
 *
 *   contractctl [-c FILE] plugin price [-n NAME] [-p KEY=VALUE]... PLUGIN.so REQUEST.xml
 *
 * loads a billing or a parts plugin the same way, prices REQUEST.xml — a
 * BillingRequest for a billing plugin, a PartsRequest for a parts plugin —
 * and prints the PricedLines; exit status 0. A request of the other kind
 * (or a pricing plugin) is an error that says which kind of plugin the
 * request wants, exit status 1; so are a refusal (printed, and its message
 * on standard error), a request that is not valid, and lines the server
 * would refuse.
 *
 * -n NAME takes the parameters of "[plugin NAME]" instead of the section
 * naming the file: for a file configured as several instances, or a
 * configuration whose plugin directory is not where the file is. */
#include "cli/cli.h"
#include "plugin/host.h"
#include "plugin/lines_doc.h"
#include "plugin/pricing_doc.h"
#include "plugin/registry.h"
#include "base/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What check and quote share: the instance's parameters. */
typedef struct plugin_opts {
	const char *instance;      /* -n NAME, or NULL */
	config_kv *params;         /* -p KEY=VALUE, in order */
	size_t nparams;
} plugin_opts;

static void
plugin_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl [-c FILE] plugin check [-n NAME] [-p KEY=VALUE]... PLUGIN.so\n"
	    "       contractctl [-c FILE] plugin quote [-n NAME] [-p KEY=VALUE]... PLUGIN.so "
	    "REQUEST.xml\n"
	    "       contractctl [-c FILE] plugin price [-n NAME] [-p KEY=VALUE]... PLUGIN.so "
	    "REQUEST.xml\n");
}

static void
opts_free(plugin_opts *o)
{
	for (size_t i = 0; i < o->nparams; i++) {
		free(o->params[i].key);
		free(o->params[i].value);
	}
	free(o->params);
}

/* Parses the options of check or quote (argv[0] is the subcommand) and
 * checks that exactly noperands words follow them. Returns the index of
 * the first operand, or -1 after printing usage, with *status the exit
 * status (0 for --help). */
static int
parse_opts(int argc, char **argv, int noperands, plugin_opts *o, int *status)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "param", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*status = 2;
	optind = 0; /* glibc: start afresh on this subcommand's words */
	while ((c = getopt_long(argc, argv, "+n:p:h", longopts, NULL)) != -1) {
		char *eq;

		switch (c) {
		case 'n':
			o->instance = optarg;
			break;
		case 'p':
			eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg) {
				fprintf(stderr, "contractctl: -p wants KEY=VALUE, not '%s'\n",
				    optarg);
				return -1;
			}
			o->params = xreallocarray(o->params, o->nparams + 1, sizeof *o->params);
			o->params[o->nparams].key = xstrndup(optarg, (size_t)(eq - optarg));
			o->params[o->nparams].value = xstrdup(eq + 1);
			o->nparams++;
			break;
		case 'h':
			plugin_usage(stdout);
			*status = 0;
			return -1;
		default:
			plugin_usage(stderr);
			return -1;
		}
	}
	if (argc - optind != noperands) {
		plugin_usage(stderr);
		return -1;
	}
	return optind;
}

/* The configured plugin whose file is path (compared after resolving both),
 * or NULL. */
static const plugin_config *
configured_as(const config *cfg, const char *path)
{
	const plugin_config *found = NULL;
	char *want = realpath(path, NULL);

	for (size_t i = 0; want != NULL && found == NULL && i < cfg->nplugins; i++) {
		const plugin_config *pc = &cfg->plugins[i];
		char *file, *real;

		if (pc->file == NULL)
			continue;
		file = plugin_file_path(cfg, pc->file);
		real = realpath(file, NULL);
		if (real != NULL && strcmp(real, want) == 0)
			found = pc;
		free(real);
		free(file);
	}
	free(want);
	return found;
}

/* The section whose parameters path gets: "[plugin NAME]" with -n NAME,
 * else the one naming the file. Returns 0 (*out NULL when there is none),
 * or -1 after saying that -n names no section. */
static int
find_section(cli_ctx *ctx, const char *path, const plugin_opts *o,
    const plugin_config **out)
{
	*out = NULL;
	if (o->instance == NULL) {
		*out = configured_as(ctx->cfg, path);
		return 0;
	}
	for (size_t i = 0; i < ctx->cfg->nplugins; i++) {
		if (strcmp(ctx->cfg->plugins[i].name, o->instance) == 0) {
			*out = &ctx->cfg->plugins[i];
			return 0;
		}
	}
	fprintf(stderr, "contractctl: -n %s: %s has no [plugin %s] section\n", o->instance,
	    ctx->config_path ? ctx->config_path : "the configuration (no -c FILE)", o->instance);
	return -1;
}

/* Puts the section's parameters before the -p ones, so that those win. */
static void
merge_section(plugin_opts *o, const plugin_config *pc)
{
	if (pc == NULL || pc->nparams == 0)
		return;
	o->params = xreallocarray(o->params, o->nparams + pc->nparams, sizeof *o->params);
	memmove(o->params + pc->nparams, o->params, o->nparams * sizeof *o->params);
	for (size_t i = 0; i < pc->nparams; i++) {
		o->params[i].key = xstrdup(pc->params[i].key);
		o->params[i].value = xstrdup(pc->params[i].value);
	}
	o->nparams += pc->nparams;
}

/* Loads path as contractd would, with the section's and -p's parameters.
 * Returns the plugin, or NULL after printing why. */
static loaded_plugin *
load_for_cli(cli_ctx *ctx, const char *path, const plugin_config *pc, const plugin_opts *o)
{
	plugin_spec spec = {
		.path = path,
		.name = pc ? pc->name : NULL,
		.params = o->params,
		.nparams = o->nparams,
		.config_dir = ctx->cfg->dir,
	};
	loaded_plugin *p;
	char err[1024];

	p = plugin_load(&spec, err, sizeof err);
	if (p != NULL)
		return p;
	fprintf(stderr, "contractctl: %s\n", err);
	if (pc == NULL && o->nparams == 0)
		fprintf(stderr, "contractctl: note: loaded without parameters, as no [plugin NAME] "
		    "section %s names this file; give them with -p KEY=VALUE or -n NAME\n",
		    ctx->config_path ? "of the configuration" : "(no -c FILE)");
	return NULL;
}

/* ------------------------------------------------------------------------
 * plugin check
 * ------------------------------------------------------------------------ */

/* Prints the descriptor of p. */
static void
print_descriptor(cli_ctx *ctx, const loaded_plugin *p, const plugin_config *pc, size_t nparams)
{
	const cd_plugin_descriptor *d = p->desc;

	printf("file:        %s\n", p->path);
	printf("sha256:      %s\n", p->sha256);
	printf("name:        %s\n", d->name);
	printf("version:     %s\n", d->version);
	printf("kind:        %s\n", plugin_kind_name(d->kind));
	printf("abi:         %u.%u (this contractd speaks %d.%d)\n", d->abi_major, d->abi_minor,
	    CD_PLUGIN_ABI_MAJOR, CD_PLUGIN_ABI_MINOR);
	printf("description: %s\n", d->description ? d->description : "(none)");
	if (pc != NULL)
		printf("config:      [plugin %s] in %s\n", pc->name, ctx->config_path);
	else
		printf("config:      none (no [plugin NAME] section names this file)\n");
	printf("parameters:  %zu\n", nparams);
}

/* plugin check [-n NAME] [-p KEY=VALUE]... PLUGIN.so; argv[0] is "check". */
static int
plugin_check(cli_ctx *ctx, int argc, char **argv)
{
	plugin_opts o = { 0 };
	const plugin_config *pc;
	loaded_plugin *p = NULL;
	const char *path;
	int first, rc;

	first = parse_opts(argc, argv, 1, &o, &rc);
	if (first < 0)
		goto out;
	rc = 1;
	path = argv[first];
	if (find_section(ctx, path, &o, &pc) != 0)
		goto out;
	merge_section(&o, pc);
	p = load_for_cli(ctx, path, pc, &o);
	if (p == NULL)
		goto out;
	print_descriptor(ctx, p, pc, o.nparams);
	printf("ok: contractd would load this plugin\n");
	rc = 0;
out:
	plugin_unload(p);
	opts_free(&o);
	return rc;
}

/* ------------------------------------------------------------------------
 * plugin quote
 * ------------------------------------------------------------------------ */

/* Reads the file path ("-": standard input) whole, up to max bytes.
 * Returns a new buffer the caller frees, or NULL after saying why. */
static char *
read_document(const char *path, size_t max, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL, *result = NULL;
	size_t n = 0;

	if (f == NULL) {
		fprintf(stderr, "contractctl: %s: %s\n", path, strerror(errno));
		goto out;
	}
	buf = xmalloc(max + 1);
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		fprintf(stderr, "contractctl: %s: cannot read: %s\n", path, strerror(errno));
		goto out;
	}
	if (n > max) {
		fprintf(stderr, "contractctl: %s: larger than %zu bytes\n", path, max);
		goto out;
	}
	*len = n;
	result = buf;
	buf = NULL;
out:
	free(buf);
	if (f != NULL && f != stdin)
		fclose(f);
	return result;
}

/* plugin quote [-n NAME] [-p KEY=VALUE]... PLUGIN.so REQUEST.xml; argv[0]
 * is "quote". */
static int
plugin_quote_doc(cli_ctx *ctx, int argc, char **argv)
{
	plugin_opts o = { 0 };
	const plugin_config *pc;
	pricing_input *in = NULL;
	pricing_output answer;
	loaded_plugin *p = NULL;
	const char *path, *request;
	char *text = NULL, *result = NULL, err[4096];
	size_t len = 0;
	int first, rc;

	first = parse_opts(argc, argv, 2, &o, &rc);
	if (first < 0)
		goto out;
	rc = 1;
	path = argv[first];
	request = argv[first + 1];
	if (find_section(ctx, path, &o, &pc) != 0)
		goto out;
	merge_section(&o, pc);

	/* The request first: a mistake in it needs no plugin to be found. */
	text = read_document(request, PRICING_DOC_MAX_BYTES, &len);
	if (text == NULL)
		goto out;
	in = pricing_input_read(text, len, err, sizeof err);
	if (in == NULL) {
		fprintf(stderr, "contractctl: %s is not a valid PricingRequest:\n", request);
		for (char *line = strtok(err, "\n"); line != NULL; line = strtok(NULL, "\n"))
			fprintf(stderr, "  %s\n", line);
		goto out;
	}

	p = load_for_cli(ctx, path, pc, &o);
	if (p == NULL)
		goto out;
	if (p->desc->kind != CD_PLUGIN_PRICING) {
		fprintf(stderr, "contractctl: %s is a %s plugin: only pricing plugins quote\n",
		    p->desc->name, plugin_kind_name(p->desc->kind));
		goto out;
	}
	pricing_run(p, in, &answer);
	result = pricing_output_write(&answer, &len);
	fwrite(result, 1, len, stdout);
	if (answer.status != CD_OK) {
		fprintf(stderr, "contractctl: %s refused the request (%s): %s\n", p->desc->name,
		    plugin_status_name(answer.status), answer.message);
		goto out;
	}
	if (pricing_output_check(&answer, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s answered, but the server would refuse the answer: "
		    "%s\n", p->desc->name, err);
		goto out;
	}
	rc = 0;
out:
	plugin_unload(p);
	pricing_input_free(in);
	free(result);
	free(text);
	opts_free(&o);
	return rc;
}

/* ------------------------------------------------------------------------
 * plugin price
 * ------------------------------------------------------------------------ */

/* Says why p cannot price in (a BillingRequest or a PartsRequest); returns
 * 0 when it can. */
static int
wrong_kind(const loaded_plugin *p, const lines_input *in, const char *request)
{
	cd_plugin_kind want = lines_input_kind(in);

	if (p->desc->kind == want)
		return 0;
	if (p->desc->kind == CD_PLUGIN_PRICING)
		fprintf(stderr, "contractctl: %s is a pricing plugin: plugin price takes a billing or "
		    "a parts plugin (a pricing plugin quotes a PricingRequest: plugin quote)\n",
		    p->desc->name);
	else
		fprintf(stderr, "contractctl: %s is a %s, which a %s plugin prices, but %s is a %s "
		    "plugin\n", request, lines_input_document(in), plugin_kind_name(want),
		    p->desc->name, plugin_kind_name(p->desc->kind));
	return -1;
}

/* plugin price [-n NAME] [-p KEY=VALUE]... PLUGIN.so REQUEST.xml; argv[0]
 * is "price". */
static int
plugin_price_doc(cli_ctx *ctx, int argc, char **argv)
{
	plugin_opts o = { 0 };
	const plugin_config *pc;
	lines_input *in = NULL;
	lines_output answer = { 0 };
	loaded_plugin *p = NULL;
	const char *path, *request;
	char *text = NULL, *result = NULL, err[4096];
	size_t len = 0;
	int first, rc;

	first = parse_opts(argc, argv, 2, &o, &rc);
	if (first < 0)
		goto out;
	rc = 1;
	path = argv[first];
	request = argv[first + 1];
	if (find_section(ctx, path, &o, &pc) != 0)
		goto out;
	merge_section(&o, pc);

	/* The request first: a mistake in it needs no plugin to be found. */
	text = read_document(request, LINES_DOC_MAX_BYTES, &len);
	if (text == NULL)
		goto out;
	in = lines_input_read(text, len, err, sizeof err);
	if (in == NULL) {
		fprintf(stderr, "contractctl: %s is not a valid BillingRequest or PartsRequest:\n",
		    request);
		for (char *line = strtok(err, "\n"); line != NULL; line = strtok(NULL, "\n"))
			fprintf(stderr, "  %s\n", line);
		goto out;
	}

	p = load_for_cli(ctx, path, pc, &o);
	if (p == NULL || wrong_kind(p, in, request) != 0)
		goto out;
	lines_run(p, in, &answer);
	result = lines_output_write(&answer, &len);
	fwrite(result, 1, len, stdout);
	if (answer.status != CD_OK) {
		fprintf(stderr, "contractctl: %s refused the request (%s): %s\n", p->desc->name,
		    plugin_status_name(answer.status), answer.message);
		goto out;
	}
	if (lines_output_check(&answer, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s answered, but the server would refuse the answer: "
		    "%s\n", p->desc->name, err);
		goto out;
	}
	rc = 0;
out:
	lines_output_clear(&answer);
	plugin_unload(p);
	lines_input_free(in);
	free(result);
	free(text);
	opts_free(&o);
	return rc;
}

int
cmd_plugin(cli_ctx *ctx, int argc, char **argv)
{
	cli_command_fn fn = NULL;
	char err[512];
	int rc;

	if (argc >= 1 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
		plugin_usage(stdout);
		return 0;
	}
	if (argc >= 1 && strcmp(argv[0], "check") == 0)
		fn = plugin_check;
	else if (argc >= 1 && strcmp(argv[0], "quote") == 0)
		fn = plugin_quote_doc;
	else if (argc >= 1 && strcmp(argv[0], "price") == 0)
		fn = plugin_price_doc;
	if (fn == NULL) {
		if (argc >= 1)
			fprintf(stderr, "contractctl: unknown plugin command '%s'\n", argv[0]);
		plugin_usage(stderr);
		return 2;
	}
	/* Rate tables and the pricing, billing and parts documents are
	 * validated against the schemas, as the server validates them. */
	if (pricing_doc_init(err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: cannot load the XML schemas: %s\n", err);
		pricing_doc_cleanup();
		return 1;
	}
	rc = fn(ctx, argc, argv);
	pricing_doc_cleanup();
	return rc;
}
