-- 0007 claim settlements in billing runs: with [invoices] claim_settlement
-- = billing-run, a month's run credits each dealer, in one credit note,
-- what the warrantor pays on the claims decided in the month.
--
-- Conventions as in 0001 and 0002. Every statement can run again.

ALTER TABLE billing_run_items MODIFY COLUMN kind
	ENUM('remittance', 'chargeback', 'installment', 'settlement') NOT NULL;

-- A claim line's unit price, so that a run's settlement credit note bills
-- each wholly covered line as the claim's own would have (3.5 hours at
-- 98.00). NULL for lines decided before: billed as one unit of the amount.
ALTER TABLE claim_lines ADD COLUMN IF NOT EXISTS unit_price BIGINT NULL;

-- A claim still without its settlement credit note (settlement_note NULL)
-- is what the next run of its month settles: found by this index, not by
-- reading every claim.
CREATE INDEX IF NOT EXISTS claims_awaiting_settlement ON claims (settlement_note, created_at);
