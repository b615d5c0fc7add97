-- An admin can disable an account: sign-in is refused and every session and token is revoked.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;
-- When an API token was last presented (written at most once an hour per token).
ALTER TABLE tokens ADD COLUMN last_used_at TIMESTAMP;
-- API tokens now expire: those issued before get the default term (90 days) from this upgrade.
UPDATE tokens SET expires_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '+90 days')
    WHERE kind = 'api' AND expires_at IS NULL;
