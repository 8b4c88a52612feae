//! Connecting to the database (SQLite or PostgreSQL, chosen by the URL) and applying migrations.
//!
//! SQLite is embedded: its work runs on the server's own cores and its caches live in the
//! server's own memory, so its connections are set up for that (see [`sqlite_options`]).

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use std::time::Duration;

/// The default pool size on SQLite (`PUBLIC_VOICE_DB_MAX_CONNECTIONS` overrides it). SQLite
/// answers a query on the calling connection's thread, so connections beyond the machine's
/// cores add no throughput, only a page cache and a statement cache each: a small pool keeps
/// the process small, and requests queue for a connection instead of for a core.
pub const SQLITE_POOL: u32 = 4;

/// The page cache of each SQLite connection, in KiB (SQLite's own default, about 2,000 KiB).
/// Pages not in it are read from the operating system's file cache, which all connections
/// share and which does not count in the server's memory. The read engine answers filters,
/// totals and maps itself, so the database mostly fetches rows by primary key, and a larger
/// private cache per connection held memory (8 MiB each, filled by the index build) without
/// speeding those lookups.
pub const SQLITE_CACHE_KIB: i64 = 2 * 1024;
/// How many rows an SQLite connection's thread may hand over before the request reading them
/// takes them (sqlx's default is 50). A page with its nested lists reads a few hundred rows; with
/// room for them all the connection's thread runs the statement to its end without waiting for
/// the reader, instead of stopping and being woken every 50 rows.
pub const SQLITE_ROW_BUFFER: usize = 1024;
/// How long an SQLite connection waits for another writer's lock by default.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The level of sqlx's per-acquire event: the same as [`crate::pool_wait::EVENT_LEVEL`].
const ACQUIRE_EVENT_LEVEL: log::LevelFilter = log::LevelFilter::Trace;

/// Opens a connection pool. SQLite files are created when missing (`mode=rwc`).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with_busy_timeout(url, max_connections, DEFAULT_BUSY_TIMEOUT).await
}

/// Opens a connection pool whose SQLite connections wait up to `busy_timeout` for another
/// writer (another connection, or another process such as `import`) to release the database;
/// past it a write fails with the retryable `SERVICE_UNAVAILABLE`.
pub async fn connect_with_busy_timeout(
    url: &str,
    max_connections: u32,
    busy_timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        sqlite_process_settings();
    }
    let mut options = ConnectOptions::new(url.to_string());
    options.map_sqlx_sqlite_opts(move |opts| opts.busy_timeout(busy_timeout));
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(sqlite_options)
        // Every acquire reports its wait as an event, which `pool_wait` turns into a histogram.
        .map_sqlx_sqlite_pool_opts(|pool| pool.acquire_time_level(ACQUIRE_EVENT_LEVEL))
        .map_sqlx_postgres_pool_opts(|pool| {
            pool.acquire_time_level(ACQUIRE_EVENT_LEVEL)
                .after_connect(|_, _| {
                    Box::pin(async {
                        no_delay_on_database_sockets();
                        Ok(())
                    })
                })
        });
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while a writer commits; it is a property of the file, so
        // setting it once per start is enough (each connection also asks for it, above).
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
        forget_search_samples(&db).await;
    }
    Ok(db)
}

/// The planner's samples of the full-text index's own tables (`search_index_*`).
const SEARCH_SAMPLES: &str = "FROM sqlite_stat4 WHERE tbl LIKE 'search\\_index\\_%' ESCAPE '\\'";

/// Drops the planner's samples (`sqlite_stat4`) of the full-text index's own tables, which
/// `ANALYZE` (or `PRAGMA optimize`) writes. With them, SQLite re-prepares FTS5's internal
/// statements whenever it binds a new term to them, that is at every lookup: measured at 1M
/// views, the search made 86 requests a second with the samples and 287 without. The samples
/// of the evidence tables stay; `ANALYZE` writes these again, and the next start drops them.
/// Only a database holding such samples is written to, so opening takes no write lock otherwise
/// (another process, such as `import`, may hold it). A failure (the file read-only, or another
/// process writing) only costs that speed.
async fn forget_search_samples(db: &DatabaseConnection) {
    let forget = async {
        let exists = |sql: String| async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(DbBackend::Sqlite, sql))
                .await?;
            Ok::<bool, DbErr>(row.is_some())
        };
        if exists("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat4'".into()).await?
            && exists(format!("SELECT 1 {SEARCH_SAMPLES} LIMIT 1")).await?
        {
            db.execute_unprepared(&format!("DELETE {SEARCH_SAMPLES}"))
                .await?;
            // Reloads the statistics this connection planned with.
            db.execute_unprepared("ANALYZE sqlite_master").await?;
        }
        Ok::<(), DbErr>(())
    };
    if let Err(err) = forget.await {
        tracing::warn!(%err, "could not drop the full-text index's planner samples");
    }
}

