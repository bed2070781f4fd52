-- 0004 claims and invoices: repair claims decided line by line, the
-- maintenance they consumed, parts orders, and invoices and credit notes
-- with gap-free numbering.
--
-- Conventions as in 0001 and 0002. Every statement can run again.

-- A dealer's billing identity, the buyer of the invoices it receives. All
-- optional: a dealer without a country is taken to be in the seller's
-- country (docs/finance.md).
ALTER TABLE dealers
	ADD COLUMN IF NOT EXISTS street VARCHAR(200) NULL,
	ADD COLUMN IF NOT EXISTS city VARCHAR(128) NULL,
	ADD COLUMN IF NOT EXISTS postal_code VARCHAR(16) NULL,
	ADD COLUMN IF NOT EXISTS country CHAR(2) CHARACTER SET ascii NULL,
	ADD COLUMN IF NOT EXISTS vat_id VARCHAR(32) NULL,
	ADD COLUMN IF NOT EXISTS email VARCHAR(254) NULL;

-- The numbering series: one row per series ("INV-2026"), holding the next
-- number. The transaction that issues an invoice locks this row, takes the
-- number, writes the invoice and commits: a rollback gives the number back,
-- so numbers are gap-free and unique. The row is created on first use.
CREATE TABLE IF NOT EXISTS invoice_series (
	series VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	next_seq BIGINT NOT NULL,
	PRIMARY KEY (series)
) ENGINE=InnoDB;

