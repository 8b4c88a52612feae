//! The finding map (findings per Mission x Theme, Exercise x Kind... under a FindingFilter) and
//! the per-exercise and per-mission counts dashboards show, on both backends.

use crate::on_each_backend;
use serde_json::{json, Value};

const MAP: &str =
    "query($rows: FindingDimension!, $columns: FindingDimension!, $f: FindingFilter) {
  findingMap(rows: $rows, columns: $columns, filter: $f) {
    totalFindings
    rows { key label }
    columns { key label }
    cells { row { key } column { key } count findings(first: 20) { totalCount nodes { slug } } }
  }
}";

fn slugs(conn: &Value) -> Vec<String> {
    conn["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn nonzero(map: &Value) -> Vec<(String, String, u64)> {
    map["cells"]
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
        .collect()
}

#[tokio::test]
async fn finding_map_counts_every_cell_and_drills_in() {
    on_each_backend!(|app| {
        let map = app
            .data(MAP, json!({"rows": "MISSION", "columns": "THEME"}))
            .await["findingMap"]
            .clone();
        assert_eq!(map["totalFindings"], 12);
        assert_eq!(map["rows"].as_array().map(Vec::len), Some(5));
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
        let oversight = cell("HEALTH", "independent-oversight");
        assert_eq!(oversight["count"], 3);
        assert_eq!(
            slugs(&oversight["findings"]),
            vec![
                "robust-governance-checks-and-balances",
                "democratic-approach-to-ai-governance",
                "benefits-with-guardrails"
            ]
        );
        assert_eq!(
            slugs(&cell("EDUCATION", "privacy")["findings"]),
            vec!["robust-governance-checks-and-balances"]
        );
        let empty = cell("ECONOMIC_GROWTH", "privacy");
        assert_eq!(empty["count"], 0);
        assert_eq!(empty["findings"]["nodes"], json!([]));
        // Four missions times each dialogue finding's themes: 4 x (4 + 5 + 7 + 2 + 2).
        let total: u64 = cells
            .iter()
            .map(|c| c["count"].as_u64().unwrap_or_default())
            .sum();
        assert_eq!(total, 80);
        for c in cells {
            assert_eq!(c["count"], c["findings"]["totalCount"], "{c}");
        }
    });
}

#[tokio::test]
async fn finding_map_by_kind_and_exercise_under_a_filter() {
    on_each_backend!(|app| {
        let map = app
            .data(MAP, json!({"rows": "EXERCISE", "columns": "KIND"}))
            .await["findingMap"]
            .clone();
        assert_eq!(map["cells"].as_array().map(Vec::len), Some(28));
        assert_eq!(
            map["columns"][0],
            json!({"key": "PRINCIPLE", "label": "Principle"})
        );
        let expected = [
            ("ai-cam-public-dialogues-2024", "PRINCIPLE", 3),
            ("ai-cam-public-dialogues-2024", "CONDITION", 1),
            ("ai-cam-public-dialogues-2024", "RECOMMENDATION", 1),
            ("data-ai-public-engagement-cop", "OBSERVATION", 1),
            ("data-ai-public-engagement-cop", "REFLECTION", 3),
            ("data-ai-public-engagement-cop-survey", "CONCERN", 1),
            ("data-ai-public-engagement-cop-survey", "OBSERVATION", 2),
        ];
        let expected: Vec<(String, String, u64)> = expected
            .iter()
            .map(|(r, c, n)| (r.to_string(), c.to_string(), *n))
            .collect();
        assert_eq!(nonzero(&map), expected);

        let filtered = app
            .data(
                MAP,
                json!({"rows": "KIND", "columns": "EXERCISE",
                       "f": {"themes": {"anyOf": ["public-engagement"]}}}),
            )
            .await["findingMap"]
            .clone();
        assert_eq!(filtered["totalFindings"], 5);
        let expected: Vec<(String, String, u64)> = [
            ("PRINCIPLE", "ai-cam-public-dialogues-2024", 1),
            ("RECOMMENDATION", "ai-cam-public-dialogues-2024", 1),
            ("OBSERVATION", "data-ai-public-engagement-cop", 1),
            ("REFLECTION", "data-ai-public-engagement-cop", 2),
        ]
        .iter()
        .map(|(r, c, n)| (r.to_string(), c.to_string(), *n))
        .collect();
        assert_eq!(nonzero(&filtered), expected);
        for c in filtered["cells"].as_array().expect("cells") {
            assert_eq!(c["count"], c["findings"]["totalCount"], "{c}");
        }

        let placed = app
            .data(
                MAP,
                json!({"rows": "MISSION", "columns": "KIND", "f": {"places": ["liverpool"]}}),
            )
            .await["findingMap"]
            .clone();
        assert_eq!(placed["totalFindings"], 5);

        let body = app
            .graphql(MAP, json!({"rows": "KIND", "columns": "KIND"}))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "columns");
        let body = app
            .graphql(
                MAP,
                json!({"rows": "KIND", "columns": "THEME", "f": {"themes": {"anyOf": ["nope"]}}}),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            "filter.themes.anyOf"
        );
    });
}

