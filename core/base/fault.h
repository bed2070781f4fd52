/* fault — failures injected on purpose, for tests that must prove a
 * rollback leaves nothing behind (gap-free invoice numbers, say).
 *
 * The environment variable CONTRACTD_FAULTS names fault points and how
 * often each fails: "invoice-issue=5" makes every 5th pass through the
 * point "invoice-issue" fail. It is read once, at the first check. Unset
 * (production), every check is one branch and never fails. There is no
 * configuration key on purpose: nobody turns this on by accident. */
#ifndef CD_BASE_FAULT_H
#define CD_BASE_FAULT_H

#include <stdbool.h>

/* True when this pass through the point should fail. Thread-safe. */
bool fault_hit(const char *point);

/* Sleeps at the point for the milliseconds CONTRACTD_PAUSES gives it
 * ("billing-run-item=50"): tests that must interrupt long work at several
 * points use it to make that work slow enough to be caught. */
void fault_pause(const char *point);

#endif
