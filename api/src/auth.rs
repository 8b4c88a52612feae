//! Who is calling: bearer API tokens, their roles, and what each role may do.
//!
//! A token is `pv_` followed by 43 characters of base64url (32 random bytes). Only its SHA-256 is
//! stored, so a database leak discloses no usable token; the token itself is shown once, when it
//! is created. Tokens are never logged.
//!
//! A token may carry an expiry. Revoked and expired tokens authenticate nothing; a revocation is
//! announced (on PostgreSQL by `NOTIFY` on [`TOKEN_CHANNEL`], and through the change hub's poll
//! of the token table) so that open WebSocket connections using the token close at once.

use crate::errors::{db, ApiError, ApiResult};
use base64::Engine;
use chrono::{DateTime, Utc};
use entity::api_token;
pub use entity::enums::Role;
use sea_orm::{
    sea_query::Condition, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, Statement,
};
use sha2::{Digest, Sha256};

const PREFIX: &str = "pv_";

/// The PostgreSQL channel a token revocation is announced on; every replica listens on it.
pub const TOKEN_CHANNEL: &str = "public_voice_tokens";

/// The caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// No token was sent.
    Anonymous,
    /// A valid token was sent.
    Token { name: String, role: Role },
}

impl Viewer {
    /// The role, if any.
    pub fn role(&self) -> Option<Role> {
        match self {
            Viewer::Anonymous => None,
            Viewer::Token { role, .. } => Some(*role),
        }
    }

    /// The name recorded as the actor of changes.
    pub fn actor(&self) -> &str {
        match self {
            Viewer::Anonymous => "anonymous",
            Viewer::Token { name, .. } => name,
        }
    }

    /// Whether drafts and rows in review are visible: editors and admins only.
    pub fn sees_unpublished(&self) -> bool {
        self.role().is_some_and(|r| r >= Role::Editor)
    }

    /// Refuses the call unless the viewer holds at least `role`.
    pub fn require(&self, role: Role) -> ApiResult<()> {
        match self.role() {
            None => Err(ApiError::Unauthenticated(
                "This operation needs an API token: send `Authorization: Bearer <token>`".into(),
            )),
            Some(have) if have < role => Err(ApiError::Forbidden(format!(
                "This operation needs the {} role; the token has {}",
                role_name(role),
                role_name(have)
            ))),
            Some(_) => Ok(()),
        }
    }
}

/// The role as it is spelled in the schema and on the command line.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Reader => "READER",
        Role::Editor => "EDITOR",
        Role::Admin => "ADMIN",
    }
}

/// Parses a role name, case-insensitively.
pub fn parse_role(s: &str) -> Option<Role> {
    match s.to_ascii_uppercase().as_str() {
        "READER" => Some(Role::Reader),
        "EDITOR" => Some(Role::Editor),
        "ADMIN" => Some(Role::Admin),
        _ => None,
    }
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn generate_token() -> ApiResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| {
        tracing::error!(error = %err, "no randomness for a token");
        ApiError::Internal
    })?;
    Ok(format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// A token that authenticated a caller: what is needed to check later that it still does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The stored hash of the token (never the token itself).
    pub token_hash: String,
    /// When the token expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Resolves the `Authorization` header (if any) to a viewer.
pub async fn authenticate<C: ConnectionTrait>(
    conn: &C,
    authorization: Option<&str>,
) -> ApiResult<Viewer> {
    Ok(authenticate_credential(conn, authorization).await?.0)
}

/// Only tokens that are neither revoked nor expired.
fn valid_now() -> Condition {
    Condition::all()
        .add(api_token::Column::RevokedAt.is_null())
        .add(
            Condition::any()
                .add(api_token::Column::ExpiresAt.is_null())
                .add(api_token::Column::ExpiresAt.gt(Utc::now())),
        )
}

/// Resolves the `Authorization` header (if any) to a viewer, with the credential it used (none
/// for an anonymous caller), so a long-lived connection can check it again.
pub async fn authenticate_credential<C: ConnectionTrait>(
    conn: &C,
    authorization: Option<&str>,
) -> ApiResult<(Viewer, Option<Credential>)> {
    let Some(header) = authorization else {
        return Ok((Viewer::Anonymous, None));
    };
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthenticated(
                "The Authorization header must be `Bearer <token>`".to_string(),
            )
        })?;
    let found = db(api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash_token(token)))
        .filter(valid_now())
        .one(conn)
        .await)?;
    match found {
        Some(t) => Ok((
            Viewer::Token {
                name: t.name,
                role: t.role,
            },
            Some(Credential {
                token_hash: t.token_hash,
                expires_at: t.expires_at,
            }),
        )),
        None => Err(ApiError::Unauthenticated(
            "The API token is not valid, has expired or has been revoked".to_string(),
        )),
    }
}

/// Whether a credential still authenticates (not revoked, not expired).
pub async fn still_valid<C: ConnectionTrait>(conn: &C, credential: &Credential) -> ApiResult<bool> {
    let n = db(api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(credential.token_hash.as_str()))
        .filter(valid_now())
        .count(conn)
        .await)?;
    Ok(n > 0)
}

