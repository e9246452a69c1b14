-- rotate_refresh_token_v3: refresh-token rotation in one round trip, called by RefreshRotation.cs beside this
-- file. Not a migration: (re)applied with CREATE OR REPLACE at every startup, after the migrations and under
-- their lock (DatabaseFunctions). v2 (rotate_refresh_token_v2.sql) stays installed and unchanged for the
-- previous release's replicas during a rolling update or after a rollback.
--
-- The refresh state is the session row (migration 0008): the newest token's hash, the one it replaced, the
-- generation and the rotation's time. The token names its session (p_session_id), so the common case, the
-- newest token of a live session, is one UPDATE by primary key that touches no indexed column: a HOT update and
-- one commit, with nothing inserted. Everything else looks at the session under its row lock:
--   'grace'    the presented hash is the session's previous one, rotated within p_grace, and the newest is its
--              successor: the caller re-derives that same successor (an HMAC of the presented secret)
--   'reused'   the previous hash outside that rule, or a retired token of the previous release: the session is
--              revoked, audited and its owner mailed (revoke_reused_session_v1), in this transaction
--   'unknown'  neither newest nor previous: current_hash and generation are returned, and the caller walks the
--              HMAC chain from the presented secret; a genuine older ancestor reaches current_hash within
--              generation steps and is a reuse (the caller then calls revoke_reused_session_v1), a forged one
--              does not and revokes nothing
--   'invalid'  no such session, or it is revoked or expired, or its user disabled
--   'rotated'  also for a session of the previous release (no current_hash yet), when the presented token is its
--              newest row in refresh_tokens: the session is taken over (that row retired) and rotated
-- p_session_id is null for a token in the previous release's form (no session id): its session is found through
-- refresh_tokens. Time is the database's clock plus p_clock_offset (zero in production; tests that move the
-- service's clock pass the difference), read again once the slow path holds the lock.
-- Waiting longer than p_lock_timeout for the row raises lock_not_available (55P03): the caller answers 409.
CREATE OR REPLACE FUNCTION rotate_refresh_token_v3(
    p_session_id uuid, p_token_hash bytea, p_successor_hash bytea, p_clock_offset interval,
    p_idle interval, p_grace interval, p_lock_timeout text, p_ip text, p_user_agent text)
RETURNS TABLE (outcome text, session_id uuid, user_id uuid, session_expires_at timestamptz,
               email text, email_verified boolean, display_name text, user_created_at timestamptz,
               roles text[], amr text[], totp_enabled boolean, passkey_count integer,
               current_hash bytea, generation integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_sid      uuid := p_session_id;
    v_session  sessions%ROWTYPE;
    v_legacy   refresh_tokens%ROWTYPE;
    v_now      timestamptz := clock_timestamp() + p_clock_offset;
    v_outcome  text;
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout, true);
    IF v_sid IS NULL THEN
        SELECT t.* INTO v_legacy FROM refresh_tokens t WHERE t.token_hash = p_token_hash;
        IF NOT FOUND THEN
            outcome := 'invalid'; RETURN NEXT; RETURN;
        END IF;
        v_sid := v_legacy.session_id;
    END IF;

    RETURN QUERY
    WITH rotated AS (
        UPDATE sessions s
        SET previous_hash = s.current_hash, current_hash = p_successor_hash, generation = s.generation + 1,
            rotated_at = v_now, last_used_at = v_now, idle_expires_at = LEAST(v_now + p_idle, s.expires_at)
        FROM users u
        WHERE s.id = v_sid AND s.current_hash = p_token_hash
          AND s.revoked_at IS NULL AND s.expires_at > v_now AND s.idle_expires_at > v_now
          AND u.id = s.user_id AND u.disabled_at IS NULL
        RETURNING s.id, s.expires_at, s.amr, u.id AS uid, u.email, u.email_verified_at, u.display_name, u.created_at,
                  u.roles, u.totp_enabled, u.passkey_count)
    SELECT 'rotated', r.id, r.uid, r.expires_at, r.email, r.email_verified_at IS NOT NULL, r.display_name, r.created_at,
           r.roles, r.amr, r.totp_enabled, r.passkey_count, NULL::bytea, NULL::integer
    FROM rotated r;
    IF FOUND THEN
        RETURN;
    END IF;

    SELECT s.* INTO v_session FROM sessions s WHERE s.id = v_sid FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'invalid'; RETURN NEXT; RETURN;
    END IF;
    -- The lock is held: from here on, this is the request's instant (a concurrent rotation has committed).
    v_now := clock_timestamp() + p_clock_offset;
    IF v_session.revoked_at IS NOT NULL OR v_session.expires_at <= v_now OR v_session.idle_expires_at <= v_now
       OR EXISTS (SELECT 1 FROM users u WHERE u.id = v_session.user_id AND u.disabled_at IS NOT NULL) THEN
        outcome := 'invalid'; RETURN NEXT; RETURN;
    END IF;
    IF v_legacy.id IS NULL AND v_session.current_hash IS NULL THEN
        SELECT t.* INTO v_legacy FROM refresh_tokens t WHERE t.token_hash = p_token_hash AND t.session_id = v_sid;
    END IF;

    IF v_session.previous_hash = p_token_hash AND v_session.current_hash = p_successor_hash
       AND v_now - v_session.rotated_at <= p_grace THEN
        v_outcome := 'grace';
    ELSIF v_legacy.id IS NOT NULL AND v_legacy.retired_at IS NULL THEN
        -- The previous release's newest token of this session: from now on the session row holds the state.
        UPDATE refresh_tokens t SET retired_at = v_now WHERE t.id = v_legacy.id;
        UPDATE sessions s
        SET previous_hash = p_token_hash, current_hash = p_successor_hash, generation = 1,
            rotated_at = v_now, last_used_at = v_now, idle_expires_at = LEAST(v_now + p_idle, s.expires_at)
        WHERE s.id = v_sid;
        v_outcome := 'rotated';
    ELSIF v_legacy.id IS NOT NULL AND v_now - v_legacy.retired_at <= p_grace AND EXISTS (
            SELECT 1 FROM refresh_tokens t
            WHERE t.id = v_legacy.replaced_by AND t.retired_at IS NULL AND t.token_hash = p_successor_hash) THEN
        -- A retry of a token a previous-release replica rotated a moment ago.
        v_outcome := 'grace';
    ELSIF v_session.previous_hash = p_token_hash OR v_legacy.id IS NOT NULL THEN
        PERFORM revoke_reused_session_v1(v_sid, p_clock_offset, p_ip, p_user_agent);
        v_outcome := 'reused';
    ELSIF v_session.current_hash IS NOT NULL THEN
        v_outcome := 'unknown';
    ELSE
        v_outcome := 'invalid';
    END IF;

    RETURN QUERY
    SELECT v_outcome, v_session.id, u.id, v_session.expires_at, u.email, u.email_verified_at IS NOT NULL,
           u.display_name, u.created_at, u.roles, v_session.amr, u.totp_enabled, u.passkey_count,
           v_session.current_hash, v_session.generation
    FROM users u WHERE u.id = v_session.user_id;
END
$$;
