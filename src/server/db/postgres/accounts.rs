//! Rows of accounts, on PostgreSQL (see `sqlite/accounts.rs`). Names are
//! unique and found without regard to case, through `lower(name)` (SQLite's
//! `COLLATE NOCASE`, which folds ASCII letters only: here every letter is
//! folded), and listed in the order of their lower-case bytes, as there.

use super::super::rows::{Holder, SessionRow, UserRow};
use super::super::{DbError, fits_opt, int};
use super::PgRepo;
use crate::accounts::{Role, TokenId, TokenSummary, UserId, UserSummary, Visibility};
use crate::model::MediaId;

impl PgRepo {
    /// Creates the first admin unless a user exists. The table lock makes
    /// concurrent setups (on any node) take turns, so exactly one wins: a
    /// plain `WHERE NOT EXISTS` would let two READ COMMITTED transactions
    /// both see no user.
    pub(crate) async fn create_first_admin(
        &self,
        name: &str,
        password_hash: &str,
    ) -> Result<Option<UserId>, DbError> {
        let id = UserId::generate();
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query(
            "INSERT INTO users (id, name, password_hash, role, created_at, updated_at)
             SELECT $1, $2, $3, 'admin', now(), now() WHERE NOT EXISTS (SELECT 1 FROM users)",
        )
        .bind(&id)
        .bind(name)
        .bind(password_hash)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query("UPDATE media SET owner_id = $1 WHERE owner_id IS NULL")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE uploads SET owner_id = $1 WHERE owner_id IS NULL")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    pub(crate) async fn has_users(&self) -> Result<bool, DbError> {
        let (any,): (bool,) = sqlx::query_as("SELECT EXISTS (SELECT 1 FROM users)")
            .fetch_one(&self.pool)
            .await?;
        Ok(any)
    }

