//! Wrong IDs, slugs and arguments get a clear error with a stable code, never a 500.

use crate::on_each_backend;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::json;

fn raw_id(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    on_each_backend!(|app| {
        let q = "query($id: ID!) { finding(by: {id: $id}) { title } }";
        // Well-formed, but no such row.
        assert_eq!(
            app.error_code(q, json!({"id": raw_id("Finding:999999")}))
                .await,
            "NOT_FOUND"
        );
        // Not an ID at all.
        assert_eq!(
            app.error_code(q, json!({"id": "definitely not an id"}))
                .await,
            "BAD_USER_INPUT"
        );
        // The ID of another type.
        assert_eq!(
            app.error_code(q, json!({"id": raw_id("Exercise:1")})).await,
            "BAD_USER_INPUT"
        );
        // A non-numeric key.
        assert_eq!(
            app.error_code(q, json!({"id": raw_id("Finding:abc")}))
                .await,
            "BAD_USER_INPUT"
        );

        let body = app
            .graphql(q, json!({"id": raw_id("Finding:999999")}))
            .await;
        assert_eq!(body["data"], json!({"finding": null}));
        assert_eq!(body["errors"][0]["path"], json!(["finding"]));

        // node() follows Relay: null for a missing object, an error only for a malformed ID.
        let body = app
            .graphql(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({"id": raw_id("Finding:999999")}),
            )
            .await;
        assert_eq!(body, json!({"data": {"node": null}}));
        assert_eq!(
            app.error_code("{ node(id: \"%%%\") { id } }", json!({}))
                .await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({"id": raw_id("GovernmentMission:NOPE")})
            )
            .await,
            "BAD_USER_INPUT"
        );
    });
}

#[tokio::test]
async fn lookups_need_exactly_one_key() {
    on_each_backend!(|app| {
        // `by` is a `@oneOf` input: none, both, or a null key are refused at validation, before
        // anything runs, whether written in the document or passed as a variable.
        for refused in [
            "{ exercise { title } }",
            "{ exercise(by: {}) { title } }",
            r#"{ exercise(by: {id: "x", slug: "y"}) { title } }"#,
            "{ exercise(by: {slug: null}) { title } }",
        ] {
            let body = app.graphql(refused, json!({})).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
                "{refused}: {body}"
            );
            assert_eq!(body.get("data"), None, "{refused}: {body}");
        }
        let by_variable = "query($by: Lookup!) { exercise(by: $by) { title } }";
        for by in [
            json!({}),
            json!({"id": "x", "slug": "y"}),
            json!({"slug": null}),
        ] {
            let body = app.graphql(by_variable, json!({ "by": by })).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
                "{by}: {body}"
            );
        }
        // A key from an unset nullable variable is caught when the argument is read.
        let body = app
            .graphql(
                "query($slug: String) { exercise(by: {slug: $slug}) { title } }",
                json!({}),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(
            app.data(
                by_variable,
                json!({"by": {"slug": "ai-cam-public-dialogues-2024"}})
            )
            .await,
            json!({"exercise": {"title": "ai@cam public dialogues on AI in public services"}})
        );
        assert_eq!(
            app.error_code(
                r#"{ organisation(by: {slug: "no-such-org"}) { name } }"#,
                json!({})
            )
            .await,
            "NOT_FOUND"
        );
        let body = app
            .graphql(r#"{ theme(by: {slug: ""}) { label } }"#, json!({}))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "by.slug");
        let body = app
            .graphql(
                "query($id: ID!) { theme(by: {id: $id}) { label } }",
                json!({"id": raw_id("Exercise:1")}),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "by.id");
    });
}

#[tokio::test]
async fn nodes_are_bounded() {
    on_each_backend!(|app| {
        let ids: Vec<String> = (1..=101).map(|i| raw_id(&format!("Finding:{i}"))).collect();
        assert_eq!(
            app.error_code(
                "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                json!({"ids": ids})
            )
            .await,
            "BAD_USER_INPUT"
        );
    });
}

#[tokio::test]
async fn wrong_argument_types_fail_validation() {
    on_each_backend!(|app| {
        assert_eq!(
            app.error_code("{ mission(code: NOT_A_MISSION) { label } }", json!({}))
                .await,
            "GRAPHQL_VALIDATION_FAILED"
        );
        assert_eq!(
            app.error_code(
                "query($n: Int) { findings(first: $n) { totalCount } }",
                json!({"n": "ten"})
            )
            .await,
            "GRAPHQL_VALIDATION_FAILED"
        );
    });
}
