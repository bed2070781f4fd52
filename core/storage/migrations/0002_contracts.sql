-- 0002 contracts and the dealer document exchange: the plan catalog,
-- assets, quotes, contracts with their owners, events and cancellations,
-- inbound documents (idempotency by DocumentId) and each dealer's outbox.
--
-- Money is BIGINT minor units of the row's currency; usage readings are
-- BIGINT in the asset's usage unit; calendar dates are DATE. Conventions as
-- in 0001: InnoDB, utf8mb4_unicode_ci, hashes as CHAR(64) ascii.

-- One row per plan version. definition is the plan's canonical text
-- (core/domain/plan.c), from which the plan is rebuilt; definition_hash is
-- its SHA-256. The other columns repeat what reports and lists need.
CREATE TABLE IF NOT EXISTS plans (
	code VARCHAR(40) NOT NULL,
	version INT NOT NULL,
	name VARCHAR(200) NOT NULL,
	currency CHAR(3) CHARACTER SET ascii NOT NULL,
	term_months INT NOT NULL,
	pricing_plugin VARCHAR(64) NOT NULL,
	definition_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	definition MEDIUMTEXT NOT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (code, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An asset as a dealer registered it. Assets belong to the dealer that
-- registered them: another dealer never sees them.
CREATE TABLE IF NOT EXISTS assets (
	id BIGINT NOT NULL AUTO_INCREMENT,
	dealer_id VARCHAR(64) NOT NULL,
	serial VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	is_vin TINYINT NOT NULL DEFAULT 0,
	model VARCHAR(128) NOT NULL,
	product_category VARCHAR(40) NOT NULL,
	purchase_date DATE NOT NULL,
	currency CHAR(3) CHARACTER SET ascii NOT NULL,
	purchase_price BIGINT NOT NULL,
	usage_unit ENUM('none', 'km', 'mi', 'hours', 'cycles') NOT NULL,
	usage_at_sale BIGINT NOT NULL DEFAULT 0,
	mw_months INT NOT NULL,
	mw_usage_limit BIGINT NOT NULL DEFAULT 0,
	commercial_use TINYINT NOT NULL DEFAULT 0,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (id),
	UNIQUE KEY assets_dealer_serial (dealer_id, serial),
	CONSTRAINT assets_dealer_fk FOREIGN KEY (dealer_id) REFERENCES dealers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A signed quote: the asset it prices (a snapshot), the price, the split,
-- the pricing record and the signature. contract_id is set once a
-- registration used it.
CREATE TABLE IF NOT EXISTS quotes (
	quote_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	dealer_id VARCHAR(64) NOT NULL,
	document_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
	plan_code VARCHAR(40) NOT NULL,
	plan_version INT NOT NULL,
	quote_date DATE NOT NULL,
	valid_until DATE NOT NULL,
	serial VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	is_vin TINYINT NOT NULL DEFAULT 0,
	model VARCHAR(128) NOT NULL,
	product_category VARCHAR(40) NOT NULL,
	purchase_date DATE NOT NULL,
	purchase_price BIGINT NOT NULL,
	usage_unit ENUM('none', 'km', 'mi', 'hours', 'cycles') NOT NULL,
	usage_at_sale BIGINT NOT NULL DEFAULT 0,
	mw_months INT NOT NULL,
	mw_usage_limit BIGINT NOT NULL DEFAULT 0,
	commercial_use TINYINT NOT NULL DEFAULT 0,
	currency CHAR(3) CHARACTER SET ascii NOT NULL,
	net_price BIGINT NOT NULL,
	tax_category VARCHAR(2) CHARACTER SET ascii NOT NULL,
	tax_rate VARCHAR(24) CHARACTER SET ascii NOT NULL,
	tax BIGINT NOT NULL,
	total BIGINT NOT NULL,
	dealer_cost BIGINT NOT NULL,
	admin_fee BIGINT NOT NULL,
	claims_reserve BIGINT NOT NULL,
	plugin_name VARCHAR(64) NOT NULL,
	plugin_version VARCHAR(64) NOT NULL,
	input_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	explanation VARCHAR(256) NOT NULL DEFAULT '',
	signature CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	contract_id BIGINT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (quote_id),
	KEY quotes_dealer (dealer_id),
	CONSTRAINT quotes_dealer_fk FOREIGN KEY (dealer_id) REFERENCES dealers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A sold contract. The number is "SC-" and the id in 8 digits, set right
-- after the insert. The money split, the pricing record and the coverage
-- terms are fixed at sale; state moves active -> cancelled | exhausted
-- (expired is derived from end_date). Owners and events are history
-- tables beside it.
CREATE TABLE IF NOT EXISTS contracts (
	id BIGINT NOT NULL AUTO_INCREMENT,
	number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
	dealer_id VARCHAR(64) NOT NULL,
	asset_id BIGINT NOT NULL,
	document_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
	plan_code VARCHAR(40) NOT NULL,
	plan_version INT NOT NULL,
	quote_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	state ENUM('active', 'expired', 'cancelled', 'exhausted') NOT NULL DEFAULT 'active',
	sale_date DATE NOT NULL,
	start_date DATE NOT NULL,
	end_date DATE NOT NULL,
	waiting_ends DATE NULL,
	usage_unit ENUM('none', 'km', 'mi', 'hours', 'cycles') NOT NULL,
	start_usage BIGINT NOT NULL DEFAULT 0,
	end_usage BIGINT NULL,
	starts_at_usage BIGINT NOT NULL DEFAULT 0,
	currency CHAR(3) CHARACTER SET ascii NOT NULL,
	liability_limit BIGINT NOT NULL,
	deductible BIGINT NOT NULL,
	claims_paid BIGINT NOT NULL DEFAULT 0,
	claims_count INT NOT NULL DEFAULT 0,
	net_price BIGINT NOT NULL,
	tax_category VARCHAR(2) CHARACTER SET ascii NOT NULL,
	tax_rate VARCHAR(24) CHARACTER SET ascii NOT NULL,
	tax BIGINT NOT NULL,
	total BIGINT NOT NULL,
	dealer_cost BIGINT NOT NULL,
	admin_fee BIGINT NOT NULL,
	claims_reserve BIGINT NOT NULL,
	dealer_margin BIGINT NOT NULL,
	plugin_name VARCHAR(64) NOT NULL,
	plugin_version VARCHAR(64) NOT NULL,
	input_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	explanation VARCHAR(256) NOT NULL DEFAULT '',
	dealer_reference VARCHAR(64) NULL,
	cancelled_on DATE NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (id),
	UNIQUE KEY contracts_number (number),
	KEY contracts_dealer (dealer_id),
	KEY contracts_asset (asset_id),
	CONSTRAINT contracts_dealer_fk FOREIGN KEY (dealer_id) REFERENCES dealers (id),
	CONSTRAINT contracts_asset_fk FOREIGN KEY (asset_id) REFERENCES assets (id),
	CONSTRAINT contracts_plan_fk FOREIGN KEY (plan_code, plan_version) REFERENCES plans (code, version),
	CONSTRAINT contracts_split CHECK (dealer_margin = net_price - dealer_cost AND
	    dealer_cost = admin_fee + claims_reserve)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who owned the contract from when: seq 1 is the buyer, each transfer adds
-- the next. Rows are only ever added.
CREATE TABLE IF NOT EXISTS contract_owners (
	contract_id BIGINT NOT NULL,
	seq INT NOT NULL,
	effective_date DATE NOT NULL,
	usage_reading BIGINT NULL,
	name VARCHAR(200) NOT NULL,
	email VARCHAR(254) NULL,
	phone VARCHAR(32) NULL,
	tax_id VARCHAR(32) NULL,
	address_lines VARCHAR(600) NOT NULL,
	postal_code VARCHAR(16) NULL,
	city VARCHAR(128) NOT NULL,
	region VARCHAR(128) NULL,
	country CHAR(2) CHARACTER SET ascii NOT NULL,
	document_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (contract_id, seq),
	CONSTRAINT contract_owners_contract_fk FOREIGN KEY (contract_id) REFERENCES contracts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Everything that happened to a contract, in order.
CREATE TABLE IF NOT EXISTS contract_events (
	id BIGINT NOT NULL AUTO_INCREMENT,
	contract_id BIGINT NOT NULL,
	kind ENUM('registered', 'transferred', 'cancelled', 'expired', 'exhausted') NOT NULL,
	event_date DATE NOT NULL,
	document_id VARCHAR(64) COLLATE utf8mb4_bin NULL,
	detail VARCHAR(1000) NOT NULL DEFAULT '',
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (id),
	KEY contract_events_contract (contract_id),
	CONSTRAINT contract_events_contract_fk FOREIGN KEY (contract_id) REFERENCES contracts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A cancellation with its refund breakdown and what the credit note will
-- need: the original amounts and tax, the refund and the chargeback.
-- credit_note_number is filled when invoicing issues the credit note.
CREATE TABLE IF NOT EXISTS cancellations (
	contract_id BIGINT NOT NULL,
	document_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
	cancellation_date DATE NOT NULL,
	usage_reading BIGINT NULL,
	reason VARCHAR(32) NOT NULL,
	comment VARCHAR(500) NULL,
	basis ENUM('free-look', 'days', 'usage') NOT NULL,
	term_days INT NOT NULL,
	unused_days INT NOT NULL,
	usage_allowance BIGINT NULL,
	unused_usage BIGINT NULL,
	share_num BIGINT NOT NULL,
	share_den BIGINT NOT NULL,
	currency CHAR(3) CHARACTER SET ascii NOT NULL,
	original_net BIGINT NOT NULL,
	original_tax BIGINT NOT NULL,
	original_total BIGINT NOT NULL,
	tax_category VARCHAR(2) CHARACTER SET ascii NOT NULL,
	tax_rate VARCHAR(24) CHARACTER SET ascii NOT NULL,
	original_dealer_margin BIGINT NOT NULL,
	unused_amount BIGINT NOT NULL,
	cancellation_fee BIGINT NOT NULL,
	claims_deducted BIGINT NOT NULL,
	refund_amount BIGINT NOT NULL,
	commission_chargeback BIGINT NOT NULL,
	credit_note_number VARCHAR(64) NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (contract_id),
	CONSTRAINT cancellations_contract_fk FOREIGN KEY (contract_id) REFERENCES contracts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Inbound documents that were accepted, by dealer and DocumentId: the
-- canonical hash of the content and the reply to send again. Claimed first
-- in the document's transaction, so a concurrent duplicate waits for it.
CREATE TABLE IF NOT EXISTS documents (
	dealer_id VARCHAR(64) NOT NULL,
	document_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
	content_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	document_type VARCHAR(64) NOT NULL,
	reply_type VARCHAR(64) NOT NULL DEFAULT '',
	reply MEDIUMBLOB NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (dealer_id, document_id),
	CONSTRAINT documents_dealer_fk FOREIGN KEY (dealer_id) REFERENCES dealers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What each dealer should receive. Writers only insert (seq NULL); the
-- dealer's cursor seq (1, 2, 3, ...) is given out in id order when the
-- outbox is read, under the dealer's outbox_cursors row, so a cursor never
-- skips a document that committed late.
CREATE TABLE IF NOT EXISTS outbox (
	id BIGINT NOT NULL AUTO_INCREMENT,
	dealer_id VARCHAR(64) NOT NULL,
	seq BIGINT NULL,
	document_type VARCHAR(64) NOT NULL,
	document_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
	in_reply_to VARCHAR(64) COLLATE utf8mb4_bin NULL,
	body MEDIUMBLOB NOT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (id),
	UNIQUE KEY outbox_dealer_seq (dealer_id, seq),
	CONSTRAINT outbox_dealer_fk FOREIGN KEY (dealer_id) REFERENCES dealers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS outbox_cursors (
	dealer_id VARCHAR(64) NOT NULL,
	last_seq BIGINT NOT NULL DEFAULT 0,
	acked_seq BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (dealer_id),
	CONSTRAINT outbox_cursors_dealer_fk FOREIGN KEY (dealer_id) REFERENCES dealers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
