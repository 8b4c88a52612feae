//! Creating, changing, upserting and deleting sessions of exercises.

use super::{
    begin, by_external, caller, commit, id_of, maybe, version_arg, ExternalKeyInput, Tombstone,
    WriteOutcome,
};
use crate::auth::Role;
use crate::curation::{self, sessions::SessionFields, sessions::Sessions};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Session, SessionFormat};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use entity::session;

/// A new session.
#[derive(InputObject)]
pub struct CreateSessionInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among sessions.
    pub slug: String,
    /// The exercise it belongs to.
    pub exercise_id: ID,
    /// Name of the session (at most 300 characters).
    pub title: String,
    /// Its position among the exercise's sessions, if numbered (not negative).
    pub sequence: Option<i32>,
    /// When it was held: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Where it was held (at most 200 characters).
    pub place: Option<String>,
    /// Whether it met in person, online or both.
    pub format: Option<SessionFormat>,
    /// The source document it is transcribed from.
    pub source_id: ID,
    /// Where in that document it is stated (at most 500 characters).
    pub locator: String,
}

impl CreateSessionInput {
    fn fields(&self, at: &str) -> ApiResult<SessionFields> {
        Ok(SessionFields {
            slug: self.slug.clone(),
            exercise_id: id_of(
                &self.exercise_id,
                NodeKind::Exercise,
                &format!("{at}.exerciseId"),
            )?,
            title: self.title.clone(),
            sequence: self.sequence,
            date: self.date.clone(),
            place: self.place.clone(),
            format: self.format.map(Into::into),
            source_document_id: id_of(
                &self.source_id,
                NodeKind::SourceDocument,
                &format!("{at}.sourceId"),
            )?,
            locator: self.locator.clone(),
        })
    }
}

/// Changes to a session: only the fields given change; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateSessionInput {
    /// The session to change.
    pub id: ID,
    /// The version the change was based on (`Session.version`); if the session has moved on,
    /// the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New exercise.
    pub exercise_id: Option<ID>,
    /// New title.
    pub title: Option<String>,
    /// New position, or `null` for unnumbered.
    pub sequence: MaybeUndefined<i32>,
    /// New date, or `null` for unknown.
    pub date: MaybeUndefined<String>,
    /// New place, or `null` for unknown.
    pub place: MaybeUndefined<String>,
    /// New format, or `null` for unknown.
    pub format: MaybeUndefined<SessionFormat>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl UpdateSessionInput {
    fn apply(&self, mut f: SessionFields) -> ApiResult<SessionFields> {
        if let Some(v) = &self.slug {
            f.slug = v.clone();
        }
        if let Some(v) = &self.exercise_id {
            f.exercise_id = id_of(v, NodeKind::Exercise, "input.exerciseId")?;
        }
        if let Some(v) = &self.title {
            f.title = v.clone();
        }
        f.sequence = maybe(&self.sequence, f.sequence);
        f.date = maybe(&self.date, f.date);
        f.place = maybe(&self.place, f.place);
        f.format = maybe(&self.format.map_value(Into::into), f.format);
        if let Some(v) = &self.source_id {
            f.source_document_id = id_of(v, NodeKind::SourceDocument, "input.sourceId")?;
        }
        if let Some(v) = &self.locator {
            f.locator = v.clone();
        }
        Ok(f)
    }
}

/// The result of an upsert.
#[derive(SimpleObject)]
pub struct SessionUpsert {
    /// The session as stored.
    pub session: Session,
    /// Whether it was created, updated or left unchanged.
    pub outcome: WriteOutcome,
}

#[derive(Default)]
pub struct SessionMutation;

/// Sessions of exercises.
#[Object]
impl SessionMutation {
    /// Creates a session. Needs an editor token.
    async fn create_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new session.")] input: CreateSessionInput,
    ) -> ApiResult<Session> {
        let viewer = caller(ctx, Role::Editor)?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let model =
            curation::create::<Sessions, _>(&txn, viewer.actor(), &fields, None, "input").await?;
        commit(ctx, txn).await?;
        Ok(Session(model))
    }

    /// Changes a session, if it is still at `expectedVersion`. Needs an editor token.
    async fn update_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session and the changes.")] input: UpdateSessionInput,
    ) -> ApiResult<Session> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&input.id, NodeKind::Session, "input.id")?;
        let expected = version_arg(input.expected_version, "input.expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) = curation::current::<Sessions, _>(&txn, id, Some(expected)).await?;
        let after = input.apply(before.clone())?;
        let (model, _) =
            curation::update::<Sessions, _>(&txn, viewer.actor(), &model, &before, &after, "input")
                .await?;
        commit(ctx, txn).await?;
        Ok(Session(model))
    }

    /// Creates or updates the session an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    async fn upsert_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integrator's key for the session.")] external_key: ExternalKeyInput,
        #[graphql(desc = "The session's values.")] input: CreateSessionInput,
    ) -> ApiResult<SessionUpsert> {
        let viewer = caller(ctx, Role::Editor)?;
        let external = external_key.checked("externalKey")?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let existing = by_external::<session::Entity, _>(
            &txn,
            &external,
            session::Column::ExternalSource,
            session::Column::ExternalId,
            |m| m.id,
        )
        .await?;
        let (model, outcome) = curation::upsert::<Sessions, _>(
            &txn,
            viewer.actor(),
            existing,
            &fields,
            &external,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(SessionUpsert {
            session: Session(model),
            outcome: outcome.into(),
        })
    }

    /// Deletes a session, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Refused (`CONFLICT`) while participant views are filed under it. Needs an editor token.
    async fn delete_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session to delete.")] id: ID,
        #[graphql(desc = "The version the deletion was based on.")] expected_version: i64,
    ) -> ApiResult<Tombstone> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&id, NodeKind::Session, "id")?;
        let expected = version_arg(expected_version, "expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) = curation::current::<Sessions, _>(&txn, id, Some(expected)).await?;
        curation::delete::<Sessions, _>(&txn, viewer.actor(), &model, &before).await?;
        commit(ctx, txn).await?;
        Ok(Tombstone::new(NodeKind::Session, id, model.version))
    }
}
