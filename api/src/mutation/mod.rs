//! The root `Mutation` type, merged from one part per domain. Every mutation needs a token with
//! the editor role (tokens: admin); each runs in one transaction, so a failed mutation writes
//! nothing.

#[macro_use]
mod writes;

mod bundles;
mod commitments;
mod exercises;
mod findings;
mod metrics;
mod organisations;
mod resources;
mod review;
mod sessions;
mod source_documents;
mod themes;
mod tokens;
mod views;

use crate::auth::caller;
use crate::curation;
use crate::errors::{ApiError, ApiResult};
use crate::ids::{GlobalId, NodeKind};
use crate::types::Mission;
use async_graphql::{Context, Enum, InputObject, MergedObject, SimpleObject, ID};
use chrono::Utc;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

/// The write API: curation of the evidence, review, API tokens.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    source_documents::SourceDocumentMutation,
    themes::ThemeMutation,
    organisations::OrganisationMutation,
    exercises::ExerciseMutation,
    sessions::SessionMutation,
    findings::FindingMutation,
    views::ViewMutation,
    metrics::MetricMutation,
    resources::ResourceMutation,
    commitments::CommitmentMutation,
    review::ReviewMutation,
    tokens::TokenMutation,
    bundles::BundleMutation,
);

/// Opens the writing transaction of a mutation.
pub(crate) async fn begin(ctx: &Context<'_>) -> ApiResult<DatabaseTransaction> {
    curation::begin(crate::errors::data::<DatabaseConnection>(ctx)?).await
}

/// Commits a mutation's transaction and wakes subscribers on this replica.
pub(crate) async fn commit(ctx: &Context<'_>, txn: DatabaseTransaction) -> ApiResult<()> {
    curation::commit(txn).await?;
    // The writer reads its own write in its next request: the index takes it before we answer.
    if let Some(engine) = ctx.data_opt::<crate::engine::Engine>() {
        engine
            .refresh(crate::errors::data::<DatabaseConnection>(ctx)?)
            .await;
    }
    if let Some(hub) = ctx.data_opt::<crate::changes::Hub>() {
        hub.poke();
    }
    Ok(())
}

/// Decodes a reference argument of a given kind.
pub(crate) fn id_of(id: &ID, kind: NodeKind, field: &str) -> ApiResult<i32> {
    GlobalId::decode_int(id, kind, field)
}

/// Decodes a list of references.
pub(crate) fn ids_of(ids: &[ID], kind: NodeKind, field: &str) -> ApiResult<Vec<i32>> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| id_of(id, kind, &format!("{field}[{i}]")))
        .collect()
}

/// Decodes an optional reference of a create input.
pub(crate) fn opt_id_of(id: &Option<ID>, kind: NodeKind, field: &str) -> ApiResult<Option<i32>> {
    id.as_ref().map(|id| id_of(id, kind, field)).transpose()
}

pub(crate) fn missions(list: &[Mission]) -> Vec<entity::enums::Mission> {
    list.iter().map(|m| (*m).into()).collect()
}

/// The version the writer last read; must be positive.
pub(crate) fn version_arg(v: i64, field: &str) -> ApiResult<i64> {
    if v < 1 {
        return Err(ApiError::bad_input(field, "Versions start at 1"));
    }
    Ok(v)
}

/// An integrator's key for an object.
#[derive(InputObject, Clone, Debug)]
pub struct ExternalKeyInput {
    /// The integrator's system, e.g. `acme-crm` (1 to 200 characters).
    pub source: String,
    /// The object's ID in that system (1 to 200 characters).
    pub id: String,
}

impl ExternalKeyInput {
    pub(crate) fn checked(&self, field: &str) -> ApiResult<curation::External> {
        let external = curation::External {
            source: self.source.clone(),
            id: self.id.clone(),
        };
        for (name, value) in [("source", &external.source), ("id", &external.id)] {
            if !curation::external_part_ok(value) {
                return Err(ApiError::bad_input(
                    &format!("{field}.{name}"),
                    "Must be 1 to 200 characters",
                ));
            }
        }
        Ok(external)
    }
}

/// What an upsert did.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum WriteOutcome {
    /// No object had the external key: one was created.
    Created,
    /// The object existed and differed: it was updated (its version went up).
    Updated,
    /// The object existed and already held these values: nothing was written.
    Unchanged,
}

impl From<curation::Outcome> for WriteOutcome {
    fn from(o: curation::Outcome) -> Self {
        match o {
            curation::Outcome::Created => WriteOutcome::Created,
            curation::Outcome::Updated => WriteOutcome::Updated,
            curation::Outcome::Unchanged => WriteOutcome::Unchanged,
        }
    }
}

/// What remains of a deleted object; the change feed carries the same tombstone.
#[derive(SimpleObject)]
pub struct Tombstone {
    /// The deleted object's global ID.
    pub id: ID,
    /// Its version when it was deleted.
    pub version: i64,
    /// When it was deleted.
    pub deleted_at: crate::types::Timestamp,
}

impl Tombstone {
    pub(crate) fn new(kind: NodeKind, id: i32, version: i64) -> Self {
        Tombstone {
            id: GlobalId::encode(kind, id),
            version,
            deleted_at: crate::types::Timestamp(Utc::now()),
        }
    }
}
