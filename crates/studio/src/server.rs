//! The routes, each a thin async function that runs its page on the blocking pool (pages read
//! files, compile and call wrangler), and the listener. Binds where it is told; the CLI keeps
//! it on loopback unless `--listen` says otherwise.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::Markup;

use crate::backend::Backend;
use crate::done::{self, Done};
use crate::publish::Notice;
use crate::state::{AppState, Config, Session};
use crate::{campaigns, compare, edit, layout, publish, results, security};

type Shared = Arc<AppState>;
type Pairs = Form<Vec<(String, String)>>;

/// Why the studio could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address cannot be bound (in use, or not allowed).
    #[error("cannot listen on {addr}: {source} (pick another with --port)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The runtime or the server failed.
    #[error("the studio server stopped: {0}")]
    Io(#[from] std::io::Error),
}

async fn blocking(f: impl FnOnce() -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|_| (StatusCode::INTERNAL_SERVER_ERROR, "the page failed").into_response())
}

fn markup(status: u16, m: Markup) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, Html(m.into_string())).into_response()
}

fn see(location: &str) -> Response {
    Redirect::to(location).into_response()
}

#[derive(serde::Deserialize)]
struct AtQuery {
    at: Option<String>,
    saved: Option<String>,
}

async fn list(State(s): State<Shared>, Query(q): Query<AtQuery>) -> Response {
    blocking(move || markup(200, campaigns::list(&s, q.at.as_deref()))).await
}

async fn edit_get(
    State(s): State<Shared>,
    Extension(se): Extension<Session>,
    Path(id): Path<String>,
    Query(q): Query<AtQuery>,
) -> Response {
    blocking(move || {
        let (status, m) = edit::show(&s, &se, &id, q.saved.is_some());
        markup(status, m)
    })
    .await
}

async fn edit_post(
    State(s): State<Shared>,
    Extension(se): Extension<Session>,
    Path(id): Path<String>,
    Form(pairs): Pairs,
) -> Response {
    blocking(move || match edit::post(&s, &se, &id, &pairs) {
        Ok((status, m)) => markup(status, m),
        Err(location) => see(&location),
    })
    .await
}

async fn compare_get(
    State(s): State<Shared>,
    Extension(se): Extension<Session>,
    Query(q): Query<compare::Query>,
) -> Response {
    blocking(move || {
        let (status, m) = compare::show(&s, &se, &q);
        markup(status, m)
    })
    .await
}

async fn frame(State(s): State<Shared>, Query(q): Query<compare::Query>) -> Response {
    blocking(move || match compare::frame(&s, &q) {
        Ok((body, csp)) => {
            let mut r = (StatusCode::OK, body).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&csp) {
                h.insert(header::CONTENT_SECURITY_POLICY, v);
            }
            h.insert(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("SAMEORIGIN"),
            );
            r
        }
        Err((status, why)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
            let mut r = (status, why).into_response();
            r.headers_mut().insert(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("SAMEORIGIN"),
            );
            r.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            );
            r
        }
    })
    .await
}

async fn persona_post(
    State(s): State<Shared>,
    Extension(se): Extension<Session>,
    Form(pairs): Pairs,
) -> Response {
    blocking(move || match compare::save_persona(&s, &se, &pairs) {
        Ok(location) => see(&location),
        Err((status, m)) => markup(status, m),
    })
    .await
}

async fn publish_get(
    State(s): State<Shared>,
    Extension(se): Extension<Session>,
    Query(q): Query<done::Query>,
) -> Response {
    blocking(move || {
        let done = Done::parse(&q, &se);
        markup(200, publish::show(&s, &se, done.as_ref().map(Notice::Done)))
    })
    .await
}

async fn publish_review(
    State(s): State<Shared>,
    Extension(se): Extension<Session>,
    Form(pairs): Pairs,
) -> Response {
    blocking(move || {
        let (status, m) = publish::review(&s, &se, &pairs);
        markup(status, m)
    })
    .await
}

async fn publish_acknowledge(
    State(s): State<Shared>,
    Extension(se): Extension<Session>,
    Form(pairs): Pairs,
) -> Response {
    blocking(move || match publish::acknowledge_ticked(&s, &pairs) {
        Ok(done) => see(&done.location(&se)),
        Err(why) => markup(409, publish::show(&s, &se, Some(Notice::Refused(&why)))),
    })
    .await
}

