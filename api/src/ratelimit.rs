//! Rate limits, modelled on GitHub's GraphQL API: each client (a token, or the client address
//! for anonymous callers) has a budget of points per window, and each request costs its computed
//! complexity (the same number the complexity limit checks). A request that takes the client over
//! its budget is refused with `RATE_LIMITED` (HTTP 429, `Retry-After`); every response says where
//! the client stands (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, and the
//! `rateLimit` field). A separate, secondary limit caps each client's concurrent requests.
//!
//! Where the budgets live: on PostgreSQL in the `rate_limit` table, charged with one atomic
//! `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` per request, so every replica charges the
//! same budget and two replicas charging at once cannot both spend the last points (the row lock
//! orders them, and the statement reads what it wrote). PostgreSQL is already shared by the
//! replicas, so no other store has to run. On SQLite (one process) the same state is kept in
//! memory. The concurrency limit is per replica (it counts requests this process is serving).

use crate::auth::{Role, Viewer};
use crate::errors::{code, db, ApiResult};
use crate::scalars::Timestamp;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{Context, Object, ServerError, SimpleObject, ValidationResult};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Budgets and the concurrency cap, from the settings.
#[derive(Clone, Copy, Debug)]
pub struct RateLimitSettings {
    /// Whether budgets are charged at all (`PUBLIC_VOICE_RATE_LIMIT`).
    pub enabled: bool,
    /// The window a budget covers (`PUBLIC_VOICE_RATE_LIMIT_WINDOW_SECS`).
    pub window: Duration,
    /// Points per window for anonymous callers, per client address.
    pub anonymous: u64,
    /// Points per window for a reader token.
    pub reader: u64,
    /// Points per window for an editor token.
    pub editor: u64,
    /// Points per window for an admin token.
    pub admin: u64,
    /// Most requests one client may have in flight at once on one replica.
    pub max_concurrent: usize,
}

impl RateLimitSettings {
    /// The budget of a caller.
    pub fn budget(&self, viewer: &Viewer) -> u64 {
        match viewer.role() {
            None => self.anonymous,
            Some(Role::Reader) => self.reader,
            Some(Role::Editor) => self.editor,
            Some(Role::Admin) => self.admin,
        }
    }
}

/// Who is charged: the token's name, or the client address for anonymous callers.
pub fn client_key(viewer: &Viewer, address: Option<std::net::IpAddr>) -> String {
    match viewer {
        Viewer::Token { name, .. } => format!("token:{name}"),
        Viewer::Anonymous => format!(
            "address:{}",
            address.map(|a| a.to_string()).unwrap_or_default()
        ),
    }
}

/// What one request was charged, and where that leaves its client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charge {
    pub limit: u64,
    pub cost: u64,
    pub used: u64,
    pub reset_at: DateTime<Utc>,
}

impl Charge {
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }

    /// Whole seconds until the window resets (at least 1 while it has not).
    pub fn reset_in_secs(&self) -> u64 {
        let ms = (self.reset_at - Utc::now()).num_milliseconds().max(0) as u64;
        ms.div_ceil(1000).max(1)
    }
}

enum Store {
    Memory(Mutex<HashMap<String, (DateTime<Utc>, u64)>>),
    Database(DatabaseConnection),
}

/// This replica's rate limiter.
pub struct RateLimiter {
    settings: RateLimitSettings,
    store: Store,
    in_flight: Mutex<HashMap<String, usize>>,
}

impl RateLimiter {
    /// A limiter over the database's shared table on PostgreSQL, in memory otherwise.
    pub fn new(settings: RateLimitSettings, conn: &DatabaseConnection) -> Arc<Self> {
        let store = if conn.get_database_backend() == DatabaseBackend::Postgres {
            Store::Database(conn.clone())
        } else {
            Store::Memory(Mutex::new(HashMap::new()))
        };
        Arc::new(RateLimiter {
            settings,
            store,
            in_flight: Mutex::new(HashMap::new()),
        })
    }

    pub fn settings(&self) -> &RateLimitSettings {
        &self.settings
    }

