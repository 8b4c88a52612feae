//! Bulk import and export: idempotent imports, all-or-nothing rejection with every bad row
//! reported, dry runs, CSV, and export that round-trips; on both backends.

use crate::helpers::{Backend, TestApp, TestDb};
use crate::on_each_backend;
use migration::{Migrator, MigratorTrait};
use serde_json::{json, Value};

const IMPORT: &str = r#"mutation($bundle: String!, $format: BundleFormat, $dry: Boolean) {
  importBundle(bundle: $bundle, format: $format, dryRun: $dry) {
    committed dryRun created updated unchanged byType { rowType created updated unchanged rejected }
  }
}"#;

fn lines(rows: &[Value]) -> String {
    let mut text =
        String::from("{\"type\":\"header\",\"format\":\"public-voice-bundle\",\"version\":1}\n");
    for r in rows {
        text.push_str(&r.to_string());
        text.push('\n');
    }
    text
}

fn good_rows() -> Vec<Value> {
    vec![
        json!({"type": "finding", "slug": "acme-told-when-ai-is-used", "exercise": "ai-cam-public-dialogues-2024",
               "title": "Tell people when AI is used", "summary": "Participants asked to be told.",
               "kind": "CONDITION", "position": 30, "missions": ["HEALTH"], "themes": ["transparency"],
               "source": "ai-cam-2024-10-26", "locator": "fixture", "externalSource": "acme", "externalId": "F-1"}),
        json!({"type": "view", "slug": "acme-view-1", "exercise": "ai-cam-public-dialogues-2024",
               "finding": "acme-told-when-ai-is-used", "text": "I want to know.", "stance": "CONDITION",
               "missions": ["HEALTH"], "themes": ["transparency", "privacy"], "source": "ai-cam-2024-10-26",
               "locator": "fixture", "externalSource": "acme", "externalId": "V-1"}),
        json!({"type": "view", "slug": "acme-view-2", "exercise": "ai-cam-public-dialogues-2024",
               "session": "ai-cam-dialogue-liverpool", "text": "It could free up my GP's time.",
               "verbatim": true, "stance": "HOPE", "missions": ["HEALTH"], "themes": ["admin-burden"],
               "source": "ai-cam-2024-10-26", "locator": "fixture", "reviewStatus": "DRAFT",
               "externalSource": "acme", "externalId": "V-2"}),
    ]
}

async fn counts(app: &TestApp) -> Value {
    let editor = app
        .token(&format!("counter-{}", rand_suffix()), "editor")
        .await;
    app.data_as(
        &editor,
        "{ findings { totalCount } participantViews { totalCount } }",
        json!({}),
    )
    .await
}

fn rand_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

#[tokio::test]
async fn importing_the_same_bundle_twice_changes_nothing() {
    on_each_backend!(|app| {
        let editor = app.token("acme-sync", "editor").await;
        let bundle = lines(&good_rows());
        let d = app
            .data_as(&editor, IMPORT, json!({"bundle": bundle}))
            .await;
        assert_eq!(
            d["importBundle"],
            json!({"committed": true, "dryRun": false, "created": 3, "updated": 0, "unchanged": 0,
                   "byType": [
                       {"rowType": "finding", "created": 1, "updated": 0, "unchanged": 0, "rejected": 0},
                       {"rowType": "view", "created": 2, "updated": 0, "unchanged": 0, "rejected": 0}]})
        );
        let d = app
            .data_as(&editor, IMPORT, json!({"bundle": bundle}))
            .await;
        assert_eq!(d["importBundle"]["created"], 0);
        assert_eq!(d["importBundle"]["unchanged"], 3);
        // One change per row, not two: the second import wrote nothing.
        let d = app
            .data_as(&editor, "{ changes { totalCount } }", json!({}))
            .await;
        assert_eq!(d["changes"]["totalCount"], 3);
        // The published rows are public; the draft is not; links and tags arrived.
        let d = app
            .data(
                r#"{ finding(by: {slug: "acme-told-when-ai-is-used"}) { externalKey { source id }
                       views { nodes { slug themes { slug } } } }
                     participantViews { totalCount } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            d["finding"],
            json!({"externalKey": {"source": "acme", "id": "F-1"},
                   "views": {"nodes": [{"slug": "acme-view-1", "themes": [{"slug": "privacy"}, {"slug": "transparency"}]}]}})
        );
        assert_eq!(d["participantViews"]["totalCount"], 41);
        // A changed row updates; its external key finds it even under a new slug.
        let mut rows = good_rows();
        rows[1]["slug"] = json!("acme-view-1-renamed");
        rows[1]["stance"] = json!("CONCERN");
        let d = app
            .data_as(&editor, IMPORT, json!({"bundle": lines(&rows)}))
            .await;
        assert_eq!(
            (
                d["importBundle"]["updated"].clone(),
                d["importBundle"]["unchanged"].clone()
            ),
            (json!(1), json!(2))
        );
    });
}

