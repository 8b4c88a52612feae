//! Live updates: the root `Subscription` type and the hub that feeds it.
//!
//! Every replica runs one hub. It reads committed changes from the change log (the same log the
//! change feed serves) and broadcasts them to this replica's subscribers. It is woken by writes
//! on this replica and, on PostgreSQL, by `NOTIFY` from writes on any replica (each write
//! transaction notifies at commit), with a slow poll as a safety net should the listening
//! connection drop. Events therefore reach subscribers whichever replica took the write.
//!
//! The hub also tells this replica's WebSocket connections when a token may have been revoked
//! (a generation counter they watch; each then checks its own token): at once for a revocation
//! on this replica, by `NOTIFY` for one on any replica or from the command line on PostgreSQL,
//! and otherwise (SQLite, where the command line is another process) by a poll of the number of
//! revoked tokens every [`TOKEN_POLL`].

use crate::auth::{self, Viewer, TOKEN_CHANNEL};
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
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch, Notify};

/// How often the hub reads the log when nothing woke it.
const SAFETY_POLL: Duration = Duration::from_secs(5);

/// How often the hub counts revoked tokens, to catch revocations no notification announced.
pub const TOKEN_POLL: Duration = Duration::from_secs(1);

/// This replica's fan-out of committed changes.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    events: broadcast::Sender<Arc<change_log::Model>>,
    wake: Notify,
    /// Bumped whenever a token may have been revoked.
    tokens: watch::Sender<u64>,
    /// The sequence number of the last change broadcast (for metrics).
    last_seq: AtomicI64,
    /// Events skipped by subscribers that fell behind (for metrics).
    dropped: AtomicU64,
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
                tokens: watch::channel(0).0,
                last_seq: AtomicI64::new(0),
                dropped: AtomicU64::new(0),
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
        hub.inner
            .last_seq
            .store(last.unwrap_or(0), Ordering::Relaxed);
        tokio::spawn(pump(conn.clone(), hub.clone(), last.unwrap_or(0)));
        tokio::spawn(watch_revocations(conn.clone(), hub.clone()));
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

    /// Tells this replica's connections that a token may have been revoked.
    pub fn tokens_changed(&self) {
        self.inner.tokens.send_modify(|generation| *generation += 1);
    }

    /// A receiver that changes whenever a token may have been revoked.
    pub fn token_changes(&self) -> watch::Receiver<u64> {
        self.inner.tokens.subscribe()
    }

    /// The change-log sequence number of the last change broadcast (or found at start).
    pub fn last_seq(&self) -> i64 {
        self.inner.last_seq.load(Ordering::Relaxed)
    }

    /// How many events subscribers have skipped because they fell behind, since start.
    pub fn dropped_events(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
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
                hub.inner.last_seq.store(last, Ordering::Relaxed);
            }
            if done {
                break;
            }
        }
    }
}

/// Counts revoked tokens every [`TOKEN_POLL`] and tells the connections when the count changes.
async fn watch_revocations(conn: DatabaseConnection, hub: Hub) {
    let mut last = None;
    loop {
        match auth::revoked_count(&conn).await {
            Ok(n) => {
                if last.is_some_and(|last| last != n) {
                    hub.tokens_changed();
                }
                last = Some(n);
            }
            Err(_) => tracing::warn!("the hub could not count revoked tokens"),
        }
        tokio::time::sleep(TOKEN_POLL).await;
    }
}

/// PostgreSQL: wakes the hub on every change committed by any replica, and tells the connections
/// of every token revoked anywhere.
async fn listen(conn: DatabaseConnection, hub: Hub) {
    let pool = conn.get_postgres_connection_pool().clone();
    let mut reconnect = false;
    loop {
        match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen_all([CHANNEL, TOKEN_CHANNEL]).await {
                    tracing::warn!(error = %err, "could not LISTEN for changes");
                } else {
                    // Changes committed while (re)connecting are picked up by this poke. The
                    // read engine was built from the log just before the first connection, so
                    // it only needs waking after a reconnection.
                    hub.inner.wake.notify_one();
                    hub.tokens_changed();
                    if reconnect {
                        hub.inner.engine.poke();
                    }
                    reconnect = true;
                    loop {
                        match listener.recv().await {
                            Ok(n) if n.channel() == TOKEN_CHANNEL => hub.tokens_changed(),
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
    let hub = hub.clone();
    futures_util::stream::unfold((receiver, hub), |(mut receiver, hub)| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => return Some((event, (receiver, hub))),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    hub.inner.dropped.fetch_add(n, Ordering::Relaxed);
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