async fn publish_confirm(
    State(s): State<Shared>,
    Extension(se): Extension<Session>,
    Form(pairs): Pairs,
) -> Response {
    blocking(move || match publish::confirm(&s, &pairs) {
        Ok(done) => see(&done.location(&se)),
        Err(why) => markup(
            409,
            publish::show(
                &s,
                &se,
                Some(Notice::Refused(&format!("Not published: {why}"))),
            ),
        ),
    })
    .await
}

async fn rollback_review(
    State(s): State<Shared>,
    Extension(se): Extension<Session>,
    Form(pairs): Pairs,
) -> Response {
    blocking(move || {
        let (status, page) = publish::rollback_review(&s, &se, &pairs);
        markup(status, page)
    })
    .await
}

async fn rollback_confirm(
    State(s): State<Shared>,
    Extension(se): Extension<Session>,
    Form(pairs): Pairs,
) -> Response {
    blocking(move || match publish::rollback_confirm(&s, &pairs) {
        Ok(done) => see(&done.location(&se)),
        Err(why) => markup(
            409,
            publish::show(
                &s,
                &se,
                Some(Notice::Refused(&format!("Not rolled back: {why}"))),
            ),
        ),
    })
    .await
}

async fn results_get(State(s): State<Shared>) -> Response {
    blocking(move || markup(200, results::show(&s))).await
}

async fn results_report(State(s): State<Shared>) -> Response {
    blocking(move || {
        let (status, body) = match results::report(&s) {
            Ok(h) => (StatusCode::OK, h),
            Err(why) => (StatusCode::NOT_FOUND, why),
        };
        let mut r = (status, Html(body)).into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            ),
        );
        h.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
        r
    })
    .await
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        layout::CSS,
    )
        .into_response()
}

/// Other GETs: the site's stylesheets, images and fonts from `--pages`, for the frames. Never
/// HTML or scripts: those would run in the studio's origin.
async fn asset(State(s): State<Shared>, uri: Uri) -> Response {
    let path = uri.path().to_owned();
    blocking(move || {
        let kind = match path.rsplit('.').next() {
            Some("css") => "text/css",
            Some("svg") => "image/svg+xml",
            Some("png") => "image/png",
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("webp") => "image/webp",
            Some("gif") => "image/gif",
            Some("woff2") => "font/woff2",
            Some("ico") => "image/x-icon",
            _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
        };
        let file = s
            .config
            .pages
            .as_deref()
            .and_then(|d| compare::under(d, &path));
        match file.and_then(|f| std::fs::read(f).ok()) {
            Some(bytes) => ([(header::CONTENT_TYPE, kind)], bytes).into_response(),
            None => (StatusCode::NOT_FOUND, "not found").into_response(),
        }
    })
    .await
}

/// The studio's routes over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/campaigns") }))
        .route("/studio.css", get(css))
        .route("/campaigns", get(list))
        .route("/campaigns/{id}", get(edit_get).post(edit_post))
        .route("/compare", get(compare_get))
        .route("/frame", get(frame))
        .route("/personas", post(persona_post))
        .route("/publish", get(publish_get))
        .route("/publish/acknowledge", post(publish_acknowledge))
        .route("/publish/review", post(publish_review))
        .route("/publish/confirm", post(publish_confirm))
        .route("/rollback/review", post(rollback_review))
        .route("/rollback/confirm", post(rollback_confirm))
        .route("/results", get(results_get))
        .route("/results/report", get(results_report))
        .fallback(get(asset))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .with_state(state)
}

/// Serves the studio on `addr` until the process ends; `ready` gets the URL once listening.
pub fn serve(
    config: Config,
    backend: Box<dyn Backend>,
    addr: SocketAddr,
    ready: impl FnOnce(&str),
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let bound = listener.local_addr()?;
        let origin = format!("http://{bound}");
        let mut hosts = vec![bound.to_string()];
        if bound.ip().is_loopback() {
            hosts.push(format!("localhost:{}", bound.port()));
        }
        let state = Arc::new(AppState {
            config,
            backend,
            origin: origin.clone(),
            hosts,
            sessions: Mutex::new(Default::default()),
        });
        ready(&origin);
        axum::serve(listener, router(state)).await?;
        Ok(())
    })
}