#[tokio::test]
async fn one_bad_row_rejects_the_bundle_and_every_bad_row_is_reported() {
    on_each_backend!(|app| {
        let editor = app.token("acme-sync", "editor").await;
        let before = counts(&app).await;
        let mut rows = good_rows();
        rows[0]["themes"] = json!(["transparency", "no-such-theme"]);
        rows[1]["stance"] = json!("ECSTATIC");
        rows[2]["text"] = json!("   ");
        rows.push(json!({"type": "metric-ish", "slug": "x"}));
        let mut bundle = lines(&rows);
        bundle.push_str("{not json\n");
        let (status, body) = app
            .graphql_as(&editor, IMPORT, json!({"bundle": bundle}))
            .await;
        assert_eq!(status, 200);
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "bundle");
        let reported: Vec<(i64, String)> = error["extensions"]["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                (
                    r["line"].as_i64().expect("line"),
                    r["field"].as_str().expect("field").to_string(),
                )
            })
            .collect();
        assert_eq!(
            reported,
            vec![
                (2, "themes[1]".to_string()),
                (3, String::new()),
                (4, "text".to_string()),
                (5, "type".to_string()),
                (6, String::new()),
            ]
        );
        // `importBundle` is non-null, so its failure makes `data` null (null propagation).
        assert_eq!(body["data"], Value::Null);
        assert_eq!(counts(&app).await, before, "nothing was written");
        let d = app
            .data_as(&editor, "{ changes { totalCount } }", json!({}))
            .await;
        assert_eq!(d["changes"]["totalCount"], 0);
        // Readers and anonymous callers may not import.
        assert_eq!(
            app.error_code(IMPORT, json!({"bundle": lines(&good_rows())}))
                .await,
            "UNAUTHENTICATED"
        );
    });
}

#[tokio::test]
async fn a_dry_run_reports_and_writes_nothing() {
    on_each_backend!(|app| {
        let editor = app.token("acme-sync", "editor").await;
        let before = counts(&app).await;
        let d = app
            .data_as(
                &editor,
                IMPORT,
                json!({"bundle": lines(&good_rows()), "dry": true}),
            )
            .await;
        assert_eq!(d["importBundle"]["committed"], false);
        assert_eq!(d["importBundle"]["dryRun"], true);
        assert_eq!(d["importBundle"]["created"], 3);
        assert_eq!(counts(&app).await, before);
    });
}

#[tokio::test]
async fn views_import_from_csv() {
    on_each_backend!(|app| {
        let editor = app.token("spreadsheet", "editor").await;
        let csv = "slug,exercise,session,text,verbatim,stance,missions,themes,source,locator,externalSource,externalId\n\
                   csv-view-1,ai-cam-public-dialogues-2024,ai-cam-dialogue-cambridge,\"Quoted, with a comma\",true,HOPE,HEALTH;EDUCATION,privacy;bias-and-discrimination,ai-cam-2024-10-26,fixture,sheet,1\n\
                   csv-view-2,ai-cam-public-dialogues-2024,,Paraphrased,,CONCERN,,,ai-cam-2024-10-26,fixture,sheet,2\n";
        let d = app
            .data_as(
                &editor,
                IMPORT,
                json!({"bundle": csv, "format": "CSV_VIEWS"}),
            )
            .await;
        assert_eq!(d["importBundle"]["created"], 2);
        let d = app
            .data(
                r#"{ participantView(by: {slug: "csv-view-1"}) { text verbatim stance missions themes { slug } session { slug } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            d["participantView"],
            json!({"text": "Quoted, with a comma", "verbatim": true, "stance": "HOPE",
                   "missions": ["HEALTH", "EDUCATION"],
                   "themes": [{"slug": "bias-and-discrimination"}, {"slug": "privacy"}],
                   "session": {"slug": "ai-cam-dialogue-cambridge"}})
        );
        let bad = "slug,exercise,text,stance,missions,source,locator\n\
                   csv-view-3,ai-cam-public-dialogues-2024,Fine,HOPE,,ai-cam-2024-10-26,fixture\n\
                   csv-view-4,ai-cam-public-dialogues-2024,Bad,HOPE,MOON,ai-cam-2024-10-26,fixture\n";
        let (_, body) = app
            .graphql_as(
                &editor,
                IMPORT,
                json!({"bundle": bad, "format": "CSV_VIEWS"}),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["rows"],
            json!([{"line": 3, "field": "missions[0]", "message": "Unknown value \"MOON\""}])
        );
        let d = app
            .data(r#"{ participantViews { totalCount } }"#, json!({}))
            .await;
        assert_eq!(d["participantViews"]["totalCount"], 42);
    });
}

/// Rows in the seed corpus: 2 sources, 5 missions, 20 themes, 16 organisations, 4 exercises,
/// 4 sessions, 12 findings, 40 views, 8 metrics, 11 resources and 5 commitments.
const CORPUS_ROWS: u64 = 2 + 5 + 20 + 16 + 4 + 4 + 12 + 40 + 8 + 11 + 5;

/// Export from one database, import into another holding the same seed: every row is
/// unchanged, and exporting again gives the same bytes.
#[tokio::test]
async fn export_round_trips() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(a) = TestApp::spawn(backend).await else {
            continue;
        };
        let Some(b) = TestApp::spawn(backend).await else {
            continue;
        };
        let editor = a.token("acme-sync", "editor").await;
        a.data_as(&editor, IMPORT, json!({"bundle": lines(&good_rows())}))
            .await;
        let conn_a = sea_orm::Database::connect(a.db.url()).await.expect("a");
        let conn_b = sea_orm::Database::connect(b.db.url()).await.expect("b");
        let mut first = Vec::new();
        let rows = api::bundle::export(&conn_a, &mut first, &[])
            .await
            .expect("export");
        assert_eq!(rows, CORPUS_ROWS + 3);
        let report = api::bundle::import(
            &conn_b,
            first.as_slice(),
            api::bundle::Input::JsonLines,
            "test",
            false,
        )
        .await
        .expect("import");
        assert!(report.committed, "{report:?}");
        assert_eq!(
            (
                report.created,
                report.updated,
                report.unchanged,
                report.rejected
            ),
            (3, 0, CORPUS_ROWS, 0),
            "{backend:?}"
        );
        let mut second = Vec::new();
        api::bundle::export(&conn_b, &mut second, &[])
            .await
            .expect("export again");
        assert_eq!(
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&second)
        );
        // CSV export of views reads back as the same views.
        let mut csv = Vec::new();
        let n = api::bundle::csv_views::export(&conn_b, &mut csv)
            .await
            .expect("csv");
        assert_eq!(n, 42);
        let report = api::bundle::import(
            &conn_a,
            csv.as_slice(),
            api::bundle::Input::CsvViews,
            "test",
            true,
        )
        .await
        .expect("csv import");
        assert_eq!(
            (
                report.created,
                report.updated,
                report.unchanged,
                report.rejected
            ),
            (0, 0, 42, 0)
        );
        conn_a.close().await.ok();
        conn_b.close().await.ok();
    }
}

