//! The evidence explorer at `/explore`: a heat map of the evidence map with drill-down, filters,
//! search, downloads, permalinks and citations, for analysts who would rather look than read
//! JSON. It is a client of the public GraphQL API and the `/export/` endpoints only, so what it
//! needs, every other dashboard gets too. Its page, script and style are embedded in the binary
//! (no build step, no framework, no internet access needed) and it runs no inline script, so its
//! Content-Security-Policy allows this origin only.

use actix_web::{http::header, web, HttpResponse};

use super::graphiql::html_security_headers;

const PAGE: &str = include_str!("../../assets/explore/explore.html");

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "explore.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/explore/explore.js"),
    ),
    (
        "explore.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/explore/explore.css"),
    ),
];

/// Everything from this origin only: the page fetches `/graphql` and links to `/export/`; source
/// documents open as ordinary links, which a CSP does not govern.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

pub async fn page() -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type("text/html; charset=utf-8");
    for h in html_security_headers(CONTENT_SECURITY_POLICY) {
        response.insert_header(h);
    }
    // The page is the same for everyone and changes only with the binary; its data comes live.
    response.insert_header((header::CACHE_CONTROL, "no-cache"));
    response.body(PAGE)
}

pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(file, _, _)| *file == name.as_str()) {
        // `no-cache`: revalidated on every load, so a new binary's script is never mixed with an
        // old page.
        Some((_, content_type, bytes)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(*bytes),
        None => HttpResponse::NotFound().finish(),
    }
}
