-- The audit trail is append-only here too (the PostgreSQL part does the same).
-- Each trigger is on one line: statements are split at line-final semicolons.
CREATE TRIGGER contract_audit_no_update BEFORE UPDATE ON contract_audit BEGIN SELECT RAISE(ABORT, 'contract_audit is append-only: UPDATE refused'); END;
CREATE TRIGGER contract_audit_no_delete BEFORE DELETE ON contract_audit BEGIN SELECT RAISE(ABORT, 'contract_audit is append-only: DELETE refused'); END;