fn stances(hope: u64, concern: u64, condition: u64, suggestion: u64, neutral: u64) -> Value {
    json!([
        {"stance": "HOPE", "count": hope}, {"stance": "CONCERN", "count": concern},
        {"stance": "CONDITION", "count": condition}, {"stance": "SUGGESTION", "count": suggestion},
        {"stance": "NEUTRAL", "count": neutral}
    ])
}

#[tokio::test]
async fn exercise_and_mission_counts() {
    on_each_backend!(|app| {
        let data = app
            .data(
                "{ exercises(first: 10) { nodes { slug counts {
                     findings views viewsByStance { stance count } resources metrics sessions } } }
                   missions { code counts { exercises findings views viewsByStance { stance count } } } }",
                json!({}),
            )
            .await;
        let counts: Vec<(String, Value)> = data["exercises"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| {
                (
                    n["slug"].as_str().unwrap_or_default().to_string(),
                    n["counts"].clone(),
                )
            })
            .collect();
        let exercise = |findings, views, by: Value, resources, metrics, sessions| {
            json!({"findings": findings, "views": views, "viewsByStance": by,
                   "resources": resources, "metrics": metrics, "sessions": sessions})
        };
        assert_eq!(
            counts,
            vec![
                (
                    "ai-cam-public-dialogues-2024".to_string(),
                    exercise(5, 25, stances(4, 5, 9, 6, 1), 5, 0, 2)
                ),
                (
                    "giving-communities-a-powerful-say".to_string(),
                    exercise(0, 0, stances(0, 0, 0, 0, 0), 2, 0, 0)
                ),
                (
                    "data-ai-public-engagement-cop".to_string(),
                    exercise(4, 0, stances(0, 0, 0, 0, 0), 5, 2, 2)
                ),
                (
                    "data-ai-public-engagement-cop-survey".to_string(),
                    exercise(3, 15, stances(0, 4, 0, 4, 7), 1, 6, 0)
                ),
            ]
        );
        let dialogue = json!({"exercises": 1, "findings": 5, "views": 25,
                              "viewsByStance": stances(4, 5, 9, 6, 1)});
        let none = json!({"exercises": 0, "findings": 0, "views": 0,
                          "viewsByStance": stances(0, 0, 0, 0, 0)});
        assert_eq!(
            data["missions"],
            json!([
                {"code": "HEALTH", "counts": dialogue},
                {"code": "EDUCATION", "counts": dialogue},
                {"code": "CRIME_AND_POLICING", "counts": dialogue},
                {"code": "ENERGY_AND_NET_ZERO", "counts": dialogue},
                {"code": "ECONOMIC_GROWTH", "counts": none},
            ])
        );
    });
}
