//! Organisations and the parts they played in exercises.

use super::support::{conn, Provenance};
use super::{Commitment, Exercise, OrganisationKind, OrganisationRole, Resource};
use crate::errors::{db, ApiResult};
use crate::ids::{GlobalId, NodeKind};
use crate::loaders::{self, OrganisationById};
use crate::pagination::{children, paginate, Page, PageArgs};
use crate::types::support::Stamps;
use async_graphql::{Context, Object, ID};
use entity::{commitment, exercise, exercise_organisation, organisation, resource};
use sea_orm::{sea_query::Query, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// An organisation.
pub struct Organisation(pub organisation::Model);

/// An organisation involved in the evidence: one that ran, funded or was suggested for an
/// exercise, that published a resource, or that made a commitment.
#[Object]
impl Organisation {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Organisation, self.0.id)
    }

    /// Stable, URL-friendly key, e.g. `connected-by-data`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The organisation's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What kind of body it is.
    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    /// Its website, when the sources give one.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// What the sources say about it.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The exercises it was involved in and the part it played in each.
    async fn involvements(&self, ctx: &Context<'_>) -> ApiResult<Vec<Involvement>> {
        let rows = db(Box::pin(
            exercise_organisation::Entity::find()
                .filter(exercise_organisation::Column::OrganisationId.eq(self.0.id))
                .order_by_asc(exercise_organisation::Column::ExerciseId)
                .all(conn(ctx)?),
        )
        .await)?;
        Ok(rows.into_iter().map(Involvement).collect())
    }

    /// The exercises it was involved in, optionally only those where it played one role.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn exercises(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only exercises where the organisation played this role.")] role: Option<
            OrganisationRole,
        >,
        #[graphql(
            desc = "Page forwards: at most this many items from the start (or after `after`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: items after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page backwards: at most this many items from the end (or before `before`)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Page backwards: items before this cursor.")] before: Option<String>,
    ) -> ApiResult<Page<Exercise>> {
        let mut sub = Query::select()
            .column(exercise_organisation::Column::ExerciseId)
            .from(exercise_organisation::Entity)
            .and_where(exercise_organisation::Column::OrganisationId.eq(self.0.id))
            .to_owned();
        if let Some(role) = role {
            sub.and_where(
                exercise_organisation::Column::Role.eq(entity::enums::OrganisationRole::from(role)),
            );
        }
        let select = exercise::Entity::find().filter(exercise::Column::Id.in_subquery(sub));
        Box::pin(paginate(
            ctx,
            select,
            exercise::Column::Id,
            |m| m.id,
            Exercise,
            PageArgs::new(first, after, last, before),
        ))
        .await
    }

    /// Resources it published.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn published_resources(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page forwards: at most this many items from the start (or after `after`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: items after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page backwards: at most this many items from the end (or before `before`)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Page backwards: items before this cursor.")] before: Option<String>,
    ) -> ApiResult<Page<Resource>> {
        children::<resource::Entity, _>(
            ctx,
            loaders::rel::published_resources(),
            self.0.id,
            Resource,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// The responses and commitments it stated ("what happened next"), those the caller may
    /// see.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn commitments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page forwards: at most this many items from the start (or after `after`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: items after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page backwards: at most this many items from the end (or before `before`)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Page backwards: items before this cursor.")] before: Option<String>,
    ) -> ApiResult<Page<Commitment>> {
        children::<commitment::Entity, _>(
            ctx,
            loaders::rel::organisation_commitments(),
            self.0.id,
            Commitment,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// Where this record comes from.
    async fn provenance(&self) -> Provenance {
        Provenance {
            source_document_id: self.0.source_document_id,
            locator: self.0.locator.clone(),
        }
    }

    /// `createdAt`, `updatedAt`, `version` and `externalKey`.
    #[graphql(flatten)]
    async fn stamps(&self) -> Stamps {
        stamps!(self.0)
    }
}

/// An organisation's part in an exercise.
pub struct Involvement(pub exercise_organisation::Model);

/// The part an organisation played in an exercise (organiser, funder, suggested host...).
#[Object]
impl Involvement {
    /// The part played.
    async fn role(&self) -> OrganisationRole {
        self.0.role.into()
    }

    /// The organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Organisation> {
        Ok(Organisation(
            loaders::required(ctx, OrganisationById(self.0.organisation_id)).await?,
        ))
    }

    /// The exercise.
    async fn exercise(&self, ctx: &Context<'_>) -> ApiResult<Exercise> {
        Ok(Exercise(loaders::exercise(ctx, self.0.exercise_id).await?))
    }
}
