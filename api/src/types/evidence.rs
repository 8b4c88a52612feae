//! Reported figures (metrics) and linked material (resources).

use super::support::Provenance;
use super::{Exercise, Finding, Organisation, ResourceKind};
use crate::errors::ApiResult;
use crate::ids::{GlobalId, NodeKind};
use crate::loaders::{self, OrganisationById};
use crate::pagination::{children, Page, PageArgs};
use crate::scalars::PartialDate;
use crate::types::support::Stamps;
use async_graphql::{Context, Object, ID};
use entity::{exercise, finding, metric, resource};

/// A reported figure.
pub struct Metric(pub metric::Model);

/// A figure an exercise reported, e.g. "565 people on the mailing list" or "average usefulness
/// 6.7 out of 10".
#[Object]
impl Metric {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Metric, self.0.id)
    }

    /// Stable, URL-friendly key.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// What was measured.
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// The figure.
    async fn value(&self) -> f64 {
        self.0.value
    }

    /// The unit of `value`, e.g. "people" or "score out of 10".
    async fn unit(&self) -> &str {
        &self.0.unit
    }

    /// The number of people or responses the figure is out of (n), when it is a share of a group.
    async fn base(&self) -> Option<i32> {
        self.0.base
    }

    /// The exercise that reported the figure.
    async fn exercise(&self, ctx: &Context<'_>) -> ApiResult<Exercise> {
        Ok(Exercise(loaders::exercise(ctx, self.0.exercise_id).await?))
    }

    /// Where this figure comes from.
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

/// A linked resource.
pub struct Resource(pub resource::Model);

/// A report, blog post, set of meeting notes, video, case study or data set that the evidence
/// links to.
#[Object]
impl Resource {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Resource, self.0.id)
    }

    /// Stable, URL-friendly key.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The resource's title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What kind of material it is.
    async fn kind(&self) -> ResourceKind {
        self.0.kind.into()
    }

    /// Where to read or watch it, when the sources give the address.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// When it was published, at the precision the sources give.
    async fn published_on(&self) -> Option<PartialDate> {
        self.0.published_on.clone().map(PartialDate)
    }

    /// Who published it, when known.
    async fn publisher(&self, ctx: &Context<'_>) -> ApiResult<Option<Organisation>> {
        let Some(id) = self.0.publisher_id else {
            return Ok(None);
        };
        Ok(loaders::optional(ctx, OrganisationById(id))
            .await?
            .map(Organisation))
    }

    /// The exercises it is about.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn exercises(
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
    ) -> ApiResult<Page<Exercise>> {
        children::<exercise::Entity, _>(
            ctx,
            loaders::rel::resource_exercises(),
            self.0.id,
            Exercise,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// The findings it sets out.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn findings(
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
    ) -> ApiResult<Page<Finding>> {
        children::<finding::Entity, _>(
            ctx,
            loaders::rel::resource_findings(),
            self.0.id,
            Finding,
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
