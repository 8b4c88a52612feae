//! Issue 10's server side, on both backends: downloads under `/export/` (exact CSV for the seed
//! corpus, the same rows as the GraphQL list, JSON that round-trips, the bundle that re-imports),
//! small-cell suppression (anonymous readers against editors), `evidenceState` (permalinks) and
//! `citation`.

use crate::helpers::TestApp;
use crate::on_each_backend;
use serde_json::{json, Value};

/// `{"stances":["HOPE"]}`, URL-encoded.
const HOPE_FILTER: &str = "%7B%22stances%22%3A%5B%22HOPE%22%5D%7D";
/// `{"missions":{"anyOf":["HEALTH"]},"stances":["NEUTRAL"]}`, URL-encoded: one view.
const HEALTH_NEUTRAL_FILTER: &str =
    "%7B%22missions%22%3A%7B%22anyOf%22%3A%5B%22HEALTH%22%5D%7D%2C%22stances%22%3A%5B%22NEUTRAL%22%5D%7D";

/// A GET with an optional token: (status, content type, content disposition, body).
async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String, String, String) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let res = request.send().await.expect("request");
    let status = res.status().as_u16();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    (
        status,
        content_type,
        disposition,
        res.text().await.expect("body"),
    )
}

/// The error code of a JSON error body.
fn code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("JSON error: {body}"));
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn records(csv_text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.expect("CSV record").iter().map(str::to_string).collect())
        .collect()
}

const HOPE_CSV: &str = "id,slug,text,stance,verbatim,exercise,missions,themes,finding,source,locator,review_status\r
UGFydGljaXBhbnRWaWV3OjE,reduce-admin-burden,\"Reducing administrative burdens on over-stretched public service workers is important, and AI could automate or speed up routine administrative tasks.\",HOPE,false,ai-cam-public-dialogues-2024,HEALTH;EDUCATION;CRIME_AND_POLICING;ENERGY_AND_NET_ZERO,admin-burden,benefits-with-guardrails,ai-cam-2024-10-26,the importance of reducing administrative burdens on over-stretched public service workers,PUBLISHED\r
UGFydGljaXBhbnRWaWV3OjI,better-decisions-from-data,AI could improve decision-making by leveraging insights from data.,HOPE,false,ai-cam-public-dialogues-2024,HEALTH;EDUCATION;CRIME_AND_POLICING;ENERGY_AND_NET_ZERO,decision-making,benefits-with-guardrails,ai-cam-2024-10-26,the opportunity for AI to improve decision-making by leveraging insights from data,PUBLISHED\r
UGFydGljaXBhbnRWaWV3OjM,more-accessible-services,AI might help make high-quality public services more accessible.,HOPE,false,ai-cam-public-dialogues-2024,HEALTH;EDUCATION;CRIME_AND_POLICING;ENERGY_AND_NET_ZERO,accessibility,benefits-with-guardrails,ai-cam-2024-10-26,expressed the hope that AI might help make high-quality public services more accessible,PUBLISHED\r
UGFydGljaXBhbnRWaWV3OjEy,ease-the-strain,\"AI could ease the strain on public services, freeing up public sector workers to concentrate on engaging with service users.\",HOPE,false,ai-cam-public-dialogues-2024,HEALTH;EDUCATION;CRIME_AND_POLICING;ENERGY_AND_NET_ZERO,admin-burden;human-contact,public-benefit-primary-driver,ai-cam-2024-10-26,\"their hope was that AI could ease the strain, freeing up public sector workers to concentrate on engaging with service users\",PUBLISHED\r
";

