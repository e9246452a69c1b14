-- rotate_refresh_token_v2: refresh-token rotation in one round trip, called by RefreshRotation.cs
-- beside this file. Not a migration: it is (re)applied with CREATE OR REPLACE at every startup,
-- after the migrations and under their lock (DatabaseFunctions), so a change is a diff of this file.
--
-- The name carries a version. A change of signature or behaviour gets a new name (v3, in a new
-- file), so pods of the previous release keep calling the function they know during a rolling
-- update or a rollback; v1 (migration 0002) stays for the same reason. Only a fix that old callers
-- may see (a comment, a plan tweak with the same results) is an edit of this file in place.
--
-- Compared with v1:
-- 1. Time is the database's clock read once the session row is locked, so the grace window does
--    not stretch by the lock wait, nor by clock skew between replicas; retired_at, last_used_at
--    and revoked_at are written with that same clock. p_clock_offset is zero in production; tests
--    that move the service's clock pass the difference so both clocks agree.
-- 2. A reuse writes everything it causes in the transaction that revokes the session: the audit
--    row (p_ip / p_user_agent are the presenter's) and the owner's notice in the outbox (rendered
--    when sent, kind 'refresh_reuse_notice', naming the revoked session's device and IP). No
--    second transaction, so no crash can commit the revocation and lose the mail or the audit row.
--
-- The literals 'refresh_token_reused' (RevocationReasons), 'refresh_reused' (AuditKinds) and
-- 'refresh_reuse_notice' (RefreshReuseNoticeMail.KindName) are the C# constants' values; a test
-- checks that they agree.
--
-- Outcomes: 'invalid'  unknown token, session revoked or expired (idle or absolute)
--           'rotated'  the token was the newest: retired, p_successor_hash inserted as the newest
--           'grace'    the token is the newest token's immediate predecessor, retired within
--                      p_grace, and the newest is still unused: the caller re-derives that same
--                      successor (it is an HMAC of the presented token) and returns it
--           'reused'   any other retired token: the session is revoked, audited and its owner
--                      mailed; nothing raises, so all of it commits although the HTTP request fails
CREATE OR REPLACE FUNCTION rotate_refresh_token_v2(
    p_token_hash bytea, p_successor_hash bytea, p_clock_offset interval,
    p_idle interval, p_grace interval, p_lock_timeout text, p_ip text, p_user_agent text)
RETURNS TABLE (outcome text, session_id uuid, user_id uuid, session_expires_at timestamptz,
               email text, email_verified boolean, display_name text, user_created_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_session    sessions%ROWTYPE;
    v_token      refresh_tokens%ROWTYPE;
    v_successor  refresh_tokens%ROWTYPE;
    v_now        timestamptz;
    v_outcome    text;
BEGIN
    -- Waiting longer than p_lock_timeout raises lock_not_available (55P03): the caller answers 409.
    PERFORM set_config('lock_timeout', p_lock_timeout, true);
    SELECT s.* INTO v_session FROM sessions s
    WHERE s.id = (SELECT t.session_id FROM refresh_tokens t WHERE t.token_hash = p_token_hash)
    FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'invalid'; RETURN NEXT; RETURN;
    END IF;
    -- The lock is held: from here on, this is the request's instant (now() would be the
    -- transaction's start, before the wait).
    v_now := clock_timestamp() + p_clock_offset;

    SELECT t.* INTO v_token FROM refresh_tokens t WHERE t.token_hash = p_token_hash;

    IF v_session.revoked_at IS NOT NULL OR v_session.expires_at <= v_now OR v_session.idle_expires_at <= v_now THEN
        outcome := 'invalid'; RETURN NEXT; RETURN;
    END IF;

    IF v_token.retired_at IS NULL THEN
        INSERT INTO refresh_tokens (session_id, token_hash, created_at)
        VALUES (v_session.id, p_successor_hash, v_now)
        RETURNING id INTO v_successor.id;
        UPDATE refresh_tokens t SET retired_at = v_now, replaced_by = v_successor.id WHERE t.id = v_token.id;
        UPDATE sessions s SET last_used_at = v_now, idle_expires_at = LEAST(v_now + p_idle, s.expires_at)
        WHERE s.id = v_session.id;
        v_outcome := 'rotated';
    ELSE
        SELECT t.* INTO v_successor FROM refresh_tokens t WHERE t.id = v_token.replaced_by;
        IF v_successor.retired_at IS NULL
           AND v_successor.token_hash = p_successor_hash
           AND v_now - v_token.retired_at <= p_grace THEN
            v_outcome := 'grace';
        ELSE
            UPDATE sessions s SET revoked_at = v_now, revoked_reason = 'refresh_token_reused' WHERE s.id = v_session.id;
            INSERT INTO audit_events (user_id, kind, ip, user_agent, created_at, details)
            VALUES (v_session.user_id, 'refresh_reused', p_ip, p_user_agent, v_now,
                    jsonb_build_object('sessionId', v_session.id, 'sessionDevice', v_session.user_agent,
                                       'sessionIp', v_session.ip));
            -- Due at once ('-infinity'): the dispatcher compares with the service's clock, which
            -- tests may hold still while the database's clock runs on.
            INSERT INTO outbox_emails ("to", kind, params, user_id, created_at, next_attempt_at)
            SELECT u.email, 'refresh_reuse_notice',
                   jsonb_build_object('device', v_session.user_agent, 'ip', v_session.ip), u.id, v_now, '-infinity'
            FROM users u WHERE u.id = v_session.user_id;
            v_outcome := 'reused';
        END IF;
    END IF;

    RETURN QUERY
    SELECT v_outcome, v_session.id, u.id, v_session.expires_at, u.email, u.email_verified_at IS NOT NULL,
           u.display_name, u.created_at
    FROM users u WHERE u.id = v_session.user_id;
END
$$;
