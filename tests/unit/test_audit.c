/* The audit chain's canonical encoding: pinned by known answers (a change
 * would break every chain already written), and unambiguous — no two
 * different records encode alike, however bytes are moved between fields
 * or whatever the fields contain. Also the detail helper's quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "storage/audit.h"

#define NFIELDS 8

static const char zeros[] = AUDIT_GENESIS_HASH;

static audit_record
sample(void)
{
	audit_record r = {
		.seq = 1,
		.at = "2026-01-02 03:04:05.000006",
		.actor = "cli:alice",
		.action = "dealer.create",
		.entity = "dealer",
		.entity_id = "D-1",
		.detail = "name=\"Dealer One\" auth=key",
		.prev_hash = zeros,
	};
	return r;
}

/* The encoding of r as a new NUL-terminated string; *len gets its length. */
static char *
encode(const audit_record *r, size_t *len)
{
	buf b;

	buf_init(&b, 0);
	audit_encode(r, &b);
	return buf_detach(&b, len);
}

static bool
same_encoding(const audit_record *a, const audit_record *b)
{
	size_t la, lb;
	char *ea = encode(a, &la), *eb = encode(b, &lb);
	bool same = la == lb && memcmp(ea, eb, la) == 0;

	free(ea);
	free(eb);
	return same;
}

/* ------------------------------------------------------------------------
 * A decoder, to show the encoding is injective: it gives back exactly the
 * fields that went in.
 * --------------------------------------------------------------------- */

typedef struct decoded {
	char *field[NFIELDS];   /* NULL for a NULL field */
} decoded;

static void
decoded_free(decoded *d)
{
	for (int i = 0; i < NFIELDS; i++)
		free(d->field[i]);
}

/* Parses an encoding; returns 0, or -1 when it is not one. */
static int
decode(const char *enc, size_t len, decoded *out)
{
	size_t tag = strlen(AUDIT_ENCODING_TAG), pos;

	memset(out, 0, sizeof *out);
	if (len < tag || memcmp(enc, AUDIT_ENCODING_TAG, tag) != 0)
		return -1;
	pos = tag;
	for (int i = 0; i < NFIELDS; i++) {
		size_t n = 0, digits = 0;

		if (pos + 1 < len && enc[pos] == '-' && enc[pos + 1] == ',') {
			pos += 2;
			continue;
		}
		while (pos < len && enc[pos] >= '0' && enc[pos] <= '9') {
			n = n * 10 + (size_t)(enc[pos] - '0');
			pos++;
			digits++;
		}
		if (digits == 0 || pos >= len || enc[pos] != ':' || pos + 1 + n + 1 > len ||
		    enc[pos + 1 + n] != ',')
			return -1;
		out->field[i] = malloc(n + 1);
		memcpy(out->field[i], enc + pos + 1, n);
		out->field[i][n] = '\0';
		pos += n + 2;
	}
	return pos == len ? 0 : -1;
}

static void
assert_roundtrip(const audit_record *r)
{
	const char *want[NFIELDS] = { NULL, r->at, r->actor, r->action, r->entity, r->entity_id,
		r->detail, r->prev_hash };
	char seq[24];
	size_t len;
	char *enc = encode(r, &len);
	decoded d;

	snprintf(seq, sizeof seq, "%lld", (long long)r->seq);
	want[0] = seq;
	assert_int_equal(decode(enc, len, &d), 0);
	for (int i = 0; i < NFIELDS; i++) {
		if (want[i] == NULL) {
			assert_null(d.field[i]);
		} else {
			assert_non_null(d.field[i]);
			assert_string_equal(d.field[i], want[i]);
		}
	}
	decoded_free(&d);
	free(enc);
}

/* ------------------------------------------------------------------------
 * Tests
 * --------------------------------------------------------------------- */

static void
test_known_answer(void **state)
{
	static const char want[] = "contractd-audit-1\n"
	    "1:1,26:2026-01-02 03:04:05.000006,9:cli:alice,13:dealer.create,6:dealer,3:D-1,"
	    "26:name=\"Dealer One\" auth=key,"
	    "64:0000000000000000000000000000000000000000000000000000000000000000,";
	audit_record r = sample();
	char hash[SHA256_HEX_LEN + 1];
	size_t len;
	char *enc = encode(&r, &len);

	(void)state;
	assert_int_equal(len, strlen(want));
	assert_memory_equal(enc, want, len);
	free(enc);
	audit_record_hash(&r, hash);
	assert_string_equal(hash, "065cffe290970067e10e475be9a54d2580c63672b0b98d243825d3f89285e0a9");
}

static void
test_known_answer_null_detail(void **state)
{
	audit_record r = sample();
	char hash[SHA256_HEX_LEN + 1];

	(void)state;
	r.detail = NULL;
	audit_record_hash(&r, hash);
	assert_string_equal(hash, "3a1dceaf03e1b4c41335872adf1a1e4f2d41bab23a794a1b4f2dc26cfcbe76f9");
}

static void
test_hash_is_sha256_of_encoding(void **state)
{
	audit_record r = sample();
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	size_t len;
	char *enc;

	(void)state;
	r.seq = 123456789012345LL;
	r.detail = "x";
	enc = encode(&r, &len);
	sha256_hex(enc, len, a);
	audit_record_hash(&r, b);
	assert_string_equal(a, b);
	free(enc);
}

