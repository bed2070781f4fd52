/* table — aligned plain-text tables for contractctl's listings. */
#include "cli/cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Display width of UTF-8 text: its code points. */
static size_t
text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void
cli_print_table(const char *const *header, const char *const *cells, size_t nrows, size_t ncols)
{
	size_t width[CLI_TABLE_MAX_COLS] = { 0 };

	if (ncols > CLI_TABLE_MAX_COLS)
		ncols = CLI_TABLE_MAX_COLS;
	for (size_t c = 0; c < ncols; c++) {
		width[c] = text_width(header[c]);
		for (size_t r = 0; r < nrows; r++) {
			size_t w = text_width(cells[r * ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t r = 0; r <= nrows; r++) {
		const char *const *row = r == 0 ? header : cells + (r - 1) * ncols;
		for (size_t c = 0; c < ncols; c++) {
			bool last = c + 1 == ncols;
			fputs(row[c], stdout);
			if (!last)
				printf("%*s", (int)(width[c] - text_width(row[c]) + 2), "");
		}
		putchar('\n');
	}
}

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a
 * line break, with quotes doubled. */
static void
csv_field(const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

void
cli_print_csv(const char *const *header, const char *const *cells, size_t nrows, size_t ncols)
{
	for (size_t r = 0; r <= nrows; r++) {
		const char *const *row = r == 0 ? header : cells + (r - 1) * ncols;
		for (size_t c = 0; c < ncols; c++) {
			if (c > 0)
				putchar(',');
			csv_field(row[c]);
		}
		fputs("\r\n", stdout);
	}
}

int
cli_format_parse(const char *s, cli_format *out)
{
	static const char *const names[] = { "table", "csv", "xml" };

	for (int i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (cli_format)i;
			return 0;
		}
	return -1;
}

void
cli_print_rows(cli_format f, const char *const *header, const char *const *cells, size_t nrows,
    size_t ncols)
{
	if (f == CLI_FORMAT_CSV)
		cli_print_csv(header, cells, nrows, ncols);
	else
		cli_print_table(header, cells, nrows, ncols);
}
