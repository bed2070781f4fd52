/* plugin host — loading, checking and calling one plugin. See host.h. */
#include "plugin/host.h"
#include "base/xalloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The least a plugin of ABI major 1 can hand the host: the 1.0 layouts. A
 * later minor only ever appends, so these never change within major 1. */
#define SIZE_UP_TO(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
#define DESCRIPTOR_SIZE_1_0 SIZE_UP_TO(cd_plugin_descriptor, ops)
#define PRICING_OPS_SIZE_1_0 SIZE_UP_TO(cd_pricing_ops, quote)
#define BILLING_OPS_SIZE_1_0 SIZE_UP_TO(cd_billing_ops, price_labor)
#define PARTS_OPS_SIZE_1_0 SIZE_UP_TO(cd_parts_ops, price_parts)

/* Room for a plugin's error message. */
#define PLUGIN_MSG_MAX 512
/* The lines offered to a billing or parts plugin on the first attempt. */
#define LINES_FIRST_TRY 32

const char *
plugin_kind_name(cd_plugin_kind kind)
{
	switch (kind) {
	case CD_PLUGIN_PRICING:
		return "pricing";
	case CD_PLUGIN_BILLING:
		return "billing";
	case CD_PLUGIN_PARTS:
		return "parts";
	}
	return "unknown";
}

const char *
plugin_status_name(cd_status status)
{
	switch (status) {
	case CD_OK:
		return "CD_OK";
	case CD_ERR_INVALID:
		return "CD_ERR_INVALID";
	case CD_ERR_NOT_FOUND:
		return "CD_ERR_NOT_FOUND";
	case CD_ERR_UNSUPPORTED:
		return "CD_ERR_UNSUPPORTED";
	case CD_ERR_CONFIG:
		return "CD_ERR_CONFIG";
	case CD_ERR_OVERFLOW:
		return "CD_ERR_OVERFLOW";
	case CD_ERR_INTERNAL:
		return "CD_ERR_INTERNAL";
	}
	return "unknown status";
}

static bool
status_known(cd_status status)
{
	return (int)status >= (int)CD_OK && (int)status <= (int)CD_ERR_INTERNAL;
}

static bool
kind_known(cd_plugin_kind kind)
{
	return (int)kind >= (int)CD_PLUGIN_PRICING && (int)kind <= (int)CD_PLUGIN_PARTS;
}

/* ------------------------------------------------------------------------
 * Reading and copying the file
 * ------------------------------------------------------------------------ */

/* Reads the regular file path (at most PLUGIN_FILE_MAX bytes) into a new
 * buffer the caller frees. Returns 0, or -1 with the reason in why. */
static int
read_file(const char *path, unsigned char **data, size_t *len, char *why, size_t whylen)
{
	unsigned char *p = NULL;
	struct stat st;
	size_t got = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto out;
	}
	if ((uintmax_t)st.st_size > PLUGIN_FILE_MAX) {
		snprintf(why, whylen, "larger than %u MiB: not a plugin", PLUGIN_FILE_MAX >> 20);
		goto out;
	}
	p = xmalloc((size_t)st.st_size);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "cannot read: %s",
			    n < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		got += (size_t)n;
	}
	*data = p;
	*len = got;
	p = NULL;
	rc = 0;
out:
	free(p);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Writes data into a new file of its own in dir (made 0700 if missing),
 * named after the plugin's file and hash so /proc/PID/maps tells which
 * build it is. Returns the new file's path for the caller to unlink and
 * free, or NULL with the reason in why. */
static char *
write_copy(const char *dir, const char *path, const char *sha, const unsigned char *data,
    size_t len, char *why, size_t whylen)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *tmpl = NULL, *result = NULL;
	size_t done = 0;
	int fd = -1;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create plugin cache directory %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	/* The hash keeps the name distinct from every other build; the
	 * random part from other loads of this build. */
	tmpl = xasprintf("%s/%.40s-%.16s-XXXXXX.so", dir, base, sha);
	fd = mkstemps(tmpl, 3);
	if (fd < 0) {
		snprintf(why, whylen, "cannot create a copy in plugin cache directory %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "cannot write a copy in plugin cache directory %s: %s",
			    dir, strerror(errno));
			unlink(tmpl);
			goto out;
		}
		done += (size_t)n;
	}
	result = tmpl;
	tmpl = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(tmpl);
	return result;
}