    /// A new user; `None` when the name is taken (in any case).
    pub(crate) async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        role: Role,
        quota_bytes: Option<u64>,
    ) -> Result<Option<UserId>, DbError> {
        let id = UserId::generate();
        let done = sqlx::query(
            "INSERT INTO users (id, name, password_hash, role, quota_bytes, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, now(), now()) ON CONFLICT ((lower(name))) DO NOTHING",
        )
        .bind(&id)
        .bind(name)
        .bind(password_hash)
        .bind(role)
        .bind(quota_bytes.map(int))
        .execute(&self.pool)
        .await?;
        Ok((done.rows_affected() == 1).then_some(id))
    }

    pub(crate) async fn user_by_name(&self, name: &str) -> Result<Option<UserRow>, DbError> {
        Ok(sqlx::query_as::<_, UserRow>(
            "SELECT id, name, password_hash, role, disabled, quota_bytes FROM users
             WHERE lower(name) = lower($1)",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub(crate) async fn user(&self, id: &UserId) -> Result<Option<UserRow>, DbError> {
        Ok(sqlx::query_as::<_, UserRow>(
            "SELECT id, name, password_hash, role, disabled, quota_bytes FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub(crate) async fn users(&self) -> Result<Vec<UserSummary>, DbError> {
        // SUM of bigint is numeric: cast back (sizes are far below 2^63).
        let rows: Vec<(UserId, String, Role, bool, Option<i64>, i64)> = sqlx::query_as(
            "SELECT u.id, u.name, u.role, u.disabled, u.quota_bytes,
                    COALESCE((SELECT SUM(size_bytes) FROM media WHERE owner_id = u.id), 0)::bigint
             FROM users u ORDER BY lower(u.name) COLLATE \"C\", u.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, name, role, disabled, quota, used)| {
                Ok(UserSummary {
                    id,
                    name,
                    role,
                    disabled,
                    quota_bytes: fits_opt("quota_bytes", quota)?,
                    used_bytes: u64::try_from(used).unwrap_or(0),
                })
            })
            .collect()
    }

    pub(crate) async fn update_user(
        &self,
        id: &UserId,
        role: Option<Role>,
        disabled: Option<bool>,
        quota_bytes: Option<Option<u64>>,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE users SET role = COALESCE($1, role), disabled = COALESCE($2, disabled),
                 quota_bytes = CASE WHEN $3 THEN $4 ELSE quota_bytes END, updated_at = now()
             WHERE id = $5",
        )
        .bind(role)
        .bind(disabled)
        .bind(quota_bytes.is_some())
        .bind(quota_bytes.flatten().map(int))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn set_password(&self, id: &UserId, hash: &str) -> Result<bool, DbError> {
        let done =
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = now() WHERE id = $2")
                .bind(hash)
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn bytes_owned(&self, id: &UserId) -> Result<u64, DbError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT (COALESCE((SELECT SUM(size_bytes) FROM media WHERE owner_id = $1), 0)
                  + COALESCE((SELECT SUM(length) FROM uploads
                              WHERE owner_id = $1 AND state IN ('receiving', 'finalising')), 0)
                    )::bigint",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub(crate) async fn create_session(
        &self,
        token_hash: &str,
        user: &UserId,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(token_hash)
        .bind(user)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, DbError> {
        Ok(sqlx::query_as::<_, SessionRow>(
            "SELECT u.id AS user_id, u.name, u.role, u.disabled, s.last_seen_at, s.expires_at
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub(crate) async fn touch_session(&self, token_hash: &str, now_ms: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now_ms)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn delete_session(&self, token_hash: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn delete_sessions_of(
        &self,
        user: &UserId,
        keep: Option<&str>,
    ) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash != COALESCE($2, '')")
            .bind(user)
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn delete_expired_sessions(
        &self,
        idle_before_ms: i64,
        now_ms: i64,
    ) -> Result<u64, DbError> {
        let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR expires_at < $2")
            .bind(idle_before_ms)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn create_token(
        &self,
        token_hash: &str,
        user: &UserId,
        name: &str,
        now_ms: i64,
    ) -> Result<TokenId, DbError> {
        let id = TokenId::generate();
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, user_id, name, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(token_hash)
        .bind(user)
        .bind(name)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    pub(crate) async fn token_holder(&self, token_hash: &str) -> Result<Option<Holder>, DbError> {
        Ok(sqlx::query_as::<_, Holder>(
            "SELECT u.id AS user_id, u.name, u.role, u.disabled
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub(crate) async fn touch_token(&self, token_hash: &str, now_ms: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
            .bind(now_ms)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn tokens_of(&self, user: &UserId) -> Result<Vec<TokenSummary>, DbError> {
        let rows: Vec<(TokenId, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, created_at, last_used_at FROM api_tokens
             WHERE user_id = $1 ORDER BY created_at DESC",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, created_at, last_used_at)| TokenSummary {
                id,
                name,
                created_at,
                last_used_at,
            })
            .collect())
    }

    pub(crate) async fn delete_token(
        &self,
        user: &UserId,
        id: &TokenId,
    ) -> Result<Option<String>, DbError> {
        let row: Option<(String,)> = sqlx::query_as(
            "DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 RETURNING token_hash",
        )
        .bind(id)
        .bind(user)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(hash,)| hash))
    }

    pub(crate) async fn setting(&self, key: &str) -> Result<Option<String>, DbError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(v,)| v))
    }

    /// The setting's value, `value` first if it has none (atomically: every
    /// node that asks at once gets the same answer).
    pub(crate) async fn setting_or_insert(
        &self,
        key: &str,
        value: &str,
    ) -> Result<String, DbError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        let (value,): (String,) = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        Ok(value)
    }

    pub(crate) async fn set_setting(&self, key: &str, value: &str) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn change_access(
        &self,
        id: &MediaId,
        visibility: Option<Visibility>,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE media SET visibility = COALESCE($1, visibility),
                 access_generation = access_generation + 1, updated_at = now()
             WHERE id = $2",
        )
        .bind(visibility)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
