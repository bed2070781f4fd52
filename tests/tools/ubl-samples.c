/* ubl-samples — writes the sample invoices of tests/unit/ubl_cases.c as
 * UBL documents, one DIR/<case>.xml each, for tests/e2e/test_ubl_samples.py
 * and for checking by hand with an EN 16931 validator.
 *
 *   ubl-samples DIR      write every case, print "<case>\t<file>" per case
 *   ubl-samples -l       list the cases
 *
 * Exits 1 when a case cannot be written (the writer's message on stderr),
 * 2 on a usage or file error. */
#include "billing/ubl.h"
#include "../unit/ubl_cases.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	int status = 0;

	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		for (size_t i = 0; i < ubl_ncases; i++)
			printf("%s\t%s\n", ubl_cases[i].name, ubl_cases[i].what);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: ubl-samples DIR | -l\n");
		return 2;
	}
	for (size_t i = 0; i < ubl_ncases; i++) {
		invoice inv;
		char err[512], path[4096];
		size_t len;
		char *doc;

		ubl_cases[i].build(&inv);
		doc = ubl_write(&inv, &len, err, sizeof err);
		ubl_case_free(&inv);
		if (doc == NULL) {
			fprintf(stderr, "ubl-samples: %s: %s\n", ubl_cases[i].name, err);
			status = 1;
			continue;
		}
		snprintf(path, sizeof path, "%s/%s.xml", argv[1], ubl_cases[i].name);
		if (write_file(path, doc, len) != 0) {
			fprintf(stderr, "ubl-samples: %s: %s\n", path, strerror(errno));
			free(doc);
			return 2;
		}
		free(doc);
		printf("%s\t%s\n", ubl_cases[i].name, path);
	}
	return status;
}
