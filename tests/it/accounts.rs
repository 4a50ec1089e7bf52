//! Accounts over HTTP: signing in and out, sessions and how they end, API
//! tokens, throttled guessing, the one-time setup of the first admin, and
//! cross-site requests refused.

use std::net::IpAddr;

use reqwest::StatusCode;

use crate::common::accounts::{PASSWORD, User, call, code, cookie_client, sign_in, user_id};
use crate::common::shared::local_only;
use crate::common::{ADMIN, ADMIN_PASSWORD, TestServer, bearer_client};
use reel::accounts::Role;

/// Who the server says is asking (`null` for a visitor).
async fn me(client: &reqwest::Client, server: &TestServer) -> serde_json::Value {
    let (status, answer) = call(client, server, "me", &[]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

#[tokio::test]
async fn a_session_lasts_until_sign_out_and_its_cookie_is_guarded() {
    local_only!();
    let server = TestServer::start().await;
    // Wrong passwords and unknown names get the same answer.
    for (name, password) in [(ADMIN, "wrong password"), ("nobody", ADMIN_PASSWORD)] {
        let (status, answer) = call(
            &reqwest::Client::new(),
            &server,
            "login",
            &[("username", name), ("password", password)],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(code(&answer), "sign-in-refused");
    }
    let answer = reqwest::Client::new()
        .post(server.url("/api/login"))
        .form(&[("username", ADMIN), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(answer.status(), StatusCode::OK);
    let set_cookie = answer.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .to_string();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(flag), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let cookie = set_cookie.split(';').next().expect("pair").to_string();
    let browser = cookie_client(&server, &cookie);
    assert_eq!(me(&browser, &server).await["name"], ADMIN);
    assert_eq!(
        me(&reqwest::Client::new(), &server).await,
        serde_json::Value::Null
    );

    // The database keeps neither the password nor the session's secret.
    let database = server.dir.path().join("reel.db");
    let rows = reel::testing::sql_strings(
        &database,
        "SELECT password_hash FROM users UNION ALL SELECT token_hash FROM sessions",
    )
    .await;
    assert!(rows[0].starts_with("$argon2id$"), "{}", rows[0]);
    let secret = cookie.split_once('=').expect("pair").1;
    assert!(
        rows.iter()
            .all(|r| !r.contains(secret) && !r.contains(ADMIN_PASSWORD))
    );

    let (status, _) = call(&browser, &server, "logout", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me(&browser, &server).await, serde_json::Value::Null);
}

#[tokio::test]
async fn changing_a_password_ends_the_other_sessions_and_disabling_ends_all() {
    let server = TestServer::start().await;
    let ana = User::new(&server, "ana", Role::Member).await;
    let elsewhere = cookie_client(
        &server,
        &sign_in(&server, "ana", PASSWORD).await.expect("in"),
    );
    let new_password = "another long password";
    let (status, answer) = call(
        &ana.browser,
        &server,
        "change_password",
        &[("current", PASSWORD), ("new", new_password)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        me(&ana.browser, &server).await["name"],
        "ana",
        "this session stays"
    );
    assert_eq!(
        me(&elsewhere, &server).await,
        serde_json::Value::Null,
        "the other one ended"
    );
    assert_eq!(
        sign_in(&server, "ana", PASSWORD).await,
        Err(StatusCode::UNAUTHORIZED)
    );
    assert!(sign_in(&server, "ana", new_password).await.is_ok());
    // A wrong current password changes nothing.
    let (status, _) = call(
        &ana.browser,
        &server,
        "change_password",
        &[("current", "nope nope"), ("new", "x".repeat(9).as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Disabled: every session and token stops at once, and signing in fails.
    let id = user_id(&server, "ana").await;
    let (status, _) = call(
        &server.client,
        &server,
        "update_user",
        &[("id", &id), ("disabled", "true")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me(&ana.browser, &server).await, serde_json::Value::Null);
    assert_eq!(me(&ana.api, &server).await, serde_json::Value::Null);
    assert_eq!(
        sign_in(&server, "ana", new_password).await,
        Err(StatusCode::UNAUTHORIZED)
    );
    // An admin cannot lock themselves out.
    let own = me(&server.client, &server).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, answer) = call(
        &server.client,
        &server,
        "update_user",
        &[("id", &own), ("role", "viewer")],
    )
    .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::FORBIDDEN, "forbidden")
    );
}

#[tokio::test]
async fn api_tokens_act_for_their_user_until_revoked() {
    let server = TestServer::start().await;
    let ana = User::new(&server, "ana", Role::Member).await;
    let (status, made) = call(
        &ana.browser,
        &server,
        "create_token",
        &[("name", "backup script")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let token = made["token"].as_str().expect("token").to_string();
    let script = bearer_client(&token);
    assert_eq!(me(&script, &server).await["name"], "ana");
    let (_, listed) = call(&ana.browser, &server, "list_tokens", &[]).await;
    assert!(
        listed
            .as_array()
            .expect("list")
            .iter()
            .any(|t| t["name"] == "backup script")
    );
    assert!(
        !listed.to_string().contains(&token),
        "the secret is shown once only"
    );
    let id = made["id"].as_str().expect("id");
    // Only its owner can revoke it.
    let bo = User::new(&server, "bo", Role::Member).await;
    let (status, _) = call(&bo.browser, &server, "revoke_token", &[("id", id)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&ana.browser, &server, "revoke_token", &[("id", id)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me(&script, &server).await, serde_json::Value::Null);
    let answer = script
        .post(server.url("/api/tus"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10")
        .send()
        .await
        .expect("create");
    assert_eq!(
        answer.status(),
        StatusCode::UNAUTHORIZED,
        "a revoked token uploads nothing"
    );
}

/// A client whose requests come from `ip` (any 127.0.0.0/8 address is this machine).
fn from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(ip))
        .build()
        .expect("client")
}

async fn attempt(
    client: &reqwest::Client,
    server: &TestServer,
    name: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(server.url("/api/login"))
        .form(&[("username", name), ("password", password)])
        .send()
        .await
        .expect("login")
}

#[tokio::test]
async fn guessing_passwords_is_slowed_per_account_and_per_address() {
    let server = TestServer::start().await;
    let guesser = from([127, 0, 0, 2]);
    for _ in 0..5 {
        let answer = attempt(&guesser, &server, ADMIN, "a wrong guess").await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits, from that address…
    let answer = attempt(&guesser, &server, ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = answer.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&wait), "{wait}");
    // …but not from the admin's own machine: guessing cannot lock them out,
    // not even a thousand guesses (refused at once, without hashing).
    // (Each wait that runs out lets one more guess be checked, and doubles.)
    let mut checked = 0;
    for _ in 0..1000 {
        let status = attempt(&guesser, &server, ADMIN, "a wrong guess")
            .await
            .status();
        assert!(matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::UNAUTHORIZED
        ));
        checked += usize::from(status == StatusCode::UNAUTHORIZED);
    }
    assert!(checked <= 12, "{checked} of 1000 guesses were checked");
    let answer = attempt(&from([127, 0, 0, 3]), &server, ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::OK);

    // One address guessing many names is stopped too.
    let sprayer = from([127, 0, 0, 4]);
    let mut statuses = Vec::new();
    for n in 0..12 {
        statuses.push(
            attempt(&sprayer, &server, &format!("user{n}"), "a wrong guess")
                .await
                .status(),
        );
    }
    assert!(
        statuses[..10]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

/// A refusal takes as long for a name that does not exist as for one that
/// does (a dummy hash is checked), so timing does not tell which names are
/// real. Medians of alternating attempts, each from its own address.
#[tokio::test]
async fn unknown_and_known_names_are_refused_in_the_same_time() {
    let server = TestServer::start().await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    let mut messages = std::collections::BTreeSet::new();
    for n in 0..9u8 {
        for (name, times) in [(ADMIN, &mut known), ("nobody-here", &mut unknown)] {
            let client = from([127, 0, 1, n * 2 + u8::from(name == ADMIN)]);
            let started = std::time::Instant::now();
            let answer = attempt(&client, &server, name, "a wrong guess").await;
            times.push(started.elapsed());
            assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
            messages.insert(answer.text().await.expect("body"));
        }
    }
    assert_eq!(messages.len(), 1, "one message for both: {messages:?}");
    known.sort();
    unknown.sort();
    let (known, unknown) = (known[4].as_secs_f64(), unknown[4].as_secs_f64());
    let ratio = known.max(unknown) / known.min(unknown);
    assert!(ratio < 1.5, "known {known:.4}s, unknown {unknown:.4}s");
}

#[tokio::test]
async fn the_setup_link_makes_exactly_one_admin() {
    let server = TestServer::start_with(|config| {
        config.admin_user = None;
        config.admin_password = None;
    })
    .await;
    // What the log printed is also in the data directory.
    let token =
        std::fs::read_to_string(server.dir.path().join("setup-token")).expect("setup-token");
    let token = token.trim().to_string();
    let (_, allowed) = call(
        &server.client,
        &server,
        "setup_allowed",
        &[("token", "wrong")],
    )
    .await;
    assert_eq!(allowed, false);
    let (_, allowed) = call(
        &server.client,
        &server,
        "setup_allowed",
        &[("token", &token)],
    )
    .await;
    assert_eq!(allowed, true);
    // Nobody can use the library before: a visitor uploads nothing.
    let answer = server
        .client
        .post(server.url("/api/tus"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "1")
        .send()
        .await
        .expect("tus");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);

    let attempts = (0..10).map(|n| {
        let (server, token) = (&server, token.clone());
        async move {
            let name = format!("admin{n}");
            let form = [
                ("token", token.as_str()),
                ("username", &name),
                ("password", PASSWORD),
            ];
            call(&reqwest::Client::new(), server, "complete_setup", &form)
                .await
                .0
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let made = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(made, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::NOT_FOUND),
        "{statuses:?}"
    );
    let (_, allowed) = call(
        &server.client,
        &server,
        "setup_allowed",
        &[("token", &token)],
    )
    .await;
    assert_eq!(allowed, false, "the link works once");
    assert!(!server.dir.path().join("setup-token").exists());
}

#[tokio::test]
async fn state_changing_requests_from_other_sites_are_refused() {
    let server = TestServer::start().await;
    let cookie = sign_in(&server, ADMIN, ADMIN_PASSWORD).await.expect("in");
    let forged = |origin: &str| {
        reqwest::Client::new()
            .post(server.url("/api/create_token"))
            .header("cookie", cookie.as_str())
            .header("origin", origin)
            .form(&[("name", "forged")])
    };
    let answer = forged("http://evil.test").send().await.expect("post");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(code(&body), "cross-site");
    let answer = forged("null").send().await.expect("post");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let answer = forged(&format!("http://{}", server.addr))
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), StatusCode::OK, "from the site itself");
    // Browsers say where a request comes from: another site is refused.
    let answer = reqwest::Client::new()
        .post(server.url("/api/tus"))
        .header("cookie", cookie.as_str())
        .header("sec-fetch-site", "cross-site")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "1")
        .send()
        .await
        .expect("tus");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    // A multipart upload from another site stores nothing.
    let items = server.hooks.item_count().await;
    let part = reqwest::multipart::Part::bytes(vec![0u8; 64]).file_name("forged.wav");
    let answer = reqwest::Client::new()
        .post(server.url("/api/uploads"))
        .header("cookie", cookie.as_str())
        .header("origin", "http://evil.test")
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_eq!(server.hooks.item_count().await, items);
    // Signing in is guarded without a cookie too: another site cannot sign
    // a visitor in to an account of its choosing. Scripts that send no
    // Origin (as `sign_in` above) still sign in.
    let own = format!("http://{}", server.addr);
    for (origin, expected) in [
        ("http://evil.test", StatusCode::FORBIDDEN),
        (own.as_str(), StatusCode::OK),
    ] {
        let answer = reqwest::Client::new()
            .post(server.url("/api/login"))
            .header("origin", origin)
            .form(&[("username", ADMIN), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .expect("login");
        assert_eq!(answer.status(), expected, "sign-in from {origin}");
    }
    // A token is no ambient credential: another origin may use its own.
    let answer = reqwest::Client::new()
        .post(server.url("/api/me"))
        .bearer_auth(server.admin_token.as_deref().expect("token"))
        .header("origin", "http://tools.test")
        .send()
        .await
        .expect("me");
    assert_eq!(answer.status(), StatusCode::OK);
    let (_, tokens) = call(&server.client, &server, "list_tokens", &[]).await;
    let forged = tokens
        .as_array()
        .expect("list")
        .iter()
        .filter(|t| t["name"] == "forged")
        .count();
    assert_eq!(forged, 1, "only the same-site request made a token");
}