/* ------------------------------------------------------------------------
 * Checking the descriptor
 * ------------------------------------------------------------------------ */

/* True when s is 1..CD_PLUGIN_NAME_MAX characters, each allowed by extra or a
 * letter or digit. */
static bool
token_ok(const char *s, const char *extra)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];
		if (n >= CD_PLUGIN_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr(extra, c) != NULL)))
			return false;
	}
	return n > 0;
}

/* Checks the operations table of d's kind: present, at least as large as
 * ABI 1.0's, with the kind's required operation. Returns 0, or -1 with the
 * reason in why. */
static int
check_ops(const cd_plugin_descriptor *d, char *why, size_t whylen)
{
	const char *kind = plugin_kind_name(d->kind), *op = NULL;
	const void *table = NULL;
	uint32_t size = 0;
	size_t need = 0;
	bool has_op = false;

	switch (d->kind) {
	case CD_PLUGIN_PRICING:
		table = d->ops.pricing;
		op = "quote";
		need = PRICING_OPS_SIZE_1_0;
		if (table != NULL && (size = d->ops.pricing->struct_size) >= need)
			has_op = d->ops.pricing->quote != NULL;
		break;
	case CD_PLUGIN_BILLING:
		table = d->ops.billing;
		op = "price_labor";
		need = BILLING_OPS_SIZE_1_0;
		if (table != NULL && (size = d->ops.billing->struct_size) >= need)
			has_op = d->ops.billing->price_labor != NULL;
		break;
	case CD_PLUGIN_PARTS:
		table = d->ops.parts;
		op = "price_parts";
		need = PARTS_OPS_SIZE_1_0;
		if (table != NULL && (size = d->ops.parts->struct_size) >= need)
			has_op = d->ops.parts->price_parts != NULL;
		break;
	}
	if (table == NULL) {
		snprintf(why, whylen, "%s plugin has no operations table (ops.%s is NULL)", kind,
		    kind);
		return -1;
	}
	if (size < need) {
		snprintf(why, whylen,
		    "%s operations table is %u bytes, smaller than ABI 1.0's %zu: start it with "
		    "CD_OPS_HEADER(cd_%s_ops)", kind, size, need, kind);
		return -1;
	}
	if (!has_op) {
		snprintf(why, whylen, "%s plugin does not implement %s, which every %s plugin must",
		    kind, op, kind);
		return -1;
	}
	return 0;
}

/* Checks d in the order that keeps every read safe: the protecting fields
 * first, then what they vouch for. Returns 0, or -1 with the reason in why. */
