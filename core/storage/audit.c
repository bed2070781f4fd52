#include "storage/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Records read per query while verifying. */
#define AUDIT_VERIFY_PAGE 1000
#define AUDIT_LIST_DEFAULT 50

/* ------------------------------------------------------------------------
 * The canonical encoding
 * ------------------------------------------------------------------------ */

/* Appends s as a netstring "<len>:<bytes>,"; NULL as "-,". */
static void
put_field(buf *out, const char *s)
{
	if (s == NULL) {
		buf_append(out, "-,", 2);
		return;
	}
	size_t n = strlen(s);
	buf_printf(out, "%zu:", n);
	buf_append(out, s, n);
	buf_append(out, ",", 1);
}

void
audit_encode(const audit_record *r, buf *out)
{
	char seq[24];

	snprintf(seq, sizeof seq, "%" PRId64, r->seq);
	buf_puts(out, AUDIT_ENCODING_TAG);
	put_field(out, seq);
	put_field(out, r->at ? r->at : "");
	put_field(out, r->actor ? r->actor : "");
	put_field(out, r->action ? r->action : "");
	put_field(out, r->entity ? r->entity : "");
	put_field(out, r->entity_id ? r->entity_id : "");
	put_field(out, r->detail);
	put_field(out, r->prev_hash ? r->prev_hash : "");
}

void
audit_record_hash(const audit_record *r, char out[SHA256_HEX_LEN + 1])
{
	buf b;

	buf_init(&b, 0);
	audit_encode(r, &b);
	sha256_hex(b.data, b.len, out);
	buf_free(&b);
}

/* True when value needs quotes in a detail. */
static bool
needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (; *v; v++) {
		unsigned char ch = (unsigned char)*v;
		if (ch <= 0x20 || ch == 0x7f || ch == '"' || ch == '\\' || ch == '=')
			return true;
	}
	return false;
}

void
audit_detail_add(buf *b, const char *key, const char *value)
{
	if (b->len > 0)
		buf_append(b, " ", 1);
	buf_puts(b, key);
	buf_append(b, "=", 1);
	if (value == NULL) {
		buf_append(b, "-", 1);
		return;
	}
	if (!needs_quotes(value)) {
		buf_puts(b, value);
		return;
	}
	buf_append(b, "\"", 1);
	for (const char *p = value; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '"' || ch == '\\')
			buf_printf(b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			buf_printf(b, "\\x%02x", ch);
		else
			buf_append(b, p, 1);
	}
	buf_append(b, "\"", 1);
}

/* ------------------------------------------------------------------------
 * Appending
 * ------------------------------------------------------------------------ */

/* Characters (UTF-8 code points) in s. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Checks one field against its column; writes a message and returns false
 * when it does not fit. */
static bool
field_fits(const char *what, const char *s, size_t max, bool required, char *err, size_t errlen)
{
	if (s == NULL || *s == '\0') {
		if (required) {
			snprintf(err, errlen, "audit record: %s is required", what);
			return false;
		}
		return true;
	}
	if (utf8_chars(s) > max) {
		snprintf(err, errlen, "audit record: %s is longer than %zu characters", what, max);
		return false;
	}
	return true;
}

/* The current UTC time as "YYYY-MM-DD HH:MM:SS.ffffff". */
static void
now_utc(char out[AUDIT_TIME_LEN + 1])
{
	struct timespec ts;
	struct tm tm;
	char tmp[80];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02d %02d:%02d:%02d.%06ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (long)(ts.tv_nsec / 1000));
	snprintf(out, AUDIT_TIME_LEN + 1, "%.*s", AUDIT_TIME_LEN, tmp);
}

