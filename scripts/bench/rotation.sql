-- pgbench reference for POST /auth/refresh: the bare rotation transaction, one row updated by primary
-- key and one row inserted (durable commit, as the service's).
\set id random(1, 10000)
BEGIN;
UPDATE bench_sessions SET last_used_at = now(), generation = generation + 1 WHERE id = :id;
INSERT INTO bench_tokens (session_id, created_at) VALUES (:id, now());
END;
