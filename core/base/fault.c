/* fault — injected failures (see fault.h). */
#include "base/fault.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_POINTS_MAX 8

static struct {
	char name[48];
	long every;
	atomic_long passes;
} points[FAULT_POINTS_MAX];
static int npoints;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Parses "a=5,b=7". Malformed entries are ignored. */
static void
load(void)
{
	const char *env = getenv("CONTRACTD_FAULTS");
	char copy[512], *save = NULL;

	if (env == NULL || strlen(env) >= sizeof copy)
		return;
	memcpy(copy, env, strlen(env) + 1);
	for (char *tok = strtok_r(copy, ",", &save); tok && npoints < FAULT_POINTS_MAX;
	    tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		long every;
		if (eq == NULL || (size_t)(eq - tok) >= sizeof points[0].name)
			continue;
		every = strtol(eq + 1, NULL, 10);
		if (every < 1)
			continue;
		memcpy(points[npoints].name, tok, (size_t)(eq - tok));
		points[npoints].every = every;
		npoints++;
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
