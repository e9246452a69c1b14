-- pgbench reference for POST /auth/refresh: the bare rotation, one row updated by primary key and one row
-- inserted, in one statement (one round trip and one durable commit, as the service's one function call).
\set id random(1, 10000)
WITH rotated AS (
    UPDATE bench_sessions SET last_used_at = now(), generation = generation + 1 WHERE id = :id RETURNING id)
INSERT INTO bench_tokens (session_id, created_at) SELECT id, now() FROM rotated;