#[tokio::test]
async fn view_exports_are_exact_streamed_and_match_the_graphql_list() {
    // A small page size makes the 40 seed views take six GraphQL pages.
    on_each_backend!(
        with & [
            ("PUBLIC_VOICE_MAX_PAGE_SIZE", "7"),
            ("PUBLIC_VOICE_DEFAULT_PAGE_SIZE", "7")
        ],
        |app| {
            let (status, content_type, disposition, body) = get(
                &app,
                &format!("/export/participant-views.csv?filter={HOPE_FILTER}"),
                None,
            )
            .await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(content_type, "text/csv; charset=utf-8");
            assert_eq!(
                disposition,
                "attachment; filename=\"participant-views.csv\""
            );
            assert_eq!(body, HOPE_CSV, "{:?}", app.backend());

            // Every view, across pages, in the list's own order.
            let (status, _, _, csv_text) = get(&app, "/export/participant-views.csv", None).await;
            assert_eq!(status, 200);
            let rows = records(&csv_text);
            assert_eq!(rows.len(), 41, "a header and 40 views");
            let mut listed = Vec::new();
            let mut after = Value::Null;
            loop {
                let d = app
                    .data(
                        "query($after: String) { participantViews(first: 7, after: $after) {
                       pageInfo { hasNextPage endCursor } nodes { id slug stance } } }",
                        json!({"after": after}),
                    )
                    .await;
                let page = &d["participantViews"];
                for n in page["nodes"].as_array().expect("nodes") {
                    listed.push(vec![
                        n["id"].as_str().unwrap_or_default().to_string(),
                        n["slug"].as_str().unwrap_or_default().to_string(),
                        n["stance"].as_str().unwrap_or_default().to_string(),
                    ]);
                }
                if page["pageInfo"]["hasNextPage"] != true {
                    break;
                }
                after = page["pageInfo"]["endCursor"].clone();
            }
            let exported: Vec<Vec<String>> = rows[1..]
                .iter()
                .map(|r| vec![r[0].clone(), r[1].clone(), r[3].clone()])
                .collect();
            assert_eq!(exported, listed);

            // The JSON download holds the same rows, typed.
            let (status, content_type, _, json_text) =
                get(&app, "/export/participant-views.json", None).await;
            assert_eq!(status, 200);
            assert_eq!(content_type, "application/json; charset=utf-8");
            let items: Vec<Value> = serde_json::from_str(&json_text).expect("a JSON array");
            assert_eq!(items.len(), 40);
            assert_eq!(
                items[0],
                json!({"id": "UGFydGljaXBhbnRWaWV3OjE", "slug": "reduce-admin-burden",
                   "text": "Reducing administrative burdens on over-stretched public service workers is important, and AI could automate or speed up routine administrative tasks.",
                   "stance": "HOPE", "verbatim": false, "exercise": "ai-cam-public-dialogues-2024",
                   "missions": ["HEALTH", "EDUCATION", "CRIME_AND_POLICING", "ENERGY_AND_NET_ZERO"],
                   "themes": ["admin-burden"], "finding": "benefits-with-guardrails",
                   "source": "ai-cam-2024-10-26",
                   "locator": "the importance of reducing administrative burdens on over-stretched public service workers",
                   "review_status": "PUBLISHED"})
            );
            let from_json: Vec<Vec<String>> = items
                .iter()
                .map(|i| {
                    ["id", "slug", "stance"]
                        .iter()
                        .map(|k| i[*k].as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .collect();
            assert_eq!(from_json, listed);
            // An empty result is still a well-formed file.
            let (_, _, _, empty) = get(
                &app,
                "/export/participant-views.json?filter=%7B%22places%22%3A%5B%22Atlantis%22%5D%7D",
                None,
            )
            .await;
            assert_eq!(serde_json::from_str::<Value>(&empty).ok(), Some(json!([])));
            let (_, _, _, empty) = get(
                &app,
                "/export/participant-views.csv?filter=%7B%22places%22%3A%5B%22Atlantis%22%5D%7D",
                None,
            )
            .await;
            assert_eq!(records(&empty).len(), 1, "the header only");
        }
    );
}

#[tokio::test]
async fn finding_and_map_exports_and_bad_requests() {
    on_each_backend!(|app| {
        let (status, _, _, body) = get(&app, "/export/findings.csv", None).await;
        assert_eq!(status, 200);
        let rows = records(&body);
        assert_eq!(
            rows[0],
            [
                "id",
                "slug",
                "title",
                "summary",
                "kind",
                "exercise",
                "missions",
                "themes",
                "source",
                "locator",
                "review_status"
            ]
        );
        assert_eq!(rows.len(), 13, "a header and the 12 seed findings");
        assert_eq!(rows[1][1], "ai-co-pilot-not-replacement");
        assert_eq!(
            rows[1][7],
            "accessibility;decision-making;human-contact;public-engagement"
        );

        let (status, _, disposition, body) = get(
            &app,
            "/export/evidence-map.csv?rows=MISSION&columns=stance",
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(disposition, "attachment; filename=\"evidence-map.csv\"");
        let lines: Vec<&str> = body.split("\r\n").collect();
        assert_eq!(
            lines[..6],
            [
                "row_key,row_label,column_key,column_label,count,HOPE,CONCERN,CONDITION,SUGGESTION,NEUTRAL",
                "HEALTH,Health,HOPE,Hope,4,4,0,0,0,0",
                "HEALTH,Health,CONCERN,Concern,5,0,5,0,0,0",
                "HEALTH,Health,CONDITION,Condition,9,0,0,9,0,0",
                "HEALTH,Health,SUGGESTION,Suggestion,6,0,0,0,6,0",
                "HEALTH,Health,NEUTRAL,Neutral,1,0,0,0,0,1",
            ]
        );
        assert_eq!(
            lines.len(),
            1 + 25 + 1,
            "every cell, and the final line end"
        );
        let (_, _, _, body) = get(
            &app,
            "/export/evidence-map.json?rows=MISSION&columns=STANCE",
            None,
        )
        .await;
        let map: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(map["min_cell_count"], Value::Null);
        assert_eq!(
            map["cells"][4],
            json!({"row_key": "HEALTH", "row_label": "Health", "column_key": "NEUTRAL",
                   "column_label": "Neutral", "count": 1, "suppressed": false,
                   "by_stance": {
                       "HOPE": {"count": 0, "suppressed": false},
                       "CONCERN": {"count": 0, "suppressed": false},
                       "CONDITION": {"count": 0, "suppressed": false},
                       "SUGGESTION": {"count": 0, "suppressed": false},
                       "NEUTRAL": {"count": 1, "suppressed": false}}})
        );
        let (status, _, _, body) = get(
            &app,
            "/export/finding-map.csv?rows=KIND&columns=EXERCISE",
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            body.split("\r\n").take(2).collect::<Vec<_>>(),
            [
                "row_key,row_label,column_key,column_label,count",
                "PRINCIPLE,Principle,ai-cam-public-dialogues-2024,ai@cam public dialogues on AI in public services,3"
            ]
        );

        // Bad requests: 400 BAD_USER_INPUT with the error body; unknown names 404.
        for path in [
            "/export/participant-views.csv?filter=%7Bbad",
            "/export/participant-views.csv?filter=%5B1%5D",
            "/export/findings.json?filter=%7B%22kinds%22%3A%5B%22GLEE%22%5D%7D",
            "/export/participant-views.csv?filter=%7B%22stances%22%3A%5B%22GLEE%22%5D%7D",
            "/export/evidence-map.csv?rows=PLANET&columns=THEME",
            "/export/finding-map.csv?rows=STANCE&columns=THEME",
            "/export/evidence-map.csv?rows=THEME&columns=THEME",
        ] {
            let (status, content_type, _, body) = get(&app, path, None).await;
            assert_eq!(
                (status, code(&body).as_str()),
                (400, "BAD_USER_INPUT"),
                "{path}: {body}"
            );
            assert_eq!(content_type, "application/json; charset=utf-8");
        }
        let (status, _, _, body) = get(&app, "/export/sessions.csv", None).await;
        assert_eq!((status, code(&body).as_str()), (404, "NOT_FOUND"));
    });
}

#[tokio::test]
async fn anonymous_exports_hold_published_rows_only_and_can_be_turned_off() {
    on_each_backend!(|app| {
        let editor = app.token("ed", "editor").await;
        let d = app
            .data_as(
                &editor,
                r#"{ participantView(by: {slug: "reduce-admin-burden"}) { id version } }"#,
                json!({}),
            )
            .await;
        let view = &d["participantView"];
        app.data_as(
            &editor,
            "mutation($id: ID!, $v: Int!) { retract(id: $id, expectedVersion: $v) { ... on ParticipantView { reviewStatus } } }",
            json!({"id": view["id"], "v": view["version"]}),
        )
        .await;
        let path = format!("/export/participant-views.csv?filter={HOPE_FILTER}");
        let (_, _, _, body) = get(&app, &path, None).await;
        assert_eq!(records(&body).len(), 4, "the retracted view is not public");
        let (_, _, _, body) = get(&app, &path, Some(&editor)).await;
        assert_eq!(records(&body).len(), 5, "editors see it");
    });
    on_each_backend!(with & [("PUBLIC_VOICE_EXPORTS", "false")], |app| {
        let (status, _, _, _) = get(&app, "/export/participant-views.csv", None).await;
        assert_eq!(status, 404);
    });
}

const IMPORT: &str = r#"mutation($bundle: String!) {
  importBundle(bundle: $bundle, dryRun: true) { committed created updated unchanged }
}"#;

#[tokio::test]
async fn the_bundle_downloads_with_an_editor_token_and_reimports_unchanged() {
    on_each_backend!(|app| {
        let (status, _, _, body) = get(&app, "/export/bundle.jsonl", None).await;
        assert_eq!((status, code(&body).as_str()), (401, "UNAUTHENTICATED"));
        let reader = app.token("reader", "reader").await;
        let (status, _, _, body) = get(&app, "/export/bundle.jsonl", Some(&reader)).await;
        assert_eq!((status, code(&body).as_str()), (403, "FORBIDDEN"));

        let editor = app.token("ed", "editor").await;
        let (status, content_type, disposition, bundle) =
            get(&app, "/export/bundle.jsonl", Some(&editor)).await;
        assert_eq!(status, 200);
        assert_eq!(content_type, "application/x-ndjson; charset=utf-8");
        assert_eq!(disposition, "attachment; filename=\"bundle.jsonl\"");
        let lines: Vec<&str> = bundle.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"type":"header","format":"public-voice-bundle","version":1}"#
        );
        let views = lines
            .iter()
            .filter(|l| l.starts_with(r#"{"type":"view""#))
            .count();
        assert_eq!(views, 40);
        // The same bytes as the CLI writes.
        let conn = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        let mut cli = Vec::new();
        api::bundle::export(&conn, &mut cli, &[])
            .await
            .expect("export");
        conn.close().await.ok();
        assert_eq!(bundle.as_bytes(), cli.as_slice());
        // Re-imported (dry run) into the same database, every row is unchanged.
        let d = app
            .data_as(&editor, IMPORT, json!({"bundle": bundle}))
            .await;
        assert_eq!(
            d["importBundle"],
            json!({"committed": false, "created": 0, "updated": 0,
                   "unchanged": lines.len() - 1})
        );
    });
}

const MAP: &str = "{ evidenceState { minCellCount }
  evidenceMap(rows: MISSION, columns: STANCE) {
    totalViews suppressed
    cells { row { key } column { key } count suppressed byStance { stance count suppressed } }
  }
  exercise(by: {slug: \"ai-cam-public-dialogues-2024\"}) {
    counts { views suppressed viewsByStance { stance count suppressed } }
  }
}";

fn cell<'a>(map: &'a Value, row: &str, column: &str) -> &'a Value {
    map["evidenceMap"]["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["row"]["key"] == row && c["column"]["key"] == column)
        .expect("cell")
}

