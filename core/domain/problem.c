/* problem — collecting the problems found in a document. */
#include "domain/problem.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
problems_init(problem_list *pl, const char *base)
{
	memset(pl, 0, sizeof *pl);
	snprintf(pl->base, sizeof pl->base, "%s", base ? base : "");
}

void
problems_clear(problem_list *pl)
{
	pl->n = 0;
	pl->dropped = 0;
}

void
problems_free(problem_list *pl)
{
	free(pl->items);
	pl->items = NULL;
	pl->n = pl->cap = pl->dropped = 0;
}

void
problems_add(problem_list *pl, const char *code, const char *rel, const char *fmt, ...)
{
	problem *p;
	va_list ap;

	if (pl->n >= PROBLEMS_MAX - 1) {
		pl->dropped++;
		return;
	}
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 8;
		pl->items = xreallocarray(pl->items, pl->cap, sizeof *pl->items);
	}
	p = &pl->items[pl->n++];
	snprintf(p->code, sizeof p->code, "%s", code);
	if (rel != NULL && rel[0] == '/')
		snprintf(p->path, sizeof p->path, "%s", rel);
	else if (rel != NULL && rel[0] != '\0')
		snprintf(p->path, sizeof p->path, "%s/%s", pl->base, rel);
	else
		snprintf(p->path, sizeof p->path, "%s", pl->base[0] ? pl->base : "/");
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof p->message, fmt, ap);
	va_end(ap);
}

size_t
problems_count(const problem_list *pl)
{
	return pl->n + pl->dropped;
}
