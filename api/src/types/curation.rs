//! Types of the curation API: API tokens, the caller, change events (the change feed and audit
//! log).

use super::{load_node, ChangeKind, Node, Role};
use crate::auth::Viewer;
use crate::errors::{ApiError, ApiResult};
use crate::ids::{GlobalId, NodeKind};
use crate::pagination::cursor;
use crate::scalars::JsonValue;
use crate::scalars::Timestamp;
use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use entity::{api_token, change_log};

/// An API token's record (never the token itself).
pub struct ApiToken(pub api_token::Model);

/// An API token's record. The token itself is shown once, when it is created.
#[Object]
impl ApiToken {
    /// The token's unique name: the actor recorded for its changes.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the token may do.
    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// When it was created.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }

    /// Who created it: a token name, or `cli`.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// When it was revoked; null while it is valid.
    async fn revoked_at(&self) -> Option<Timestamp> {
        self.0.revoked_at.map(Timestamp)
    }

    /// When it stops being valid; null for a token that never expires. An expired token
    /// authenticates nothing, and WebSocket connections that used it are closed (4403).
    async fn expires_at(&self) -> Option<Timestamp> {
        self.0.expires_at.map(Timestamp)
    }
}

/// Who the API thinks is calling.
#[derive(SimpleObject)]
pub struct ViewerInfo {
    /// The token's name, or null for an anonymous caller.
    pub name: Option<String>,
    /// The token's role, or null for an anonymous caller.
    pub role: Option<Role>,
    /// Whether this caller sees drafts and rows in review.
    pub sees_unpublished: bool,
}

impl From<&Viewer> for ViewerInfo {
    fn from(v: &Viewer) -> Self {
        match v {
            Viewer::Anonymous => ViewerInfo {
                name: None,
                role: None,
                sees_unpublished: false,
            },
            Viewer::Token { name, role } => ViewerInfo {
                name: Some(name.clone()),
                role: Some((*role).into()),
                sees_unpublished: v.sees_unpublished(),
            },
        }
    }
}

/// The kinds of object the change feed reports on.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum EntityKind {
    /// Source documents.
    SourceDocument,
    /// Government missions (created or relabelled by a bundle import).
    GovernmentMission,
    /// Themes.
    Theme,
    /// Organisations.
    Organisation,
    /// Engagement exercises.
    Exercise,
    /// Sessions of exercises.
    Session,
    /// Findings.
    Finding,
    /// Participant views.
    ParticipantView,
    /// Metrics.
    Metric,
    /// Resources.
    Resource,
    /// Stated responses and commitments.
    Commitment,
}

impl EntityKind {
    pub fn node_kind(self) -> NodeKind {
        match self {
            EntityKind::SourceDocument => NodeKind::SourceDocument,
            EntityKind::GovernmentMission => NodeKind::GovernmentMission,
            EntityKind::Theme => NodeKind::Theme,
            EntityKind::Organisation => NodeKind::Organisation,
            EntityKind::Exercise => NodeKind::Exercise,
            EntityKind::Session => NodeKind::Session,
            EntityKind::Finding => NodeKind::Finding,
            EntityKind::ParticipantView => NodeKind::ParticipantView,
            EntityKind::Metric => NodeKind::Metric,
            EntityKind::Resource => NodeKind::Resource,
            EntityKind::Commitment => NodeKind::Commitment,
        }
    }
}

/// The opaque cursor of a change event.
pub fn change_cursor(seq: i64) -> String {
    cursor::encode("change", seq)
}

/// The cursor of a change in the readers' feed (numbered by its own sequence).
pub fn public_change_cursor(public_seq: i64) -> String {
    cursor::encode("public-change", public_seq)
}

/// Decodes a readers' feed cursor; anything else (an editor's cursor included) is
/// `BAD_USER_INPUT` on `field`.
pub fn decode_public_change_cursor(text: &str, field: &str) -> ApiResult<i64> {
    let bad = || ApiError::bad_input(field, "Not a cursor of this change feed");
    cursor::decode(text, "public-change")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(bad)
}

/// Whether the caller reads the full log (editors and admins) rather than the readers' feed.
fn reads_full_log(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<Viewer>()
        .is_some_and(Viewer::sees_unpublished)
}

