-- The refresh state moves onto the session row. A rotation becomes one UPDATE by primary key that changes
-- no indexed column (a HOT update), instead of an INSERT into refresh_tokens, an UPDATE of the retired token
-- and an UPDATE of the session; refresh_tokens stops growing with every refresh.
--   current_hash   SHA-256 of the secret of the session's newest refresh token
--   previous_hash  SHA-256 of the secret it replaced (the grace rule compares with it)
--   generation     rotations so far: a presented secret that is a genuine ancestor reaches current_hash in at
--                  most this many successor steps (successors are an HMAC chain), which proves a reuse
--   rotated_at     when current_hash was issued by a rotation (the grace window runs from it)
-- Sessions of the previous release have no current_hash yet: their tokens are still rows of refresh_tokens, and
-- rotate_refresh_token_v3 takes a session over from there at its first refresh. refresh_tokens stays, read-only
-- for this release, and still written by the previous release's replicas during a rolling update.
ALTER TABLE sessions
    ADD COLUMN current_hash  bytea,
    ADD COLUMN previous_hash bytea,
    ADD COLUMN generation    integer NOT NULL DEFAULT 0,
    ADD COLUMN rotated_at    timestamptz;

-- Room on each page for the new row version of a HOT update.
ALTER TABLE sessions SET (fillfactor = 80);

-- rotate_refresh_token_v3 (unreleased) takes the session's id now: created again right after the migrations.
DROP FUNCTION IF EXISTS rotate_refresh_token_v3(bytea, bytea, interval, interval, interval, text, text, text);
