//! Who is calling: bearer API tokens, their roles, and what each role may do.
//!
//! A token is `pv_` followed by 43 characters of base64url (32 random bytes). Only its SHA-256 is
//! stored, so a database leak discloses no usable token; the token itself is shown once, when it
//! is created. Tokens are never logged.

use crate::errors::{db, ApiError, ApiResult};
use base64::Engine;
use chrono::Utc;
use entity::api_token;
pub use entity::enums::Role;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};

const PREFIX: &str = "pv_";

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

/// Resolves the `Authorization` header (if any) to a viewer.
pub async fn authenticate<C: ConnectionTrait>(
    conn: &C,
    authorization: Option<&str>,
) -> ApiResult<Viewer> {
    let Some(header) = authorization else {
        return Ok(Viewer::Anonymous);
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
        .filter(api_token::Column::RevokedAt.is_null())
        .one(conn)
        .await)?;
    match found {
        Some(t) => Ok(Viewer::Token {
            name: t.name,
            role: t.role,
        }),
        None => Err(ApiError::Unauthenticated(
            "The API token is not valid or has been revoked".to_string(),
        )),
    }
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

/// Creates a token and returns its row with the token itself, which is not stored.
pub async fn create_token<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    role: Role,
    created_by: &str,
) -> ApiResult<(api_token::Model, String)> {
    check_name(name)?;
    let token = generate_token()?;
    let model = api_token::ActiveModel {
        name: Set(name.to_string()),
        role: Set(role),
        token_hash: Set(hash_token(&token)),
        created_at: Set(Utc::now()),
        created_by: Set(created_by.to_string()),
        revoked_at: Set(None),
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

/// Revokes a token by name. Revoking a revoked token changes nothing.
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
    db(active.update(conn).await)
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
