//! Filters on views and findings, and the evidence map, on both backends.

use crate::on_each_backend;
use serde_json::{json, Value};

const VIEWS: &str = "query($f: ViewFilter) { participantViews(filter: $f, first: 100) { totalCount nodes { slug } } }";
const FINDINGS: &str =
    "query($f: FindingFilter) { findings(filter: $f, first: 100) { totalCount nodes { slug } } }";

fn slugs(conn: &Value) -> Vec<String> {
    conn["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn view_filters_combine() {
    on_each_backend!(|app| {
        let views = |f: Value| {
            let app = &app;
            async move { app.data(VIEWS, json!({"f": f})).await["participantViews"].clone() }
        };
        assert_eq!(views(json!({})).await["totalCount"], 40);
        assert_eq!(
            views(json!({"missions": {"anyOf": ["HEALTH"]}})).await["totalCount"],
            25
        );
        assert_eq!(
            views(json!({"missions": {"allOf": ["HEALTH", "EDUCATION"]}})).await["totalCount"],
            25
        );
        assert_eq!(
            views(json!({"missions": {"anyOf": ["ECONOMIC_GROWTH"]}})).await["totalCount"],
            0
        );
        assert_eq!(
            slugs(
                &views(json!({"themes": {"anyOf": ["privacy", "bias-and-discrimination"]}})).await
            ),
            vec![
                "personal-data-sold",
                "regulators-prevent-bias",
                "regulators-protect-privacy"
            ]
        );
        assert_eq!(
            slugs(&views(json!({"themes": {"anyOf": ["privacy", "bias-and-discrimination"]}, "stances": ["CONCERN"],
                                "missions": {"anyOf": ["HEALTH", "EDUCATION"]}})).await),
            vec!["personal-data-sold"]
        );
        assert_eq!(
            slugs(
                &views(json!({"themes": {"allOf": ["commercial-use-of-data", "privacy"]}})).await
            ),
            vec!["personal-data-sold"]
        );
        assert_eq!(views(json!({"verbatim": true})).await["totalCount"], 5);
        assert_eq!(views(json!({"verbatim": false})).await["totalCount"], 35);
        assert_eq!(
            views(json!({"exerciseStarted": {"from": "2024", "to": "2024"}})).await["totalCount"],
            25
        );
        assert_eq!(
            views(json!({"exerciseStarted": {"to": "2024-08"}})).await["totalCount"],
            0
        );
        assert_eq!(
            views(json!({"updatedSince": "2999-01-01T00:00:00Z"})).await["totalCount"],
            0
        );
        assert_eq!(
            views(json!({"updatedSince": "2000-01-01T00:00:00Z"})).await["totalCount"],
            40
        );

        let survey = app
            .data(
                r#"{ exercise(by: {slug: "data-ai-public-engagement-cop-survey"}) { id } }"#,
                json!({}),
            )
            .await["exercise"]["id"]
            .clone();
        assert_eq!(views(json!({"exercise": survey})).await["totalCount"], 15);
        let finding = app
            .data(
                r#"{ finding(by: {slug: "robust-governance-checks-and-balances"}) { id } }"#,
                json!({}),
            )
            .await["finding"]["id"]
            .clone();
        assert_eq!(
            views(json!({"finding": finding, "stances": ["CONDITION"]})).await["totalCount"],
            4
        );
    });
}

#[tokio::test]
async fn bad_filters_name_the_field() {
    on_each_backend!(|app| {
        for (filter, field) in [
            (
                json!({"themes": {"anyOf": ["no-such-theme"]}}),
                "filter.themes.anyOf",
            ),
            (
                json!({"exerciseStarted": {"from": "last year"}}),
                "filter.exerciseStarted.from",
            ),
            (json!({"exercise": "not-an-id"}), "filter.exercise"),
        ] {
            let body = app.graphql(VIEWS, json!({"f": filter})).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{filter}"
            );
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{filter}");
        }
        let body = app
            .graphql(VIEWS, json!({"f": {"stances": ["ANGRY"]}}))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "GRAPHQL_VALIDATION_FAILED"
        );
    });
}

#[tokio::test]
async fn finding_filters() {
    on_each_backend!(|app| {
        let findings = |f: Value| {
            let app = &app;
            async move { app.data(FINDINGS, json!({"f": f})).await["findings"].clone() }
        };
        assert_eq!(findings(json!({})).await["totalCount"], 12);
        assert_eq!(
            slugs(&findings(json!({"kinds": ["REFLECTION"]})).await),
            vec![
                "cop-civil-servant-participation",
                "cop-early-stages",
                "cop-engagement-has-real-value"
            ]
        );
        assert_eq!(
            findings(json!({"missions": {"anyOf": ["HEALTH"]}})).await["totalCount"],
            5
        );
        assert_eq!(
            slugs(
                &findings(json!({"themes": {"anyOf": ["privacy"]}, "kinds": ["PRINCIPLE"]})).await
            ),
            vec!["robust-governance-checks-and-balances"]
        );
    });
}

