-- 0005 payments: money received from dealers and customers, how it is
-- applied to invoices, and money paid back against credit notes.
--
-- Conventions as in 0001 and 0002. Every statement can run again.
--
-- One table holds both directions of money (core/billing/payments.h):
--   received  a dealer or customer paid us; its allocations settle invoices
--   refund    we paid a buyer back; its one allocation settles (part of) a
--             credit note
-- An invoice's open amount is its payable amount less the allocations made
-- to it; a credit note's open amount, computed the same way, is what is
-- still owed to its buyer. What a received payment has not (yet) been
-- allocated is unapplied cash of the payer, applicable later. Rows of both
-- tables are only ever inserted.

-- A payment. payer is the dealer id (payer_kind dealer) or the customer's
-- name as on the invoices (customer). dealer_id: for a dealer, the dealer;
-- for a customer, the dealer the customer's invoices went through, when
-- known — it decides what that dealer may see. received_date is the value
-- date (for a refund: the day it was paid out); reports as of a date count
-- a payment from this date on. reference is the bank's or cashier's
-- reference: unique per payer and direction, so the same bank line cannot
-- be recorded twice.
CREATE TABLE IF NOT EXISTS payments (
	id BIGINT NOT NULL AUTO_INCREMENT,
	direction ENUM('received', 'refund') NOT NULL,
	payer_kind ENUM('dealer', 'customer') NOT NULL,
	payer VARCHAR(400) NOT NULL,
	dealer_id VARCHAR(64) NULL,
	reference VARCHAR(64) NOT NULL,
	received_date DATE NOT NULL,
	currency CHAR(3) CHARACTER SET ascii NOT NULL,
	amount BIGINT NOT NULL,
	method VARCHAR(16) CHARACTER SET ascii NOT NULL,
	note VARCHAR(500) NOT NULL DEFAULT '',
	created_by VARCHAR(80) NOT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (id),
	UNIQUE KEY payments_reference (direction, payer_kind, payer, reference),
	KEY payments_payer (payer_kind, payer, currency, received_date),
	KEY payments_dealer (dealer_id, received_date),
	CONSTRAINT payments_amount CHECK (amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Part of a payment applied to one invoice (received) or credit note
-- (refund), in the payment's currency, which is the document's. applied_on
-- is the date from which the allocation counts in reports as of a date:
-- the latest of the payment's date, the document's issue date and, for
-- unapplied cash applied later, the day it was applied.
CREATE TABLE IF NOT EXISTS payment_allocations (
	id BIGINT NOT NULL AUTO_INCREMENT,
	payment_id BIGINT NOT NULL,
	invoice_id BIGINT NOT NULL,
	amount BIGINT NOT NULL,
	applied_on DATE NOT NULL,
	created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (id),
	KEY payment_allocations_payment (payment_id),
	KEY payment_allocations_invoice (invoice_id, applied_on),
	CONSTRAINT payment_allocations_payment_fk FOREIGN KEY (payment_id) REFERENCES payments (id),
	CONSTRAINT payment_allocations_invoice_fk FOREIGN KEY (invoice_id) REFERENCES invoices (id),
	CONSTRAINT payment_allocations_amount CHECK (amount > 0)
) ENGINE=InnoDB;
