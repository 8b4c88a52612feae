//! GraphiQL, the in-browser IDE, at `/graphiql`. Its scripts and styles are embedded in the binary
//! and served under `/graphiql/assets/`, so it works with no internet access; the page loads them
//! from the `PUBLIC_VOICE_GRAPHIQL_ASSETS_URL` setting, which may point at any other host instead.
//! The page runs no inline script (its own code is `assets/graphiql/public-voice.js`), so its
//! Content-Security-Policy can allow scripts from those two places only. Subscriptions run over
//! the WebSocket at the same URL as `/graphql`.

use actix_web::{http::header, web, HttpResponse};

/// The settings the page needs.
#[derive(Clone, Debug)]
pub struct GraphiqlConfig {
    pub assets_url: String,
    pub endpoint: String,
}

/// Where this server serves the page's own script and style (wherever GraphiQL's come from).
const OWN_ASSETS: &str = "/graphiql/assets";

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "public-voice.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/public-voice.js"),
    ),
    (
        "public-voice.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/public-voice.css"),
    ),
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

/// The page's Content-Security-Policy: scripts, styles and fonts only from this server (and the
/// assets host when `PUBLIC_VOICE_GRAPHIQL_ASSETS_URL` names another one), no inline script,
/// requests only to this origin (HTTP and WebSocket), never framed.
fn content_security_policy(assets_url: &str) -> String {
    let assets_origin = assets_origin(assets_url)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'{assets_origin}; style-src 'self'{assets_origin}; \
         font-src 'self' data:{assets_origin}; img-src 'self' data:; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// `https://cdn.example` from `https://cdn.example/graphiql/3.9.0`; `None` for a path on this server.
fn assets_origin(assets_url: &str) -> Option<String> {
    let (scheme, rest) = assets_url.split_once("://")?;
    let host = rest.split('/').next().unwrap_or_default();
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-:[]".contains(c);
    (matches!(scheme, "http" | "https") && !host.is_empty() && host.chars().all(allowed))
        .then(|| format!("{scheme}://{host}"))
}

/// The headers every HTML page gets: its CSP, no framing, no MIME sniffing, no referrer.
pub fn html_security_headers(csp: &str) -> [(header::HeaderName, String); 4] {
    [
        (header::CONTENT_SECURITY_POLICY, csp.to_string()),
        (header::X_FRAME_OPTIONS, "DENY".to_string()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        (header::REFERRER_POLICY, "no-referrer".to_string()),
    ]
}

pub async fn page(config: web::Data<GraphiqlConfig>) -> HttpResponse {
    let assets = html_escape(config.assets_url.trim_end_matches('/'));
    let endpoint = html_escape(&config.endpoint);
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Public Voice · GraphiQL</title>
  <link rel="stylesheet" href="{assets}/graphiql.min.css">
  <link rel="stylesheet" href="{OWN_ASSETS}/public-voice.css">
</head>
<body>
  <div id="graphiql" data-endpoint="{endpoint}">Loading GraphiQL…</div>
  <script src="{assets}/react.production.min.js"></script>
  <script src="{assets}/react-dom.production.min.js"></script>
  <script src="{assets}/graphiql.min.js"></script>
  <script src="{OWN_ASSETS}/public-voice.js"></script>
</body>
</html>"#
    );
    let mut response = HttpResponse::Ok();
    response.content_type("text/html; charset=utf-8");
    for h in html_security_headers(&content_security_policy(&config.assets_url)) {
        response.insert_header(h);
    }
    response.body(html)
}

pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(file, _, _)| *file == name.as_str()) {
        Some((_, content_type, bytes)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
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
