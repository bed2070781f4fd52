/* problem — what is wrong with a document, said so a dealer can fix it.
 *
 * Business validation reports every problem it finds, not just the first:
 * each with a stable code ("quote-expired"), a message for people, and the
 * path of the offending element in the document
 * ("/ContractRegistration/QuoteReference/Signature"). A problem_list knows
 * the path of the document's root (its base), so the code that finds a
 * problem names only the element below it ("QuoteReference/Signature"). */
#ifndef CD_DOMAIN_PROBLEM_H
#define CD_DOMAIN_PROBLEM_H

#include <stddef.h>

/* At most this many problems are kept; the last one then says how many
 * more there were ("too-many-problems"), as the Acknowledgement allows 200. */
#define PROBLEMS_MAX 200

typedef struct problem {
	char code[48];
	char message[512];
	char path[512];
} problem;

typedef struct problem_list {
	problem *items;     /* owned */
	size_t n;
	size_t cap;
	size_t dropped;     /* found beyond PROBLEMS_MAX - 1 */
	char base[256];     /* "/QuoteRequest", "/Batch/ContractRegistration[2]" */
} problem_list;

/* Starts an empty list whose paths are relative to base (copied). */
void problems_init(problem_list *pl, const char *base);
/* Forgets every problem, keeps the base. */
void problems_clear(problem_list *pl);
void problems_free(problem_list *pl);

/* Adds a problem. rel is the element path below the base ("Asset/Model"),
 * NULL or "" for the root itself, or an absolute path starting with '/'
 * (taken as is). Past PROBLEMS_MAX - 1 problems only the count grows. */
void problems_add(problem_list *pl, const char *code, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The number of problems found, counting the dropped ones. */
size_t problems_count(const problem_list *pl);

#endif
