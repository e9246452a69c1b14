-- pgbench reference: a bare UPDATE of one row by primary key (durable commit).
\set id random(1, 10000)
UPDATE bench_sessions SET last_used_at = now(), generation = generation + 1 WHERE id = :id;
