//! This replica's hub of committed changes.
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

use crate::auth::{self, TOKEN_CHANNEL};
use crate::curation::CHANNEL;
use crate::engine::Engine;
use crate::errors::{db, ApiResult};
use entity::change_log;
use futures_util::Stream;
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

    /// This replica's committed changes from now on, in order. A receiver that falls behind
    /// skips what it missed (counted in [`Hub::dropped_events`]); the change feed catches up.
    pub fn changes(&self) -> impl Stream<Item = Arc<change_log::Model>> {
        let receiver = self.inner.events.subscribe();
        futures_util::stream::unfold((receiver, self.clone()), |(mut receiver, hub)| async move {
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
