-- rotate_refresh_token_v3: refresh-token rotation in one round trip, called by RefreshRotation.cs
-- beside this file. Not a migration: (re)applied with CREATE OR REPLACE at every startup, after the
-- migrations and under their lock (DatabaseFunctions).
--
-- v2 (rotate_refresh_token_v2.sql) stays installed and unchanged: replicas of the previous release
-- call it during a rolling update or after a rollback. Everything v2's header says about the clock,
-- the grace window and the reuse transaction holds here too. Compared with v2:
-- 1. The result carries the user's roles (users.roles, migration 0006), so the access token of a
--    refresh holds the roles the user has now: a role change takes effect at the next refresh.
-- 2. A disabled user's token is 'invalid' (users.disabled_at set). Disabling revokes every session
--    already; this also covers a session that a signin racing the disable created.
-- 3. It returns the session's amr (how its signin was made: a refresh keeps it) and the user's second
--    factors (migration 0007), for the access token and the user object.
--
-- The literals 'refresh_token_reused' (RevocationReasons), 'refresh_reused' (AuditKinds) and
-- 'refresh_reuse_notice' (RefreshReuseNoticeMail.KindName) are the C# constants' values; a test
-- checks that they agree.
--
-- Outcomes: as v2 ('invalid', 'rotated', 'grace', 'reused').
CREATE OR REPLACE FUNCTION rotate_refresh_token_v3(
    p_token_hash bytea, p_successor_hash bytea, p_clock_offset interval,
    p_idle interval, p_grace interval, p_lock_timeout text, p_ip text, p_user_agent text)
RETURNS TABLE (outcome text, session_id uuid, user_id uuid, session_expires_at timestamptz,
               email text, email_verified boolean, display_name text, user_created_at timestamptz,
               roles text[], amr text[], totp_enabled boolean, passkey_count integer)
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

    IF v_session.revoked_at IS NOT NULL OR v_session.expires_at <= v_now OR v_session.idle_expires_at <= v_now
       OR EXISTS (SELECT 1 FROM users u WHERE u.id = v_session.user_id AND u.disabled_at IS NOT NULL) THEN
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
           u.display_name, u.created_at, u.roles, v_session.amr, u.totp_enabled, u.passkey_count
    FROM users u WHERE u.id = v_session.user_id;
END
$$;
