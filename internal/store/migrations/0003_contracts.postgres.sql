-- The audit trail is append-only: UPDATE, DELETE and TRUNCATE are refused.
CREATE FUNCTION contract_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contract_audit is append-only: % refused', TG_OP USING ERRCODE = '42501';
END;
$$;
CREATE TRIGGER contract_audit_no_change BEFORE UPDATE OR DELETE ON contract_audit
    FOR EACH ROW EXECUTE FUNCTION contract_audit_append_only();
CREATE TRIGGER contract_audit_no_truncate BEFORE TRUNCATE ON contract_audit
    FOR EACH STATEMENT EXECUTE FUNCTION contract_audit_append_only();
