//! The Relay `Node` interface: any object can be fetched again by its global ID.

use super::support::conn;
use super::{
    Commitment, Exercise, Finding, GovernmentMission, Metric, Organisation, ParticipantView,
    Resource, Session, SourceDocument, Theme,
};
use crate::errors::{db, ApiError, ApiResult};
use crate::ids::{GlobalId, NodeKind};
use crate::visibility::{published_only, restrict};
use async_graphql::{Context, Interface, ID};
use entity::{
    commitment, exercise, finding, metric, mission, organisation, participant_view, resource,
    session, source_document, theme,
};
use sea_orm::{ActiveEnum, EntityTrait};

/// An object with a stable global ID, which `node(id:)` fetches again.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Stable, opaque global ID."))]
pub enum Node {
    SourceDocument(SourceDocument),
    GovernmentMission(GovernmentMission),
    Theme(Theme),
    Organisation(Organisation),
    Exercise(Exercise),
    Session(Session),
    Finding(Finding),
    ParticipantView(ParticipantView),
    Metric(Metric),
    Resource(Resource),
    Commitment(Commitment),
}

/// Loads the object an ID names; `None` when it no longer (or never did) exist.
pub async fn load_node(
    ctx: &Context<'_>,
    gid: &GlobalId,
    raw: &str,
    field: &str,
) -> ApiResult<Option<Node>> {
    let c = conn(ctx)?;
    if gid.kind == NodeKind::GovernmentMission {
        let Ok(code) = entity::enums::Mission::try_from_value(&gid.key) else {
            return Err(ApiError::bad_input(
                field,
                format!("{raw:?} is not a valid ID"),
            ));
        };
        return Ok(db(mission::Entity::find_by_id(code).one(c).await)?
            .map(|m| Node::GovernmentMission(GovernmentMission(m))));
    }
    let id = gid.int_key(raw, field)?;
    Ok(match gid.kind {
        NodeKind::SourceDocument => db(source_document::Entity::find_by_id(id).one(c).await)?
            .map(|m| Node::SourceDocument(SourceDocument(m))),
        NodeKind::Theme => {
            db(theme::Entity::find_by_id(id).one(c).await)?.map(|m| Node::Theme(Theme(m)))
        }
        NodeKind::Organisation => db(organisation::Entity::find_by_id(id).one(c).await)?
            .map(|m| Node::Organisation(Organisation(m))),
        NodeKind::Exercise => {
            db(exercise::Entity::find_by_id(id).one(c).await)?.map(|m| Node::Exercise(Exercise(m)))
        }
        NodeKind::Session => {
            db(session::Entity::find_by_id(id).one(c).await)?.map(|m| Node::Session(Session(m)))
        }
        NodeKind::Finding => db(
            restrict(published_only(ctx), finding::Entity::find_by_id(id))
                .one(c)
                .await,
        )?
        .map(|m| Node::Finding(Finding(m))),
        NodeKind::ParticipantView => db(restrict(
            published_only(ctx),
            participant_view::Entity::find_by_id(id),
        )
        .one(c)
        .await)?
        .map(|m| Node::ParticipantView(ParticipantView(m))),
        NodeKind::Metric => {
            db(metric::Entity::find_by_id(id).one(c).await)?.map(|m| Node::Metric(Metric(m)))
        }
        NodeKind::Resource => {
            db(resource::Entity::find_by_id(id).one(c).await)?.map(|m| Node::Resource(Resource(m)))
        }
        NodeKind::Commitment => db(restrict(
            published_only(ctx),
            commitment::Entity::find_by_id(id),
        )
        .one(c)
        .await)?
        .map(|m| Node::Commitment(Commitment(m))),
        NodeKind::GovernmentMission => None,
    })
}
