//! Connecting to the database (SQLite or PostgreSQL, chosen by the URL) and applying migrations.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use std::time::Duration;

/// How long an SQLite connection waits for another writer's lock by default.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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
    let mut options = ConnectOptions::new(url.to_string());
    options.map_sqlx_sqlite_opts(move |opts| opts.busy_timeout(busy_timeout));
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while a writer commits; it is a property of the file, so
        // setting it once per start is enough.
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
