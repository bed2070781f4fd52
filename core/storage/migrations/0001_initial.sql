-- 0001 initial schema: dealers, API keys, the audit chain, idempotency keys.
--
-- Conventions for every table: InnoDB, utf8mb4 with utf8mb4_unicode_ci
-- (so codes differing only in case are the same code), times as DATETIME(6)
-- in UTC (every connection sets time_zone '+00:00'), hashes as lowercase hex
-- in CHAR(64) CHARACTER SET ascii. A column that references dealers.id must
-- be VARCHAR(64) in the table default character set and collation.
-- Statements end with ';' at the end of a line (see core/storage/migrate.h).

-- A dealer, identified by its own code.
CREATE TABLE IF NOT EXISTS dealers (
	id VARCHAR(64) NOT NULL,
	name VARCHAR(200) NOT NULL,
	auth_mode ENUM('key', 'cert', 'both') NOT NULL DEFAULT 'key',
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- API keys, stored as the SHA-256 of their secret only. A dealer key names
-- its dealer; admin and finance keys name none.
CREATE TABLE IF NOT EXISTS api_keys (
	key_id CHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	secret_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	role ENUM('admin', 'finance', 'dealer') NOT NULL,
	dealer_id VARCHAR(64) NULL,
	label VARCHAR(200) NOT NULL DEFAULT '',
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	revoked_at DATETIME(6) NULL,
	PRIMARY KEY (key_id),
	KEY api_keys_dealer (dealer_id),
	CONSTRAINT api_keys_dealer_fk FOREIGN KEY (dealer_id) REFERENCES dealers (id),
	CONSTRAINT api_keys_dealer_role CHECK ((role = 'dealer') = (dealer_id IS NOT NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The tamper-evident audit trail: hash = SHA-256 over prev_hash and this
-- record, seq = previous seq + 1 (assigned by the writer, not
-- AUTO_INCREMENT, so the chain has no gaps even on Galera).
CREATE TABLE IF NOT EXISTS audit_log (
	seq BIGINT NOT NULL,
	at DATETIME(6) NOT NULL,
	actor VARCHAR(80) NOT NULL,
	action VARCHAR(64) NOT NULL,
	entity VARCHAR(64) NOT NULL,
	entity_id VARCHAR(128) NOT NULL DEFAULT '',
	detail TEXT NULL,
	prev_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	PRIMARY KEY (seq),
	KEY audit_log_entity (entity, entity_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Idempotency: a mutating request's key within its principal's scope, the
-- hash of the request it came with, and the response to replay. Keys are
-- compared byte for byte (utf8mb4_bin): "abc" and "ABC" are two keys.
CREATE TABLE IF NOT EXISTS idempotency_keys (
	scope VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
	idem_key VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
	request_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	status INT NOT NULL DEFAULT 0,
	content_type VARCHAR(128) NOT NULL DEFAULT '',
	response MEDIUMBLOB NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (scope, idem_key),
	KEY idempotency_keys_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