int
audit_append(db_conn *c, const char *actor, const char *action, const char *entity,
    const char *entity_id, const char *detail, char *err, size_t errlen)
{
	char at[AUDIT_TIME_LEN + 1], prev[SHA256_HEX_LEN + 1], hash[SHA256_HEX_LEN + 1];
	audit_record rec = { 0 };
	db_rows *head = NULL;
	const char *s;
	int rc = -1;

	if (entity_id == NULL)
		entity_id = "";
	if (!field_fits("actor", actor, AUDIT_ACTOR_MAX, true, err, errlen) ||
	    !field_fits("action", action, AUDIT_ACTION_MAX, true, err, errlen) ||
	    !field_fits("entity", entity, AUDIT_ENTITY_MAX, true, err, errlen) ||
	    !field_fits("entity_id", entity_id, AUDIT_ENTITY_ID_MAX, false, err, errlen))
		goto out;
	if (detail != NULL && strlen(detail) > AUDIT_DETAIL_MAX) {
		snprintf(err, errlen, "audit record: detail is longer than %d bytes", AUDIT_DETAIL_MAX);
		goto out;
	}
	/* The lock on the head row serialises appends until the caller's
	 * transaction ends; @@in_transaction catches a caller in autocommit,
	 * where the lock would be gone before the record is written. */
	head = db_query(c, "SELECT seq, hash, @@in_transaction FROM audit_head WHERE id = 1 "
	    "FOR UPDATE", NULL);
	if (head == NULL) {
		snprintf(err, errlen, "cannot lock the audit chain head: %s", db_error(c));
		goto out;
	}
	if (db_rows_next(head) != 1) {
		snprintf(err, errlen, "the audit chain head (table audit_head) is missing; "
		    "run 'contractctl audit verify'");
		goto out;
	}
	if (db_rows_int(head, 2) != 1) {
		snprintf(err, errlen, "audit_append must run inside a transaction");
		goto out;
	}
	s = db_rows_str(head, 1);
	if (s == NULL || strlen(s) != SHA256_HEX_LEN) {
		snprintf(err, errlen, "the audit chain head holds no valid hash; "
		    "run 'contractctl audit verify'");
		goto out;
	}
	memcpy(prev, s, sizeof prev);
	now_utc(at);
	rec.seq = db_rows_int(head, 0) + 1;
	rec.at = at;
	rec.actor = actor;
	rec.action = action;
	rec.entity = entity;
	rec.entity_id = entity_id;
	rec.detail = detail;
	rec.prev_hash = prev;
	audit_record_hash(&rec, hash);
	if (db_exec(c, "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, detail, "
	    "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "issssssss", rec.seq, at, actor,
	    action, entity, entity_id, detail, prev, hash) < 0) {
		snprintf(err, errlen, "cannot write audit record %" PRId64 ": %s", rec.seq, db_error(c));
		goto out;
	}
	if (db_exec(c, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", "is", rec.seq,
	    hash) < 0) {
		snprintf(err, errlen, "cannot move the audit chain head: %s", db_error(c));
		goto out;
	}
	rc = 0;
out:
	db_rows_free(head);
	return rc;
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

/* Fills r from the current row of a query selecting seq, at (formatted),
 * actor, action, entity, entity_id, detail, prev_hash, hash. */
static void
record_from_row(const db_rows *rows, audit_record *r)
{
	const char *s;

	r->seq = db_rows_int(rows, 0);
	r->at = (s = db_rows_str(rows, 1)) ? s : "";
	r->actor = (s = db_rows_str(rows, 2)) ? s : "";
	r->action = (s = db_rows_str(rows, 3)) ? s : "";
	r->entity = (s = db_rows_str(rows, 4)) ? s : "";
	r->entity_id = (s = db_rows_str(rows, 5)) ? s : "";
	r->detail = db_rows_str(rows, 6);
	r->prev_hash = (s = db_rows_str(rows, 7)) ? s : "";
	r->hash = (s = db_rows_str(rows, 8)) ? s : "";
}

/* "record N" or "records N..M". */
static const char *
seq_range(int64_t from, int64_t to, char *out, size_t outlen)
{
	if (from == to)
		snprintf(out, outlen, "audit record %" PRId64, from);
	else
		snprintf(out, outlen, "audit records %" PRId64 "..%" PRId64, from, to);
	return out;
}

/* Notes a problem about seq in res. */
static void
problem(audit_verify_result *res, int64_t seq)
{
	res->problems++;
	if (res->first_bad_seq == 0)
		res->first_bad_seq = seq;
}

/* Checks one record against the one before it (prev_seq, prev_hash). */
static void
verify_record(const audit_record *r, int64_t prev_seq, const char *prev_hash, FILE *report,
    audit_verify_result *res)
{
	char computed[SHA256_HEX_LEN + 1], range[64];
	bool gap = false;

	if (r->seq <= prev_seq) {
		if (report)
			fprintf(report, "audit record %" PRId64 ": out of order after record %" PRId64
			    " (its seq was changed)\n", r->seq, prev_seq);
		problem(res, r->seq);
		gap = true;
	} else if (r->seq != prev_seq + 1) {
		if (report)
			fprintf(report, "%s missing: the log jumps from seq %" PRId64 " to seq %" PRId64
			    " (deleted)\n", seq_range(prev_seq + 1, r->seq - 1, range, sizeof range),
			    prev_seq, r->seq);
		problem(res, prev_seq + 1);
		gap = true;
	}
	/* After a gap the link is broken by the deletion already reported. */
	if (!gap && prev_seq == 0 && strcmp(r->prev_hash, prev_hash) != 0) {
		if (report)
			fprintf(report, "audit record %" PRId64 ": prev_hash is not the genesis hash "
			    "(64 zeros) although it is the first record\n", r->seq);
		problem(res, r->seq);
	} else if (!gap && strcmp(r->prev_hash, prev_hash) != 0) {
		if (report)
			fprintf(report, "audit record %" PRId64 ": prev_hash does not match the hash of "
			    "record %" PRId64 " (record %" PRId64 " was replaced, or altered and its hash "
			    "recomputed)\n", r->seq, prev_seq, prev_seq);
		problem(res, prev_seq);
	}
	audit_record_hash(r, computed);
	if (strcmp(computed, r->hash) != 0) {
		if (report)
			fprintf(report, "audit record %" PRId64 ": altered: its content no longer "
			    "matches its hash (stored %s, computed %s)\n", r->seq, r->hash, computed);
		problem(res, r->seq);
	}
}

/* Compares the end of the log with the chain head. */
static void
verify_head(bool have_head, FILE *report, audit_verify_result *res)
{
	char range[64];

	if (!have_head) {
		if (report)
			fprintf(report, "the audit chain head (table audit_head) is missing; the log "
			    "ends at seq %" PRId64 "\n", res->last_seq);
		problem(res, res->last_seq + 1);
	} else if (res->last_seq < res->head_seq) {
		if (report)
			fprintf(report, "%s missing: the log ends at seq %" PRId64 " but the chain head "
			    "is seq %" PRId64 " %s (tail deleted)\n",
			    seq_range(res->last_seq + 1, res->head_seq, range, sizeof range),
			    res->last_seq, res->head_seq, res->head_hash);
		problem(res, res->last_seq + 1);
	} else if (res->last_seq > res->head_seq) {
		if (report)
			fprintf(report, "%s: beyond the chain head (seq %" PRId64 "): not written by "
			    "contractd\n", seq_range(res->head_seq + 1, res->last_seq, range, sizeof range),
			    res->head_seq);
		problem(res, res->head_seq + 1);
	} else if (strcmp(res->last_hash, res->head_hash) != 0) {
		if (report)
			fprintf(report, "audit record %" PRId64 ": its hash differs from the chain "
			    "head's %s (the record was replaced)\n", res->last_seq, res->head_hash);
		problem(res, res->last_seq);
	}
}

int
audit_verify(db_conn *c, FILE *report, audit_verify_result *res, char *err, size_t errlen)
{
	db_rows *rows = NULL;
	bool have_head = false, in_txn = false;
	int64_t after = 0;
	int rc = -1;

	memset(res, 0, sizeof *res);
	memcpy(res->last_hash, AUDIT_GENESIS_HASH, sizeof res->last_hash);
	/* One snapshot for the head and every page, whatever the server's
	 * default isolation level. */
	if (db_exec_once(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY") < 0 ||
	    db_begin(c) != 0) {
		snprintf(err, errlen, "cannot start reading the audit log: %s", db_error(c));
		goto out;
	}
	in_txn = true;
	rows = db_query(c, "SELECT seq, hash FROM audit_head WHERE id = 1", NULL);
	if (rows == NULL)
		goto db_fail;
	if (db_rows_next(rows) == 1) {
		const char *h = db_rows_str(rows, 1);
		have_head = true;
		res->head_seq = db_rows_int(rows, 0);
		snprintf(res->head_hash, sizeof res->head_hash, "%s", h ? h : "");
	}
	db_rows_free(rows);
	for (;;) {
		size_t n = 0;

		rows = db_query(c, "SELECT seq, DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), actor, action, "
		    "entity, entity_id, detail, prev_hash, hash FROM audit_log WHERE seq > ? "
		    "ORDER BY seq LIMIT ?", "ii", after, (int64_t)AUDIT_VERIFY_PAGE);
		if (rows == NULL)
			goto db_fail;
		while (db_rows_next(rows) == 1) {
			audit_record r;
			record_from_row(rows, &r);
			verify_record(&r, res->last_seq, res->last_hash, report, res);
			res->records++;
			res->last_seq = r.seq;
			snprintf(res->last_hash, sizeof res->last_hash, "%s", r.hash);
			after = r.seq;
			n++;
		}
		db_rows_free(rows);
		rows = NULL;
		if (n < AUDIT_VERIFY_PAGE)
			break;
	}
	verify_head(have_head, report, res);
	rc = res->problems > 0 ? 1 : 0;
	goto out;
db_fail:
	snprintf(err, errlen, "cannot read the audit log: %s", db_error(c));
out:
	db_rows_free(rows);
	if (in_txn)
		db_rollback(c);
	return rc;
}

int64_t
audit_list(db_conn *c, const char *entity, const char *entity_id, int64_t limit,
    audit_list_fn fn, void *arg, char *err, size_t errlen)
{
	db_rows *rows;
	int64_t n = 0;

	if (limit <= 0)
		limit = AUDIT_LIST_DEFAULT;
	rows = db_query(c, "SELECT seq, at, actor, action, entity, entity_id, detail, prev_hash, hash "
	    "FROM (SELECT seq, DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f') AS at, actor, action, entity, "
	    "entity_id, detail, prev_hash, hash FROM audit_log "
	    "WHERE (? IS NULL OR entity = ?) AND (? IS NULL OR entity_id = ?) "
	    "ORDER BY seq DESC LIMIT ?) AS t ORDER BY seq", "ssssi", entity, entity, entity_id,
	    entity_id, limit);
	if (rows == NULL) {
		snprintf(err, errlen, "cannot read the audit log: %s", db_error(c));
		return -1;
	}
	while (db_rows_next(rows) == 1) {
		audit_record r;
		record_from_row(rows, &r);
		fn(&r, arg);
		n++;
	}
	db_rows_free(rows);
	return n;
}
