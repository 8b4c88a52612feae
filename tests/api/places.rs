//! The place filter on exercises, findings and views, backed by the `exercise_place` index that
//! `api::places::set_exercise_places` keeps in step with the exercise's `places` list.

use crate::on_each_backend;
use serde_json::{json, Value};

fn slugs(conn: &Value) -> Vec<String> {
    conn["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn list(app: &crate::helpers::TestApp, field: &str, ty: &str, f: Value) -> Value {
    let q = format!(
        "query($f: {ty}) {{ {field}(filter: $f, first: 100) {{ totalCount nodes {{ slug }} }} }}"
    );
    app.data(&q, json!({"f": f})).await[field].clone()
}

#[tokio::test]
async fn places_match_any_of_ignoring_case() {
    on_each_backend!(|app| {
        let exercises = |f: Value| list(&app, "exercises", "ExerciseFilter", f);
        assert_eq!(
            slugs(&exercises(json!({"places": ["cambridge"]})).await),
            vec!["ai-cam-public-dialogues-2024"]
        );
        assert_eq!(
            slugs(&exercises(json!({"places": [" LIVERPOOL ", "Nowhere"]})).await),
            vec!["ai-cam-public-dialogues-2024"]
        );
        assert_eq!(
            exercises(json!({"places": ["Nowhere"]})).await["totalCount"],
            0
        );
        assert_eq!(exercises(json!({"places": []})).await["totalCount"], 4);
        assert_eq!(
            exercises(json!({"places": ["Cambridge"], "kinds": ["SURVEY"]})).await["totalCount"],
            0
        );

        let views = list(
            &app,
            "participantViews",
            "ViewFilter",
            json!({"places": ["Cambridge"]}),
        )
        .await;
        assert_eq!(views["totalCount"], 25);
        let views = list(
            &app,
            "participantViews",
            "ViewFilter",
            json!({"places": ["Cambridge"], "stances": ["CONCERN"], "verbatim": true}),
        )
        .await;
        assert_eq!(views["totalCount"], 0);
        assert_eq!(
            slugs(
                &list(
                    &app,
                    "findings",
                    "FindingFilter",
                    json!({"places": ["liverpool"]})
                )
                .await
            ),
            vec![
                "ai-co-pilot-not-replacement",
                "public-benefit-primary-driver",
                "robust-governance-checks-and-balances",
                "democratic-approach-to-ai-governance",
                "benefits-with-guardrails"
            ]
        );
    });
}

#[tokio::test]
async fn set_exercise_places_replaces_the_list_and_its_index() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    // The places are written here directly, outside the write path and its change log, which
    // is all the read engine follows: this test is about the SQL place index, so it reads SQL.
    on_each_backend!(with & [("PUBLIC_VOICE_ENGINE", "false")], |app| {
        let db = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        let survey = entity::exercise::Entity::find()
            .filter(entity::exercise::Column::Slug.eq("data-ai-public-engagement-cop-survey"))
            .one(&db)
            .await
            .expect("query")
            .expect("survey");
        let places: Vec<String> = ["Online", " online ", "Leeds", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        api::places::set_exercise_places(&db, survey.id, &places)
            .await
            .expect("set places");
        db.close().await.ok();

        let got = app
            .data(
                r#"{ exercise(by: {slug: "data-ai-public-engagement-cop-survey"}) { places } }"#,
                json!({}),
            )
            .await;
        assert_eq!(got["exercise"]["places"], json!(["Online", "Leeds"]));
        assert_eq!(
            list(
                &app,
                "participantViews",
                "ViewFilter",
                json!({"places": ["leeds"]})
            )
            .await["totalCount"],
            15
        );
        assert_eq!(
            slugs(
                &list(
                    &app,
                    "exercises",
                    "ExerciseFilter",
                    json!({"places": ["ONLINE", "Cambridge"]})
                )
                .await
            ),
            vec![
                "ai-cam-public-dialogues-2024",
                "data-ai-public-engagement-cop-survey"
            ]
        );
    });
}
