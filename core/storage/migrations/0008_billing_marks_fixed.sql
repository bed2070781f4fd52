-- 0008 billing marks of a fixed size: contracts.remitted_by and
-- cancellations.charged_back_by (0006) become CHAR(32) in ascii, never
-- NULL: '' until a billing run bills the row, then its invoice's number.
--
-- Conventions as in 0001 and 0002. Every statement can run again.

-- Why: a run marks every contract it bills. From NULL to an invoice number
-- the row grew by the number's length, which InnoDB cannot do in place: it
-- reorganised the page, about once per three contracts, and the run wrote
-- three times the redo of a plain insert of its lines. A CHAR in a
-- one-byte character set is stored at its full width whatever it holds
-- ('' as 32 spaces), so marking a row overwrites it in place. Existing
-- marks keep their numbers (at most 31 characters); NULL becomes ''.
UPDATE contracts SET remitted_by = '' WHERE remitted_by IS NULL;
ALTER TABLE contracts MODIFY COLUMN remitted_by CHAR(32) CHARACTER SET ascii
	COLLATE ascii_bin NOT NULL DEFAULT '';
UPDATE cancellations SET charged_back_by = '' WHERE charged_back_by IS NULL;
ALTER TABLE cancellations MODIFY COLUMN charged_back_by CHAR(32) CHARACTER SET ascii
	COLLATE ascii_bin NOT NULL DEFAULT '';
