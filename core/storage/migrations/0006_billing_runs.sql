-- 0006 billing runs: a period's invoicing of every dealer, as a job that
-- survives being killed.
--
-- Conventions as in 0001 and 0002. Every statement can run again.

-- A contract may be paid in monthly installments: then each month's
-- billing run invoices its buyer one installment, instead of one sale
-- invoice at registration.
ALTER TABLE contracts ADD COLUMN IF NOT EXISTS installments INT NOT NULL DEFAULT 1;

-- The run invoice that billed a contract's dealer cost, and a
-- cancellation's commission chargeback: what is still NULL is what the
-- next run of its month bills (a late registration included).
ALTER TABLE contracts ADD COLUMN IF NOT EXISTS remitted_by VARCHAR(32) CHARACTER SET ascii
	COLLATE ascii_bin NULL;
ALTER TABLE cancellations ADD COLUMN IF NOT EXISTS charged_back_by VARCHAR(32)
	CHARACTER SET ascii COLLATE ascii_bin NULL;

-- One run per period and scope (a dealer id, or '*' for every dealer). Its
-- items are planned when it starts; done counts the items finished.
CREATE TABLE IF NOT EXISTS billing_runs (
	id BIGINT NOT NULL AUTO_INCREMENT,
	period CHAR(7) CHARACTER SET ascii NOT NULL,
	scope VARCHAR(64) NOT NULL,
	state ENUM('running', 'done') NOT NULL,
	total INT NOT NULL DEFAULT 0,
	done INT NOT NULL DEFAULT 0,
	invoices INT NOT NULL DEFAULT 0,
	invoice_lines BIGINT NOT NULL DEFAULT 0,
	started_by VARCHAR(80) NOT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	finished_at DATETIME(6) NULL,
	PRIMARY KEY (id),
	UNIQUE KEY billing_runs_period_scope (period, scope)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One invoice a run issues (or finds issued already): a dealer's
-- remittance or commission chargeback in one currency, for the contracts
-- with ids first_id..last_id; or, for kind installment, one installment
-- invoice to the buyer of each of those contracts (at most 500: a dealer with more gets several
-- invoices, part 1, 2, ...). Each is finished in a transaction of its own
-- with its invoice, so a run killed at any moment resumes with the items
-- still pending, and issues each invoice once.
CREATE TABLE IF NOT EXISTS billing_run_items (
	run_id BIGINT NOT NULL,
	seq INT NOT NULL,
	dealer_id VARCHAR(64) NOT NULL,
	kind ENUM('remittance', 'chargeback', 'installment') NOT NULL,
	currency CHAR(3) CHARACTER SET ascii NOT NULL,
	part INT NOT NULL,
	first_id BIGINT NOT NULL,
	last_id BIGINT NOT NULL,
	state ENUM('pending', 'done') NOT NULL DEFAULT 'pending',
	invoice_number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
	invoice_lines INT NOT NULL DEFAULT 0,
	PRIMARY KEY (run_id, seq),
	CONSTRAINT billing_run_items_run_fk FOREIGN KEY (run_id) REFERENCES billing_runs (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A run plans a month: its contracts sold and its cancellations, by date,
-- without reading the whole table.
CREATE INDEX IF NOT EXISTS contracts_sale ON contracts (sale_date, dealer_id, currency);
CREATE INDEX IF NOT EXISTS cancellations_date ON cancellations (cancellation_date);