#[tokio::test]
async fn small_cells_are_withheld_from_readers_and_shown_to_editors() {
    on_each_backend!(with & [("PUBLIC_VOICE_MIN_CELL_COUNT", "3")], |app| {
        let reader = app.token("reader", "reader").await;
        for d in [
            app.data(MAP, json!({})).await,
            app.data_as(&reader, MAP, json!({})).await,
        ] {
            assert_eq!(d["evidenceState"]["minCellCount"], 3);
            assert_eq!(d["evidenceMap"]["totalViews"], 40);
            assert_eq!(d["evidenceMap"]["suppressed"], false);
            let small = cell(&d, "HEALTH", "NEUTRAL");
            assert_eq!(small["count"], Value::Null);
            assert_eq!(small["suppressed"], true);
            assert_eq!(
                small["byStance"][4],
                json!({"stance": "NEUTRAL", "count": null, "suppressed": true})
            );
            assert_eq!(
                small["byStance"][0],
                json!({"stance": "HOPE", "count": 0, "suppressed": false}),
                "a gap stays 0"
            );
            let big = cell(&d, "HEALTH", "CONDITION");
            assert_eq!(
                (&big["count"], &big["suppressed"]),
                (&json!(9), &json!(false))
            );
            let empty = cell(&d, "ECONOMIC_GROWTH", "HOPE");
            assert_eq!(
                (&empty["count"], &empty["suppressed"]),
                (&json!(0), &json!(false))
            );
            let counts = &d["exercise"]["counts"];
            assert_eq!(
                (&counts["views"], &counts["suppressed"]),
                (&json!(25), &json!(false))
            );
            assert_eq!(
                counts["viewsByStance"][4],
                json!({"stance": "NEUTRAL", "count": null, "suppressed": true})
            );
        }
        // Drilling into the small group is refused, however it is asked for.
        let list =
            "query($f: ViewFilter) { participantViews(filter: $f) { totalCount nodes { slug } } }";
        let small = json!({"f": {"missions": {"anyOf": ["HEALTH"]}, "stances": ["NEUTRAL"]}});
        assert_eq!(app.error_code(list, small.clone()).await, "SUPPRESSED");
        assert_eq!(
            app.error_code_as(&reader, list, small.clone()).await,
            "SUPPRESSED"
        );
        let body = app
            .graphql(
                "{ evidenceMap(rows: MISSION, columns: STANCE) { cells { count views(first: 1) { totalCount } } } }",
                json!({}),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "SUPPRESSED");
        assert_eq!(
            body["errors"][0]["path"],
            json!(["evidenceMap", "cells", 4, "views"])
        );
        let cells = &body["data"]["evidenceMap"]["cells"];
        assert_eq!(cells[4], json!({"count": null, "views": null}));
        assert_eq!(cells[0], json!({"count": 4, "views": {"totalCount": 4}}));
        let (status, _, _, body) = get(
            &app,
            &format!("/export/participant-views.csv?filter={HEALTH_NEUTRAL_FILTER}"),
            None,
        )
        .await;
        assert_eq!((status, code(&body).as_str()), (403, "SUPPRESSED"));
        assert!(body.contains("PUBLIC_VOICE_MIN_CELL_COUNT=3"), "{body}");
        let (_, _, _, body) = get(
            &app,
            "/export/evidence-map.csv?rows=MISSION&columns=STANCE",
            None,
        )
        .await;
        assert_eq!(
            body.split("\r\n").nth(5),
            Some("HEALTH,Health,NEUTRAL,Neutral,<3,0,0,0,0,<3")
        );
        let (_, _, _, body) = get(
            &app,
            "/export/evidence-map.json?rows=MISSION&columns=STANCE",
            None,
        )
        .await;
        let map: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(map["min_cell_count"], 3);
        assert_eq!(map["cells"][4]["count"], Value::Null);
        assert_eq!(map["cells"][4]["suppressed"], true);
        assert_eq!(
            map["cells"][4]["by_stance"]["NEUTRAL"],
            json!({"count": null, "suppressed": true})
        );

        // Editors see everything.
        let editor = app.token("ed", "editor").await;
        let d = app.data_as(&editor, MAP, json!({})).await;
        assert_eq!(d["evidenceState"]["minCellCount"], Value::Null);
        let small = cell(&d, "HEALTH", "NEUTRAL");
        assert_eq!(
            (&small["count"], &small["suppressed"]),
            (&json!(1), &json!(false))
        );
        let d = app.data_as(&editor, list, small_filter()).await;
        assert_eq!(d["participantViews"]["totalCount"], 1);
        let (status, _, _, body) = get(
            &app,
            &format!("/export/participant-views.csv?filter={HEALTH_NEUTRAL_FILTER}"),
            Some(&editor),
        )
        .await;
        assert_eq!((status, records(&body).len()), (200, 2));
    });
    // Off by default: nothing is withheld.
    on_each_backend!(|app| {
        let d = app.data(MAP, json!({})).await;
        assert_eq!(d["evidenceState"]["minCellCount"], Value::Null);
        let small = cell(&d, "HEALTH", "NEUTRAL");
        assert_eq!(
            (&small["count"], &small["suppressed"]),
            (&json!(1), &json!(false))
        );
    });
}

