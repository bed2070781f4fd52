/* customer — who owns a contract: the buyer, then whoever it was
 * transferred to. Plain data; every field is NUL-terminated text, "" when
 * absent. Sizes hold the longest value the schema allows in UTF-8. */
#ifndef CD_DOMAIN_CUSTOMER_H
#define CD_DOMAIN_CUSTOMER_H

#define CUSTOMER_LINES_MAX 4

typedef struct customer {
	char name[801];
	char email[255];
	char phone[33];
	char tax_id[33];
	char lines[CUSTOMER_LINES_MAX][513];
	int nlines;
	char postal_code[65];
	char city[513];
	char region[513];
	char country[3];
} customer;

#endif
