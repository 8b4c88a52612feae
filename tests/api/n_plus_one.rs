//! No N+1: the statements a nested query issues are bounded by its nesting, not by its rows.

use crate::helpers::{post_data, Backend, TestDb};
use api::server::Application;
use api::settings::Settings;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const NESTED: &str = "query($n: Int!) { participantViews(first: $n) { nodes {
    text missions themes { label }
    exercise { title missions }
    finding { title missions themes { slug } exercise { title } }
    session { place }
    provenance { locator source { title } }
} } }";

/// Statements that are not the query's own: the hub's once-a-second count of revoked tokens
/// (which may land while a request runs) and the per-request rate-limit charge (one UPSERT on
/// PostgreSQL, whatever the rows).
pub(crate) fn housekeeping(sql: &str) -> bool {
    sql.contains("\"api_token\"") || sql.contains("rate_limit")
}

#[tokio::test]
async fn statements_do_not_grow_with_rows() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(test_db) = TestDb::create(backend).await else {
            continue;
        };
        let mut conn = api::db::connect(test_db.url(), 4).await.expect("connect");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        conn.set_metric_callback(move |info| {
            if !housekeeping(&info.statement.sql) {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let vars: HashMap<&str, &str> = HashMap::from([
            ("PUBLIC_VOICE_PORT", "0"),
            ("PUBLIC_VOICE_WORKERS", "1"),
            // No timed change-log polls in the middle of a counted request.
            ("PUBLIC_VOICE_ENGINE_POLL_MS", "0"),
            // Counts what computing an answer costs: no response remembered from a request before.
            ("PUBLIC_VOICE_RESPONSE_MEMO_KIB", "0"),
        ]);
        let settings =
            Settings::from_lookup(|k| vars.get(k).map(|v| v.to_string())).expect("settings");
        let app = Application::build_with_connection(&settings, conn)
            .await
            .expect("app");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());

        // Each count is the fewest of three tries: on a machine busy enough to pause the server
        // for longer than a loader's batch window, one batch can split in two (a statement
        // more), whereas a missing loader costs a statement per row on every try.
        let mut counts = Vec::new();
        for n in [1, 5, 40] {
            let mut fewest = usize::MAX;
            for _ in 0..3 {
                let before = statements.load(Ordering::SeqCst);
                let answer = post_data(&address, None, NESTED, json!({"n": n})).await;
                assert_eq!(
                    answer["participantViews"]["nodes"].as_array().map(Vec::len),
                    Some(n as usize)
                );
                fewest = fewest.min(statements.load(Ordering::SeqCst) - before);
            }
            counts.push(fewest);
        }
        println!("{backend:?}: statements for 1, 5, 40 views: {counts:?}");
        // One statement for the page, then one batch per relation and level: view missions,
        // sessions, findings, source documents; then exercise missions, finding missions (a
        // batch window that closes early can add one statement). Exercises and themes, at
        // either level, come from the read engine without a statement. About six whether the
        // page holds 1 view or 40; without loaders, 40 views cost hundreds.
        assert!(
            counts.iter().all(|c| (5..=8).contains(c)),
            "{backend:?}: {counts:?}"
        );
    }
}

/// A server whose every SQL statement is counted, over a fresh seeded database.
async fn counting_server(backend: Backend) -> Option<(TestDb, String, Arc<AtomicUsize>)> {
    counting_server_of(backend, |sql| !housekeeping(sql)).await
}

/// A server whose SQL statements that `counted` picks are counted, over a fresh seeded database.
async fn counting_server_of(
    backend: Backend,
    counted: fn(&str) -> bool,
) -> Option<(TestDb, String, Arc<AtomicUsize>)> {
    let test_db = TestDb::create(backend).await?;
    let mut conn = api::db::connect(test_db.url(), 4).await.expect("connect");
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    conn.set_metric_callback(move |info| {
        if counted(&info.statement.sql) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let vars: HashMap<&str, &str> = HashMap::from([
        ("PUBLIC_VOICE_PORT", "0"),
        ("PUBLIC_VOICE_WORKERS", "1"),
        // No timed change-log polls in the middle of a counted request.
        ("PUBLIC_VOICE_ENGINE_POLL_MS", "0"),
        // Counts what computing an answer costs: no response remembered from a request before.
        ("PUBLIC_VOICE_RESPONSE_MEMO_KIB", "0"),
    ]);
    let settings = Settings::from_lookup(|k| vars.get(k).map(|v| v.to_string())).expect("settings");
    let app = Application::build_with_connection(&settings, conn)
        .await
        .expect("app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Some((test_db, address, statements))
}

const SUMMARIES: &str = "query($n: Int!) {
  exercises(first: $n) { nodes { title counts {
    findings views viewsByStance { stance count } resources metrics sessions } } }
  missions { label counts { exercises findings views viewsByStance { stance count } } }
}";

#[tokio::test]
async fn dashboard_counts_are_batched() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((_db, address, statements)) = counting_server(backend).await else {
            continue;
        };
        let mut counts = Vec::new();
        for n in [1, 2, 4] {
            let before = statements.load(Ordering::SeqCst);
            let answer = post_data(&address, None, SUMMARIES, json!({"n": n})).await;
            assert_eq!(
                answer["exercises"]["nodes"].as_array().map(Vec::len),
                Some(n as usize)
            );
            counts.push(statements.load(Ordering::SeqCst) - before);
        }
        println!("{backend:?}: statements for 1, 2, 4 exercises with counts: {counts:?}");
        // The exercises' page, the missions, one GROUP BY for every exercise's counts and one
        // for every mission's: four, however many rows (a batch window closing early can add one).
        assert!(
            counts.iter().all(|c| (4..=5).contains(c)),
            "{backend:?}: {counts:?}"
        );
    }
}

const SEARCH: &str = "query($q: String!) { search(query: $q, first: 1) { totalCount
  edges { node { node { ... on Finding { slug } ... on ParticipantView { slug } } } } } }";

/// Whether a statement is a search's ranking of every match (not a page's snippets).
fn ranking(sql: &str) -> bool {
    sql.contains("AS score FROM search_index WHERE") && !sql.contains(" IN (")
}

#[tokio::test]
async fn concurrent_searches_rank_once() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((_db, address, rankings)) = counting_server_of(backend, ranking).await else {
            continue;
        };
        for (round, q) in ["co-pilot", "co-pilot", "regulator"]
            .into_iter()
            .enumerate()
        {
            let before = rankings.load(Ordering::SeqCst);
            let requests =
                (0..8).map(|_| {
                    let address = address.clone();
                    async move {
                        post_data(&address, None, SEARCH, json!({"q": q})).await["search"].clone()
                    }
                });
            let answers = futures_util::future::join_all(requests).await;
            assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
            let ranked = rankings.load(Ordering::SeqCst) - before;
            // Eight requests at once for a new expression: one ranks, seven wait and reuse its
            // list; asked again (no write between), none ranks.
            let expected = if round == 1 { 0 } else { 1 };
            assert_eq!(
                ranked, expected,
                "{backend:?} {q} round {round}: {answers:?}"
            );
        }
    }
}
