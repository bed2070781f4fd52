/* fault — injected failures (see fault.h). */
#include "base/fault.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAULT_POINTS_MAX 8

typedef struct fault_point {
	char name[48];
	long every;               /* faults: every Nth pass fails; pauses: ms */
	atomic_long passes;
} fault_point;

static fault_point points[FAULT_POINTS_MAX], pauses[FAULT_POINTS_MAX];
static int npoints, npauses;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Parses "a=5,b=7" from env into list. Malformed entries are ignored. */
static void
parse(const char *env, fault_point *list, int *n)
{
	char copy[512], *save = NULL;

	if (env == NULL || strlen(env) >= sizeof copy)
		return;
	memcpy(copy, env, strlen(env) + 1);
	for (char *tok = strtok_r(copy, ",", &save); tok && *n < FAULT_POINTS_MAX;
	    tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		long every;
		if (eq == NULL || (size_t)(eq - tok) >= sizeof list[0].name)
			continue;
		every = strtol(eq + 1, NULL, 10);
		if (every < 1)
			continue;
		memcpy(list[*n].name, tok, (size_t)(eq - tok));
		list[*n].every = every;
		++*n;
	}
}

static void
load(void)
{
	parse(getenv("CONTRACTD_FAULTS"), points, &npoints);
	parse(getenv("CONTRACTD_PAUSES"), pauses, &npauses);
}

void
fault_pause(const char *point_name)
{
	pthread_once(&once, load);
	for (int i = 0; i < npauses; i++)
		if (strcmp(pauses[i].name, point_name) == 0) {
			struct timespec ts = { pauses[i].every / 1000,
				(pauses[i].every % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
}

bool
fault_hit(const char *point)
{
	pthread_once(&once, load);
	for (int i = 0; i < npoints; i++)
		if (strcmp(points[i].name, point) == 0)
			return (atomic_fetch_add(&points[i].passes, 1) + 1) % points[i].every == 0;
	return false;
}
