//! The HTTP surface: GraphQL over HTTP (media types, status codes, GET rules, CSRF), limits,
//! health, GraphiQL, the evidence explorer, CORS.

use crate::helpers::{Backend, TestApp};
use serde_json::{json, Value};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn app() -> TestApp {
    TestApp::spawn(Backend::Sqlite)
        .await
        .expect("SQLite is always available")
}

fn content_type(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn code_of(res: reqwest::Response) -> String {
    let body: Value = res.json().await.expect("JSON error body");
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn health_checks_the_database() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend).await else {
            continue;
        };
        let res = app
            .client
            .get(format!("{}/health", app.address))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.headers().contains_key("x-request-id"));
        let body: Value = res.json().await.expect("json");
        assert_eq!(body, json!({"status": "ok", "database": "ok"}));
    }
}

#[tokio::test]
async fn json_is_served_to_clients_that_ask_for_it_or_say_nothing() {
    let app = app().await;
    for accept in [None, Some("application/json"), Some("*/*")] {
        let mut req = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({"query": "{ missions { code } }"}));
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let res = req.send().await.expect("request");
        assert_eq!(res.status().as_u16(), 200);
        assert!(
            content_type(&res).starts_with("application/json"),
            "{accept:?}"
        );
    }
}

#[tokio::test]
async fn graphql_response_json_is_preferred_and_uses_400_for_invalid_documents() {
    let app = app().await;
    let post = |query: &str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header(
                "accept",
                format!("{GRAPHQL_RESPONSE}, application/json;q=0.9"),
            )
            .json(&json!({"query": query}))
    };
    let ok = post("{ missions { code } }").send().await.expect("request");
    assert_eq!(ok.status().as_u16(), 200);
    assert!(content_type(&ok).starts_with(GRAPHQL_RESPONSE));

    let invalid = post("{ noSuchField }").send().await.expect("request");
    assert_eq!(invalid.status().as_u16(), 400);
    assert!(content_type(&invalid).starts_with(GRAPHQL_RESPONSE));
    assert_eq!(code_of(invalid).await, "GRAPHQL_VALIDATION_FAILED");

    let unparsable = post("{ missions { code ").send().await.expect("request");
    assert_eq!(unparsable.status().as_u16(), 400);
    assert_eq!(code_of(unparsable).await, "GRAPHQL_PARSE_FAILED");

    // A field error is still a 200: the document was executed.
    let field_error = post(r#"{ finding(by: {slug: "no-such-finding"}) { title } }"#)
        .send()
        .await
        .expect("request");
    assert_eq!(field_error.status().as_u16(), 200);
    assert_eq!(code_of(field_error).await, "NOT_FOUND");
}