fn small_filter() -> Value {
    json!({"f": {"missions": {"anyOf": ["HEALTH"]}, "stances": ["NEUTRAL"]}})
}

const STATE: &str = "query($s: Int!) { evidenceState { sequence changesSince(sequence: $s) } }";

#[tokio::test]
async fn the_evidence_state_moves_with_published_changes() {
    on_each_backend!(|app| {
        let d = app.data(STATE, json!({"s": 0})).await;
        assert_eq!(
            d["evidenceState"],
            json!({"sequence": 0, "changesSince": 0})
        );
        let editor = app.token("ed", "editor").await;
        for slug in ["first-new-theme", "second-new-theme"] {
            app.data_as(
                &editor,
                "mutation($input: CreateThemeInput!) { createTheme(input: $input) { id } }",
                json!({"input": {"slug": slug, "label": slug, "definition": "A theme for the test."}}),
            )
            .await;
        }
        let d = app.data(STATE, json!({"s": 0})).await;
        assert_eq!(
            d["evidenceState"],
            json!({"sequence": 2, "changesSince": 2})
        );
        let d = app.data(STATE, json!({"s": 1})).await;
        assert_eq!(d["evidenceState"]["changesSince"], 1);
        let d = app.data(STATE, json!({"s": 2})).await;
        assert_eq!(d["evidenceState"]["changesSince"], 0);
        assert_eq!(
            app.error_code(STATE, json!({"s": -1})).await,
            "BAD_USER_INPUT"
        );
    });
}

