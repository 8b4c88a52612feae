//! API tokens, managed by admins.

use super::caller;
use crate::auth::{self, Role};
use crate::changes::Hub;
use crate::errors::ApiResult;
use crate::types::{ApiToken, Timestamp};
use async_graphql::{Context, Object, SimpleObject};
use sea_orm::DatabaseConnection;

/// A token just created: the only time the token itself is shown.
#[derive(SimpleObject)]
pub struct CreatedApiToken {
    /// The bearer token. Store it now: only its hash is kept.
    pub token: String,
    /// The token's record.
    pub api_token: ApiToken,
}

#[derive(Default)]
pub struct TokenMutation;

/// API tokens.
#[Object]
impl TokenMutation {
    /// Creates an API token. Needs an admin token.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A unique name (letters, digits, '-', '_', '.', '@'; at most 64), shown \
                          as the actor of every change made with the token."
        )]
        name: String,
        #[graphql(desc = "What the token may do.")] role: crate::types::Role,
        #[graphql(
            desc = "When the token stops being valid (in the future); it never expires when absent."
        )]
        expires_at: Option<Timestamp>,
    ) -> ApiResult<CreatedApiToken> {
        let viewer = caller(ctx, Role::Admin)?;
        let conn = crate::errors::data::<DatabaseConnection>(ctx)?;
        let (model, token) = auth::create_expiring_token(
            conn,
            &name,
            role.into(),
            viewer.actor(),
            expires_at.map(|t| t.0),
        )
        .await?;
        Ok(CreatedApiToken {
            token,
            api_token: ApiToken(model),
        })
    }

    /// Revokes an API token by name: it authenticates nothing from now on, and every WebSocket
    /// connection that authenticated with it, on every replica, is closed (4403). Needs an admin
    /// token.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's name.")] name: String,
    ) -> ApiResult<ApiToken> {
        caller(ctx, Role::Admin)?;
        let conn = crate::errors::data::<DatabaseConnection>(ctx)?;
        let revoked = auth::revoke_token(conn, &name).await?;
        if let Some(hub) = ctx.data_opt::<Hub>() {
            hub.tokens_changed();
        }
        Ok(ApiToken(revoked))
    }
}