#[tokio::test]
async fn application_json_reports_invalid_documents_with_200() {
    let app = app().await;
    let body = app.graphql("{ noSuchField }", json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

#[tokio::test]
async fn unacceptable_accept_header_is_406() {
    let app = app().await;
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .json(&json!({"query": "{ missions { code } }"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 406);
    assert_eq!(code_of(res).await, "NOT_ACCEPTABLE");
}

#[tokio::test]
async fn get_runs_queries() {
    let app = app().await;
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[
            (
                "query",
                "query M($code: Mission!) { mission(code: $code) { label } }",
            ),
            ("variables", r#"{"code": "HEALTH"}"#),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["data"]["mission"]["label"], "Health");
}

#[tokio::test]
async fn get_refuses_mutations_and_malformed_parameters() {
    let app = app().await;
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "mutation { anything }")])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    assert_eq!(code_of(res).await, "METHOD_NOT_ALLOWED");

    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[
            ("query", "{ missions { code } }"),
            ("variables", "not json"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(code_of(res).await, "BAD_REQUEST");

    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(code_of(res).await, "BAD_REQUEST");
}

#[tokio::test]
async fn csrf_prone_content_types_are_refused() {
    let app = app().await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let res = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", content_type)
            .body(r#"{"query": "{ missions { code } }"}"#)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 415, "{content_type}");
        assert_eq!(code_of(res).await, "UNSUPPORTED_MEDIA_TYPE");
    }
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let app = app().await;
    for body in ["not json", r#"{"variables": {}}"#, "[1, 2]"] {
        let res = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 400, "{body}");
        assert_eq!(code_of(res).await, "BAD_REQUEST");
    }
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("PUBLIC_VOICE_MAX_BODY_BYTES", "2048")])
        .await
        .expect("app");
    let padding = " ".repeat(4096);
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": format!("{{ missions {{ code }} }}{padding}")}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(code_of(res).await, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn depth_and_complexity_limits_give_clear_codes() {
    let shallow = TestApp::spawn_with(Backend::Sqlite, &[("PUBLIC_VOICE_MAX_QUERY_DEPTH", "4")])
        .await
        .expect("app");
    let deep =
        "{ exercises(first: 1) { nodes { findings(first: 1) { nodes { exercise { title } } } } } }";
    assert_eq!(shallow.error_code(deep, json!({})).await, "QUERY_TOO_DEEP");

    let frugal = TestApp::spawn_with(
        Backend::Sqlite,
        &[("PUBLIC_VOICE_MAX_QUERY_COMPLEXITY", "20")],
    )
    .await
    .expect("app");
    let wide = "{ a: missions { code label description } b: missions { code label description } c: missions { code label description } d: missions { code label description } e: missions { code label description } f: missions { code } }";
    assert_eq!(
        frugal.error_code(wide, json!({})).await,
        "QUERY_TOO_COMPLEX"
    );
    assert!(frugal
        .graphql("{ missions { code } }", json!({}))
        .await
        .get("errors")
        .is_none());
}

#[tokio::test]
async fn graphiql_is_served_with_its_assets() {
    let app = app().await;
    let page = app
        .client
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"src="/graphiql/assets/graphiql.min.js""#));
    for asset in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ] {
        let res = app
            .client
            .get(format!("{}/graphiql/assets/{asset}", app.address))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 200, "{asset}");
        assert!(res.bytes().await.expect("bytes").len() > 1000, "{asset}");
    }
    let missing = app
        .client
        .get(format!("{}/graphiql/assets/nope.js", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status().as_u16(), 404);

    let elsewhere = TestApp::spawn_with(
        Backend::Sqlite,
        &[(
            "PUBLIC_VOICE_GRAPHIQL_ASSETS_URL",
            "https://assets.example.org/graphiql/",
        )],
    )
    .await
    .expect("app");
    let html = elsewhere
        .client
        .get(format!("{}/graphiql", elsewhere.address))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(html.contains(r#"src="https://assets.example.org/graphiql/graphiql.min.js""#));
}

#[tokio::test]
async fn the_explorer_is_served_with_its_assets_and_can_be_turned_off() {
    let app = app().await;
    let page = app
        .client
        .get(format!("{}/explore", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(content_type(&page), "text/html; charset=utf-8");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("ASCII")
        .to_string();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains(r#"<script type="module" src="/explore/assets/explore.js"></script>"#));
    for (asset, kind) in [
        ("explore.js", "text/javascript; charset=utf-8"),
        ("explore.css", "text/css; charset=utf-8"),
    ] {
        let res = app
            .client
            .get(format!("{}/explore/assets/{asset}", app.address))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 200, "{asset}");
        assert_eq!(content_type(&res), kind, "{asset}");
        assert!(res.bytes().await.expect("bytes").len() > 1000, "{asset}");
    }
    let missing = app
        .client
        .get(format!("{}/explore/assets/explore.html", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status().as_u16(), 404);

    let off = TestApp::spawn_with(Backend::Sqlite, &[("PUBLIC_VOICE_EXPLORER", "false")])
        .await
        .expect("app");
    for path in ["/explore", "/explore/assets/explore.js"] {
        let res = off
            .client
            .get(format!("{}{path}", off.address))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 404, "{path}");
    }
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[(
            "PUBLIC_VOICE_CORS_ALLOWED_ORIGINS",
            "https://dashboard.example.org",
        )],
    )
    .await
    .expect("app");
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://dashboard.example.org")
        .await
        .expect("request");
    assert_eq!(allowed.status().as_u16(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://dashboard.example.org"
    );
    let refused = preflight("https://evil.example.com")
        .await
        .expect("request");
    assert!(!refused
        .headers()
        .contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let app = app().await;
    let res = app
        .client
        .get(format!("{}/health", app.address))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("request");
    assert_eq!(res.headers()["x-request-id"], "abc-123");
}

#[tokio::test]
async fn cost_grows_with_page_size() {
    let app = app().await;
    let q = "query($n: Int!, $m: Int!) { participantViews(first: $n) { nodes { text resources(first: $m) { nodes { title url } } } } }";
    let small = app.graphql(q, json!({"n": 1, "m": 1})).await;
    assert!(small.get("errors").is_none(), "{small}");
    assert_eq!(
        app.error_code(q, json!({"n": 100, "m": 100})).await,
        "QUERY_TOO_COMPLEX"
    );
    // The page size alone decides: the same document with a larger page costs more.
    let medium = app.graphql(q, json!({"n": 20, "m": 20})).await;
    assert!(medium.get("errors").is_none(), "{medium}");
    assert_eq!(
        app.error_code(q, json!({"n": 100, "m": 40})).await,
        "QUERY_TOO_COMPLEX"
    );
}
