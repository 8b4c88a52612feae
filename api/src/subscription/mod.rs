//! Live updates: the root `Subscription` type, fed by this replica's hub of committed changes
//! (`changes`).

use crate::auth::Viewer;
use crate::changes::Hub;
use crate::curation::mission_code;
use crate::ids::NodeKind;
use crate::types::{ChangeEvent, EntityKind, Mission};
use crate::visibility::visible_change;
use async_graphql::{Context, Subscription};
use entity::change_log;
use futures_util::{Stream, StreamExt};

/// This replica's committed changes, as a stream, filtered by `keep`.
fn events(
    hub: &Hub,
    keep: impl Fn(&change_log::Model) -> bool + Send + 'static,
) -> impl Stream<Item = ChangeEvent> {
    hub.changes()
        .filter(move |e| std::future::ready(keep(e)))
        .map(|e| ChangeEvent((*e).clone()))
}

fn mission_filter(missions: Option<Vec<Mission>>) -> Option<Vec<&'static str>> {
    missions
        .filter(|m| !m.is_empty())
        .map(|m| m.into_iter().map(|m| mission_code(m.into())).collect())
}

fn tagged(e: &change_log::Model, missions: &Option<Vec<&'static str>>) -> bool {
    missions
        .as_ref()
        .is_none_or(|wanted| e.missions.split(',').any(|m| wanted.contains(&m)))
}

/// The live updates.
#[derive(Default)]
pub struct SubscriptionRoot;

/// Live updates over WebSocket (the graphql-transport-ws protocol, at `/graphql`).
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every change as it is committed, on any replica, in commit order. Readers without an
    /// editor token receive changes to published objects only. To catch up after a disconnect,
    /// read `changes(after:)` from the last `cursor` received.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only changes to these kinds of object.")] entities: Option<
            Vec<EntityKind>,
        >,
        #[graphql(desc = "Only changes to objects tagged with any of these missions.")]
        missions: Option<Vec<Mission>>,
    ) -> async_graphql::Result<impl Stream<Item = ChangeEvent>> {
        let sees_all = ctx
            .data_opt::<Viewer>()
            .is_some_and(Viewer::sees_unpublished);
        let kinds: Option<Vec<&'static str>> = entities
            .filter(|e| !e.is_empty())
            .map(|e| e.into_iter().map(|k| k.node_kind().type_name()).collect());
        let missions = mission_filter(missions);
        let hub = crate::errors::data::<Hub>(ctx)?;
        Ok(events(hub, move |e| {
            visible_change(e, sees_all)
                && kinds
                    .as_ref()
                    .is_none_or(|k| k.contains(&e.entity.as_str()))
                && tagged(e, &missions)
        }))
    }

    /// Participant views as they are published (on any replica); `node` is the view.
    async fn view_published(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only views tagged with any of these missions.")] missions: Option<
            Vec<Mission>,
        >,
    ) -> async_graphql::Result<impl Stream<Item = ChangeEvent>> {
        let missions = mission_filter(missions);
        let hub = crate::errors::data::<Hub>(ctx)?;
        let views = NodeKind::ParticipantView.type_name();
        Ok(events(hub, move |e| {
            e.entity == views && e.visible && !e.was_visible && tagged(e, &missions)
        }))
    }
}
