/* contractctl plugin — work with plugins without a running server.
 *
 *   contractctl [-c FILE] plugin check [-p KEY=VALUE]... PLUGIN.so
 *
 * loads a plugin exactly as contractd would (every check, then init with
 * the parameters of the "[plugin NAME]" section that names this file, if
 * the configuration has one, and those given with -p, which win) and
 * prints its descriptor; exit status 0. A plugin contractd would refuse is
 * refused here with the same message, and the exit status is 1. */
#include "cli/cli.h"
#include "plugin/host.h"
#include "plugin/registry.h"
#include "base/xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
plugin_usage(FILE *f)
{
	fprintf(f, "usage: contractctl [-c FILE] plugin check [-p KEY=VALUE]... PLUGIN.so\n");
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

/* Loads path with params, prints its descriptor and unloads it. Returns
 * the exit status: 0 if contractd would load it, 1 if it would refuse it. */
static int
check_file(cli_ctx *ctx, const char *path, const plugin_config *pc, const config_kv *params,
    size_t nparams)
{
	plugin_spec spec = {
		.path = path,
		.name = pc ? pc->name : NULL,
		.params = params,
		.nparams = nparams,
		.config_dir = ctx->cfg->dir,
	};
	const cd_plugin_descriptor *d;
	loaded_plugin *p;
	char err[1024];

	p = plugin_load(&spec, err, sizeof err);
	if (p == NULL) {
		fprintf(stderr, "contractctl: %s\n", err);
		if (pc == NULL && nparams == 0)
			fprintf(stderr, "contractctl: note: checked without parameters, as no "
			    "[plugin NAME] section %s names this file; give them with -p KEY=VALUE\n",
			    ctx->config_path ? "of the configuration" : "(no -c FILE)");
		return 1;
	}
	d = p->desc;
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
	printf("ok: contractd would load this plugin\n");
	plugin_unload(p);
	return 0;
}

/* plugin check [-p KEY=VALUE]... PLUGIN.so; argv[0] is "check". */
static int
plugin_check(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "param", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const plugin_config *pc;
	config_kv *params = NULL;
	size_t nparams = 0;
	int c, rc = 2;

	optind = 0; /* glibc: start afresh on this subcommand's words */
	while ((c = getopt_long(argc, argv, "+p:h", longopts, NULL)) != -1) {
		char *eq;

		switch (c) {
		case 'p':
			eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg) {
				fprintf(stderr, "contractctl: -p wants KEY=VALUE, not '%s'\n", optarg);
				goto out;
			}
			params = xreallocarray(params, nparams + 1, sizeof *params);
			params[nparams].key = xstrndup(optarg, (size_t)(eq - optarg));
			params[nparams].value = xstrdup(eq + 1);
			nparams++;
			break;
		case 'h':
			plugin_usage(stdout);
			rc = 0;
			goto out;
		default:
			plugin_usage(stderr);
			goto out;
		}
	}
	if (optind != argc - 1) {
		plugin_usage(stderr);
		goto out;
	}
	/* The section's parameters first, so that -p ones (later) win. */
	pc = configured_as(ctx->cfg, argv[optind]);
	if (pc != NULL && pc->nparams > 0) {
		params = xreallocarray(params, nparams + pc->nparams, sizeof *params);
		memmove(params + pc->nparams, params, nparams * sizeof *params);
		for (size_t i = 0; i < pc->nparams; i++) {
			params[i].key = xstrdup(pc->params[i].key);
			params[i].value = xstrdup(pc->params[i].value);
		}
		nparams += pc->nparams;
	}
	rc = check_file(ctx, argv[optind], pc, params, nparams);
out:
	for (size_t i = 0; i < nparams; i++) {
		free(params[i].key);
		free(params[i].value);
	}
	free(params);
	return rc;
}

int
cmd_plugin(cli_ctx *ctx, int argc, char **argv)
{
	if (argc >= 1 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
		plugin_usage(stdout);
		return 0;
	}
	if (argc >= 1 && strcmp(argv[0], "check") == 0)
		return plugin_check(ctx, argc, argv);
	if (argc >= 1)
		fprintf(stderr, "contractctl: unknown plugin command '%s'\n", argv[0]);
	plugin_usage(stderr);
	return 2;
}