/// How many tokens have ever been revoked: revocation cannot be undone, so a change in this
/// number means a revocation happened (the hub polls it to catch revocations by other processes).
pub async fn revoked_count<C: ConnectionTrait>(conn: &C) -> ApiResult<u64> {
    db(api_token::Entity::find()
        .filter(api_token::Column::RevokedAt.is_not_null())
        .count(conn)
        .await)
}

/// Checks a token name: what the audit log shows as the actor.
fn check_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_input(
            "name",
            "A token name is 1 to 64 letters, digits, '-', '_', '.' or '@'",
        ))
    }
}

/// Creates a token that never expires and returns its row with the token itself, which is not
/// stored.
pub async fn create_token<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    role: Role,
    created_by: &str,
) -> ApiResult<(api_token::Model, String)> {
    create_expiring_token(conn, name, role, created_by, None).await
}

/// Creates a token, valid until `expires_at` (which must be in the future) when given.
pub async fn create_expiring_token<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    role: Role,
    created_by: &str,
    expires_at: Option<DateTime<Utc>>,
) -> ApiResult<(api_token::Model, String)> {
    check_name(name)?;
    if expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(ApiError::bad_input(
            "expiresAt",
            "A token's expiry must be in the future",
        ));
    }
    let token = generate_token()?;
    let model = api_token::ActiveModel {
        name: Set(name.to_string()),
        role: Set(role),
        token_hash: Set(hash_token(&token)),
        created_at: Set(Utc::now()),
        created_by: Set(created_by.to_string()),
        revoked_at: Set(None),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|err| match ApiError::from(err) {
        ApiError::Conflict(_) => ApiError::conflict(format!("A token named {name:?} exists")),
        other => other,
    })?;
    Ok((model, token))
}

/// Every token, oldest first (hashes included; callers show only what they should).
pub async fn list_tokens<C: ConnectionTrait>(conn: &C) -> ApiResult<Vec<api_token::Model>> {
    db(api_token::Entity::find()
        .order_by_asc(api_token::Column::Id)
        .all(conn)
        .await)
}

/// Revokes a token by name. Revoking a revoked token changes nothing. On PostgreSQL every
/// replica is told at once (`NOTIFY`), whoever revoked it (a mutation or the command line).
pub async fn revoke_token<C: ConnectionTrait>(conn: &C, name: &str) -> ApiResult<api_token::Model> {
    let found = db(api_token::Entity::find()
        .filter(api_token::Column::Name.eq(name))
        .one(conn)
        .await)?
    .ok_or_else(|| ApiError::not_found(format!("No token is named {name:?}")))?;
    if found.revoked_at.is_some() {
        return Ok(found);
    }
    let mut active: api_token::ActiveModel = found.into();
    active.revoked_at = Set(Some(Utc::now()));
    let revoked = db(active.update(conn).await)?;
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        db(conn
            .execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, '')",
                [TOKEN_CHANNEL.into()],
            ))
            .await)?;
    }
    Ok(revoked)
}

/// Parses a lifetime such as `90d`, `12h`, `30m` or `45s` (a whole number and a unit).
pub fn parse_lifetime(s: &str) -> Option<chrono::Duration> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()]
        .parse()
        .ok()
        .filter(|n| *n > 0)?;
    match unit {
        'd' => chrono::Duration::try_days(n),
        'h' => chrono::Duration::try_hours(n),
        'm' => chrono::Duration::try_minutes(n),
        's' => chrono::Duration::try_seconds(n),
        _ => None,
    }
}

/// The caller of a GraphQL operation, who must hold at least `role`.
pub fn caller<'a>(ctx: &async_graphql::Context<'a>, role: Role) -> ApiResult<&'a Viewer> {
    static ANONYMOUS: Viewer = Viewer::Anonymous;
    let viewer = ctx.data_opt::<Viewer>().unwrap_or(&ANONYMOUS);
    viewer.require(role)?;
    Ok(viewer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("pv_") && a.len() == 46, "{a}");
        assert_eq!(hash_token(&a).len(), 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
    }

    #[test]
    fn lifetimes_are_parsed() {
        assert_eq!(parse_lifetime("90d"), chrono::Duration::try_days(90));
        assert_eq!(parse_lifetime("12h"), chrono::Duration::try_hours(12));
        assert_eq!(parse_lifetime("2s"), chrono::Duration::try_seconds(2));
        assert_eq!(parse_lifetime("0d"), None);
        assert_eq!(parse_lifetime("soon"), None);
        assert_eq!(parse_lifetime(""), None);
    }

    #[test]
    fn roles_are_ordered() {
        let editor = Viewer::Token {
            name: "e".into(),
            role: Role::Editor,
        };
        assert!(editor.require(Role::Reader).is_ok());
        assert!(editor.require(Role::Editor).is_ok());
        assert_eq!(editor.require(Role::Admin).unwrap_err().code(), "FORBIDDEN");
        assert_eq!(
            Viewer::Anonymous.require(Role::Reader).unwrap_err().code(),
            "UNAUTHENTICATED"
        );
    }
}
