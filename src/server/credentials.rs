//! Who a request comes from, read the same way by every edge (the router's
//! handlers, the server functions, the direct byte path): the session
//! cookie, an `Authorization: Bearer` token, and a byte URL's `sig`. Also
//! what the site's address decides: the cookie's name and flags, the
//! client's address, and whether a request comes from this site (CSRF).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

use crate::server::config::Config;
use crate::server::service::Credentials;

/// The session cookie over plain HTTP.
pub(crate) const SESSION_COOKIE: &str = "reel_session";
/// The session cookie when the site is HTTPS: the `__Host-` prefix makes
/// browsers refuse it unless it is `Secure`, host-only and for `/`.
pub(crate) const SECURE_SESSION_COOKIE: &str = "__Host-reel_session";

/// The credentials in a request's headers.
pub(crate) fn credentials_of(headers: &HeaderMap) -> Credentials {
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        })
        .filter(|t| !t.is_empty());
    let session = cookie(headers, SECURE_SESSION_COOKIE)
        .or_else(|| cookie(headers, SESSION_COOKIE))
        .map(str::to_string);
    Credentials { session, bearer }
}

/// A cookie's value from the `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v)
}

/// A query parameter's raw value (`sig` values need no decoding).
pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// What the site's address and settings decide for every request.
#[derive(Clone, Debug)]
pub(crate) struct Site {
    /// `scheme://host[:port]` of the public address, when one is set.
    origin: Option<String>,
    secure: bool,
    trust_forwarded: bool,
    session_lifetime: Duration,
}

impl Site {
    pub(crate) fn new(config: &Config, session_lifetime: Duration) -> Self {
        let origin = config
            .public_url
            .as_deref()
            .map(|url| url.trim_end_matches('/').to_string());
        Site {
            secure: origin.as_deref().is_some_and(|o| o.starts_with("https://")),
            origin,
            trust_forwarded: config.trust_forwarded,
            session_lifetime,
        }
    }

    fn cookie_name(&self) -> &'static str {
        if self.secure {
            SECURE_SESSION_COOKIE
        } else {
            SESSION_COOKIE
        }
    }

    /// `Set-Cookie` for a new session: not readable by scripts, not sent
    /// with other sites' requests (but sent when a link is followed here).
    pub(crate) fn session_cookie(&self, secret: &str) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let value = format!(
            "{}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            self.cookie_name(),
            self.session_lifetime.as_secs()
        );
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// `Set-Cookie` that ends the session cookie in the browser.
    pub(crate) fn clear_session_cookie(&self) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let value = format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
            self.cookie_name()
        );
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The client's address: the peer's, or behind a trusted proxy the
    /// last address it put in `X-Forwarded-For`.
    pub(crate) fn client_ip(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> IpAddr {
        let forwarded = || {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .last()
                .and_then(|ip| ip.trim().parse().ok())
        };
        let fallback = IpAddr::from([0, 0, 0, 0]);
        if self.trust_forwarded {
            forwarded().or(peer.map(|p| p.ip())).unwrap_or(fallback)
        } else {
            peer.map_or(fallback, |p| p.ip())
        }
    }

    /// Whether a state-changing request may be trusted to come from this
    /// site's own pages. Requests that carry no cookie (API clients with a
    /// bearer token, or none) cannot ride on a user's session and pass.
    /// Otherwise the browser must say same-origin (`Sec-Fetch-Site`), or the
    /// `Origin` must be this site's (the public address, else `Host`).
    pub(crate) fn same_site(&self, headers: &HeaderMap) -> bool {
        let credentials = credentials_of(headers);
        if credentials.session.is_none() || credentials.bearer.is_some() {
            return true;
        }
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        match self.says_browser(headers) {
            Some(here) => here,
            // Browsers old enough to send neither: only `Referer` is left.
            None => text("referer").is_some_and(|r| self.is_own(r)),
        }
    }

    /// Whether a sign-in may go on: it carries no cookie yet, but a page on
    /// another site must not sign a visitor in to an account of its choice
    /// (login CSRF). A browser says where the request comes from; clients
    /// that say nothing (scripts, curl) are not browsers and pass.
    pub(crate) fn sign_in_from_here(&self, headers: &HeaderMap) -> bool {
        self.says_browser(headers).unwrap_or(true)
    }

    /// What the browser's `Sec-Fetch-Site` or `Origin` says: whether the
    /// request comes from this site; `None` when it sends neither.
    fn says_browser(&self, headers: &HeaderMap) -> Option<bool> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(site) = text("sec-fetch-site") {
            return Some(matches!(site, "same-origin" | "none"));
        }
        let origin = text("origin")?;
        Some(
            self.is_own(origin) && origin.matches('/').count() == 2
                || self.origin.is_none() && host_matches(origin, text("host")),
        )
    }

    /// Whether `url` starts with this site's public origin.
    fn is_own(&self, url: &str) -> bool {
        match &self.origin {
            Some(origin) => {
                url == origin
                    || url
                        .strip_prefix(origin.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            }
            None => false,
        }
    }
}