static int
check_descriptor(const cd_plugin_descriptor *d, char *why, size_t whylen)
{
	if (d->magic != CD_PLUGIN_MAGIC) {
		snprintf(why, whylen,
		    "bad magic 0x%08x in its descriptor (expected 0x%08x): not a contractd plugin "
		    "descriptor, or a damaged one", d->magic, CD_PLUGIN_MAGIC);
		return -1;
	}
	if (d->abi_major != CD_PLUGIN_ABI_MAJOR) {
		snprintf(why, whylen,
		    "built for ABI %u.%u, this contractd speaks %d.x: rebuild against this "
		    "contractd's SDK", d->abi_major, d->abi_minor, CD_PLUGIN_ABI_MAJOR);
		return -1;
	}
	if (d->abi_minor > CD_PLUGIN_ABI_MINOR) {
		snprintf(why, whylen,
		    "built for ABI %u.%u, newer than this contractd's %d.%d: upgrade contractd, or "
		    "rebuild the plugin against this contractd's SDK", d->abi_major, d->abi_minor,
		    CD_PLUGIN_ABI_MAJOR, CD_PLUGIN_ABI_MINOR);
		return -1;
	}
	if (d->struct_size < DESCRIPTOR_SIZE_1_0) {
		snprintf(why, whylen,
		    "descriptor is %u bytes, smaller than ABI 1.0's %zu: start it with "
		    "CD_PLUGIN_DESCRIPTOR_HEADER", d->struct_size, DESCRIPTOR_SIZE_1_0);
		return -1;
	}
	if (!kind_known(d->kind)) {
		snprintf(why, whylen,
		    "unknown plugin kind %d (this contractd knows pricing %d, billing %d, parts %d)",
		    (int)d->kind, CD_PLUGIN_PRICING, CD_PLUGIN_BILLING, CD_PLUGIN_PARTS);
		return -1;
	}
	if (d->name == NULL || d->name[0] == '\0') {
		snprintf(why, whylen, "descriptor has no name");
		return -1;
	}
	if (!token_ok(d->name, "._-")) {
		snprintf(why, whylen,
		    "descriptor name '%.80s' is not valid: use 1 to %d letters, digits, '.', '_' "
		    "or '-'", d->name, CD_PLUGIN_NAME_MAX);
		return -1;
	}
	if (d->version == NULL || d->version[0] == '\0') {
		snprintf(why, whylen, "descriptor of '%s' has no version", d->name);
		return -1;
	}
	if (!token_ok(d->version, "._-+~")) {
		snprintf(why, whylen,
		    "version '%.80s' of '%s' is not valid: use 1 to %d letters, digits, '.', '_', "
		    "'-', '+' or '~'", d->version, d->name, CD_PLUGIN_NAME_MAX);
		return -1;
	}
	return check_ops(d, why, whylen);
}

/* ------------------------------------------------------------------------
 * Loading and unloading
 * ------------------------------------------------------------------------ */

static void
ctx_fill(cd_plugin_ctx *ctx, const plugin_spec *spec, const char *name)
{
	ctx->name = xstrdup(name);
	ctx->nparams = spec->nparams;
	ctx->params = xcalloc(spec->nparams, sizeof *ctx->params);
	for (size_t i = 0; i < spec->nparams; i++) {
		ctx->params[i].key = xstrdup(spec->params[i].key);
		ctx->params[i].value = xstrdup(spec->params[i].value);
	}
	ctx->config_dir = spec->config_dir ? xstrdup(spec->config_dir) : NULL;
}

static void
ctx_free(cd_plugin_ctx *ctx)
{
	free(ctx->name);
	for (size_t i = 0; i < ctx->nparams; i++) {
		free((char *)ctx->params[i].key);
		free((char *)ctx->params[i].value);
	}
	free(ctx->params);
	free(ctx->config_dir);
}

