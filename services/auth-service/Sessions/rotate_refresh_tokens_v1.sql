-- rotate_refresh_tokens_v1: the common case of rotate_refresh_token_v3 (the newest token of a live session) for
-- many sessions in one statement and one commit, called by RefreshRotationBatcher.cs beside this file with the
-- refreshes that arrived while the previous batch was in the database. Not a migration: (re)applied with
-- CREATE OR REPLACE at every startup, like v3.
--
-- Element i of the three arrays is one refresh: the session the token names, the presented token's hash and the
-- successor's hash. A row comes back for each session rotated, with its new current_hash (the successor's hash,
-- by which the caller tells its refreshes apart) and the user's object. A refresh without a row is left for
-- rotate_refresh_token_v3, which decides grace, reuse, conflict and invalid under the row's lock exactly as
-- without this function.
--
-- It never waits for a row lock: a session locked by another transaction (its slow path, a revocation, a refresh on
-- another replica) is skipped (SKIP LOCKED), so one busy session cannot hold up a batch. It locks only the sessions
-- whose newest hash was presented (a wrong or old token locks nothing), and holds them from the lock to the commit.
-- A table lock (an operator's ALTER TABLE) is waited for up to p_lock_timeout, as v3 waits; then the batch fails and
-- its refreshes go to v3 one by one.
-- Two refreshes of one session presenting the same token rotate it once and both match the returned row: they get
-- the same successor, as v3's grace rule would have given them.
CREATE OR REPLACE FUNCTION rotate_refresh_tokens_v1(
    p_session_ids uuid[], p_token_hashes bytea[], p_successor_hashes bytea[], p_clock_offset interval, p_idle interval,
    p_lock_timeout text)
RETURNS TABLE (outcome text, session_id uuid, user_id uuid, session_expires_at timestamptz,
               email text, email_verified boolean, display_name text, user_created_at timestamptz,
               roles text[], amr text[], totp_enabled boolean, passkey_count integer,
               current_hash bytea, generation integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := clock_timestamp() + p_clock_offset;
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout, true);
    RETURN QUERY
    WITH presented AS (
        SELECT * FROM unnest(p_session_ids, p_token_hashes, p_successor_hashes) AS p(session_id, token_hash, successor_hash)),
    locked AS (
        SELECT s.id FROM sessions s JOIN presented p ON p.session_id = s.id AND p.token_hash = s.current_hash
        FOR NO KEY UPDATE OF s SKIP LOCKED),
    rotated AS (
        UPDATE sessions s
        SET previous_hash = s.current_hash, current_hash = p.successor_hash, generation = s.generation + 1,
            rotated_at = v_now, last_used_at = v_now, idle_expires_at = LEAST(v_now + p_idle, s.expires_at)
        FROM presented p, users u
        WHERE s.id = p.session_id AND s.id IN (SELECT l.id FROM locked l) AND s.current_hash = p.token_hash
          AND s.revoked_at IS NULL AND s.expires_at > v_now AND s.idle_expires_at > v_now
          AND u.id = s.user_id AND u.disabled_at IS NULL
        RETURNING s.id, s.expires_at, s.amr, s.current_hash, s.generation, u.id AS uid, u.email, u.email_verified_at,
                  u.display_name, u.created_at, u.roles, u.totp_enabled, u.passkey_count)
    SELECT 'rotated', r.id, r.uid, r.expires_at, r.email, r.email_verified_at IS NOT NULL, r.display_name, r.created_at,
           r.roles, r.amr, r.totp_enabled, r.passkey_count, r.current_hash, r.generation
    FROM rotated r;
END
$$;