/// Whether `origin` (`scheme://host[:port]`) names the `Host` asked.
fn host_matches(origin: &str, host: Option<&str>) -> bool {
    let Some(host) = host else { return false };
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("value"));
        }
        map
    }

    fn site(public_url: Option<&str>) -> Site {
        let mut config = Config::with_data_dir("/nonexistent");
        config.public_url = public_url.map(str::to_string);
        Site::new(&config, Duration::from_secs(60))
    }

    #[test]
    fn reads_the_cookie_and_the_bearer_token() {
        let h = headers(&[
            ("cookie", "a=1; reel_session=abc; b=2"),
            ("authorization", "Bearer reel_xyz"),
        ]);
        let c = credentials_of(&h);
        assert_eq!(c.session.as_deref(), Some("abc"));
        assert_eq!(c.bearer.as_deref(), Some("reel_xyz"));
        let h = headers(&[
            ("cookie", "__Host-reel_session=s"),
            ("authorization", "Basic x"),
        ]);
        let c = credentials_of(&h);
        assert_eq!((c.session.as_deref(), c.bearer), (Some("s"), None));
        assert_eq!(
            query_param(Some("download&sig=1.0.x"), "sig"),
            Some("1.0.x")
        );
        assert_eq!(query_param(Some("signature=2"), "sig"), None);
    }

    #[test]
    fn cross_site_requests_with_a_cookie_are_refused() {
        let local = site(None);
        let with = |extra: &[(&'static str, &str)]| {
            let mut pairs = vec![("cookie", "reel_session=s"), ("host", "reel.test:3000")];
            pairs.extend_from_slice(extra);
            headers(&pairs)
        };
        assert!(local.same_site(&with(&[("sec-fetch-site", "same-origin")])));
        assert!(!local.same_site(&with(&[("sec-fetch-site", "cross-site")])));
        assert!(!local.same_site(&with(&[("sec-fetch-site", "same-site")])));
        assert!(local.same_site(&with(&[("origin", "http://reel.test:3000")])));
        assert!(!local.same_site(&with(&[("origin", "http://evil.test")])));
        assert!(!local.same_site(&with(&[("origin", "null")])));
        assert!(!local.same_site(&with(&[])), "no origin, no referer");
        // Without a cookie there is no session to ride on.
        assert!(local.same_site(&headers(&[("origin", "http://evil.test")])));
        let public = site(Some("https://media.example.org/"));
        assert!(public.same_site(&with(&[("origin", "https://media.example.org")])));
        assert!(!public.same_site(&with(&[("origin", "https://media.example.org.evil")])));
        assert!(public.same_site(&with(&[("referer", "https://media.example.org/x")])));
        assert!(!public.same_site(&with(&[("referer", "https://media.example.org.evil/")])));
        assert!(
            public
                .session_cookie("s")
                .to_str()
                .unwrap()
                .starts_with("__Host-reel_session=s")
        );
        assert!(
            public
                .session_cookie("s")
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );
    }
}
