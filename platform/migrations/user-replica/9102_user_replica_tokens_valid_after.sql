-- The user's token cut-off, from user.created/user.updated (tokens_valid_after): a token whose
-- iat is earlier was revoked (a password change, "log out everywhere") and is refused.
alter table user_replica add column if not exists tokens_valid_after timestamptz;
