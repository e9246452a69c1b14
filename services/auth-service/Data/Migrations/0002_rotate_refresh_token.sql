-- Refresh rotation as one server-side function, so POST /auth/refresh costs one database round
-- trip. Each statement of a (volatile) PL/pgSQL function takes a fresh snapshot, so once the
-- session row is locked, the token rows read afterwards show everything an earlier holder of the
-- lock committed: parallel refreshes of one session are strictly serialized.
--
-- Outcomes: 'invalid'  unknown token, session revoked or expired (idle or absolute)
--           'rotated'  the token was the newest: retired, p_successor_hash inserted as the newest
--           'grace'    the token is the newest token's immediate predecessor, retired within
--                      p_grace, and the newest is still unused: the caller re-derives that same
--                      successor (it is an HMAC of the presented token) and returns it
--           'reused'   any other retired token: the session is revoked, and since nothing raises,
--                      that revocation commits although the HTTP request fails
CREATE FUNCTION rotate_refresh_token(
    p_token_hash bytea, p_successor_hash bytea, p_now timestamptz,
    p_idle interval, p_grace interval, p_lock_timeout text)
RETURNS TABLE (outcome text, session_id uuid, user_id uuid, session_expires_at timestamptz,
               email text, email_verified boolean, display_name text, user_created_at timestamptz,
               user_agent text, ip text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_session    sessions%ROWTYPE;
    v_token      refresh_tokens%ROWTYPE;
    v_successor  refresh_tokens%ROWTYPE;
    v_outcome    text;
BEGIN
    -- Waiting longer than p_lock_timeout raises lock_not_available (55P03): the caller answers 409.
    -- (Transaction-local; the later row locks are uncontended once the session row is held.)
    PERFORM set_config('lock_timeout', p_lock_timeout, true);
    SELECT s.* INTO v_session FROM sessions s
    WHERE s.id = (SELECT t.session_id FROM refresh_tokens t WHERE t.token_hash = p_token_hash)
    FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'invalid'; RETURN NEXT; RETURN;
    END IF;

    SELECT t.* INTO v_token FROM refresh_tokens t WHERE t.token_hash = p_token_hash;

    IF v_session.revoked_at IS NOT NULL OR v_session.expires_at <= p_now OR v_session.idle_expires_at <= p_now THEN
        outcome := 'invalid'; RETURN NEXT; RETURN;
    END IF;

    IF v_token.retired_at IS NULL THEN
        INSERT INTO refresh_tokens (session_id, token_hash, created_at)
        VALUES (v_session.id, p_successor_hash, p_now)
        RETURNING id INTO v_successor.id;
        UPDATE refresh_tokens t SET retired_at = p_now, replaced_by = v_successor.id WHERE t.id = v_token.id;
        UPDATE sessions s SET last_used_at = p_now, idle_expires_at = LEAST(p_now + p_idle, s.expires_at)
        WHERE s.id = v_session.id;
        v_outcome := 'rotated';
    ELSE
        SELECT t.* INTO v_successor FROM refresh_tokens t WHERE t.id = v_token.replaced_by;
        IF v_successor.retired_at IS NULL
           AND v_successor.token_hash = p_successor_hash
           AND p_now - v_token.retired_at <= p_grace THEN
            v_outcome := 'grace';
        ELSE
            UPDATE sessions s SET revoked_at = p_now, revoked_reason = 'refresh_token_reused' WHERE s.id = v_session.id;
            v_outcome := 'reused';
        END IF;
    END IF;

    RETURN QUERY
    SELECT v_outcome, v_session.id, u.id, v_session.expires_at, u.email, u.email_verified_at IS NOT NULL,
           u.display_name, u.created_at, v_session.user_agent, v_session.ip
    FROM users u WHERE u.id = v_session.user_id;
END
$$;