/// The rows (and errors) an import reports, as `(line, field)`.
fn reported(body: &Value) -> Vec<(i64, String)> {
    body["errors"][0]["extensions"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("expected rejected rows, got {body}"))
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().expect("line"),
                r["field"].as_str().expect("field").to_string(),
            )
        })
        .collect()
}

fn report_counts(r: &api::bundle::ImportReport) -> (u64, u64, u64, u64) {
    (r.created, r.updated, r.unchanged, r.rejected)
}

/// THE round trip: the whole seeded corpus, exported, fills a database that has only been
/// migrated (no seed, no missions); exporting that gives the same bytes; importing the export
/// again changes nothing.
#[tokio::test]
async fn the_whole_corpus_fills_an_empty_database_and_round_trips() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(seeded) = TestApp::spawn(backend).await else {
            continue;
        };
        let empty = TestDb::create(backend).await.expect("empty database");
        let conn_a = sea_orm::Database::connect(seeded.db.url())
            .await
            .expect("seeded");
        let conn_b = sea_orm::Database::connect(empty.url())
            .await
            .expect("empty");
        Migrator::up(&conn_b, None).await.expect("migrate");

        let mut first = Vec::new();
        let rows = api::bundle::export(&conn_a, &mut first, &[])
            .await
            .expect("export");
        assert_eq!(rows, CORPUS_ROWS, "{backend:?}");
        let types: Vec<String> = String::from_utf8_lossy(&first)
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).expect("json")["type"]
                    .as_str()
                    .expect("type")
                    .to_string()
            })
            .collect();
        let mut order = types.clone();
        order.dedup();
        assert_eq!(
            order,
            [
                "header",
                "source",
                "mission",
                "theme",
                "organisation",
                "exercise",
                "session",
                "finding",
                "view",
                "metric",
                "resource",
                "commitment"
            ],
            "dependency order"
        );

        let report = api::bundle::import(
            &conn_b,
            first.as_slice(),
            api::bundle::Input::JsonLines,
            "test",
            false,
        )
        .await
        .expect("import");
        assert!(report.errors.is_empty(), "{backend:?}: {:?}", report.errors);
        assert!(report.committed);
        assert_eq!(
            report_counts(&report),
            (CORPUS_ROWS, 0, 0, 0),
            "{backend:?}"
        );
        let by_type: Vec<(&str, [u64; 4])> = report
            .by_type
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            by_type,
            [
                ("commitment", [5, 0, 0, 0]),
                ("exercise", [4, 0, 0, 0]),
                ("finding", [12, 0, 0, 0]),
                ("metric", [8, 0, 0, 0]),
                ("mission", [5, 0, 0, 0]),
                ("organisation", [16, 0, 0, 0]),
                ("resource", [11, 0, 0, 0]),
                ("session", [4, 0, 0, 0]),
                ("source", [2, 0, 0, 0]),
                ("theme", [20, 0, 0, 0]),
                ("view", [40, 0, 0, 0]),
            ]
        );

        let mut second = Vec::new();
        api::bundle::export(&conn_b, &mut second, &[])
            .await
            .expect("export again");
        assert_eq!(
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&second),
            "{backend:?}"
        );

        let report = api::bundle::import(
            &conn_b,
            first.as_slice(),
            api::bundle::Input::JsonLines,
            "test",
            false,
        )
        .await
        .expect("import again");
        assert_eq!(
            report_counts(&report),
            (0, 0, CORPUS_ROWS, 0),
            "{backend:?}"
        );

        // CSV of metrics reads back as the same metrics.
        let mut csv = Vec::new();
        let n = api::bundle::csv_metrics::export(&conn_b, &mut csv)
            .await
            .expect("csv");
        assert_eq!(n, 8);
        let report = api::bundle::import(
            &conn_a,
            csv.as_slice(),
            api::bundle::Input::CsvMetrics,
            "test",
            true,
        )
        .await
        .expect("csv import");
        assert_eq!(report_counts(&report), (0, 0, 8, 0), "{backend:?}");
        conn_a.close().await.ok();
        conn_b.close().await.ok();
    }
}

