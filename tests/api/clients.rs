//! What real clients and browsers rely on: request errors without `data`, 405 with `Allow`, the
//! GraphiQL page (subscriptions wired, headers editor, a strict Content-Security-Policy and the
//! other security headers), CORS preflights with the headers common clients send, and the
//! switch that hides the schema from anonymous callers.

use crate::helpers::{Backend, TestApp};
use serde_json::{json, Value};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn app() -> TestApp {
    TestApp::spawn(Backend::Sqlite)
        .await
        .expect("SQLite is always available")
}

async fn post(app: &TestApp, accept: &str, body: Value) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", accept)
        .json(&body)
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.json().await.expect("JSON"))
}

#[tokio::test]
async fn request_errors_have_no_data_key_and_field_errors_do() {
    let app = app().await;
    for accept in [GRAPHQL_RESPONSE, "application/json"] {
        for (query, code) in [
            ("{ missions { code ", "GRAPHQL_PARSE_FAILED"),
            ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
        ] {
            let (_, body) = post(&app, accept, json!({ "query": query })).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
            assert!(body.get("data").is_none(), "{accept}: {body}");
        }
        let (status, body) = post(
            &app,
            accept,
            json!({"query": r#"{ finding(by: {slug: "no-such-finding"}) { title } }"#}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
        assert_eq!(body["data"], json!({"finding": null}), "{body}");
    }
}

#[tokio::test]
async fn other_methods_on_graphql_get_405_with_allow() {
    let app = app().await;
    for method in [
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let res = app
            .client
            .request(method.clone(), format!("{}/graphql", app.address))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 405, "{method}");
        assert_eq!(res.headers()["allow"], "GET, POST", "{method}");
        let body: Value = res.json().await.expect("JSON");
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "METHOD_NOT_ALLOWED"
        );
    }
}

#[tokio::test]
async fn graphiql_page_has_strict_security_headers_and_no_inline_script() {
    let app = app().await;
    let page = app
        .client
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status().as_u16(), 200);
    let headers = page.headers().clone();
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self' data:; \
         img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let html = page.text().await.expect("html");
    // Every script is a file from this server: the CSP refuses inline ones.
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert_eq!(scripts.len(), 4);
    for script in scripts {
        assert!(
            script.trim_start().starts_with("src=\"/graphiql/assets/"),
            "{script}"
        );
        assert!(script.contains("></script>"), "{script}");
    }
    assert!(!html.contains("style="), "no inline style attribute");
    assert!(!html.contains("<style"), "no inline style element");
    assert!(html.contains(r#"data-endpoint="/graphql""#));
    // The page's script wires subscriptions to the WebSocket at the same URL and opens the
    // headers editor (for a token), and asks for the introspection the fixture holds.
    let script = app
        .client
        .get(format!("{}/graphiql/assets/public-voice.js", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(script.headers()["x-content-type-options"], "nosniff");
    let script = script.text().await.expect("js");
    for needle in [
        "subscriptionUrl",
        "'wss:' : 'ws:'",
        "defaultEditorToolsVisibility: 'headers'",
        "inputValueDeprecation: true",
        "schemaDescription: true",
    ] {
        assert!(script.contains(needle), "{needle}");
    }

    // Assets from another host are allowed by the CSP, and only that host.
    let elsewhere = TestApp::spawn_with(
        Backend::Sqlite,
        &[(
            "PUBLIC_VOICE_GRAPHIQL_ASSETS_URL",
            "https://assets.example.org/graphiql/",
        )],
    )
    .await
    .expect("app");
    let page = elsewhere
        .client
        .get(format!("{}/graphiql", elsewhere.address))
        .send()
        .await
        .expect("request");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self' https://assets.example.org;"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"src="/graphiql/assets/public-voice.js""#));
}

async fn preflight(app: &TestApp, headers: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", "https://dashboard.example.org")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", headers)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn cors_preflight_allows_the_headers_common_clients_send() {
    let app = app().await;
    let sent = "authorization,content-type,x-request-id,traceparent,tracestate,\
                apollographql-client-name,apollographql-client-version,apollo-require-preflight";
    let res = preflight(&app, sent).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://dashboard.example.org"
    );
    let allowed = res.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in sent.split(',') {
        assert!(allowed.contains(header), "{header} in {allowed}");
    }
    let refused = preflight(&app, "content-type,x-unknown-header").await;
    assert!(!refused.status().is_success());

    // The list is a setting.
    let custom = TestApp::spawn_with(
        Backend::Sqlite,
        &[(
            "PUBLIC_VOICE_CORS_ALLOWED_HEADERS",
            "content-type, x-unknown-header",
        )],
    )
    .await
    .expect("app");
    let res = preflight(&custom, "content-type,x-unknown-header").await;
    assert_eq!(res.status().as_u16(), 200);
    let res = preflight(&custom, "traceparent").await;
    assert!(!res.status().is_success());
}

#[tokio::test]
async fn introspection_and_suggestions_can_be_hidden_from_anonymous_callers() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("PUBLIC_VOICE_ANONYMOUS_INTROSPECTION", "false")],
    )
    .await
    .expect("app");
    for query in [
        "{ __schema { queryType { name } } }",
        "{ ...F } fragment F on Query { __type(name: \"Finding\") { name } }",
    ] {
        let body = app.graphql(query, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{body}"
        );
        assert!(body.get("data").is_none(), "{body}");
    }
    let body = app.graphql("{ exercize { title } }", json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    // Ordinary queries and __typename still work.
    let data = app
        .data("{ __typename missions { code } }", json!({}))
        .await;
    assert_eq!(data["__typename"], "Query");
    // A token holder still introspects and gets suggestions.
    let token = app.token("analyst", "reader").await;
    let data = app
        .data_as(&token, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(data, json!({"__schema": {"queryType": {"name": "Query"}}}));
    let (_, body) = app
        .graphql_as(&token, "{ exercize { title } }", json!({}))
        .await;
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Did you mean"));

    // By default anonymous callers introspect and get suggestions.
    let open = app_default_suggestion().await;
    assert!(open.contains("Did you mean"), "{open}");
}

async fn app_default_suggestion() -> String {
    let app = app().await;
    let body = app.graphql("{ exercize { title } }", json!({})).await;
    body["errors"][0]["message"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn responses_follow_the_selection_order_and_spec_nulls() {
    crate::on_each_backend!(|app| {
        // Top level and nested, with aliases, fragments and a skipped field, many times over
        // (the engine finishes fields in varying order).
        let query = "query Order($no: Boolean!) { z: themes(first: 1) { totalCount }
            a: exercises(first: 1) { nodes { title ...Ids kind startDate @skip(if: $no) } }
            m: missions { label code } __typename }
            fragment Ids on Exercise { id slug }";
        for _ in 0..10 {
            let res = app
                .client
                .post(format!("{}/graphql", app.address))
                .json(&json!({"query": query, "variables": {"no": true}}))
                .send()
                .await
                .expect("request");
            // The raw text: a JSON parser might not keep the order.
            let text = res.text().await.expect("body");
            let keys: Vec<&str> = text
                .split('"')
                .collect::<Vec<_>>()
                .windows(2)
                .filter(|w| w[1].starts_with(':'))
                .map(|w| w[0])
                .collect();
            let first_node = ["title", "id", "slug", "kind"];
            let at = keys.iter().position(|k| *k == "title").expect("title");
            assert_eq!(&keys[..2], ["data", "z"], "{text}");
            assert_eq!(&keys[at..at + 4], first_node, "{text}");
            let top: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| ["z", "a", "m", "__typename"].contains(k))
                .collect();
            assert_eq!(top, ["z", "a", "m", "__typename"], "{text}");
            assert!(!text.contains("pv__concreteType"), "{text}");
        }

        // A fragment that matches nothing gives {} (the object exists), unlike an unknown ID.
        let finding = app
            .data("{ findings(first: 1) { nodes { id } } }", json!({}))
            .await;
        let id = finding["findings"]["nodes"][0]["id"].clone();
        let data = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on ParticipantView { text } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data, json!({"node": {}}));
        let hits = app
            .data(
                "{ search(query: \"AI\", first: 5) { nodes { node { ... on Resource { title } } } } }",
                json!({}),
            )
            .await;
        let nodes = hits["search"]["nodes"].as_array().expect("nodes");
        assert!(nodes.iter().any(|n| n == &json!({"node": {}})), "{hits}");

        // A failed non-null root field makes data null (null propagation), not {"field": null}.
        let body = app
            .graphql(
                "mutation { revokeApiToken(name: \"x\") { name } }",
                json!({}),
            )
            .await;
        assert_eq!(body["data"], Value::Null, "{body}");
        assert!(body.get("data").is_some(), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    });
}

#[tokio::test]
async fn objects_whose_fields_are_all_skipped_are_empty_objects() {
    crate::on_each_backend!(|app| {
        let slug = json!({"slug": "ai-co-pilot-not-replacement"});
        let one = "query($slug: String!, $no: Boolean!) {
            finding(by: {slug: $slug}) { title @skip(if: true) slug @skip(if: $no) } }";
        assert_eq!(
            app.data(one, json!({"slug": slug["slug"], "no": true}))
                .await,
            json!({"finding": {}})
        );
        // The same selection with the variable letting a field through answers it.
        assert_eq!(
            app.data(one, json!({"slug": slug["slug"], "no": false}))
                .await,
            json!({"finding": {"slug": "ai-co-pilot-not-replacement"}})
        );
        // Nested, in a list, through a fragment and an inline fragment; the private alias never
        // shows.
        let nested = "{ findings(first: 1) { nodes { title @include(if: false) } }
            exercises(first: 2) { nodes { ...Skipped ... @skip(if: true) { slug } } } }
            fragment Skipped on Exercise { title @skip(if: true) }";
        let body = app.graphql(nested, json!({})).await;
        assert_eq!(
            body,
            json!({"data": {
                "findings": {"nodes": [{}]},
                "exercises": {"nodes": [{}, {}]}
            }})
        );
        // null still means "does not exist".
        let body = app
            .graphql(
                "{ finding(by: {slug: \"no-such-finding\"}) { title @skip(if: true) } }",
                json!({}),
            )
            .await;
        assert_eq!(body["data"], json!({"finding": null}), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    });
}
