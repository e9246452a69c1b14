-- revoke_reused_session_v1: what a detected refresh-token reuse causes, in the caller's transaction: the session
-- revoked, the audit row (p_ip / p_user_agent are the presenter's) and the owner's notice in the outbox (rendered
-- when sent, naming the revoked session's device and IP). Called by rotate_refresh_token_v3 for the previous
-- token, and by RefreshRotation.cs after it proved an older token a genuine ancestor. Re-applied at every start
-- (DatabaseFunctions). Returns false, writing nothing, when the session was already revoked: two replicas that
-- see the same reuse send one notice.
--
-- The literals 'refresh_token_reused' (RevocationReasons), 'refresh_reused' (AuditKinds) and
-- 'refresh_reuse_notice' (RefreshReuseNoticeMail.KindName) are the C# constants' values; a test checks that
-- they agree.
CREATE OR REPLACE FUNCTION revoke_reused_session_v1(
    p_session_id uuid, p_clock_offset interval, p_ip text, p_user_agent text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_session  sessions%ROWTYPE;
    v_now      timestamptz := clock_timestamp() + p_clock_offset;
BEGIN
    UPDATE sessions s SET revoked_at = v_now, revoked_reason = 'refresh_token_reused'
    WHERE s.id = p_session_id AND s.revoked_at IS NULL
    RETURNING s.* INTO v_session;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO audit_events (user_id, kind, ip, user_agent, created_at, details)
    VALUES (v_session.user_id, 'refresh_reused', p_ip, p_user_agent, v_now,
            jsonb_build_object('sessionId', v_session.id, 'sessionDevice', v_session.user_agent, 'sessionIp', v_session.ip));
    -- Due at once ('-infinity'): the dispatcher compares with the service's clock, which tests may hold still
    -- while the database's clock runs on.
    INSERT INTO outbox_emails ("to", kind, params, user_id, created_at, next_attempt_at)
    SELECT u.email, 'refresh_reuse_notice', jsonb_build_object('device', v_session.user_agent, 'ip', v_session.ip),
           u.id, v_now, '-infinity'
    FROM users u WHERE u.id = v_session.user_id;
    RETURN true;
END
$$;