/// Decodes a change cursor; anything else is `BAD_USER_INPUT` on `field`.
pub fn decode_change_cursor(text: &str, field: &str) -> ApiResult<i64> {
    let bad = || ApiError::bad_input(field, "Not a cursor of the change feed");
    cursor::decode(text, "change")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(bad)
}

/// One change to one object.
#[derive(Clone)]
pub struct ChangeEvent(pub change_log::Model);

fn admin_only(ctx: &Context<'_>) -> ApiResult<()> {
    crate::auth::caller(ctx, crate::auth::Role::Admin).map(|_| ())
}

/// One change to one object, in commit order. Deletions are tombstones: `node` is null and
/// `kind` is `DELETE`. A change that made an object invisible to readers (retraction) has
/// `visible: false`: public copies should drop the object.
#[Object]
impl ChangeEvent {
    /// Opaque cursor: pass it as `after` to read the changes that follow this one.
    async fn cursor(&self, ctx: &Context<'_>) -> String {
        match self.0.public_seq {
            Some(public) if !reads_full_log(ctx) => public_change_cursor(public),
            _ => change_cursor(self.0.seq),
        }
    }

    /// The change's position in the feed the caller reads; strictly increasing in commit order.
    /// Editors read the whole log; other readers read only changes to objects that were or
    /// became visible, numbered by a sequence of their own without gaps (so the numbers reveal
    /// nothing of hidden changes).
    async fn sequence(&self, ctx: &Context<'_>) -> i64 {
        match self.0.public_seq {
            Some(public) if !reads_full_log(ctx) => public,
            _ => self.0.seq,
        }
    }

    /// Created, updated or deleted.
    async fn kind(&self) -> ChangeKind {
        self.0.kind.into()
    }

    /// The type of the changed object, e.g. `Finding`.
    async fn entity(&self) -> &str {
        &self.0.entity
    }

    /// The changed object's global ID (stable across its life, still valid in a tombstone).
    async fn object_id(&self) -> ApiResult<ID> {
        let gid = self.object()?;
        Ok(GlobalId::encode(gid.kind, gid.key))
    }

    /// The object's slug at the time of the change.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The object's version after the change (its last version, for a deletion).
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// When the change was committed.
    async fn changed_at(&self) -> Timestamp {
        Timestamp(self.0.changed_at)
    }

    /// Whether readers can see the object after this change. False for deletions, and for
    /// changes that took an object out of publication.
    async fn visible(&self) -> bool {
        self.0.visible
    }

    /// The object as it is now, when it still exists and the caller may see it.
    async fn node(&self, ctx: &Context<'_>) -> ApiResult<Option<Node>> {
        if self.0.kind == entity::enums::ChangeKind::Delete {
            return Ok(None);
        }
        load_node(ctx, &self.object()?, "", "node").await
    }

    /// The token name that made the change (`cli` for the command line). Admins only.
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        admin_only(ctx)?;
        Ok(&self.0.actor)
    }

    /// The object's fields before the change; null for a creation. Admins only.
    async fn before(&self, ctx: &Context<'_>) -> ApiResult<Option<JsonValue>> {
        admin_only(ctx)?;
        Ok(self.0.before.clone().map(JsonValue))
    }

    /// The object's fields after the change; null for a deletion. Admins only.
    async fn after(&self, ctx: &Context<'_>) -> ApiResult<Option<JsonValue>> {
        admin_only(ctx)?;
        Ok(self.0.after.clone().map(JsonValue))
    }
}

impl ChangeEvent {
    /// The changed object's global ID; an entry naming no kind (or no mission) is a server
    /// fault, never a guess. Missions are logged under their code's place in the enum's order.
    fn object(&self) -> ApiResult<GlobalId> {
        let fault = || {
            tracing::error!(entity = %self.0.entity, seq = self.0.seq, "change of an unknown kind");
            ApiError::Internal
        };
        let kind = NodeKind::from_type_name(&self.0.entity).ok_or_else(fault)?;
        let key = if kind == NodeKind::GovernmentMission {
            let code = crate::bundle::missions::code_of_key(self.0.entity_id).ok_or_else(fault)?;
            crate::curation::mission_code(code).to_string()
        } else {
            self.0.entity_id.to_string()
        };
        Ok(GlobalId { kind, key })
    }
}