const CITE: &str = "query($p: String!, $t: String) {
  citation(permalink: $p, title: $t) { text bibtex cslJson accessed sources { slug } }
}";

#[tokio::test]
async fn a_permalink_is_cited_with_its_sources() {
    on_each_backend!(|app| {
        let url = "http://127.0.0.1:8000/explore?rows=MISSION&columns=THEME&split=STANCE&filter=%7B%22stances%22%3A%5B%22CONCERN%22%5D%7D&q=data&seq=7";
        let d = app.data(CITE, json!({"p": url})).await;
        let c = &d["citation"];
        let accessed = c["accessed"].as_str().expect("accessed");
        let date = &accessed[..10];
        let title = "Participant views by mission and theme, split by stance; filter: stances=CONCERN; search: \"data\"";
        let sources = "Using AI for public benefit: insights from our public dialogues on AI and the Missions for Government, ai@cam, University of Cambridge (2024-10-26); The future of the Data and AI Public Engagement Community of Practice, Connected by Data";
        assert_eq!(
            c["text"],
            format!("Public Voice. {title}. {url} (evidence as at change 7; accessed {date}). Sources: {sources}.")
        );
        let key = format!("publicvoice{}", date.replace('-', ""));
        assert_eq!(
            c["bibtex"],
            format!(
                "@misc{{{key},\n  title = {{{title}}},\n  author = {{{{Public Voice}}}},\n  year = {{{}}},\n  url = {{{url}}},\n  urldate = {{{date}}},\n  version = {{change 7}},\n  note = {{Sources: {sources}}}\n}}\n",
                &date[..4]
            )
        );
        let parts: Vec<u64> = date
            .split('-')
            .map(|p| p.parse().expect("number"))
            .collect();
        assert_eq!(
            c["cslJson"],
            json!({"id": key, "type": "dataset", "title": title,
                   "author": [{"literal": "Public Voice"}], "publisher": "Public Voice",
                   "URL": url, "accessed": {"date-parts": [parts]},
                   "version": "change 7", "note": format!("Sources: {sources}")})
        );
        assert_eq!(
            c["sources"],
            json!([{"slug": "ai-cam-2024-10-26"}, {"slug": "connected-by-data-cop-future"}])
        );

        // A given title; a filter that only one source's views match; findings.
        let d = app
            .data(
                CITE,
                json!({"p": "/explore?filter={\"verbatim\":true}", "t": "Quotes & more"}),
            )
            .await;
        let c = &d["citation"];
        assert!(
            c["text"].as_str().unwrap_or_default().starts_with(
                "Public Voice. Quotes & more. /explore?filter=%7B%22verbatim%22:true%7D ("
            ),
            "{c}"
        );
        assert!(c["bibtex"]
            .as_str()
            .unwrap_or_default()
            .contains("title = {Quotes \\& more}"));
        let d = app
            .data(CITE, json!({"p": "/explore?rows=KIND&columns=EXERCISE"}))
            .await;
        assert_eq!(
            d["citation"]["sources"],
            json!([{"slug": "ai-cam-2024-10-26"}, {"slug": "connected-by-data-cop-future"}])
        );

        for bad in [
            "/graphiql",
            "ftp://host/explore",
            "/explore?rows=PLANET",
            "/explore?seq=soon",
            "/explore?filter=%7Bbad",
            "/explore?filter=%7B%22stances%22%3A%5B%22GLEE%22%5D%7D",
        ] {
            assert_eq!(
                app.error_code(CITE, json!({"p": bad})).await,
                "BAD_USER_INPUT",
                "{bad}"
            );
        }
    });
}

