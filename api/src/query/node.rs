//! `node` and `nodes`: fetch any object by its global ID (Relay).

use crate::errors::{ApiError, ApiResult};
use crate::ids::GlobalId;
use crate::types::{load_node, Node};
use async_graphql::{Context, Object, ID};

/// The most IDs one `nodes` call may ask for.
const MAX_NODES: usize = 100;

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global ID. Null when no object has this ID; a string that is not
    /// an ID at all is a `BAD_USER_INPUT` error.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let gid = GlobalId::decode(&id, "id")?;
        load_node(ctx, &gid, &id, "id").await
    }

    /// Fetches several objects by global ID, in the order given (at most 100); null for each ID
    /// with no object.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global IDs, at most 100.")] ids: Vec<ID>,
    ) -> ApiResult<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::bad_input(
                "ids",
                format!(
                    "At most {MAX_NODES} IDs may be asked for at once (got {})",
                    ids.len()
                ),
            ));
        }
        let decoded = ids
            .iter()
            .enumerate()
            .map(|(i, id)| GlobalId::decode(id, &format!("ids.{i}")))
            .collect::<ApiResult<Vec<_>>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for (i, (gid, raw)) in decoded.iter().zip(&ids).enumerate() {
            out.push(load_node(ctx, gid, raw, &format!("ids.{i}")).await?);
        }
        Ok(out)
    }
}
