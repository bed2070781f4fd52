/* lexical — the lexical forms of contracts/schema/common.xsd's simple types
 * that plugins reading their own XML files check by hand: codes,
 * identifiers, dates, and text that is only white space.
 *
 * Compiled into each plugin that uses it (plugins/common/lexical.c in its
 * _SOURCES, -I$(top_srcdir)/plugins/common in its CPPFLAGS): plugins link
 * nothing of contractd. */
#ifndef CD_PLUGINS_COMMON_LEXICAL_H
#define CD_PLUGINS_COMMON_LEXICAL_H

#include <stdbool.h>
#include <stddef.h>

/* 1 to max letters, digits, '.', '_' or '-': common.xsd's Code (40) and
 * Identifier (64). */
bool lexical_is_code(const char *s, size_t max);

/* "YYYY-MM-DD" of a day that exists. */
bool lexical_is_date(const char *s);

/* Nothing but spaces, tabs and line ends (or nothing at all; NULL too). */
bool lexical_is_blank(const char *s);

#endif
