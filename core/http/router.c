#include "http/router.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Matches one pattern against path segment by segment; on success fills
 * params with newly allocated captures. */
static int
pattern_match(const char *pattern, const char *path, char **params)
{
	int nparam = 0;
	const char *p = pattern, *s = path;

	while (*p && *s) {
		if (*p != '/' || *s != '/')
			return 0;
		p++;
		s++;
		const char *pend = strchrnul(p, '/'), *send = strchrnul(s, '/');
		if (*p == '{') {
			if (send == s || nparam >= HTTP_MAX_PATH_PARAMS)
				return 0;
			params[nparam++] = xstrndup(s, (size_t)(send - s));
		} else if ((size_t)(pend - p) != (size_t)(send - s) ||
		    strncmp(p, s, (size_t)(pend - p)) != 0) {
			goto no;
		}
		p = pend;
		s = send;
	}
	if (*p == '\0' && *s == '\0')
		return 1;
no:
	for (int i = 0; i < nparam; i++) {
		free(params[i]);
		params[i] = NULL;
	}
	return 0;
}

route_match
router_match(http_method method, const char *path, http_req *req, int *index)
{
	bool path_known = false;
	char *params[HTTP_MAX_PATH_PARAMS] = { 0 };

	for (int i = 0; i < nroutes; i++) {
		if (!pattern_match(routes[i].pattern, path, params))
			continue;
		if (routes[i].method == method ||
		    (method == HTTP_HEAD && routes[i].method == HTTP_GET)) {
			memcpy(req->params, params, sizeof params);
			*index = i;
			return ROUTE_FOUND;
		}
		path_known = true;
		for (int j = 0; j < HTTP_MAX_PATH_PARAMS; j++) {
			free(params[j]);
			params[j] = NULL;
		}
	}
	return path_known ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}

char *
router_allowed(const char *path)
{
	static const struct { http_method m; const char *name; } names[] = {
		{ HTTP_GET, "GET" }, { HTTP_HEAD, "HEAD" }, { HTTP_POST, "POST" },
		{ HTTP_PUT, "PUT" }, { HTTP_PATCH, "PATCH" }, { HTTP_DELETE, "DELETE" },
	};
	char *params[HTTP_MAX_PATH_PARAMS] = { 0 };
	unsigned methods = 0;

	for (int i = 0; i < nroutes; i++) {
		if (!pattern_match(routes[i].pattern, path, params))
			continue;
		methods |= routes[i].method | (routes[i].method == HTTP_GET ? HTTP_HEAD : 0);
		for (int j = 0; j < HTTP_MAX_PATH_PARAMS; j++) {
			free(params[j]);
			params[j] = NULL;
		}
	}
	if (methods == 0)
		return NULL;
	buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (methods & names[i].m)
			buf_printf(&b, "%s%s", b.len ? ", " : "", names[i].name);
	return buf_detach(&b, NULL);
}