#[tokio::test]
async fn an_exercise_may_be_part_of_one_later_in_the_bundle() {
    on_each_backend!(|app| {
        let editor = app.token("acme-sync", "editor").await;
        let exercise = |slug: &str, part_of: Option<&str>| {
            json!({"type": "exercise", "slug": slug, "title": slug, "kind": "PUBLIC_DIALOGUE",
                   "summary": "x", "places": ["Leeds"], "status": "COMPLETED", "partOf": part_of,
                   "missions": ["HEALTH"],
                   "organisations": [{"organisation": "ai-cam", "role": "ORGANISER"}],
                   "source": "ai-cam-2024-10-26", "locator": "fixture"})
        };
        let rows = vec![
            exercise("acme-part", Some("acme-whole")),
            json!({"type": "session", "slug": "acme-part-session", "exercise": "acme-part",
                   "title": "One", "source": "ai-cam-2024-10-26", "locator": "fixture"}),
            exercise("acme-whole", Some("ai-cam-public-dialogues-2024")),
        ];
        let d = app
            .data_as(&editor, IMPORT, json!({"bundle": lines(&rows)}))
            .await;
        assert_eq!(
            d["importBundle"]["byType"],
            json!([
                {"rowType": "exercise", "created": 2, "updated": 0, "unchanged": 0, "rejected": 0},
                {"rowType": "session", "created": 1, "updated": 0, "unchanged": 0, "rejected": 0}])
        );
        let d = app
            .data(
                r#"{ exercise(by: {slug: "acme-part"}) { partOf { slug partOf { slug } } places } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            d["exercise"],
            json!({"partOf": {"slug": "acme-whole", "partOf": {"slug": "ai-cam-public-dialogues-2024"}},
                   "places": ["Leeds"]})
        );
        let d = app
            .data_as(&editor, IMPORT, json!({"bundle": lines(&rows)}))
            .await;
        assert_eq!(d["importBundle"]["unchanged"], 3);

        // A larger exercise that never comes, and a cycle made within one bundle, are reported
        // at their rows' lines.
        let rows = vec![
            exercise("acme-orphan", Some("no-such-exercise")),
            exercise("acme-a", Some("acme-b")),
            exercise("acme-b", Some("acme-a")),
        ];
        let (_, body) = app
            .graphql_as(&editor, IMPORT, json!({"bundle": lines(&rows)}))
            .await;
        assert_eq!(
            reported(&body),
            [(2, "partOf".to_string()), (3, "partOf".to_string())]
        );
        assert_eq!(
            app.error_code(r#"{ exercise(by: {slug: "acme-a"}) { slug } }"#, json!({}))
                .await,
            "NOT_FOUND",
            "nothing was written"
        );
    });
}

#[tokio::test]
async fn a_bad_reference_in_any_row_type_is_reported_at_its_field() {
    on_each_backend!(|app| {
        let editor = app.token("acme-sync", "editor").await;
        let src = "ai-cam-2024-10-26";
        let rows = vec![
            json!({"type": "source", "slug": "acme-source", "fileName": "a.md", "title": "A",
                   "publisher": "Acme", "url": "not a url"}),
            json!({"type": "mission", "code": "HEALTH", "label": " ", "description": "d", "position": 1}),
            json!({"type": "theme", "slug": "Not A Slug", "label": "T", "definition": "d"}),
            json!({"type": "organisation", "slug": "acme", "name": "Acme", "kind": "COMPANY",
                   "source": "no-such-source", "locator": "fixture"}),
            json!({"type": "exercise", "slug": "acme-exercise", "title": "E", "kind": "PUBLIC_DIALOGUE",
                   "summary": "x", "status": "COMPLETED", "missions": ["HEALTH"],
                   "organisations": [{"organisation": "no-such-org", "role": "ORGANISER"},
                                     {"organisation": "ai-cam", "role": "PARTNER"}],
                   "source": src, "locator": "fixture"}),
            json!({"type": "session", "slug": "acme-session", "exercise": "no-such-exercise",
                   "title": "S", "source": src, "locator": "fixture"}),
            json!({"type": "metric", "slug": "acme-metric", "exercise": "no-such-exercise",
                   "label": "M", "value": 1.5, "unit": "%", "source": src, "locator": "fixture"}),
            json!({"type": "resource", "slug": "acme-report", "title": "R", "kind": "REPORT",
                   "publisher": "no-such-org",
                   "exercises": ["ai-cam-public-dialogues-2024", "no-such-exercise"],
                   "findings": ["no-such-finding"], "source": src, "locator": "fixture"}),
            json!({"type": "mission", "code": "SPACE", "label": "S", "description": "d", "position": 9}),
        ];
        let (_, body) = app
            .graphql_as(&editor, IMPORT, json!({"bundle": lines(&rows)}))
            .await;
        assert_eq!(
            reported(&body),
            [
                (2, "url".to_string()),
                (3, "label".to_string()),
                (4, "slug".to_string()),
                (5, "source".to_string()),
                (6, "organisations[0].organisation".to_string()),
                (7, "exercise".to_string()),
                (8, "exercise".to_string()),
                (9, "publisher".to_string()),
                (9, "exercises[1]".to_string()),
                (9, "findings[0]".to_string()),
                (10, String::new()),
            ]
        );
    });
}

/// An empty database has no missions: a row tagged with one is reported until the bundle brings
/// the mission row; a mission row is then matched by code and updated in place.
#[tokio::test]
async fn an_empty_database_takes_missions_from_the_bundle() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(empty) = TestDb::create(backend).await else {
            continue;
        };
        let conn = sea_orm::Database::connect(empty.url()).await.expect("db");
        Migrator::up(&conn, None).await.expect("migrate");
        let mut bundle = lines(&[
            json!({"type": "source", "slug": "s", "fileName": "s.md", "title": "S", "publisher": "P"}),
            json!({"type": "exercise", "slug": "e", "title": "E", "kind": "SURVEY", "summary": "x",
                   "status": "COMPLETED", "missions": ["EDUCATION"], "source": "s", "locator": "l"}),
        ]);
        let report = api::bundle::import(
            &conn,
            bundle.as_bytes(),
            api::bundle::Input::JsonLines,
            "test",
            false,
        )
        .await
        .expect("import");
        assert_eq!(
            report.errors,
            [api::bundle::RowError {
                line: 3,
                field: "missions[0]".into(),
                message: "No mission has code EDUCATION: import its mission row first".into()
            }],
            "{backend:?}"
        );
        // With the mission first, it goes in; a changed label updates it.
        bundle.insert_str(
            bundle.find('\n').expect("header") + 1,
            "{\"type\":\"mission\",\"code\":\"EDUCATION\",\"label\":\"Education\",\"description\":\"d\",\"position\":2}\n",
        );
        let import = |text: String| {
            let conn = conn.clone();
            async move {
                api::bundle::import(
                    &conn,
                    text.as_bytes(),
                    api::bundle::Input::JsonLines,
                    "test",
                    false,
                )
                .await
                .expect("import")
            }
        };
        let report = import(bundle.clone()).await;
        assert_eq!(report_counts(&report), (3, 0, 0, 0), "{:?}", report.errors);
        let report = import(bundle.replace("\"Education\"", "\"Schools\"")).await;
        assert_eq!(report_counts(&report), (0, 1, 2, 0));
        assert_eq!(report.by_type["mission"], [0, 1, 0, 0]);
        conn.close().await.ok();
    }
}

