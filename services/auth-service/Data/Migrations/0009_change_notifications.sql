-- Change notifications for the replicas' in-memory session cache (Sessions/SessionCache): every change
-- that a bearer check depends on (a session revoked, shortened or deleted; the user object changed, the
-- user disabled or deleted) sends a NOTIFY on the one channel auth_changes, delivered at commit to every
-- replica's listener. The payload is the ids of the users concerned, comma-separated, or '*' (drop
-- everything) when they would not fit. Refresh rotation, the hottest write, notifies nothing: it only
-- extends idle_expires_at, and the cache re-reads a session once its cached expiry has passed.
-- Triggers and functions only, no table changes: the previous release runs unchanged against this schema.

CREATE FUNCTION notify_auth_changes(user_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(user_ids), 0) = 0 THEN
        RETURN;
    END IF;
    -- 37 bytes per id: 200 stay well under NOTIFY's 8000-byte payload limit; more (a bulk cleanup) drop everything.
    IF cardinality(user_ids) > 200 THEN
        PERFORM pg_notify('auth_changes', '*');
    ELSE
        PERFORM pg_notify('auth_changes', array_to_string(user_ids, ','));
    END IF;
END $$;

-- One row's change: one notification per user (PostgreSQL folds identical payloads of one transaction,
-- so logging out everywhere, which revokes many sessions of one user, sends one).
CREATE FUNCTION notify_auth_user_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_changes', NEW.id::text);
    RETURN NULL;
END $$;

CREATE FUNCTION notify_auth_session_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_changes', NEW.user_id::text);
    RETURN NULL;
END $$;

CREATE FUNCTION notify_auth_deleted_users() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notify_auth_changes(ARRAY(SELECT DISTINCT id FROM gone));
    RETURN NULL;
END $$;

CREATE FUNCTION notify_auth_deleted_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notify_auth_changes(ARRAY(SELECT DISTINCT user_id FROM gone));
    RETURN NULL;
END $$;

CREATE FUNCTION notify_auth_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_changes', '*');
    RETURN NULL;
END $$;

-- The user object (Shared/UserRow.Columns) and the disabled state. Signins update last_signin_at and
-- password changes password_hash: neither column is listed, so those updates do not even run the trigger.
CREATE TRIGGER users_changed AFTER UPDATE OF email, email_verified_at, display_name, created_at, roles, disabled_at, totp_enabled, passkey_count
    ON users FOR EACH ROW
    WHEN (OLD.email IS DISTINCT FROM NEW.email OR OLD.email_verified_at IS DISTINCT FROM NEW.email_verified_at
          OR OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.created_at IS DISTINCT FROM NEW.created_at
          OR OLD.roles IS DISTINCT FROM NEW.roles OR OLD.disabled_at IS DISTINCT FROM NEW.disabled_at
          OR OLD.totp_enabled IS DISTINCT FROM NEW.totp_enabled OR OLD.passkey_count IS DISTINCT FROM NEW.passkey_count)
    EXECUTE FUNCTION notify_auth_user_changed();

-- Statement-level with the deleted rows as a transition table: one notification per statement, however many rows.
CREATE TRIGGER users_deleted AFTER DELETE ON users REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_deleted_users();

-- Revocation, and a lifetime made shorter. A refresh sets idle_expires_at later (and last_used_at): the
-- WHEN clause is false for it, so it sends nothing and calls no function.
CREATE TRIGGER sessions_changed AFTER UPDATE OF revoked_at, expires_at, idle_expires_at
    ON sessions FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR NEW.expires_at < OLD.expires_at OR NEW.idle_expires_at < OLD.idle_expires_at)
    EXECUTE FUNCTION notify_auth_session_changed();

-- The cleanup deletes expired sessions in bulk, and a deleted user's sessions go by cascade.
CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_deleted_sessions();

CREATE TRIGGER users_truncated AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_truncated();
CREATE TRIGGER sessions_truncated AFTER TRUNCATE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_truncated();