const MAP: &str = "query($rows: EvidenceDimension!, $columns: EvidenceDimension!, $f: ViewFilter) {
  evidenceMap(rows: $rows, columns: $columns, filter: $f) {
    totalViews
    rows { key label }
    columns { key }
    cells { row { key } column { key } count byStance { stance count } views(first: 10) { totalCount nodes { slug } } }
  }
}";

#[tokio::test]
async fn evidence_map_counts_every_cell() {
    on_each_backend!(|app| {
        let map = app
            .data(MAP, json!({"rows": "MISSION", "columns": "THEME"}))
            .await["evidenceMap"]
            .clone();
        assert_eq!(map["totalViews"], 40);
        assert_eq!(map["rows"].as_array().map(Vec::len), Some(5));
        assert_eq!(
            map["rows"][4],
            json!({"key": "ECONOMIC_GROWTH", "label": "Economic growth"})
        );
        assert_eq!(map["columns"].as_array().map(Vec::len), Some(20));
        let cells = map["cells"].as_array().expect("cells");
        assert_eq!(cells.len(), 100, "empty cells included");
        let cell = |row: &str, col: &str| {
            cells
                .iter()
                .find(|c| c["row"]["key"] == row && c["column"]["key"] == col)
                .unwrap_or_else(|| panic!("cell {row} x {col}"))
                .clone()
        };
        let privacy = cell("HEALTH", "privacy");
        assert_eq!(privacy["count"], 2);
        assert_eq!(
            privacy["byStance"],
            json!([
                {"stance": "HOPE", "count": 0}, {"stance": "CONCERN", "count": 1},
                {"stance": "CONDITION", "count": 1}, {"stance": "SUGGESTION", "count": 0},
                {"stance": "NEUTRAL", "count": 0}
            ])
        );
        assert_eq!(privacy["views"]["totalCount"], 2);
        assert_eq!(
            slugs(&privacy["views"]),
            vec!["personal-data-sold", "regulators-protect-privacy"]
        );
        let empty = cell("ECONOMIC_GROWTH", "privacy");
        assert_eq!(empty["count"], 0);
        assert_eq!(empty["views"]["nodes"], json!([]));
        // Every cell's count equals the length of the list it drills into.
        for c in cells {
            assert_eq!(c["count"], c["views"]["totalCount"], "{c}");
        }
    });
}

