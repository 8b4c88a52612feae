//! Document limits before execution: the alias, duplicate-field and directive
//! amplifications are refused with the limit named, over HTTP and WebSocket; the complexity of
//! aliased fields is counted once per alias; the standard introspection query passes every limit.

use crate::helpers::{Backend, TestApp};
use crate::on_each_backend;
use crate::subscriptions::{initialised, recv, send};
use serde_json::{json, Value};

fn repeated(n: usize, item: impl Fn(usize) -> String) -> String {
    (0..n).map(item).collect::<Vec<_>>().join(" ")
}

fn first_error(body: &Value) -> (String, String) {
    let error = &body["errors"][0];
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        error["message"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn alias_duplicate_and_directive_amplification_is_refused_before_execution() {
    on_each_backend!(|app| {
        let aliased_maps = format!(
            "{{ {} }}",
            repeated(1000, |i| format!(
                "a{i}: evidenceMap(rows: MISSION, columns: THEME) {{ totalViews }}"
            ))
        );
        let sixteen_maps = format!(
            "{{ {} }}",
            repeated(16, |i| format!(
                "a{i}: evidenceMap(rows: MISSION, columns: THEME) {{ totalViews }}"
            ))
        );
        let cases = [
            // The 64 KB document is over every limit; it is refused before it is parsed.
            (
                aliased_maps,
                "BAD_REQUEST",
                "The document has more than 1000 tokens, the limit (PUBLIC_VOICE_MAX_TOKENS); introspection-only documents are exempt",
            ),
            (
                sixteen_maps,
                "QUERY_TOO_COMPLEX",
                "The document has 16 aliases; the limit (PUBLIC_VOICE_MAX_ALIASES) is 15",
            ),
            (
                format!("{{ {} }}", repeated(1000, |i| format!("t{i}: __typename"))),
                "QUERY_TOO_COMPLEX",
                "The document has 1000 aliases; the limit (PUBLIC_VOICE_MAX_ALIASES) is 15",
            ),
            (
                format!("{{ missions {{ {} }} }}", repeated(500, |_| "code".to_string())),
                "QUERY_TOO_COMPLEX",
                "The document selects 499 fields again under a name already selected beside them; the limit (PUBLIC_VOICE_MAX_DUPLICATE_FIELDS) is 15",
            ),
            (
                format!("{{ missions {{ code {} }} }}", repeated(1000, |i| format!("@d{i}"))),
                "BAD_REQUEST",
                "The document has 1000 directives; the limit (PUBLIC_VOICE_MAX_DIRECTIVES) is 50",
            ),
            (
                format!("{{ nodes(ids: [{}]) {{ id }} }}", repeated(1000, |_| "\"x\"".to_string())),
                "BAD_REQUEST",
                "The document has more than 1000 tokens, the limit (PUBLIC_VOICE_MAX_TOKENS); introspection-only documents are exempt",
            ),
        ];
        for (query, code, message) in &cases {
            let body = app.graphql(query, json!({})).await;
            assert_eq!(
                first_error(&body),
                (code.to_string(), message.to_string()),
                "{:?}",
                app.backend()
            );
            assert_eq!(body["data"], Value::Null);
        }
        // At the limits, the same shapes run.
        let fifteen = format!("{{ {} }}", repeated(15, |i| format!("t{i}: __typename")));
        let data = app.data(&fifteen, json!({})).await;
        assert!(data["t14"].is_string(), "{data}");

        // Over WebSocket the refusal is the operation's `error` message.
        let mut ws = initialised(&app.address, None).await;
        send(
            &mut ws,
            json!({"id": "x", "type": "subscribe", "payload": {"query": cases[1].0}}),
        )
        .await;
        let reply = recv(&mut ws).await;
        assert_eq!(reply["type"], "error", "{reply}");
        assert_eq!(
            reply["payload"][0]["extensions"]["code"],
            "QUERY_TOO_COMPLEX"
        );
    });
}

/// graphql-js's `getIntrospectionQuery()` with every option on, the fixture the introspection
/// tests keep (GraphiQL sends the same document).
const INTROSPECTION_QUERY: &str =
    include_str!("../fixtures/introspection/graphql-js-16.15.0-all-options.graphql");

#[tokio::test]
async fn introspection_passes_every_document_limit_and_is_exempt_from_the_token_limit() {
    // A token limit far below the introspection query's size, and a depth limit out of the way
    // (depth is not this module's limit): only the exemption lets it through.
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("PUBLIC_VOICE_MAX_TOKENS", "100"),
            ("PUBLIC_VOICE_MAX_QUERY_DEPTH", "40"),
        ],
    )
    .await
    else {
        return;
    };
    let data = app.data(INTROSPECTION_QUERY, json!({})).await;
    assert!(data["__schema"]["types"]
        .as_array()
        .is_some_and(|t| t.len() > 50));
    let ordinary = format!(
        "{{ nodes(ids: [{}]) {{ id }} }}",
        repeated(120, |_| "\"x\"".to_string())
    );
    let body = app.graphql(&ordinary, json!({})).await;
    assert_eq!(first_error(&body).0, "BAD_REQUEST");
    assert!(first_error(&body).1.contains("PUBLIC_VOICE_MAX_TOKENS"));
}

#[tokio::test]
async fn the_complexity_of_aliased_aggregates_is_counted_once_per_alias() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) =
            TestApp::spawn_with(backend, &[("PUBLIC_VOICE_MAX_QUERY_COMPLEXITY", "250")]).await
        else {
            continue;
        };
        // An evidence map costs 100 (its GROUP BY) plus its selection: 101 here.
        let maps = |n: usize| {
            format!(
                "{{ {} }}",
                repeated(n, |i| format!(
                    "m{i}: evidenceMap(rows: MISSION, columns: THEME) {{ totalViews }}"
                ))
            )
        };
        let data = app.data(&maps(2), json!({})).await;
        assert_eq!(data["m0"], data["m1"]);
        let body = app.graphql(&maps(3), json!({})).await;
        assert_eq!(first_error(&body).0, "QUERY_TOO_COMPLEX", "{body}");
        // The same for findingMap and search, which also cost for their real work.
        let body = app
            .graphql(
                "{ a: findingMap(rows: MISSION, columns: THEME) { totalFindings } b: findingMap(rows: MISSION, columns: KIND) { totalFindings } c: findingMap(rows: THEME, columns: KIND) { totalFindings } }",
                json!({}),
            )
            .await;
        assert_eq!(first_error(&body).0, "QUERY_TOO_COMPLEX", "{body}");
        let body = app
            .graphql(
                "{ a: search(query: \"data\", first: 1) { totalCount } b: search(query: \"ai\", first: 1) { totalCount } c: search(query: \"trust\", first: 1) { totalCount } d: search(query: \"care\", first: 1) { totalCount } e: search(query: \"use\", first: 1) { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(first_error(&body).0, "QUERY_TOO_COMPLEX", "{body}");
    }
}