#[tokio::test]
async fn metrics_import_from_csv() {
    on_each_backend!(|app| {
        let editor = app.token("spreadsheet", "editor").await;
        let csv = "slug,exercise,label,value,unit,base,source,locator,externalSource,externalId\n\
                   csv-metric-1,ai-cam-public-dialogues-2024,\"Share, agreeing\",62.5,%,120,ai-cam-2024-10-26,fixture,sheet,M1\n\
                   csv-metric-2,ai-cam-public-dialogues-2024,Participants,48,people,,ai-cam-2024-10-26,fixture,,\n";
        let d = app
            .data_as(
                &editor,
                IMPORT,
                json!({"bundle": csv, "format": "CSV_METRICS"}),
            )
            .await;
        assert_eq!(d["importBundle"]["created"], 2);
        let d = app
            .data(
                r#"{ metric(by: {slug: "csv-metric-1"}) { label value unit base externalKey { source id } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            d["metric"],
            json!({"label": "Share, agreeing", "value": 62.5, "unit": "%", "base": 120,
                   "externalKey": {"source": "sheet", "id": "M1"}})
        );
        let bad = "slug,exercise,label,value,unit,source,locator\n\
                   csv-metric-3,ai-cam-public-dialogues-2024,Fine,1,%,ai-cam-2024-10-26,fixture\n\
                   csv-metric-4,ai-cam-public-dialogues-2024,Bad,lots,%,ai-cam-2024-10-26,fixture\n\
                   csv-metric-5,no-such-exercise,Bad,inf,%,ai-cam-2024-10-26,fixture\n";
        let (_, body) = app
            .graphql_as(
                &editor,
                IMPORT,
                json!({"bundle": bad, "format": "CSV_METRICS"}),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["rows"],
            json!([{"line": 3, "field": "value", "message": "Must be a number, not \"lots\""},
                   {"line": 4, "field": "exercise", "message": "No exercise has slug \"no-such-exercise\""}])
        );
        assert_eq!(
            app.error_code(
                r#"{ metric(by: {slug: "csv-metric-3"}) { slug } }"#,
                json!({})
            )
            .await,
            "NOT_FOUND",
            "nothing was written"
        );
    });
}

/// A view row for the bulk-path tests: filed under the seed corpus' dialogue.
fn bulk_view(i: usize) -> Value {
    json!({"type": "view", "slug": format!("bulk-view-{i}"), "exercise": "ai-cam-public-dialogues-2024",
           "session": "ai-cam-dialogue-liverpool", "text": format!("Bulk view number {i}."),
           "stance": "CONCERN", "missions": ["HEALTH"], "themes": ["privacy", "transparency"],
           "source": "ai-cam-2024-10-26", "locator": "fixture",
           "externalSource": "bulk", "externalId": format!("B-{i}")})
}