    /// Charges `cost` points to `client`, whose budget is `limit`.
    pub async fn charge(&self, client: &str, limit: u64, cost: u64) -> ApiResult<Charge> {
        let now = Utc::now();
        let window = chrono::Duration::from_std(self.settings.window)
            .unwrap_or_else(|_| chrono::Duration::seconds(3600));
        let expired_before = now - window;
        let (start, used) = match &self.store {
            Store::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                let entry = map.entry(client.to_string()).or_insert((now, 0));
                if entry.0 <= expired_before {
                    *entry = (now, 0);
                }
                entry.1 = entry.1.saturating_add(cost);
                *entry
            }
            Store::Database(conn) => {
                let row = db(conn
                    .query_one_raw(Statement::from_sql_and_values(
                        DatabaseBackend::Postgres,
                        "INSERT INTO rate_limit AS r (client, window_start, used) VALUES ($1, $2, $3) \
                         ON CONFLICT (client) DO UPDATE SET \
                           window_start = CASE WHEN r.window_start <= $4 THEN $2 ELSE r.window_start END, \
                           used = CASE WHEN r.window_start <= $4 THEN $3 ELSE r.used + $3 END \
                         RETURNING window_start, used",
                        [
                            client.into(),
                            now.into(),
                            (cost.min(i64::MAX as u64) as i64).into(),
                            expired_before.into(),
                        ],
                    ))
                    .await)?;
                let Some(row) = row else {
                    return Err(crate::errors::ApiError::Internal);
                };
                let start: DateTime<Utc> = db(row.try_get("", "window_start"))?;
                let used: i64 = db(row.try_get("", "used"))?;
                (start, used.max(0) as u64)
            }
        };
        Ok(Charge {
            limit,
            cost,
            used,
            reset_at: start + window,
        })
    }

    /// Counts a request in flight for `client`; `None` when the client already has the most
    /// allowed (the secondary limit).
    pub fn enter(self: &Arc<Self>, client: &str) -> Option<InFlight> {
        let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(client.to_string()).or_default();
        if *n >= self.settings.max_concurrent {
            return None;
        }
        *n += 1;
        Some(InFlight {
            limiter: self.clone(),
            client: client.to_string(),
        })
    }
}

/// A request in flight; dropping it ends the count.
pub struct InFlight {
    limiter: Arc<RateLimiter>,
    client: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut map = self
            .limiter
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.client);
            }
        }
    }
}

/// One request's account: who is charged, their budget, and the charge once made.
pub struct RateSlot {
    pub client: String,
    pub limit: u64,
    pub charge: Mutex<Option<Charge>>,
}

impl RateSlot {
    pub fn new(client: String, limit: u64) -> Arc<Self> {
        Arc::new(RateSlot {
            client,
            limit,
            charge: Mutex::new(None),
        })
    }

    pub fn charged(&self) -> Option<Charge> {
        *self.charge.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The engine extension that charges each request its complexity once it has validated (so the
/// cost is the one the complexity limit computed), and refuses it when the budget is spent.
pub struct RateLimitExtension(pub Arc<RateLimiter>);

impl ExtensionFactory for RateLimitExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Charger(self.0.clone()))
    }
}

struct Charger(Arc<RateLimiter>);

#[async_trait::async_trait]
impl Extension for Charger {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let Some(slot) = ctx.data_opt::<Arc<RateSlot>>() else {
            return Ok(result);
        };
        if !self.0.settings.enabled {
            return Ok(result);
        }
        let cost = result.complexity.max(1) as u64;
        let charge = match self.0.charge(&slot.client, slot.limit, cost).await {
            Ok(charge) => charge,
            // The limiter's store failing must not take reads down with it: serve uncharged.
            Err(_) => return Ok(result),
        };
        *slot.charge.lock().unwrap_or_else(|p| p.into_inner()) = Some(charge);
        if charge.exceeded() {
            return Err(vec![exceeded(&charge)]);
        }
        Ok(result)
    }
}

/// The error of a request its caller's budget cannot pay for.
pub fn exceeded(charge: &Charge) -> ServerError {
    let mut error = ServerError::new(
        format!(
            "Rate limit exceeded: this request costs {} points and {} of the {} points of this window are left; the window resets at {}",
            charge.cost,
            charge.limit.saturating_sub(charge.used.saturating_sub(charge.cost)),
            charge.limit,
            charge.reset_at.to_rfc3339()
        ),
        None,
    );
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code::RATE_LIMITED);
    error
}

/// Where the caller stands against its rate limit.
#[derive(SimpleObject)]
pub struct RateLimit {
    /// Points the caller may spend per window.
    pub limit: i64,
    /// Points this request cost (its computed complexity).
    pub cost: i64,
    /// Points left in this window, after this request.
    pub remaining: i64,
    /// When the window resets and the full budget is available again.
    pub reset_at: Timestamp,
}

#[derive(Default)]
pub struct RateLimitQuery;

#[Object]
impl RateLimitQuery {
    /// The caller's rate limit: budget, this request's cost, what is left and when it resets.
    /// Null when rate limiting is switched off.
    async fn rate_limit(&self, ctx: &Context<'_>) -> Option<RateLimit> {
        crate::engine::volatile(ctx);
        let charge = ctx.data_opt::<Arc<RateSlot>>()?.charged()?;
        let clamp = |n: u64| n.min(i64::MAX as u64) as i64;
        Some(RateLimit {
            limit: clamp(charge.limit),
            cost: clamp(charge.cost),
            remaining: clamp(charge.remaining()),
            reset_at: Timestamp(charge.reset_at),
        })
    }
}
