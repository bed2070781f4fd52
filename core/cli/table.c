/* table — aligned plain-text tables for contractctl's listings. */
#include "cli/cli.h"
#include "xml/xml_out.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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
		size_t end = ncols;      /* no padding after the last cell with text */
		while (end > 1 && row[end - 1][0] == '\0')
			end--;
		for (size_t c = 0; c < end; c++) {
			fputs(row[c], stdout);
			if (c + 1 < end)
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

int
cli_take_format(int *argc, char **argv, cli_format *out)
{
	*out = CLI_FORMAT_TABLE;
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--format") != 0)
			continue;
		if (i + 1 >= *argc || cli_format_parse(argv[i + 1], out) != 0) {
			fprintf(stderr, "contractctl: --format must be table, csv or xml\n");
			return -1;
		}
		for (int k = i; k + 2 <= *argc; k++)
			argv[k] = argv[k + 2];
		*argc -= 2;
		return 0;
	}
	return 0;
}

/* <Rows><Row><Field name="ID">...</Field>...</Row></Rows>: any listing as
 * XML, in the project namespace. */
static void
print_xml(const char *const *header, const char *const *cells, size_t nrows, size_t ncols)
{
	xml_out *x = xml_out_new("Rows");
	size_t len;
	char *doc;

	for (size_t r = 0; r < nrows; r++) {
		xml_out_start(x, "Row");
		for (size_t c = 0; c < ncols; c++) {
			xml_out_start(x, "Field");
			xml_out_attr(x, "name", header[c]);
			xml_out_text(x, cells[r * ncols + c]);
			xml_out_end(x);
		}
		xml_out_end(x);
	}
	doc = xml_out_finish(x, &len);
	fwrite(doc, 1, len, stdout);
	free(doc);
}

void
cli_print_rows(cli_format f, const char *const *header, const char *const *cells, size_t nrows,
    size_t ncols)
{
	if (f == CLI_FORMAT_CSV)
		cli_print_csv(header, cells, nrows, ncols);
	else if (f == CLI_FORMAT_XML)
		print_xml(header, cells, nrows, ncols);
	else
		cli_print_table(header, cells, nrows, ncols);
}
