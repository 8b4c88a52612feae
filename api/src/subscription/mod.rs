//! Live updates: the root `Subscription` type and the hub that feeds it.
//!
//! Every replica runs one hub. It reads committed changes from the change log (the same log the
//! change feed serves) and broadcasts them to this replica's subscribers. It is woken by writes
//! on this replica and, on PostgreSQL, by `NOTIFY` from writes on any replica (each write
//! transaction notifies at commit), with a slow poll as a safety net should the listening
//! connection drop. Events therefore reach subscribers whichever replica took the write.

use crate::auth::Viewer;
use crate::curation::{mission_code, CHANNEL};
use crate::engine::Engine;
use crate::errors::{db, ApiResult};
use crate::query::visible_change;
use crate::types::{ChangeEvent, EntityKind, Mission};
use async_graphql::{Context, Subscription};
use entity::change_log;
use futures_util::{Stream, StreamExt};
use sea_orm::{
    ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, Notify};

/// How often the hub reads the log when nothing woke it.
const SAFETY_POLL: Duration = Duration::from_secs(5);

/// This replica's fan-out of committed changes.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    events: broadcast::Sender<Arc<change_log::Model>>,
    wake: Notify,
    /// The read engine follows the same wake-ups.
    engine: Engine,
}

impl Hub {
    /// Starts the hub's tasks; call from within the runtime.
    pub async fn start(conn: DatabaseConnection, engine: Engine) -> ApiResult<Hub> {
        let (events, _) = broadcast::channel(1024);
        let hub = Hub {
            inner: Arc::new(Inner {
                events,
                wake: Notify::new(),
                engine,
            }),
        };
        let last: Option<i64> = db(change_log::Entity::find()
            .select_only()
            .column_as(change_log::Column::Seq.max(), "m")
            .into_tuple::<Option<i64>>()
            .one(&conn)
            .await)?
        .flatten();
        tokio::spawn(pump(conn.clone(), hub.clone(), last.unwrap_or(0)));
        if conn.get_database_backend() == DatabaseBackend::Postgres {
            tokio::spawn(listen(conn, hub.clone()));
        }
        Ok(hub)
    }

    /// Tells the hub that changes were committed.
    pub fn poke(&self) {
        self.inner.wake.notify_one();
        self.inner.engine.poke();
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<change_log::Model>> {
        self.inner.events.subscribe()
    }
}

/// Reads new log entries whenever woken, and broadcasts them in order.
async fn pump(conn: DatabaseConnection, hub: Hub, mut last: i64) {
    loop {
        let _ = tokio::time::timeout(SAFETY_POLL, hub.inner.wake.notified()).await;
        loop {
            let rows = change_log::Entity::find()
                .filter(change_log::Column::Seq.gt(last))
                .order_by_asc(change_log::Column::Seq)
                .limit(500)
                .all(&conn)
                .await;
            let rows = match rows {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::warn!(error = %err, "subscription hub could not read the change log");
                    break;
                }
            };
            let done = rows.len() < 500;
            for row in rows {
                last = row.seq;
                // No subscriber is not an error.
                let _ = hub.inner.events.send(Arc::new(row));
            }
            if done {
                break;
            }
        }
    }
}

/// PostgreSQL: wakes the hub on every change committed by any replica.
async fn listen(conn: DatabaseConnection, hub: Hub) {
    let pool = conn.get_postgres_connection_pool().clone();
    let mut reconnect = false;
    loop {
        match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %err, "could not LISTEN for changes");
                } else {
                    // Changes committed while (re)connecting are picked up by this poke. The
                    // read engine was built from the log just before the first connection, so
                    // it only needs waking after a reconnection.
                    hub.inner.wake.notify_one();
                    if reconnect {
                        hub.inner.engine.poke();
                    }
                    reconnect = true;
                    loop {
                        match listener.recv().await {
                            Ok(_) => hub.poke(),
                            Err(err) => {
                                tracing::warn!(error = %err, "change listener lost its connection");
                                break;
                            }
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not connect the change listener"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// This replica's committed changes, as a stream, filtered by `keep`.
fn events(
    hub: &Hub,
    keep: impl Fn(&change_log::Model) -> bool + Send + 'static,
) -> impl Stream<Item = ChangeEvent> {
    let receiver = hub.subscribe();
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => return Some((event, receiver)),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(
                        skipped = n,
                        "a subscriber fell behind; use the change feed to catch up"
                    );
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
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
#[Subscription]
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
    ) -> impl Stream<Item = ChangeEvent> {
        let sees_all = ctx
            .data_opt::<Viewer>()
            .is_some_and(Viewer::sees_unpublished);
        let kinds: Option<Vec<&'static str>> = entities
            .filter(|e| !e.is_empty())
            .map(|e| e.into_iter().map(|k| k.node_kind().type_name()).collect());
        let missions = mission_filter(missions);
        let hub = ctx.data_unchecked::<Hub>();
        events(hub, move |e| {
            visible_change(e, sees_all)
                && kinds
                    .as_ref()
                    .is_none_or(|k| k.contains(&e.entity.as_str()))
                && tagged(e, &missions)
        })
    }

    /// Participant views as they are published (on any replica); `node` is the view.
    async fn view_published(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only views tagged with any of these missions.")] missions: Option<
            Vec<Mission>,
        >,
    ) -> impl Stream<Item = ChangeEvent> {
        let missions = mission_filter(missions);
        let hub = ctx.data_unchecked::<Hub>();
        events(hub, move |e| {
            e.entity == "ParticipantView" && e.visible && !e.was_visible && tagged(e, &missions)
        })
    }
}
