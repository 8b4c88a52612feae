//! The service's database connections, as the operating system sees them.

use crate::helpers::{Backend, TestDb};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

/// Whether the process's TCP socket bound to local port `port` sends without delay; `None`
/// when the process has no such socket.
fn no_delay_of_local_port(port: u16) -> Option<bool> {
    let mut found = None;
    api::db::for_each_tcp_socket(|socket| {
        let local = socket.local_addr().ok().and_then(|a| a.as_socket());
        if local.is_some_and(|a| a.port() == port) {
            found = socket.tcp_nodelay().ok();
        }
    });
    found
}

/// Every PostgreSQL connection the service opens sends each message at once (`TCP_NODELAY`):
/// sqlx 0.9.0 leaves Nagle's algorithm on, which held a bulk import's large inserts back for up
/// to 40 ms each. The connections are found by the port PostgreSQL sees each one come from.
#[tokio::test]
async fn postgres_connections_send_without_delay() {
    let Some(test_db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let db = api::db::connect(test_db.url(), 2).await.expect("connect");
    // Two transactions at once: two connections of the pool.
    let (a, b) = (db.begin().await.expect("a"), db.begin().await.expect("b"));
    for txn in [&a, &b] {
        let row = txn
            .query_one_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT client_port FROM pg_stat_activity WHERE pid = pg_backend_pid()",
            ))
            .await
            .expect("client port")
            .expect("a row");
        let port: i32 = row.try_get("", "client_port").expect("port");
        assert_eq!(
            no_delay_of_local_port(port as u16),
            Some(true),
            "the connection from local port {port}"
        );
    }
    drop((a, b));
    db.close().await.ok();
}