-- An issued invoice or credit note. Rows are only ever inserted: nothing
-- updates or deletes them (a correction is a credit note). source is what
-- it bills ("claim:17:customer", "parts-order:4", "contract:9"): unique, so
-- a source is invoiced at most once. ubl is the document as issued.
CREATE TABLE IF NOT EXISTS invoices (
	id BIGINT NOT NULL AUTO_INCREMENT,
	number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	series VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	seq BIGINT NOT NULL,
	type ENUM('invoice', 'credit-note') NOT NULL,
	origin VARCHAR(32) NOT NULL,
	source VARCHAR(96) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	issue_date DATE NOT NULL,
	due_date DATE NOT NULL,
	currency CHAR(3) CHARACTER SET ascii NOT NULL,
	dealer_id VARCHAR(64) NULL,
	buyer_name VARCHAR(400) NOT NULL,
	buyer_street VARCHAR(400) NOT NULL DEFAULT '',
	buyer_additional_street VARCHAR(400) NOT NULL DEFAULT '',
	buyer_city VARCHAR(400) NOT NULL DEFAULT '',
	buyer_postal_code VARCHAR(64) NOT NULL DEFAULT '',
	buyer_country CHAR(2) CHARACTER SET ascii NOT NULL,
	buyer_vat_id VARCHAR(64) NOT NULL DEFAULT '',
	buyer_legal_id VARCHAR(64) NOT NULL DEFAULT '',
	buyer_email VARCHAR(400) NOT NULL DEFAULT '',
	buyer_party_id VARCHAR(64) NOT NULL DEFAULT '',
	buyer_reference VARCHAR(64) NOT NULL DEFAULT '',
	order_reference VARCHAR(64) NOT NULL DEFAULT '',
	contract_reference VARCHAR(64) NOT NULL DEFAULT '',
	note VARCHAR(400) NOT NULL DEFAULT '',
	line_total BIGINT NOT NULL,
	tax_total BIGINT NOT NULL,
	total BIGINT NOT NULL,
	prepaid BIGINT NOT NULL DEFAULT 0,
	payable BIGINT NOT NULL,
	preceding_number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
	ubl MEDIUMBLOB NOT NULL,
	ubl_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (id),
	UNIQUE KEY invoices_number (number),
	UNIQUE KEY invoices_series_seq (series, seq),
	UNIQUE KEY invoices_source (source),
	KEY invoices_dealer (dealer_id, issue_date),
	KEY invoices_preceding (preceding_number),
	CONSTRAINT invoices_totals CHECK (total = line_total + tax_total AND
	    payable = total - prepaid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The lines of an invoice. corrects_line: on a credit note, the line of the
-- preceding invoice it credits (NULL for the whole document).
CREATE TABLE IF NOT EXISTS invoice_lines (
	invoice_id BIGINT NOT NULL,
	line_no INT NOT NULL,
	kind VARCHAR(16) NOT NULL,
	item_code VARCHAR(48) NOT NULL DEFAULT '',
	item_name VARCHAR(400) NOT NULL,
	note VARCHAR(400) NOT NULL DEFAULT '',
	quantity VARCHAR(32) CHARACTER SET ascii NOT NULL,
	unit_code CHAR(3) CHARACTER SET ascii NOT NULL,
	unit_price BIGINT NOT NULL,
	net BIGINT NOT NULL,
	tax_category VARCHAR(2) CHARACTER SET ascii NOT NULL,
	tax_rate VARCHAR(24) CHARACTER SET ascii NOT NULL,
	corrects_line INT NULL,
	PRIMARY KEY (invoice_id, line_no),
	CONSTRAINT invoice_lines_invoice_fk FOREIGN KEY (invoice_id) REFERENCES invoices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The tax breakdown (EN 16931 BG-23) of each invoice.
CREATE TABLE IF NOT EXISTS invoice_taxes (
	invoice_id BIGINT NOT NULL,
	tax_category VARCHAR(2) CHARACTER SET ascii NOT NULL,
	tax_rate VARCHAR(24) CHARACTER SET ascii NOT NULL,
	taxable BIGINT NOT NULL,
	tax BIGINT NOT NULL,
	PRIMARY KEY (invoice_id, tax_category, tax_rate),
	CONSTRAINT invoice_taxes_invoice_fk FOREIGN KEY (invoice_id) REFERENCES invoices (id)
) ENGINE=InnoDB;

-- A repair claim (a ServiceClaim) and its decision. number is "CL-" and
-- the id. The amounts are the decision's totals; customer_invoice and
-- settlement_note are the documents it produced; pricing holds a line
-- "plugin version input-hash" per plugin that priced it.
CREATE TABLE IF NOT EXISTS claims (
	id BIGINT NOT NULL AUTO_INCREMENT,
	number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
	dealer_id VARCHAR(64) NOT NULL,
	document_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
	repair_order VARCHAR(64) NOT NULL,
	serial VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	is_vin TINYINT NOT NULL DEFAULT 0,
	asset_id BIGINT NULL,
	contract_id BIGINT NULL,
	service_date DATE NOT NULL,
	usage_reading BIGINT NULL,
	maintenance TINYINT NOT NULL DEFAULT 0,
	state ENUM('submitted', 'approved', 'partially-approved', 'rejected', 'paid') NOT NULL,
	currency CHAR(3) CHARACTER SET ascii NOT NULL,
	amount BIGINT NOT NULL,
	deductible BIGINT NOT NULL,
	covered BIGINT NOT NULL,
	customer_pays BIGINT NOT NULL,
	warrantor_pays BIGINT NOT NULL,
	liability_used BIGINT NOT NULL DEFAULT 0,
	complaint VARCHAR(2000) NOT NULL,
	cause VARCHAR(2000) NULL,
	correction VARCHAR(2000) NULL,
	customer_invoice VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
	settlement_note VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
	pricing VARCHAR(1000) NOT NULL DEFAULT '',
	paid_at DATETIME(6) NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (id),
	UNIQUE KEY claims_number (number),
	KEY claims_dealer (dealer_id, created_at),
	KEY claims_contract (contract_id),
	CONSTRAINT claims_dealer_fk FOREIGN KEY (dealer_id) REFERENCES dealers (id),
	CONSTRAINT claims_contract_fk FOREIGN KEY (contract_id) REFERENCES contracts (id),
	CONSTRAINT claims_totals CHECK (covered + customer_pays = amount)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A claim's decided lines: every claim line, and the lines pricing added
-- (line_number NULL).
CREATE TABLE IF NOT EXISTS claim_lines (
	claim_id BIGINT NOT NULL,
	seq INT NOT NULL,
	line_number INT NULL,
	kind VARCHAR(16) NOT NULL,
	code VARCHAR(48) NOT NULL,
	description VARCHAR(400) NOT NULL DEFAULT '',
	component VARCHAR(64) NOT NULL DEFAULT '',
	quantity VARCHAR(32) CHARACTER SET ascii NOT NULL,
	amount BIGINT NOT NULL,
	coverage VARCHAR(32) NOT NULL,
	reason VARCHAR(40) NOT NULL,
	covered BIGINT NOT NULL,
	customer BIGINT NOT NULL,
	tax_category VARCHAR(2) CHARACTER SET ascii NOT NULL,
	PRIMARY KEY (claim_id, seq),
	CONSTRAINT claim_lines_claim_fk FOREIGN KEY (claim_id) REFERENCES claims (id),
	CONSTRAINT claim_lines_split CHECK (covered + customer = amount)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Maintenance entitlements consumed: one row per service of entitlement
-- number entitlement (its position in the plan) of a contract.
CREATE TABLE IF NOT EXISTS maintenance_services (
	id BIGINT NOT NULL AUTO_INCREMENT,
	contract_id BIGINT NOT NULL,
	entitlement INT NOT NULL,
	claim_id BIGINT NOT NULL,
	operation_code VARCHAR(48) NOT NULL,
	service_date DATE NOT NULL,
	usage_reading BIGINT NULL,
	PRIMARY KEY (id),
	KEY maintenance_services_contract (contract_id, entitlement, service_date),
	CONSTRAINT maintenance_services_contract_fk FOREIGN KEY (contract_id) REFERENCES contracts (id),
	CONSTRAINT maintenance_services_claim_fk FOREIGN KEY (claim_id) REFERENCES claims (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A dealer's parts order (a PartsOrder) and the invoice it produced.
CREATE TABLE IF NOT EXISTS parts_orders (
	id BIGINT NOT NULL AUTO_INCREMENT,
	number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
	dealer_id VARCHAR(64) NOT NULL,
	document_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
	order_reference VARCHAR(64) NOT NULL,
	currency CHAR(3) CHARACTER SET ascii NOT NULL,
	net BIGINT NOT NULL,
	tax BIGINT NOT NULL,
	total BIGINT NOT NULL,
	invoice_number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
	plugin_name VARCHAR(64) NOT NULL,
	plugin_version VARCHAR(64) NOT NULL,
	input_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (id),
	UNIQUE KEY parts_orders_number (number),
	KEY parts_orders_dealer (dealer_id),
	CONSTRAINT parts_orders_dealer_fk FOREIGN KEY (dealer_id) REFERENCES dealers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Contract events gain the claims that touch a contract.
ALTER TABLE contract_events MODIFY kind
	ENUM('registered', 'transferred', 'cancelled', 'expired', 'exhausted', 'claim') NOT NULL;