/// The change log in sequence order: (entity, slug, kind).
async fn change_log(conn: &sea_orm::DatabaseConnection) -> Vec<(String, String, String)> {
    use sea_orm::{ConnectionTrait, Statement};
    conn.query_all_raw(Statement::from_string(
        conn.get_database_backend(),
        "SELECT entity, slug, kind FROM change_log ORDER BY seq",
    ))
    .await
    .expect("change log")
    .into_iter()
    .map(|r| {
        (
            r.try_get("", "entity").expect("entity"),
            r.try_get("", "slug").expect("slug"),
            r.try_get("", "kind").expect("kind"),
        )
    })
    .collect()
}

/// Views are written in batches (1,000 rows); a bundle of several batches, with a row that
/// repeats an earlier one mid-batch and a finding between the views, writes what row-by-row
/// writing would: every row, its tags, its search entry, and one change-log entry per created or
/// updated row, in file order.
#[tokio::test]
async fn views_are_written_in_batches_with_every_change_in_file_order() {
    on_each_backend!(|app| {
        let conn = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        let mut rows: Vec<Value> = (0..2100).map(bulk_view).collect();
        // The same view again, changed: it updates the row written just before it.
        let mut again = bulk_view(1499);
        again["text"] = json!("Bulk view number 1499, zyzzyva edition.");
        rows.insert(1500, again);
        // A finding after 1,200 views, and a view that names it right after.
        rows.insert(
            1200,
            json!({"type": "finding", "slug": "bulk-finding", "exercise": "ai-cam-public-dialogues-2024",
                   "title": "Bulk finding", "summary": "Found in bulk.", "kind": "CONCERN", "position": 99,
                   "missions": ["HEALTH"], "themes": ["privacy"], "source": "ai-cam-2024-10-26",
                   "locator": "fixture"}),
        );
        rows[1201]["finding"] = json!("bulk-finding");
        let tagged = r#"{ participantViews(filter: { themes: { allOf: ["privacy", "transparency"] } }) { totalCount } }"#;
        let before = app.data(tagged, json!({})).await["participantViews"]["totalCount"]
            .as_i64()
            .expect("count");
        let report = api::bundle::import(
            &conn,
            lines(&rows).as_bytes(),
            api::bundle::Input::JsonLines,
            "bulk-test",
            false,
        )
        .await
        .expect("import");
        assert!(report.committed, "{:?}", report.errors);
        assert_eq!(report_counts(&report), (2101, 1, 0, 0));

        let log = change_log(&conn).await;
        let mut expected: Vec<(String, String, String)> = (0..2100)
            .map(|i| {
                (
                    "ParticipantView".into(),
                    format!("bulk-view-{i}"),
                    "CREATE".into(),
                )
            })
            .collect();
        expected.insert(
            1500,
            (
                "ParticipantView".into(),
                "bulk-view-1499".into(),
                "UPDATE".into(),
            ),
        );
        expected.insert(
            1200,
            ("Finding".into(), "bulk-finding".into(), "CREATE".into()),
        );
        assert_eq!(log.len(), expected.len());
        assert_eq!(log, expected);

        // The import ran beside the server, as the `import` command does: the server's read
        // engine learns of it from the change log (NOTIFY, or its poll), not at once.
        let mut after = 0;
        for _ in 0..100 {
            after = app.data(tagged, json!({})).await["participantViews"]["totalCount"]
                .as_i64()
                .expect("count");
            if after == before + 2100 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(after, before + 2100);
        let d = app
            .data(
                r#"{ finding(by: {slug: "bulk-finding"}) { views { nodes { slug } } }
                     search(query: "zyzzyva", first: 5) { edges { node { node { ... on ParticipantView { slug text session { slug } } } } } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            d["finding"]["views"]["nodes"],
            json!([{"slug": "bulk-view-1200"}])
        );
        assert_eq!(
            d["search"]["edges"],
            json!([{"node": {"node": {"slug": "bulk-view-1499",
                                       "text": "Bulk view number 1499, zyzzyva edition.",
                                       "session": {"slug": "ai-cam-dialogue-liverpool"}}}}])
        );
        // Importing it again finds every row: only the view given twice changes (back, then
        // forth again).
        let report = api::bundle::import(
            &conn,
            lines(&rows).as_bytes(),
            api::bundle::Input::JsonLines,
            "bulk-test",
            false,
        )
        .await
        .expect("import");
        assert_eq!(report_counts(&report), (0, 2, 2100, 0));
        assert_eq!(change_log(&conn).await.len(), expected.len() + 2);
    });
}

/// Bad rows in any batch are all reported, in file order, with the per-row path's fields; and
/// nothing is written.
#[tokio::test]
async fn bad_views_in_any_batch_are_all_reported_and_nothing_is_written() {
    on_each_backend!(|app| {
        let conn = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        let d = app
            .data(
                "{ participantViews(first: 1) { nodes { slug } } }",
                json!({}),
            )
            .await;
        let taken = d["participantViews"]["nodes"][0]["slug"].clone();
        let mut rows: Vec<Value> = (0..1300).map(bulk_view).collect();
        rows[3]["themes"] = json!(["privacy", "no-such-theme"]);
        // A session of another exercise.
        rows[1201]["session"] = json!("cop-first-meeting");
        // A slug another (seeded) view holds, under a new external key.
        rows[1202]["slug"] = taken;
        rows[1203]["text"] = json!(" ");
        rows[1203]["missions"] = json!(["HEALTH", "HEALTH"]);
        let report = api::bundle::import(
            &conn,
            lines(&rows).as_bytes(),
            api::bundle::Input::JsonLines,
            "bulk-test",
            false,
        )
        .await
        .expect("import");
        assert!(!report.committed);
        let reported: Vec<(u64, String, String)> = report
            .errors
            .iter()
            .map(|e| (e.line, e.field.clone(), e.message.clone()))
            .collect();
        assert_eq!(
            reported,
            vec![
                (
                    5,
                    "themes[1]".into(),
                    "No theme has slug \"no-such-theme\"".into()
                ),
                (
                    1203,
                    "session".into(),
                    "The session belongs to an unrelated exercise".into()
                ),
                (
                    1204,
                    "slug".into(),
                    "Another ParticipantView already has this slug".into()
                ),
                (1205, "text".into(), "Must not be blank".into()),
                (1205, "missions[1]".into(), "Listed twice".into()),
            ]
        );
        assert_eq!(report_counts(&report), (1296, 0, 0, 4));
        assert!(change_log(&conn).await.is_empty(), "nothing was written");
    });
}

/// One number from a query on the test's database (`SELECT COUNT(*) AS n ...`).
async fn count_of(conn: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect(sql)
        .expect("one row")
        .try_get::<i64>("", "n")
        .expect("n")
}

/// A bad view in the last row of a bundle several batches long (the millionth row of a real
/// import, at a test's size) rejects the whole bundle, reported at its line. Once fixed, every
/// view is written with its exercise's start date (which the date orders read; the bulk path
/// writes it with the row rather than leaving it to a trigger) and, when published, one search
/// entry (PostgreSQL indexes each insert statement's rows in one statement).
#[tokio::test]
async fn a_bad_last_view_rejects_a_long_bundle_and_bulk_views_carry_dates_and_search_entries() {
    on_each_backend!(|app| {
        let conn = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        let n = 2500;
        let mut rows: Vec<Value> = (0..n).map(bulk_view).collect();
        rows[n - 1]["themes"] = json!(["privacy", "no-such-theme"]);
        let report = api::bundle::import(
            &conn,
            lines(&rows).as_bytes(),
            api::bundle::Input::JsonLines,
            "bulk-test",
            false,
        )
        .await
        .expect("import");
        assert!(!report.committed);
        let reported: Vec<(u64, String, String)> = report
            .errors
            .iter()
            .map(|e| (e.line, e.field.clone(), e.message.clone()))
            .collect();
        assert_eq!(
            reported,
            vec![(
                n as u64 + 1,
                "themes[1]".into(),
                "No theme has slug \"no-such-theme\"".into()
            )]
        );
        assert_eq!(report_counts(&report), (n as u64 - 1, 0, 0, 1));
        let ours = "SELECT COUNT(*) AS n FROM participant_view WHERE slug LIKE 'bulk-view-%'";
        assert_eq!(count_of(&conn, ours).await, 0, "nothing was written");
        assert!(change_log(&conn).await.is_empty(), "nothing was logged");

        rows[n - 1]["themes"] = json!(["privacy"]);
        rows[7]["reviewStatus"] = json!("DRAFT");
        let report = api::bundle::import(
            &conn,
            lines(&rows).as_bytes(),
            api::bundle::Input::JsonLines,
            "bulk-test",
            false,
        )
        .await
        .expect("import");
        assert!(report.committed, "{:?}", report.errors);
        assert_eq!(report_counts(&report), (n as u64, 0, 0, 0));
        assert_eq!(count_of(&conn, ours).await, n as i64);
        let dated = count_of(
            &conn,
            "SELECT COUNT(*) AS n FROM participant_view v JOIN exercise e ON e.id = v.exercise_id \
             WHERE v.slug LIKE 'bulk-view-%' AND e.start_date IS NOT NULL \
             AND v.exercise_start_date = e.start_date",
        )
        .await;
        assert_eq!(dated, n as i64, "every view carries its exercise's date");
        let doc = match conn.get_database_backend() {
            sea_orm::DbBackend::Sqlite => "rowid",
            _ => "doc_id",
        };
        let searchable = format!(
            "SELECT COUNT(*) AS n FROM search_index WHERE {doc} IN \
             (SELECT id * 4 + 1 FROM participant_view WHERE slug LIKE 'bulk-view-%')"
        );
        assert_eq!(
            count_of(&conn, &searchable).await,
            n as i64 - 1,
            "every published view has its search entry, the draft none"
        );
        // The server hears of the import from the change log (NOTIFY, or its poll).
        let found = json!([{"node": {"node": {"slug": "bulk-view-2499"}}}]);
        let mut edges = Value::Null;
        for _ in 0..100 {
            edges = app
                .data(
                    r#"{ search(query: "2499", first: 5) { edges { node { node { ... on ParticipantView { slug } } } } } }"#,
                    json!({}),
                )
                .await["search"]["edges"]
                .clone();
            if edges == found {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(edges, found);
    });
}

/// A long bundle's lines are parsed ahead of the rows being written: every problem still carries
/// its own line number (blank lines counted) and message, in file order, past the read-ahead;
/// and an unreadable line stops the import with its number.
#[tokio::test]
async fn lines_parsed_ahead_keep_their_numbers_and_messages() {
    let Some(test_db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let conn = api::db::connect(test_db.url(), 1).await.expect("db");
    api::db::migrate(&conn).await.expect("migrate");
    api::seed::seed(&conn).await.expect("seed");
    let mut rows: Vec<String> = (0..6000).map(|i| bulk_view(i).to_string()).collect();
    rows[8] = "{not json".to_string();
    rows[2999] = String::new();
    let mut bad = bulk_view(4999);
    bad["stance"] = json!("ECSTATIC");
    rows[4999] = bad.to_string();
    let text = format!("{}\n", rows.join("\n"));
    let report = api::bundle::import(
        &conn,
        text.as_bytes(),
        api::bundle::Input::JsonLines,
        "test",
        false,
    )
    .await
    .expect("import");
    let not_json = serde_json::from_str::<Value>("{not json").expect_err("not JSON");
    let reported: Vec<(u64, &str, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        reported[0],
        (9, "", format!("Not a JSON object: {not_json}").as_str())
    );
    assert_eq!(reported.len(), 2, "{reported:?}");
    assert_eq!((reported[1].0, reported[1].1), (5000, ""));
    assert!(
        reported[1]
            .2
            .starts_with("Not a valid view row: unknown variant `ECSTATIC`"),
        "{}",
        reported[1].2
    );
    assert!(!report.committed, "a rejected bundle writes nothing");

    let mut bytes = text.into_bytes();
    let line_5500 = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(5498)
        .map(|(i, _)| i + 1)
        .expect("line 5500");
    bytes.insert(line_5500, 0xff);
    let err = api::bundle::import(
        &conn,
        bytes.as_slice(),
        api::bundle::Input::JsonLines,
        "test",
        false,
    )
    .await
    .expect_err("an unreadable line");
    assert_eq!(err.code(), "BAD_USER_INPUT");
    let message = err.message();
    assert!(message.starts_with("line 5500: unreadable: "), "{message}");
    conn.close().await.ok();
}

/// The bulk path chooses new views' ids itself (see `bundle::bulk::pipeline`): an id is never
/// given twice, even when the view that had it was deleted, and the change log's public numbers
/// run on without a gap or a repeat across imports.
#[tokio::test]
async fn imported_views_never_reuse_an_id_and_the_log_numbers_run_on() {
    use sea_orm::{ConnectionTrait, Statement};
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(test_db) = TestDb::create(backend).await else {
            continue;
        };
        let conn = api::db::connect(test_db.url(), 2).await.expect("db");
        api::db::migrate(&conn).await.expect("migrate");
        api::seed::seed(&conn).await.expect("seed");
        let one = |sql: &str| {
            let conn = conn.clone();
            let sql = sql.to_string();
            async move {
                conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
                    .await
                    .expect("query")
                    .expect("row")
                    .try_get::<i64>("", "n")
                    .expect("n")
            }
        };
        let import = |range: std::ops::Range<usize>| {
            let conn = conn.clone();
            async move {
                let rows: Vec<Value> = range.map(bulk_view).collect();
                let report = api::bundle::import(
                    &conn,
                    lines(&rows).as_bytes(),
                    api::bundle::Input::JsonLines,
                    "ids-test",
                    false,
                )
                .await
                .expect("import");
                assert!(report.committed, "{backend:?}: {:?}", report.errors);
                report_counts(&report)
            }
        };
        assert_eq!(import(0..1500).await, (1500, 0, 0, 0), "{backend:?}");
        let last = one("SELECT CAST(MAX(id) AS BIGINT) AS n FROM participant_view").await;
        conn.execute_unprepared(&format!("DELETE FROM participant_view WHERE id = {last}"))
            .await
            .expect("delete");
        assert_eq!(import(1500..2600).await, (1100, 0, 0, 0), "{backend:?}");
        let smallest_new = one("SELECT CAST(MIN(id) AS BIGINT) AS n FROM participant_view \
             WHERE slug IN ('bulk-view-1500', 'bulk-view-1501')")
        .await;
        assert!(
            smallest_new > last,
            "{backend:?}: {smallest_new} after {last}"
        );
        assert_eq!(
            one("SELECT COUNT(DISTINCT id) AS n FROM participant_view WHERE slug LIKE 'bulk-view-%'")
                .await,
            2599,
            "{backend:?}"
        );
        // 2,600 created entries, numbered on from the seed corpus's last (the seed logs none).
        assert_eq!(
            one("SELECT COUNT(DISTINCT public_seq) AS n FROM change_log WHERE actor = 'ids-test'")
                .await,
            2600,
            "{backend:?}"
        );
        assert_eq!(
            one(
                "SELECT CAST(MAX(public_seq) - MIN(public_seq) + 1 AS BIGINT) AS n \
                 FROM change_log WHERE actor = 'ids-test'"
            )
            .await,
            2600,
            "{backend:?}"
        );
        conn.close().await.ok();
    }
}
