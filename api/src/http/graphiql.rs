//! GraphiQL, the in-browser IDE, at `/graphiql`. Its scripts and styles are embedded in the binary
//! and served under `/graphiql/assets/`, so it works with no internet access; the page loads them
//! from the `PUBLIC_VOICE_GRAPHIQL_ASSETS_URL` setting, which may point at any other host instead.

use actix_web::{http::header, web, HttpResponse};

/// The settings the page needs.
#[derive(Clone, Debug)]
pub struct GraphiqlConfig {
    pub assets_url: String,
    pub endpoint: String,
}

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

pub async fn page(config: web::Data<GraphiqlConfig>) -> HttpResponse {
    let assets = html_escape(config.assets_url.trim_end_matches('/'));
    let endpoint =
        serde_json::to_string(&config.endpoint).unwrap_or_else(|_| "\"/graphql\"".into());
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Public Voice · GraphiQL</title>
  <link rel="stylesheet" href="{assets}/graphiql.min.css">
  <style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{assets}/react.production.min.js"></script>
  <script src="{assets}/react-dom.production.min.js"></script>
  <script src="{assets}/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({{ url: new URL({endpoint}, window.location.href).href }});
    const defaultQuery = `# Public Voice: evidence on what the public thinks about AI in public services.
# Open the Docs panel to read the schema. Try:
{{
  exercises(first: 5) {{
    nodes {{ title kind startDate places findings {{ nodes {{ title kind }} }} }}
  }}
}}
`;
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {{ fetcher, defaultQuery, defaultEditorToolsVisibility: true }})
    );
  </script>
</body>
</html>"#
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}

pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(file, _, _)| *file == name.as_str()) {
        Some((_, content_type, bytes)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(*bytes),
        None => HttpResponse::NotFound().finish(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
