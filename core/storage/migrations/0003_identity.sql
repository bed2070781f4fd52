-- 0003 identity: client certificates mapped to dealers, and the head of the
-- audit chain.
--
-- Conventions as in 0001. Every statement can run again (see
-- core/storage/migrate.h).

-- A client certificate that authenticates a dealer, found by the SHA-256 of
-- its DER encoding (what `openssl x509 -fingerprint -sha256` prints, as
-- lowercase hex without colons). The chain itself is verified by OpenSSL
-- against [server] tls_client_ca during the handshake; this table only says
-- whose certificate it is. A revoked mapping stays, so the fingerprint can
-- never be mapped again.
CREATE TABLE IF NOT EXISTS dealer_certs (
	fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	dealer_id VARCHAR(64) NOT NULL,
	subject VARCHAR(1024) NOT NULL,
	not_after DATETIME(6) NOT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	revoked_at DATETIME(6) NULL,
	PRIMARY KEY (fingerprint),
	KEY dealer_certs_dealer (dealer_id),
	CONSTRAINT dealer_certs_dealer_fk FOREIGN KEY (dealer_id) REFERENCES dealers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The head of the audit chain: one row holding the last record's seq and
-- hash. audit_append locks this row (SELECT ... FOR UPDATE), so appends
-- serialise on it and the chain can neither fork nor leave a gap, on one
-- server as on Galera (where a concurrent append fails certification and is
-- retried). audit_verify checks that the log ends where the head says.
CREATE TABLE IF NOT EXISTS audit_head (
	id TINYINT UNSIGNED NOT NULL,
	seq BIGINT NOT NULL,
	hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT audit_head_one_row CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The head starts at the genesis (seq 0, 64 zeros), or where the log ends if
-- records were written before this migration.
INSERT IGNORE INTO audit_head (id, seq, hash)
	SELECT 1, COALESCE(MAX(seq), 0),
		COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), REPEAT('0', 64))
	FROM audit_log;