/* Loads, checks and initialises one plugin: see host.h. */
loaded_plugin *
plugin_load(const plugin_spec *spec, char *err, size_t errlen)
{
	const char *file = spec->path;
	const cd_plugin_descriptor *d;
	cd_plugin_entry_fn entry;
	loaded_plugin *p = xcalloc(1, sizeof *p), *result = NULL;
	unsigned char *data = NULL;
	char *copy = NULL, why[768], msg[PLUGIN_MSG_MAX];
	cd_error e = { msg, sizeof msg };
	size_t len = 0;
	bool ctx_made = false;
	cd_status st;

	p->path = realpath(file, NULL);
	if (p->path == NULL) {
		snprintf(why, sizeof why, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (read_file(p->path, &data, &len, why, sizeof why) != 0)
		goto out;
	sha256_hex(data, len, p->sha256);
	if (spec->cache_dir != NULL) {
		copy = write_copy(spec->cache_dir, p->path, p->sha256, data, len, why, sizeof why);
		if (copy == NULL)
			goto out;
	}

	/* RTLD_NOW: an unresolved symbol is a refusal now, not a crash in the
	 * middle of a request. RTLD_LOCAL: plugins do not see each other. */
	dlerror();
	p->handle = dlopen(copy ? copy : p->path, RTLD_NOW | RTLD_LOCAL);
	if (copy != NULL)
		unlink(copy);
	if (p->handle == NULL) {
		const char *dl = dlerror();
		snprintf(why, sizeof why, "cannot load: %s", dl ? dl : "unknown dlopen error");
		goto out;
	}
	entry = (cd_plugin_entry_fn)dlsym(p->handle, CD_PLUGIN_ENTRY_NAME);
	if (entry == NULL) {
		snprintf(why, sizeof why,
		    "does not export %s(): not a contractd plugin, or its entry function lacks "
		    "CD_PLUGIN_EXPORT", CD_PLUGIN_ENTRY_NAME);
		goto out;
	}
	/* The first and only code of the plugin to run before the checks. */
	d = entry();
	if (d == NULL) {
		snprintf(why, sizeof why, "%s() returned NULL instead of a descriptor",
		    CD_PLUGIN_ENTRY_NAME);
		goto out;
	}
	if (check_descriptor(d, why, sizeof why) != 0)
		goto out;
	p->desc = d;

	ctx_fill(&p->ctx, spec, spec->name ? spec->name : d->name);
	ctx_made = true;
	if (d->init != NULL) {
		msg[0] = '\0';
		st = d->init(plugin_host_services(), &p->ctx, &p->state, &e);
		msg[sizeof msg - 1] = '\0';
		if (st != CD_OK) {
			snprintf(why, sizeof why, "init of %s %s failed (%s): %s", d->name, d->version,
			    plugin_status_name(st), msg[0] ? msg : "the plugin gave no message");
			goto out;
		}
	}
	result = p;
	p = NULL;
out:
	if (p != NULL) {
		/* Refused: nothing of it stays, and fini is not called. */
		snprintf(err, errlen, "plugin %s: %s", file, why);
		if (ctx_made)
			ctx_free(&p->ctx);
		if (p->handle != NULL)
			dlclose(p->handle);
		free(p->path);
		free(p);
	}
	free(data);
	free(copy);
	return result;
}

void
plugin_unload(loaded_plugin *p)
{
	if (p == NULL)
		return;
	if (p->desc->fini != NULL)
		p->desc->fini(p->state);
	dlclose(p->handle);
	ctx_free(&p->ctx);
	free(p->path);
	free(p);
}

/* ------------------------------------------------------------------------
 * Calling operations
 * ------------------------------------------------------------------------ */

/* Turns what an operation returned into the host's answer: a known status,
 * and for an error a message in err. */
static cd_status
call_result(const loaded_plugin *p, const char *op, cd_status st, char *msg, char *err,
    size_t errlen)
{
	msg[PLUGIN_MSG_MAX - 1] = '\0';
	if (st == CD_OK)
		return CD_OK;
	if (!status_known(st)) {
		snprintf(err, errlen, "plugin %s: %s returned unknown status %d%s%s", p->ctx.name, op,
		    (int)st, msg[0] ? ": " : "", msg);
		return CD_ERR_INTERNAL;
	}
	if (msg[0] == '\0')
		snprintf(err, errlen, "plugin %s: %s failed (%s) without a message", p->ctx.name, op,
		    plugin_status_name(st));
	else
		snprintf(err, errlen, "%s", msg);
	return st;
}

static cd_status
wrong_kind(const loaded_plugin *p, cd_plugin_kind want, char *err, size_t errlen)
{
	snprintf(err, errlen, "plugin %s is a %s plugin, not a %s plugin", p->ctx.name,
	    plugin_kind_name(p->desc->kind), plugin_kind_name(want));
	return CD_ERR_UNSUPPORTED;
}

/* Prices req: see host.h. */
cd_status
plugin_quote(const loaded_plugin *p, const cd_pricing_request *req, cd_pricing_result *out,
    char *err, size_t errlen)
{
	char msg[PLUGIN_MSG_MAX] = "";
	cd_error e = { msg, sizeof msg };
	cd_pricing_request in = *req;
	cd_status st;

	if (p->desc->kind != CD_PLUGIN_PRICING)
		return wrong_kind(p, CD_PLUGIN_PRICING, err, errlen);
	in.struct_size = sizeof in;
	memset(out, 0, sizeof *out);
	out->struct_size = sizeof *out;
	st = p->desc->ops.pricing->quote(p->state, &in, out, &e);
	out->struct_size = sizeof *out;
	out->explanation[sizeof out->explanation - 1] = '\0';
	return call_result(p, "quote", st, msg, err, errlen);
}

static void
lines_terminate(cd_line *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		items[i].struct_size = sizeof items[i];
		items[i].code[sizeof items[i].code - 1] = '\0';
		items[i].description[sizeof items[i].description - 1] = '\0';
		items[i].reference[sizeof items[i].reference - 1] = '\0';
	}
}

/* The shared body of plugin_price_labor and plugin_price_parts: offers the
 * plugin LINES_FIRST_TRY lines, then once what it asked for. */
static cd_status
call_lines(const loaded_plugin *p, const cd_billing_request *breq,
    const cd_parts_request *preq, cd_line **lines, size_t *nlines, char *err, size_t errlen)
{
	const char *op = breq ? "price_labor" : "price_parts";
	char msg[PLUGIN_MSG_MAX];
	cd_error e = { msg, sizeof msg };
	cd_lines out = { NULL, LINES_FIRST_TRY, 0 };
	cd_status st = CD_ERR_INTERNAL;

	*lines = NULL;
	*nlines = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		out.items = xcalloc(out.capacity, sizeof *out.items);
		lines_terminate(out.items, out.capacity);
		out.count = 0;
		msg[0] = '\0';
		if (breq != NULL)
			st = p->desc->ops.billing->price_labor(p->state, breq, &out, &e);
		else
			st = p->desc->ops.parts->price_parts(p->state, preq, &out, &e);
		if (st != CD_ERR_OVERFLOW || out.count <= out.capacity || attempt > 0)
			break;
		if (out.count > PLUGIN_LINES_MAX) {
			snprintf(err, errlen, "plugin %s: %s wants %zu lines, more than the %d allowed",
			    p->ctx.name, op, out.count, PLUGIN_LINES_MAX);
			st = CD_ERR_OVERFLOW;
			goto out;
		}
		free(out.items);
		out.items = NULL;
		out.capacity = out.count;
	}
	if (st == CD_ERR_OVERFLOW && out.count > out.capacity) {
		snprintf(err, errlen, "plugin %s: %s asked for more room again (%zu lines) after a "
		    "retry with the %zu it asked for first", p->ctx.name, op, out.count,
		    out.capacity);
		goto out;
	}
	st = call_result(p, op, st, msg, err, errlen);
	if (st != CD_OK)
		goto out;
	if (out.count > out.capacity) {
		snprintf(err, errlen, "plugin %s: %s reported %zu lines in room for %zu", p->ctx.name,
		    op, out.count, out.capacity);
		st = CD_ERR_INTERNAL;
		goto out;
	}
	lines_terminate(out.items, out.count);
	if (out.count > 0) {
		*lines = out.items;
		*nlines = out.count;
		out.items = NULL;
	}
out:
	free(out.items);
	return st;
}

cd_status
plugin_price_labor(const loaded_plugin *p, const cd_billing_request *req, cd_line **lines,
    size_t *nlines, char *err, size_t errlen)
{
	cd_billing_request in = *req;

	*lines = NULL;
	*nlines = 0;
	if (p->desc->kind != CD_PLUGIN_BILLING)
		return wrong_kind(p, CD_PLUGIN_BILLING, err, errlen);
	in.struct_size = sizeof in;
	return call_lines(p, &in, NULL, lines, nlines, err, errlen);
}

cd_status
plugin_price_parts(const loaded_plugin *p, const cd_parts_request *req, cd_line **lines,
    size_t *nlines, char *err, size_t errlen)
{
	cd_parts_request in = *req;

	*lines = NULL;
	*nlines = 0;
	if (p->desc->kind != CD_PLUGIN_PARTS)
		return wrong_kind(p, CD_PLUGIN_PARTS, err, errlen);
	in.struct_size = sizeof in;
	return call_lines(p, NULL, &in, lines, nlines, err, errlen);
}
