//! Bulk import and export: idempotent imports, all-or-nothing rejection with every bad row
//! reported, dry runs, CSV, and export that round-trips; on both backends.

use crate::helpers::{Backend, TestApp};
use crate::on_each_backend;
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
                r#"{ finding(slug: "acme-told-when-ai-is-used") { externalKey { source id }
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
        assert_eq!(body["data"], json!({"importBundle": null}));
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
                r#"{ participantView(slug: "csv-view-1") { text verbatim stance missions themes { slug } session { slug } } }"#,
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
        assert_eq!(rows, 12 + 1 + 40 + 2);
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
            (3, 0, 52, 0),
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
