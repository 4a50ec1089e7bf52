//! Users for tests: made through the hooks, signed in over HTTP (a session
//! cookie, as a browser has) or with an API token.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

use super::{TestServer, bearer_client};
use reel::accounts::Role;

pub(crate) const PASSWORD: &str = "a long enough password";

/// A signed-in test user.
pub(crate) struct User {
    /// Sends the session cookie and this site's `Origin`, as a page does.
    pub browser: reqwest::Client,
    /// Sends an API token.
    pub api: reqwest::Client,
}

/// Signs in over HTTP; the `Set-Cookie` value (`reel_session=…`).
pub(crate) async fn sign_in(
    server: &TestServer,
    name: &str,
    password: &str,
) -> Result<String, StatusCode> {
    sign_in_at(&format!("http://{}", server.addr), name, password).await
}

/// Signs in at the server at `origin` (`http://host:port`).
pub(crate) async fn sign_in_at(
    origin: &str,
    name: &str,
    password: &str,
) -> Result<String, StatusCode> {
    let answer = reqwest::Client::new()
        .post(format!("{origin}/api/login"))
        .form(&[("username", name), ("password", password)])
        .send()
        .await
        .expect("login");
    if answer.status() != StatusCode::OK {
        return Err(answer.status());
    }
    let cookie = answer
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .expect("text")
        .split(';')
        .next()
        .expect("name=value")
        .to_string();
    Ok(cookie)
}

/// A client that sends `cookie`, and the site's own `Origin` on every request.
pub(crate) fn cookie_client(server: &TestServer, cookie: &str) -> reqwest::Client {
    cookie_client_at(&format!("http://{}", server.addr), cookie)
}

/// A client that sends `cookie` and `origin` as its `Origin` on every request.
pub(crate) fn cookie_client_at(origin: &str, cookie: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        HeaderValue::from_str(cookie).expect("cookie"),
    );
    headers.insert(
        reqwest::header::ORIGIN,
        HeaderValue::from_str(origin).expect("origin"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

impl User {
    /// Makes a user with `role` and signs them in both ways.
    pub(crate) async fn new(server: &TestServer, name: &str, role: Role) -> Self {
        server.hooks.add_user(name, PASSWORD, role).await;
        Self::existing(server, name, PASSWORD).await
    }

    /// Signs in a user that exists.
    pub(crate) async fn existing(server: &TestServer, name: &str, password: &str) -> Self {
        let cookie = sign_in(server, name, password).await.expect("signed in");
        let token = server.hooks.token_for(name).await;
        User {
            browser: cookie_client(server, &cookie),
            api: bearer_client(&token),
        }
    }
}

/// Calls a server function with a form body; the status and the JSON answer.
pub(crate) async fn call(
    client: &reqwest::Client,
    server: &TestServer,
    function: &str,
    form: &[(&str, &str)],
) -> (StatusCode, serde_json::Value) {
    let request = client.post(server.url(&format!("/api/{function}")));
    answer(request.form(form)).await
}

/// The status and JSON of an answer (its text as a JSON string when it is
/// not JSON).
async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, serde_json::Value) {
    let answer = request.send().await.expect("server function");
    let status = answer.status();
    let text = answer.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// Calls a server function that takes JSON (`input = Json`).
pub(crate) async fn call_json(
    client: &reqwest::Client,
    server: &TestServer,
    function: &str,
    body: &serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let request = client.post(server.url(&format!("/api/{function}")));
    answer(request.json(body)).await
}

/// The error code of a refusal (`"not-found"`, …).
pub(crate) fn code(answer: &serde_json::Value) -> &str {
    answer["code"].as_str().unwrap_or("")
}

/// The id of the user called `name`, as the admin's users page lists it.
pub(crate) async fn user_id(server: &TestServer, name: &str) -> String {
    let (_, users) = call(&server.client, server, "list_users", &[]).await;
    users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("no user {name}"))["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// Uploads `bytes` as `tone.wav` through `/api/uploads` with `client`, with
/// the given visibility (or the default, private); the created item.
pub(crate) async fn upload_as(
    client: &reqwest::Client,
    server: &TestServer,
    bytes: Vec<u8>,
    visibility: Option<reel::accounts::Visibility>,
) -> reel::model::UploadResponse {
    let mut form = reqwest::multipart::Form::new();
    if let Some(visibility) = visibility {
        form = form.text("visibility", visibility.as_str());
    }
    let form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("tone.wav"),
    );
    let answer = client
        .post(server.url("/api/uploads"))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(answer.status(), StatusCode::CREATED);
    answer.json().await.expect("json")
}
