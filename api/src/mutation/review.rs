//! The review workflow of findings, participant views and commitments:
//! DRAFT → (submitForReview) → IN_REVIEW → (publish) → PUBLISHED → (retract) → RETRACTED;
//! `returnToDraft` sends a row in review (or retracted) back to its author.

use super::{begin, caller, commit, version_arg};
use crate::auth::Role;
use crate::curation::{self, commitments::Commitments, findings::Findings, views::Views, Curated};
use crate::errors::{ApiError, ApiResult};
use crate::ids::{GlobalId, NodeKind};
use crate::types::{Commitment, Finding, Node, ParticipantView};
use async_graphql::{Context, Object, ID};
use entity::enums::ReviewStatus;
use sea_orm::DatabaseTransaction;

#[derive(Default)]
pub struct ReviewMutation;

/// A review transition: the statuses it may start from, and where it leads.
struct Transition {
    name: &'static str,
    from: &'static [ReviewStatus],
    to: ReviewStatus,
}

const SUBMIT: Transition = Transition {
    name: "submitForReview",
    from: &[ReviewStatus::Draft],
    to: ReviewStatus::InReview,
};
const PUBLISH: Transition = Transition {
    name: "publish",
    from: &[ReviewStatus::InReview],
    to: ReviewStatus::Published,
};
const RETRACT: Transition = Transition {
    name: "retract",
    from: &[ReviewStatus::Published],
    to: ReviewStatus::Retracted,
};
const TO_DRAFT: Transition = Transition {
    name: "returnToDraft",
    from: &[ReviewStatus::InReview, ReviewStatus::Retracted],
    to: ReviewStatus::Draft,
};

fn status_name(s: ReviewStatus) -> &'static str {
    match s {
        ReviewStatus::Draft => "DRAFT",
        ReviewStatus::InReview => "IN_REVIEW",
        ReviewStatus::Published => "PUBLISHED",
        ReviewStatus::Retracted => "RETRACTED",
    }
}

fn check(t: &Transition, current: ReviewStatus) -> ApiResult<()> {
    if t.from.contains(&current) {
        return Ok(());
    }
    let allowed = t
        .from
        .iter()
        .map(|s| status_name(*s))
        .collect::<Vec<_>>()
        .join(" or ");
    Err(ApiError::conflict(format!(
        "`{}` applies to objects in {allowed}; this one is {}",
        t.name,
        status_name(current)
    )))
}

async fn transition(
    ctx: &Context<'_>,
    t: Transition,
    id: ID,
    expected_version: i64,
) -> ApiResult<Node> {
    let viewer = caller(ctx, Role::Editor)?;
    let expected = version_arg(expected_version, "expectedVersion")?;
    let gid = GlobalId::decode(&id, "id")?;
    let key = gid.int_key(&id, "id")?;
    let txn = begin(ctx).await?;
    let node = match gid.kind {
        NodeKind::Finding => {
            let model = step::<Findings>(&txn, viewer.actor(), &t, key, expected, |f| {
                &mut f.review_status
            })
            .await?;
            Node::Finding(Finding(model))
        }
        NodeKind::ParticipantView => {
            let model = step::<Views>(&txn, viewer.actor(), &t, key, expected, |f| {
                &mut f.review_status
            })
            .await?;
            Node::ParticipantView(ParticipantView(model))
        }
        NodeKind::Commitment => {
            let model = step::<Commitments>(&txn, viewer.actor(), &t, key, expected, |f| {
                &mut f.review_status
            })
            .await?;
            Node::Commitment(Commitment(model))
        }
        other => {
            return Err(ApiError::bad_input(
                "id",
                format!(
                    "Only findings, participant views and commitments are reviewed, not a {}",
                    other.type_name()
                ),
            ))
        }
    };
    commit(ctx, txn).await?;
    Ok(node)
}

async fn step<T: Curated>(
    txn: &DatabaseTransaction,
    actor: &str,
    t: &Transition,
    id: i32,
    expected: i64,
    status: impl Fn(&mut T::Fields) -> &mut ReviewStatus,
) -> ApiResult<T::Model> {
    let (model, before) = curation::current::<T, _>(txn, id, Some(expected)).await?;
    let mut after = before.clone();
    check(t, *status(&mut after))?;
    *status(&mut after) = t.to;
    let (model, _) =
        curation::update::<T, _>(txn, actor.into(), &model, &before, &after, "").await?;
    Ok(model)
}

/// Review.
#[Object]
impl ReviewMutation {
    /// Submits a draft finding, participant view or commitment for review (DRAFT → IN_REVIEW).
    /// Needs an editor token; `CONFLICT` from any other status or version.
    async fn submit_for_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding, participant view or commitment.")] id: ID,
        #[graphql(desc = "The version the decision was based on.")] expected_version: i64,
    ) -> ApiResult<Node> {
        transition(ctx, SUBMIT, id, expected_version).await
    }

    /// Publishes a reviewed finding, participant view or commitment (IN_REVIEW → PUBLISHED):
    /// readers see it from now on, and subscribers are told. Needs an editor token.
    async fn publish(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding, participant view or commitment.")] id: ID,
        #[graphql(desc = "The version the decision was based on.")] expected_version: i64,
    ) -> ApiResult<Node> {
        transition(ctx, PUBLISH, id, expected_version).await
    }

    /// Withdraws a published finding, participant view or commitment (PUBLISHED → RETRACTED):
    /// readers no longer see it; the change feed tells public copies to drop it. Needs an editor
    /// token.
    async fn retract(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding, participant view or commitment.")] id: ID,
        #[graphql(desc = "The version the decision was based on.")] expected_version: i64,
    ) -> ApiResult<Node> {
        transition(ctx, RETRACT, id, expected_version).await
    }

    /// Sends a finding, participant view or commitment in review, or retracted, back to draft.
    /// Needs an editor token.
    async fn return_to_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding, participant view or commitment.")] id: ID,
        #[graphql(desc = "The version the decision was based on.")] expected_version: i64,
    ) -> ApiResult<Node> {
        transition(ctx, TO_DRAFT, id, expected_version).await
    }
}
