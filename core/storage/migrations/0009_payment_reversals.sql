-- 0009 payment reversals: a payment undone as of a date — a direct debit
-- that bounced, a cheque returned unpaid, money booked to the wrong payer.
--
-- Conventions as in 0001 and 0002. Every statement can run again.
--
-- A reversed payment and its allocations (0005) stay as they are: a row
-- here says that from reversed_on on none of the payment's allocations
-- counts (the invoices or the credit note it settled are open again by
-- what it settled) and its unapplied cash is gone; reports as of an
-- earlier date are unchanged (core/billing/payments.h). A payment is
-- reversed at most once (the key); both halves of a set-off are reversed
-- together, a row each. Rows are only ever inserted.
CREATE TABLE IF NOT EXISTS payment_reversals (
	payment_id BIGINT NOT NULL,
	reversed_on DATE NOT NULL,
	reason VARCHAR(500) NOT NULL,
	created_by VARCHAR(80) NOT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (payment_id),
	KEY payment_reversals_day (reversed_on),
	CONSTRAINT payment_reversals_payment_fk FOREIGN KEY (payment_id) REFERENCES payments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