#[tokio::test]
async fn nested_lists_of_few_views_are_refused_too() {
    on_each_backend!(with & [("PUBLIC_VOICE_MIN_CELL_COUNT", "4")], |app| {
        let one =
            "query($s: String!) { finding(by: {slug: $s}) { views { totalCount nodes { slug } } } }";
        let d = app.data(one, json!({"s": "cop-less-useful"})).await;
        assert_eq!(d["finding"]["views"]["totalCount"], 4);
        let d = app
            .data(one, json!({"s": "democratic-approach-to-ai-governance"}))
            .await;
        assert_eq!(
            d["finding"]["views"]["totalCount"], 0,
            "an empty list is no group"
        );
        assert_eq!(
            app.error_code(one, json!({"s": "cop-format-preferences"}))
                .await,
            "SUPPRESSED"
        );
        // Batched for a whole page of findings, and without asking for the total.
        let body = app
            .graphql(
                "{ findings { nodes { slug views { nodes { slug } } } } }",
                json!({}),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "SUPPRESSED");
        assert_eq!(
            body["errors"][0]["path"],
            json!(["findings", "nodes", 7, "views"])
        );
        let editor = app.token("ed", "editor").await;
        let d = app
            .data_as(&editor, one, json!({"s": "cop-format-preferences"}))
            .await;
        assert_eq!(d["finding"]["views"]["totalCount"], 3);
    });
}

