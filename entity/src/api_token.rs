//! Bearer tokens for the API. Only a hash of each token is stored.

use sea_orm::entity::prelude::*;

use crate::enums::Role;

/// An API token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_token")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Unique name, recorded as the actor of every change made with the token.
    #[sea_orm(column_type = "Text", unique)]
    pub name: String,
    /// What the token may do.
    pub role: Role,
    /// SHA-256 of the token, hex-encoded.
    #[sea_orm(column_type = "Text", unique)]
    pub token_hash: String,
    /// When the token was created.
    pub created_at: DateTimeUtc,
    /// Who created it (a token name, or `cli`).
    #[sea_orm(column_type = "Text")]
    pub created_by: String,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTimeUtc>,
    /// When it stops being valid; null for a token that never expires.
    pub expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
