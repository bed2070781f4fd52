/* audit — the tamper-evident audit trail: a SHA-256 hash chain.
 *
 * Every change of business state appends one record to audit_log, in the
 * same transaction as the change, so the record exists exactly when the
 * change does:
 *
 *	seq        1, 2, 3, ... without gaps (the writer assigns it)
 *	at         when, UTC, "YYYY-MM-DD HH:MM:SS.ffffff"
 *	actor      who: "key:<key id>", "dealer:<dealer id>" (a client
 *	           certificate), "cli:<unix user>" (contractctl)
 *	action     what, a dotted word: "dealer.create", "key.revoke"
 *	entity     the kind of thing changed: "dealer", "api_key", "contract"
 *	entity_id  which one
 *	detail     free text, by convention key=value pairs (audit_detail_add)
 *	prev_hash  the previous record's hash; 64 zeros for seq 1
 *	hash       SHA-256 of the canonical encoding of all of the above
 *
 * The canonical encoding (version 1, never to be changed: it would break
 * every chain already written) is the line "contractd-audit-1\n" followed
 * by the eight fields seq, at, actor, action, entity, entity_id, detail,
 * prev_hash, each as a netstring "<byte length in decimal>:<bytes>," —
 * seq as decimal text — and a NULL detail as "-,". A length prefix on
 * every field means no two different records share an encoding: moving
 * bytes from one field to its neighbour changes a length.
 *
 * The chain head (table audit_head, one row: last seq and hash) is locked
 * by every append, so concurrent appends serialise and the chain neither
 * forks nor gaps. The lock is held until the caller's transaction ends:
 * append last, just before committing.
 *
 * What verification proves: an edited record no longer matches its hash; a
 * deleted record leaves a gap in seq and breaks the next prev_hash; a
 * deleted tail leaves the log short of the head. Someone with write access
 * who rewrites the whole chain from some point on, head included, is caught
 * only by comparing the head hash with a copy kept elsewhere, which is why
 * `contractctl audit verify` prints it. */
#ifndef CD_STORAGE_AUDIT_H
#define CD_STORAGE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "storage/db.h"

#define AUDIT_GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_ENCODING_TAG "contractd-audit-1\n"

/* Column limits (audit_log in 0001_initial.sql); the first four count
 * characters, detail counts bytes. */
#define AUDIT_ACTOR_MAX 80
#define AUDIT_ACTION_MAX 64
#define AUDIT_ENTITY_MAX 64
#define AUDIT_ENTITY_ID_MAX 128
#define AUDIT_DETAIL_MAX 65535
#define AUDIT_TIME_LEN 26          /* "YYYY-MM-DD HH:MM:SS.ffffff" */

/* One record. The strings are borrowed: from the caller when encoding,
 * from the result set when audit_list hands one over. */
typedef struct audit_record {
	int64_t seq;
	const char *at;
	const char *actor;
	const char *action;
	const char *entity;
	const char *entity_id;
	const char *detail;        /* may be NULL */
	const char *prev_hash;
	const char *hash;          /* the stored hash; not part of the encoding */
} audit_record;

/* Appends the canonical encoding of r (all fields but hash) to out. */
void audit_encode(const audit_record *r, buf *out);
/* The lowercase hex SHA-256 of r's canonical encoding. */
void audit_record_hash(const audit_record *r, char out[SHA256_HEX_LEN + 1]);

/* Appends " key=value" to a detail (no leading space when b is empty).
 * A value that is empty or holds a space, '"', '\\', '=' or a control
 * character is written in double quotes with '"' and '\\' escaped by '\\'
 * and control characters as \xNN. NULL value: "-". */
void audit_detail_add(buf *b, const char *key, const char *value);

/* Appends one record to the chain: locks the chain head, writes the record
 * with seq = head + 1 and prev_hash = the head's hash, moves the head.
 * Must run inside the caller's transaction (it refuses autocommit) and
 * never commits: the record is written if and only if the caller commits.
 * actor, action and entity are required; entity_id may be NULL (stored as
 * ""), detail may be NULL. Returns 0, or -1 with a message in err — for a
 * database error db_retryable(c) says whether to retry the whole
 * transaction (a lock wait, a deadlock, a Galera conflict). */
int audit_append(db_conn *c, const char *actor, const char *action, const char *entity,
    const char *entity_id, const char *detail, char *err, size_t errlen);

/* What audit_verify found. */
typedef struct audit_verify_result {
	int64_t records;                          /* rows read */
	int64_t last_seq;                         /* of the last row; 0 when none */
	char last_hash[SHA256_HEX_LEN + 1];       /* of the last row; genesis when none */
	int64_t head_seq;                         /* what audit_head says */
	char head_hash[SHA256_HEX_LEN + 1];
	int64_t problems;                         /* problems reported */
	int64_t first_bad_seq;                    /* the first record named; 0 when none */
} audit_verify_result;

/* Walks the whole chain in seq order, in one consistent snapshot, and
 * checks each record's hash, that seq runs 1, 2, 3... with no gap, that
 * each prev_hash is the previous record's hash, and that the log ends
 * where audit_head says. Writes one line per problem to report (NULL:
 * nowhere), each naming the record: "audit record 12: ...". Fills res.
 * Returns 0 when the chain is intact, 1 when problems were found, -1 on a
 * database error (message in err). Memory stays bounded: records are read
 * a page at a time. */
int audit_verify(db_conn *c, FILE *report, audit_verify_result *res, char *err, size_t errlen);

/* Called by audit_list for each record, newest last; the record's strings
 * are valid during the call. */
typedef void (*audit_list_fn)(const audit_record *r, void *arg);

/* Hands the last limit records (limit <= 0: 50) — only those of entity
 * and/or entity_id when not NULL — to fn in seq order. Returns the number
 * of records, or -1 with a message in err. */
int64_t audit_list(db_conn *c, const char *entity, const char *entity_id, int64_t limit,
    audit_list_fn fn, void *arg, char *err, size_t errlen);

#endif