/// A download is charged to its caller's rate-limit budget page by page, like `/graphql`: past
/// the budget it is refused before it starts, with 429 and `RATE_LIMITED`; others are served.
#[tokio::test]
async fn downloads_are_charged_to_the_callers_rate_limit() {
    on_each_backend!(
        with & [("PUBLIC_VOICE_RATE_LIMIT_ANONYMOUS", "10")],
        |app| {
            let editor = app.token("ed", "editor").await;
            let (status, _, _, body) = get(&app, "/export/participant-views.csv", None).await;
            assert_eq!(status, 429, "{body}");
            assert_eq!(code(&body), "RATE_LIMITED");
            let (status, _, _, body) = get(
                &app,
                "/export/evidence-map.json?rows=MISSION&columns=THEME",
                None,
            )
            .await;
            assert_eq!(status, 429, "{body}");
            assert_eq!(code(&body), "RATE_LIMITED");
            let (status, _, _, body) =
                get(&app, "/export/participant-views.csv", Some(&editor)).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(records(&body).len(), 41, "a header and the 40 seeded views");
        }
    );
}

/// Every list has its download: the CSV's ids, and the JSON's, are the GraphQL list's, in order
/// (readers see published rows only), under a filter too.
#[tokio::test]
async fn every_list_downloads_as_its_graphql_list() {
    on_each_backend!(|app| {
        let lists = [
            ("participant-views", "participantViews", ""),
            ("findings", "findings", ""),
            ("commitments", "commitments", ""),
            ("exercises", "exercises", ""),
            ("resources", "resources", ""),
            ("metrics", "metrics", ""),
            ("organisations", "organisations", ""),
            ("commitments", "commitments", r#"{"statuses":["DONE"]}"#),
        ];
        for (name, field, filter) in lists {
            let mut ids = Vec::new();
            let mut after = Value::Null;
            loop {
                let document = format!(
                    "query($after: String, $filter: {}) {{ list: {field}(first: 50, after: $after, filter: $filter) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ id }} }} }}",
                    match field {
                        "participantViews" => "ViewFilter",
                        "findings" => "FindingFilter",
                        "commitments" => "CommitmentFilter",
                        "exercises" => "ExerciseFilter",
                        "resources" => "ResourceFilter",
                        "metrics" => "MetricFilter",
                        _ => "OrganisationFilter",
                    }
                );
                let filter_value: Value = if filter.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_str(filter).expect("filter JSON")
                };
                let d = app
                    .data(&document, json!({"after": after, "filter": filter_value}))
                    .await;
                for node in d["list"]["nodes"].as_array().expect("nodes") {
                    ids.push(node["id"].as_str().expect("id").to_string());
                }
                if d["list"]["pageInfo"]["hasNextPage"] != json!(true) {
                    break;
                }
                after = d["list"]["pageInfo"]["endCursor"].clone();
            }
            assert!(!ids.is_empty(), "{name} {filter}: the seed has some");
            let query = if filter.is_empty() {
                String::new()
            } else {
                format!("?filter={}", urlencode(filter))
            };
            let (status, content_type, disposition, body) =
                get(&app, &format!("/export/{name}.csv{query}"), None).await;
            assert_eq!(status, 200, "{name}: {body}");
            assert_eq!(content_type, "text/csv; charset=utf-8");
            assert_eq!(disposition, format!("attachment; filename=\"{name}.csv\""));
            let rows = records(&body);
            assert_eq!(rows[0][0], "id", "{name}: a header row");
            let csv_ids: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
            assert_eq!(csv_ids, ids, "{name} {filter}: CSV");
            let (status, _, _, body) =
                get(&app, &format!("/export/{name}.json{query}"), None).await;
            assert_eq!(status, 200, "{name}: {body}");
            let items: Value = serde_json::from_str(&body).expect("JSON array");
            let json_ids: Vec<String> = items
                .as_array()
                .expect("array")
                .iter()
                .map(|i| i["id"].as_str().expect("id").to_string())
                .collect();
            assert_eq!(json_ids, ids, "{name} {filter}: JSON");
        }
        let (status, _, _, body) = get(&app, "/export/sessions.csv", None).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(code(&body), "NOT_FOUND");
    });
}

/// Percent-encodes a query-string value (everything but unreserved characters).
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
