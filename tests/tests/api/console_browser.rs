//! A browser of the console for HTTP tests: no redirects followed, cookies kept by hand.

use pingyi::auth::Role;
use pingyi_tests::TestApp;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Response};
use uuid::Uuid;

/// A browser of the console: follows no redirects and keeps its cookies by hand, so that
/// each step can be looked at.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: Client,
    cookies: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { app, client, cookies: Vec::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// Keeps what the response sets, drops what it clears.
    fn keep_cookies(&mut self, response: &Response) {
        for set in response.headers().get_all(SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Response {
        let response = self
            .client
            .get(format!("{}{path}", self.app.address))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let pairs: Vec<(String, String)> = form.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.post_pairs(path, &pairs).await
    }

    pub(crate) async fn post_pairs(&mut self, path: &str, form: &[(String, String)]) -> Response {
        let response = self
            .client
            .post(format!("{}{path}", self.app.address))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    /// Sends a form with a file, as a browser does (`multipart/form-data`).
    pub(crate) async fn upload(&mut self, path: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Response {
        self.upload_as(path, fields, "file", file).await
    }

    /// Sends a form with a file in the field `field`.
    pub(crate) async fn upload_as(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        field: &str,
        file: (&str, &[u8]),
    ) -> Response {
        let boundary = "----pingyi-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
            );
        }
        let (name, bytes) = file;
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .bytes(),
        );
        body.extend(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let response = self
            .client
            .post(format!("{}{path}", self.app.address))
            .header(COOKIE, self.cookie_header())
            .header(reqwest::header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    /// The value of the hidden `csrf` field of the page at `path`.
    pub(crate) async fn form_token(&mut self, path: &str) -> String {
        let page = self.get(path).await.text().await.unwrap();
        let start = page.find("name=\"csrf\" value=\"").expect("a form token") + "name=\"csrf\" value=\"".len();
        page[start..start + 64].to_owned()
    }

    pub(crate) async fn sign_in(&mut self, username: &str, password: &str) -> Response {
        let csrf = self.form_token("/console/sign-in").await;
        self.post("/console/sign-in", &[("csrf", &csrf), ("username", username), ("password", password)]).await
    }
}

pub(crate) fn location(response: &Response) -> &str {
    response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

pub(crate) async fn account(app: &TestApp, role: Role) -> String {
    let username = format!("{}-{}", role.as_str(), &Uuid::new_v4().simple().to_string()[..8]);
    app.create_account(&username, role, None).await;
    username
}