#[tokio::test]
async fn evidence_map_under_a_filter_and_other_dimensions() {
    on_each_backend!(|app| {
        let map = app
            .data(MAP, json!({"rows": "STANCE", "columns": "EXERCISE"}))
            .await["evidenceMap"]
            .clone();
        let total: u64 = map["cells"]
            .as_array()
            .expect("cells")
            .iter()
            .map(|c| c["count"].as_u64().unwrap_or_default())
            .sum();
        assert_eq!(total, 40, "each view has one stance and one exercise");

        let concerns = app
            .data(
                MAP,
                json!({"rows": "EXERCISE", "columns": "STANCE", "f": {"stances": ["CONCERN"], "verbatim": true}}),
            )
            .await["evidenceMap"]
            .clone();
        assert_eq!(concerns["totalViews"], 2);
        let nonzero: Vec<(String, String, u64)> = concerns["cells"]
            .as_array()
            .expect("cells")
            .iter()
            .filter(|c| c["count"] != 0)
            .map(|c| {
                (
                    c["row"]["key"].as_str().unwrap_or_default().to_string(),
                    c["column"]["key"].as_str().unwrap_or_default().to_string(),
                    c["count"].as_u64().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            nonzero,
            vec![(
                "data-ai-public-engagement-cop-survey".to_string(),
                "CONCERN".to_string(),
                2
            )]
        );

        assert_eq!(
            app.error_code(MAP, json!({"rows": "THEME", "columns": "THEME"}))
                .await,
            "BAD_USER_INPUT"
        );
    });
}

#[tokio::test]
async fn exercise_resource_organisation_and_metric_filters() {
    on_each_backend!(|app| {
        let ids = app
            .data(
                r#"{ dialogue: exercise(by: {slug: "ai-cam-public-dialogues-2024"}) { id }
                     survey: exercise(by: {slug: "data-ai-public-engagement-cop-survey"}) { id }
                     funder: organisation(by: {slug: "mohn-westlake"}) { id }
                     cbd: organisation(by: {slug: "connected-by-data"}) { id }
                     governance: finding(by: {slug: "robust-governance-checks-and-balances"}) { id } }"#,
                json!({}),
            )
            .await;
        let id = |k: &str| ids[k]["id"].clone();
        let list = |field: &'static str, ty: &'static str, f: Value| {
            let app = &app;
            async move {
                let q = format!("query($f: {ty}) {{ {field}(filter: $f, first: 50) {{ totalCount nodes {{ slug }} }} }}");
                app.data(&q, json!({"f": f})).await[field].clone()
            }
        };
        assert_eq!(
            slugs(&list("exercises", "ExerciseFilter", json!({"kinds": ["SURVEY"]})).await),
            vec!["data-ai-public-engagement-cop-survey"]
        );
        assert_eq!(
            slugs(
                &list(
                    "exercises",
                    "ExerciseFilter",
                    json!({"missions": ["HEALTH"]})
                )
                .await
            ),
            vec!["ai-cam-public-dialogues-2024"]
        );
        assert_eq!(
            slugs(
                &list(
                    "exercises",
                    "ExerciseFilter",
                    json!({"organisation": id("funder")})
                )
                .await
            ),
            vec![
                "giving-communities-a-powerful-say",
                "data-ai-public-engagement-cop"
            ]
        );
        assert_eq!(
            slugs(
                &list(
                    "exercises",
                    "ExerciseFilter",
                    json!({"started": {"from": "2024-07", "to": "2024-09"}})
                )
                .await
            ),
            vec![
                "ai-cam-public-dialogues-2024",
                "data-ai-public-engagement-cop"
            ]
        );
        assert_eq!(
            list(
                "exercises",
                "ExerciseFilter",
                json!({"statuses": ["PLANNED"]})
            )
            .await["totalCount"],
            0
        );

        assert_eq!(
            slugs(&list("resources", "ResourceFilter", json!({"kinds": ["REPORT"]})).await),
            vec!["ai-public-dialogue-report"]
        );
        assert_eq!(
            list(
                "resources",
                "ResourceFilter",
                json!({"publisher": id("cbd")})
            )
            .await["totalCount"],
            6
        );
        assert_eq!(
            slugs(
                &list(
                    "resources",
                    "ResourceFilter",
                    json!({"finding": id("governance")})
                )
                .await
            ),
            vec![
                "ai-public-dialogue-report",
                "ai-cam-blog-using-ai-for-public-benefit"
            ]
        );
        assert_eq!(
            slugs(
                &list(
                    "resources",
                    "ResourceFilter",
                    json!({"published": {"from": "2024", "to": "2024"}})
                )
                .await
            ),
            vec![
                "ai-public-dialogue-report",
                "ai-cam-blog-using-ai-for-public-benefit"
            ]
        );

        assert_eq!(
            slugs(
                &list(
                    "organisations",
                    "OrganisationFilter",
                    json!({"kinds": ["FUNDER"]})
                )
                .await
            ),
            vec!["mohn-westlake"]
        );
        assert_eq!(
            list(
                "organisations",
                "OrganisationFilter",
                json!({"roles": ["SUGGESTED_HOST_OR_SPEAKER"]})
            )
            .await["totalCount"],
            9
        );
        assert_eq!(
            slugs(
                &list(
                    "organisations",
                    "OrganisationFilter",
                    json!({"exercise": id("dialogue")})
                )
                .await
            ),
            vec!["ai-cam"]
        );
        assert_eq!(
            list("metrics", "MetricFilter", json!({"exercise": id("survey")})).await["totalCount"],
            6
        );

        let body = app
            .graphql(
                "query($f: ResourceFilter) { resources(filter: $f) { totalCount } }",
                json!({"f": {"publisher": id("dialogue")}}),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "filter.publisher");
    });
}

/// Views and findings narrowed to the exercises an organisation took part in.
#[tokio::test]
async fn views_and_findings_by_organisation() {
    on_each_backend!(|app| {
        let d = app
            .data(
                r#"{ aiCam: organisation(by: {slug: "ai-cam"}) { id }
                     cbd: organisation(by: {slug: "connected-by-data"}) { id }
                     mohn: organisation(by: {slug: "mohn-westlake"}) { id } }"#,
                json!({}),
            )
            .await;
        let count = |query: &'static str, key: &'static str, org: Value| {
            let app = &app;
            async move {
                app.data(query, json!({"f": {"organisation": org}})).await[key]["totalCount"]
                    .clone()
            }
        };
        assert_eq!(
            count(VIEWS, "participantViews", d["aiCam"]["id"].clone()).await,
            25
        );
        assert_eq!(
            count(VIEWS, "participantViews", d["cbd"]["id"].clone()).await,
            15
        );
        assert_eq!(
            count(VIEWS, "participantViews", d["mohn"]["id"].clone()).await,
            0
        );
        assert_eq!(
            count(FINDINGS, "findings", d["aiCam"]["id"].clone()).await,
            5
        );
        assert_eq!(count(FINDINGS, "findings", d["cbd"]["id"].clone()).await, 7);
        assert_eq!(
            count(FINDINGS, "findings", d["mohn"]["id"].clone()).await,
            4
        );
        // Combined with another filter, and a wrong kind of ID named by its field.
        let d2 = app
            .data(
                VIEWS,
                json!({"f": {"organisation": d["aiCam"]["id"], "stances": ["CONCERN"], "verbatim": true}}),
            )
            .await;
        assert!(d2["participantViews"]["totalCount"].as_u64().is_some());
        let body = app
            .graphql(VIEWS, json!({"f": {"organisation": "RXhlcmNpc2U6MQ"}}))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            "filter.organisation"
        );
    });
}