/* Pointers to the seven string fields of r, in encoding order. */
static const char **
string_field(audit_record *r, int i)
{
	const char **f[] = { &r->at, &r->actor, &r->action, &r->entity, &r->entity_id, &r->detail,
		&r->prev_hash };
	return f[i];
}

/* Moving bytes across any boundary between two string fields changes the
 * encoding and the hash: the boundaries cannot be shifted. */
static void
test_boundaries_cannot_shift(void **state)
{
	static const char *const left[] = { "ab", "a", "", "abc" };
	static const char *const right[] = { "c", "bc", "abc", "" };

	(void)state;
	for (int f = 0; f + 1 < 7; f++) {
		for (size_t i = 0; i < 4; i++) {
			for (size_t j = 0; j < 4; j++) {
				audit_record a = sample(), b = sample();
				char ha[SHA256_HEX_LEN + 1], hb[SHA256_HEX_LEN + 1];
				size_t la, lb;
				char *ea, *eb;

				if (i == j)
					continue;
				/* Same concatenation "abc", split differently. */
				*string_field(&a, f) = left[i];
				*string_field(&a, f + 1) = right[i];
				*string_field(&b, f) = left[j];
				*string_field(&b, f + 1) = right[j];
				assert_false(same_encoding(&a, &b));
				audit_record_hash(&a, ha);
				audit_record_hash(&b, hb);
				assert_string_not_equal(ha, hb);
				/* Naive concatenation of the two would collide. */
				ea = encode(&a, &la);
				eb = encode(&b, &lb);
				assert_true(la == lb);   /* same total: only a length prefix differs */
				free(ea);
				free(eb);
			}
		}
	}
}

/* seq against the field after it: 1 + "2..." is not 12 + "...". */
static void
test_seq_boundary(void **state)
{
	audit_record a = sample(), b = sample();

	(void)state;
	a.seq = 1;
	a.at = "23";
	b.seq = 12;
	b.at = "3";
	assert_false(same_encoding(&a, &b));
}

/* Fields holding what looks like encoding syntax are still taken apart
 * correctly: the decoder gives each field back whole. */
static void
test_hostile_contents_roundtrip(void **state)
{
	static const char *const tricky[] = {
		"", ",", ":", "-,", "0:,", "1:a,", "3:abc,2:de,", "10:", "\n", "contractd-audit-1\n",
		"\xc3\xa9t\xc3\xa9", "a\"b\\c", "64:" AUDIT_GENESIS_HASH ",",
	};
	const size_t n = sizeof tricky / sizeof tricky[0];

	(void)state;
	for (int f = 0; f < 7; f++) {
		for (size_t i = 0; i < n; i++) {
			audit_record r = sample();
			*string_field(&r, f) = tricky[i];
			assert_roundtrip(&r);
		}
	}
	/* A forged field that spells out the next fields is not them. */
	{
		audit_record a = sample(), b = sample();
		a.actor = "x";
		a.action = "y";
		b.actor = "x,1:y";
		b.action = "";
		assert_false(same_encoding(&a, &b));
	}
}

static void
test_null_detail_is_not_empty(void **state)
{
	audit_record a = sample(), b = sample();
	char ha[SHA256_HEX_LEN + 1], hb[SHA256_HEX_LEN + 1];

	(void)state;
	a.detail = NULL;
	b.detail = "";
	assert_false(same_encoding(&a, &b));
	audit_record_hash(&a, ha);
	audit_record_hash(&b, hb);
	assert_string_not_equal(ha, hb);
	assert_roundtrip(&a);
	assert_roundtrip(&b);
	/* "-" as a value is not NULL either. */
	b.detail = "-";
	assert_false(same_encoding(&a, &b));
}

/* Every field counts: changing any one changes the hash. */
static void
test_every_field_counts(void **state)
{
	audit_record base = sample();
	char h0[SHA256_HEX_LEN + 1], h[SHA256_HEX_LEN + 1];

	(void)state;
	audit_record_hash(&base, h0);
	for (int f = 0; f < 7; f++) {
		audit_record r = sample();
		*string_field(&r, f) = "changed";
		audit_record_hash(&r, h);
		assert_string_not_equal(h, h0);
	}
	base.seq = 2;
	audit_record_hash(&base, h);
	assert_string_not_equal(h, h0);
	/* The stored hash is not part of what is hashed. */
	base = sample();
	base.hash = "ffff";
	audit_record_hash(&base, h);
	assert_string_equal(h, h0);
}

static void
test_detail_add(void **state)
{
	buf b;

	(void)state;
	buf_init(&b, 0);
	audit_detail_add(&b, "role", "dealer");
	audit_detail_add(&b, "label", "two words");
	audit_detail_add(&b, "q", "a\"b\\c");
	audit_detail_add(&b, "empty", "");
	audit_detail_add(&b, "none", NULL);
	audit_detail_add(&b, "eq", "a=b");
	audit_detail_add(&b, "ctl", "a\nb");
	assert_string_equal(b.data, "role=dealer label=\"two words\" q=\"a\\\"b\\\\c\" empty=\"\" "
	    "none=- eq=\"a=b\" ctl=\"a\\x0ab\"");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_known_answer_null_detail),
		cmocka_unit_test(test_hash_is_sha256_of_encoding),
		cmocka_unit_test(test_boundaries_cannot_shift),
		cmocka_unit_test(test_seq_boundary),
		cmocka_unit_test(test_hostile_contents_roundtrip),
		cmocka_unit_test(test_null_detail_is_not_empty),
		cmocka_unit_test(test_every_field_counts),
		cmocka_unit_test(test_detail_add),
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