/// SQLite's settings for the whole process, made once before its first connection: memory
/// statistics off. With them on (SQLite's default), every allocation and free SQLite makes takes
/// one process-wide lock to count it, which the connections' threads then queue on: sqlx copies
/// each value of each row it reads (`sqlite3_value_dup`), so a page's rows are hundreds of
/// allocations, all through that lock. The statistics feed only `sqlite3_memory_used` and the
/// soft heap limit, which this service does not use. If SQLite is already initialised (a test
/// process that opened a database another way first), the call is refused and logged, and
/// nothing else changes.
fn sqlite_process_settings() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` is documented safe to call before SQLite is initialised, on
        // one thread (`Once` ensures that); afterwards it only returns SQLITE_MISUSE.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            )
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(
                rc,
                "SQLite was already initialised: memory statistics stay on"
            );
        }
    });
}

/// Sends what each PostgreSQL connection writes at once (`TCP_NODELAY`), on every TCP socket of
/// the process that is still waiting for acknowledgements (Nagle's algorithm).
///
/// sqlx 0.9.0, the latest release, opens its TCP sockets without `TCP_NODELAY` (its earlier
/// releases set it, the next one will again; issue 4335 of its tracker). A statement whose
/// message leaves in more than one segment (one over the loopback's 64 KiB, or over TLS's
/// 16 KiB records: a bulk import's multi-row inserts) then held its last segment back until
/// PostgreSQL acknowledged the first, which PostgreSQL delays by up to 40 ms while it waits for
/// the rest of the message: measured, a 100,000-view import spent 30 of its 58 s waiting so.
/// sqlx gives no access to its socket, so this runs after each new connection and looks the
/// process's sockets up by their descriptors (Linux; elsewhere it does nothing). Setting the
/// flag on any other TCP socket of the process (the HTTP server's, which have it already) only
/// sends their writes without delay too.
fn no_delay_on_database_sockets() {
    for_each_tcp_socket(|socket| {
        if socket.tcp_nodelay().is_ok_and(|on| !on) {
            let _ = socket.set_tcp_nodelay(true);
        }
    });
}

/// Calls `f` with each connected TCP socket of this process, found by its descriptor (Linux;
/// elsewhere none). Each socket is only borrowed for the call.
pub fn for_each_tcp_socket(mut f: impl FnMut(socket2::SockRef<'_>)) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::{BorrowedFd, RawFd};
        let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
            return;
        };
        for entry in fds.flatten() {
            let is_socket = std::fs::read_link(entry.path())
                .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
            let Some(fd) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<RawFd>().ok())
            else {
                continue;
            };
            if !is_socket {
                continue;
            }
            // SAFETY: the descriptor is only borrowed for socket option calls, made during `f`.
            // Should another thread close it meanwhile, they fail (`EBADF`) or reach the socket
            // that took its number, which is checked as any other.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            let socket = socket2::SockRef::from(&fd);
            let is_tcp = socket.r#type().is_ok_and(|t| t == socket2::Type::STREAM)
                && socket.peer_addr().is_ok_and(|a| a.is_ipv4() || a.is_ipv6());
            if is_tcp {
                f(socket);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = &mut f;
}

/// Every SQLite connection's settings:
/// - `journal_mode=WAL`: readers never wait for the writer, and a commit appends to the log
///   instead of rewriting pages;
/// - `synchronous=NORMAL`: in WAL mode a commit is not synced to disk, the log is at each
///   checkpoint. The database can never be corrupted by a crash; a power cut may lose the last
///   transactions before the checkpoint. Writes then cost no `fsync` each, which matters for
///   curators' one-row edits (a bulk import is one transaction either way).
/// - `cache_size`: [`SQLITE_CACHE_KIB`] per connection, bounded, so memory does not grow with
///   the database file;
/// - `mmap_size=0` (memory mapping off, SQLite's default): mapped pages would count in the
///   server's resident memory as the file grows (1M views make a file of about 1 GB), while
///   reads through the shared file cache cost little more on this workload;
/// - `temp_store=FILE` (the default, said out loud): the sorts and groupings of large maps spill
///   to temporary files instead of growing the heap.
fn sqlite_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
        .pragma("mmap_size", "0")
        .pragma("temp_store", "FILE")
        .row_buffer_size(SQLITE_ROW_BUFFER)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// PostgreSQL compares with `COLLATE "C"`, so both backends sort byte-wise, the same way.
pub fn collated(sql: String, backend: sea_orm::DbBackend) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("({sql}) COLLATE \"C\""),
        _ => sql,
    }
}

/// The SQL sort key of the `TITLE_*` orders over `column` of `E`'s table (for the read engine,
/// which has the database sort the titles once with exactly this expression).
pub fn title_key_sql<E: sea_orm::EntityTrait>(column: &str, backend: sea_orm::DbBackend) -> String {
    let table = E::default().table_name();
    collated(format!("lower(\"{table}\".\"{column}\")"), backend)
}

/// An `IN` list of ids as statement parameters, numbered from `$first`, so that a batch's
/// statement is one of a few texts, which each connection prepares once and keeps (written into
/// the text, every batch of ids was a new statement to parse and plan: on SQLite, a tenth of a
/// nested page's time). Returns the list's SQL (to put in `IN (...)`) and its values.
/// - PostgreSQL: `$first, ...`, as many as the next power of two, the last id repeated.
/// - SQLite: one parameter, the ids as a JSON array, read by `json_each`. With a parameter per
///   id, SQLite re-prepares the statement at each new binding whenever the planner holds
///   `sqlite_stat4` samples of the column it filters (as after `ANALYZE`), which costs as much
///   as parsing it; a subquery's values are not looked up in the samples.
pub fn id_params<T>(backend: DbBackend, first: usize, ids: &[T]) -> (String, Vec<sea_orm::Value>)
where
    T: Copy + Default + std::fmt::Display + Into<sea_orm::Value>,
{
    if backend == DbBackend::Sqlite {
        let list = ids.iter().map(T::to_string).collect::<Vec<_>>().join(",");
        let values = vec![sea_orm::Value::from(format!("[{list}]"))];
        return (format!("SELECT value FROM json_each(${first})"), values);
    }
    let n = ids.len().max(1).next_power_of_two();
    let last = ids.last().copied().unwrap_or_default();
    let values = ids
        .iter()
        .copied()
        .chain(std::iter::repeat(last))
        .take(n)
        .map(Into::into)
        .collect();
    let params = (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    (params, values)
}

#[cfg(test)]
mod tests {
    use super::id_params;
    use sea_orm::DatabaseBackend::{Postgres, Sqlite};

    #[test]
    fn id_lists_are_parameters_of_few_shapes() {
        let (sql, values) = id_params(Postgres, 1, &[7, 3, 9]);
        assert_eq!(sql, "$1, $2, $3, $4");
        let ids: Vec<sea_orm::Value> = [7, 3, 9, 9].into_iter().map(Into::into).collect();
        assert_eq!(values, ids);
        // The same text for every batch of 33 to 64 ids.
        let (a, _) = id_params(Postgres, 1, &(0..33).collect::<Vec<_>>());
        let (b, values) = id_params(Postgres, 1, &(0..64).collect::<Vec<_>>());
        assert_eq!((a.clone(), values.len()), (b, 64));
        assert!(a.ends_with("$63, $64"));
        assert_eq!(id_params::<i32>(Postgres, 1, &[]).0, "$1");
        // Numbered after the statement's other parameters.
        assert_eq!(id_params(Postgres, 2, &[5_i64]).0, "$2");
        // SQLite: one text for every batch, the ids in one JSON parameter.
        let (sql, values) = id_params(Sqlite, 1, &[7, 3, 9]);
        assert_eq!(sql, "SELECT value FROM json_each($1)");
        assert_eq!(values, vec![sea_orm::Value::from("[7,3,9]".to_string())]);
        assert_eq!(
            id_params(Sqlite, 2, &[5_i64]).0,
            "SELECT value FROM json_each($2)"
        );
    }
}
