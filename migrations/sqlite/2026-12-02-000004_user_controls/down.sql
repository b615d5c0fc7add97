ALTER TABLE tokens DROP COLUMN last_used_at;
ALTER TABLE users DROP COLUMN disabled_at;
