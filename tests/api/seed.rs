//! Loading the seed corpus: idempotent, all or nothing, and every record traceable to a passage
//! of its source document (copies of which are kept in `api/seed/sources/`).

use crate::helpers::{Backend, TestDb};
use api::seed;
use sea_orm::{ConnectionTrait, Statement};
use std::path::Path;

fn source_text(file_name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("api/seed/sources")
        .join(file_name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn committed_sources_are_the_shared_originals() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    if !shared.exists() {
        println!("skipping: {} is not beside this checkout", shared.display());
        return;
    }
    let corpus = seed::corpus().expect("corpus parses");
    for source in &corpus.sources {
        let original = std::fs::read_to_string(shared.join(&source.file_name)).expect("original");
        assert_eq!(
            source_text(&source.file_name),
            original,
            "{}",
            source.file_name
        );
    }
}

#[test]
fn every_record_traces_to_a_passage_of_its_source() {
    let corpus = seed::corpus().expect("corpus parses");
    let texts: std::collections::HashMap<&str, String> = corpus
        .sources
        .iter()
        .map(|s| (s.slug.as_str(), source_text(&s.file_name)))
        .collect();
    let mut untraced = Vec::new();
    let mut check = |what: String, source: &str, passage: &str| match texts.get(source) {
        Some(text) if !passage.trim().is_empty() && text.contains(passage) => {}
        _ => untraced.push(format!("{what}: {passage:?}")),
    };
    for o in &corpus.organisations {
        check(format!("organisation {}", o.slug), &o.source, &o.locator);
    }
    for e in &corpus.exercises {
        check(format!("exercise {}", e.slug), &e.source, &e.locator);
    }
    for s in &corpus.sessions {
        check(format!("session {}", s.slug), &s.source, &s.locator);
    }
    for f in &corpus.findings {
        check(format!("finding {}", f.slug), &f.source, &f.locator);
    }
    for v in &corpus.views {
        check(format!("view {}", v.slug), &v.source, &v.locator);
        if v.verbatim {
            // A verbatim quote must be the participant's exact words.
            check(format!("verbatim view {}", v.slug), &v.source, &v.text);
        }
    }
    for m in &corpus.metrics {
        check(format!("metric {}", m.slug), &m.source, &m.locator);
    }
    for r in &corpus.resources {
        check(format!("resource {}", r.slug), &r.source, &r.locator);
        if let Some(url) = &r.url {
            check(format!("resource {} url", r.slug), &r.source, url);
        }
    }
    for c in &corpus.commitments {
        check(format!("commitment {}", c.slug), &c.source, &c.locator);
        // The statement is what the organisers said: their exact words.
        check(
            format!("commitment {} statement", c.slug),
            &c.source,
            &c.statement,
        );
    }
    assert!(
        untraced.is_empty(),
        "not found in the source: {untraced:#?}"
    );
}

async fn row_counts(db: &sea_orm::DatabaseConnection) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in [
        "source_document",
        "mission",
        "theme",
        "organisation",
        "exercise",
        "exercise_mission",
        "exercise_organisation",
        "session",
        "finding",
        "finding_mission",
        "finding_theme",
        "participant_view",
        "view_mission",
        "view_theme",
        "metric",
        "resource",
        "resource_exercise",
        "resource_finding",
        "commitment",
        "commitment_exercise",
        "commitment_finding",
    ] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count")
            .expect("row");
        counts.push((table.to_string(), row.try_get::<i64>("", "n").expect("n")));
    }
    counts
}

#[tokio::test]
async fn loading_twice_changes_nothing() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(test_db) = TestDb::create(backend).await else {
            continue;
        };
        let db = api::db::connect(test_db.url(), 2).await.expect("connect");
        api::db::migrate(&db).await.expect("migrate");
        let first = seed::seed(&db).await.expect("first load");
        assert!(first.created > 100, "{backend:?}: {first:?}");
        let after_first = row_counts(&db).await;
        let second = seed::seed(&db).await.expect("second load");
        assert_eq!(second.created, 0, "{backend:?}");
        assert_eq!(row_counts(&db).await, after_first, "{backend:?}");
        // On an already seeded database, the start-up path does nothing at all.
        assert_eq!(seed::seed_if_empty(&db).await.expect("start-up seed"), None);
        db.close().await.ok();
    }
}

#[tokio::test]
async fn a_broken_corpus_writes_nothing() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(test_db) = TestDb::create(backend).await else {
            continue;
        };
        let db = api::db::connect(test_db.url(), 2).await.expect("connect");
        api::db::migrate(&db).await.expect("migrate");
        let mut json: serde_json::Value = serde_json::from_str(seed::CORPUS_JSON).expect("json");
        // The last view points at an exercise that does not exist: found only late in the load.
        let views = json["views"].as_array_mut().expect("views");
        let last = views.last_mut().expect("a view");
        last["exercise"] = "no-such-exercise".into();
        let corpus: seed::Corpus = serde_json::from_value(json).expect("still well-formed");
        let err = seed::load(&db, &corpus)
            .await
            .expect_err("dangling reference");
        assert!(err.to_string().contains("no-such-exercise"), "{err}");
        assert!(
            row_counts(&db).await.iter().all(|(_, n)| *n == 0),
            "{backend:?}: nothing may be written"
        );
        db.close().await.ok();
    }
}
