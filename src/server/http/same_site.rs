//! Cross-site request forgery: a state-changing request (anything but GET,
//! HEAD, OPTIONS) that carries the session cookie must come from this
//! site's own pages (`Site::same_site`); otherwise 403 `cross-site`, before
//! any handler or server function runs. The cookie is also `SameSite=Lax`,
//! so browsers leave it off most cross-site requests anyway: this is the
//! second lock on the door, and the one that does not depend on the browser.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ErrorCode;
use crate::server::credentials::Site;
use crate::server::error::Error;

pub(crate) async fn refuse_cross_site(
    State(site): State<Site>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    // Signing in (or making the first admin) is guarded even without a
    // cookie: see `Site::sign_in_from_here`.
    let signs_in = matches!(request.uri().path(), "/api/login" | "/api/complete_setup");
    let from_here = site.same_site(request.headers())
        && (!signs_in || site.sign_in_from_here(request.headers()));
    if safe || from_here {
        return next.run(request).await;
    }
    tracing::warn!(
        method = %request.method(),
        path = request.uri().path(),
        "refused a state-changing request from another site"
    );
    Error::Protocol {
        status: StatusCode::FORBIDDEN,
        code: ErrorCode::CrossSite,
        message: "This request came from another site, so it was refused. Use Reel's own pages."
            .to_string(),
    }
    .into_response()
}
