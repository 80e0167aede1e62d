use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use pingyi::auth::Role;
use pingyi_tests::{PASSWORD, TEST_SECRET, problem, spawn_app, subject_of};
use reqwest::Method;
use serde_json::{Value, json};

fn forged(claims: &Value, secret: &[u8], algorithm: Algorithm) -> String {
    encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn claims(overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"sub": uuid::Uuid::new_v4().to_string(), "role": "admin", "iss": "pingyi", "aud": "pingyi-api", "iat": now, "nbf": now, "exp": now + 600});
    for (key, value) in overrides.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(key);
        } else {
            claims[key] = value.clone();
        }
    }
    claims
}

#[tokio::test]
async fn a_password_grant_returns_a_short_lived_bearer_token() {
    let app = spawn_app().await;
    app.create_account("office", Role::Admin, None).await;
    let body = json!({"grant_type": "password", "username": "office", "password": PASSWORD});
    let response = app.request(Method::POST, "/api/v1/auth/token", None, Some(&body)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let token: Value = response.json().await.unwrap();
    assert_eq!(
        (token["token_type"].as_str(), token["expires_in"].as_i64(), token["role"].as_str()),
        (Some("Bearer"), Some(900), Some("admin"))
    );
    let units = app.get("/api/v1/units", token["access_token"].as_str().unwrap()).await;
    assert_eq!(units.status(), 200);
}

#[tokio::test]
async fn wrong_credentials_get_the_same_401() {
    let app = spawn_app().await;
    app.create_account("office", Role::Admin, None).await;
    for (username, password) in [("office", "wrong password!"), ("nobody", PASSWORD)] {
        let body = json!({"grant_type": "password", "username": username, "password": password});
        let p = problem(app.request(Method::POST, "/api/v1/auth/token", None, Some(&body)).await, 401).await;
        assert_eq!(p["detail"], "unknown username or wrong password");
    }
    let unknown_grant = json!({"grant_type": "magic", "username": "office", "password": PASSWORD});
    problem(app.request(Method::POST, "/api/v1/auth/token", None, Some(&unknown_grant)).await, 422).await;
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused() {
    let app = spawn_app().await;
    let no_token = app.request(Method::GET, "/api/v1/units", None, None).await;
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    problem(no_token, 401).await;
    let cases = [
        (
            "expired",
            forged(&claims(json!({"exp": chrono::Utc::now().timestamp() - 120})), TEST_SECRET, Algorithm::HS256),
        ),
        ("wrong audience", forged(&claims(json!({"aud": "someone-else"})), TEST_SECRET, Algorithm::HS256)),
        ("no audience", forged(&claims(json!({"aud": null})), TEST_SECRET, Algorithm::HS256)),
        ("no issuer", forged(&claims(json!({"iss": null})), TEST_SECRET, Algorithm::HS256)),
        ("no subject", forged(&claims(json!({"sub": null})), TEST_SECRET, Algorithm::HS256)),
        (
            "not yet valid",
            forged(&claims(json!({"nbf": chrono::Utc::now().timestamp() + 600})), TEST_SECRET, Algorithm::HS256),
        ),
        ("wrong signature", forged(&claims(json!({})), b"another-secret-that-is-also-32-bytes-long", Algorithm::HS256)),
        ("other algorithm", forged(&claims(json!({})), TEST_SECRET, Algorithm::HS512)),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (case, token) in cases {
        let response = app.get("/api/v1/units", &token).await;
        assert_eq!(response.status(), 401, "{case}");
    }
    let real = app.admin().await;
    let valid = forged(&claims(json!({"sub": subject_of(&real)})), TEST_SECRET, Algorithm::HS256);
    assert_eq!(app.get("/api/v1/units", &valid).await.status(), 200, "the forging itself is right");
    let nobody = forged(&claims(json!({})), TEST_SECRET, Algorithm::HS256);
    assert_eq!(app.get("/api/v1/units", &nobody).await.status(), 401, "a token must name an account that exists");
}

#[tokio::test]
async fn roles_other_than_admin_cannot_write() {
    let app = spawn_app().await;
    let observer = app.token(Role::Observer, None).await;
    let body = json!({"code": "x", "name": "X", "category": "government", "kind": "department"});
    let p = problem(app.post("/api/v1/units", &observer, &body).await, 403).await;
    assert!(p["detail"].as_str().unwrap().contains("observer"));
    problem(app.get("/api/v1/accounts", &observer).await, 403).await;
    assert_eq!(app.count("units").await, 0);
}

#[tokio::test]
async fn accounts_need_the_right_unit_link_and_unique_names() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let ok = json!({"username": "staff", "password": PASSWORD, "role": "unit", "unit_id": unit});
    let created = app.created("/api/v1/accounts", &admin, &ok).await;
    assert_eq!(created["role"], "unit");
    assert!(created.get("password_hash").is_none() && created.get("password").is_none());
    problem(app.post("/api/v1/accounts", &admin, &ok).await, 409).await;
    let no_unit = json!({"username": "staff2", "password": PASSWORD, "role": "unit"});
    assert_eq!(
        pingyi_tests::fields(&problem(app.post("/api/v1/accounts", &admin, &no_unit).await, 422).await),
        ["unit_id"]
    );
    let short = json!({"username": "staff3", "password": "short", "role": "observer"});
    assert_eq!(
        pingyi_tests::fields(&problem(app.post("/api/v1/accounts", &admin, &short).await, 422).await),
        ["password"]
    );
    let listed: Value = app.get("/api/v1/accounts", &admin).await.json().await.unwrap();
    assert_eq!(listed["total"], 2);
}

async fn sign_in(app: &pingyi_tests::TestApp, username: &str, password: &str) -> reqwest::Response {
    let body = json!({"grant_type": "password", "username": username, "password": password});
    app.request(Method::POST, "/api/v1/auth/token", None, Some(&body)).await
}

#[tokio::test]
async fn a_disabled_or_deleted_accounts_tokens_fail_at_their_next_request() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_account("clerk", Role::Observer, None).await;
    let token = app.login("clerk").await;
    let id = subject_of(&token);
    assert_eq!(app.get("/api/v1/units", &token).await.status(), 200);

    let disabled = app.created(&format!("/api/v1/accounts/{id}/disable"), &admin, &json!({})).await;
    assert!(disabled["disabled_at"].is_string());
    let refused = problem(app.get("/api/v1/units", &token).await, 401).await;
    assert!(refused["detail"].as_str().unwrap().contains("disabled"), "{refused}");
    let refused = problem(sign_in(&app, "clerk", PASSWORD).await, 401).await;
    assert!(refused["detail"].as_str().unwrap().contains("disabled"), "who knows the password is told why");
    problem(sign_in(&app, "clerk", "not the password").await, 401).await;

    app.created(&format!("/api/v1/accounts/{id}/enable"), &admin, &json!({})).await;
    assert_eq!(app.get("/api/v1/units", &token).await.status(), 401, "enabling does not revive old tokens");
    let token = app.login("clerk").await;
    assert_eq!(app.get("/api/v1/units", &token).await.status(), 200);

    let deleted = app.request(Method::DELETE, &format!("/api/v1/accounts/{id}"), Some(&admin), None).await;
    assert_eq!(deleted.status(), 204);
    problem(app.get("/api/v1/units", &token).await, 401).await;
    problem(app.get(&format!("/api/v1/accounts/{id}"), &admin).await, 404).await;
    for action in ["account.disabled", "account.enabled", "account.deleted"] {
        assert_eq!(app.audited(action, &id).await, 1, "{action}");
    }
}

#[tokio::test]
async fn a_reset_password_only_lets_its_holder_choose_a_new_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_account("clerk", Role::Observer, None).await;
    let old_token = app.login("clerk").await;
    let id = subject_of(&old_token);

    let reset = app.created(&format!("/api/v1/accounts/{id}/password-reset"), &admin, &json!({})).await;
    let one_time = reset["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!((one_time.len(), reset["account"]["must_change_password"].as_bool()), (20, Some(true)));
    problem(app.get("/api/v1/units", &old_token).await, 401).await;
    problem(sign_in(&app, "clerk", PASSWORD).await, 401).await;

    let token: Value = sign_in(&app, "clerk", &one_time).await.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let refused = problem(app.get("/api/v1/units", &token).await, 403).await;
    assert!(refused["detail"].as_str().unwrap().contains("/api/v1/auth/password"), "{refused}");

    let wrong = json!({"current_password": "not it at all", "new_password": "a fresh long passphrase"});
    let refused = problem(app.post("/api/v1/auth/password", &token, &wrong).await, 422).await;
    assert_eq!(pingyi_tests::fields(&refused), ["current_password"]);
    let short = json!({"current_password": one_time, "new_password": "short"});
    assert_eq!(
        pingyi_tests::fields(&problem(app.post("/api/v1/auth/password", &token, &short).await, 422).await),
        ["new_password"]
    );
    let change = json!({"current_password": one_time, "new_password": "a fresh long passphrase"});
    assert_eq!(app.post("/api/v1/auth/password", &token, &change).await.status(), 204);
    problem(app.get("/api/v1/units", &token).await, 401).await;
    problem(sign_in(&app, "clerk", &one_time).await, 401).await;
    let token: Value = sign_in(&app, "clerk", "a fresh long passphrase").await.json().await.unwrap();
    assert_eq!(app.get("/api/v1/units", token["access_token"].as_str().unwrap()).await.status(), 200);
    assert_eq!(app.audited("account.password_reset", &id).await, 1);
    assert_eq!(app.audited("account.password_changed", &id).await, 1);
}

#[tokio::test]
async fn the_last_enabled_admin_cannot_be_shut() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = subject_of(&admin);
    problem(app.post(&format!("/api/v1/accounts/{id}/disable"), &admin, &json!({})).await, 409).await;
    problem(app.request(Method::DELETE, &format!("/api/v1/accounts/{id}"), Some(&admin), None).await, 409).await;
    let other = app.admin().await;
    app.created(&format!("/api/v1/accounts/{id}/disable"), &other, &json!({})).await;
    let other_id = subject_of(&other);
    problem(app.post(&format!("/api/v1/accounts/{other_id}/disable"), &other, &json!({})).await, 409).await;
}

#[tokio::test]
async fn password_guessing_is_slowed_without_locking_the_user_out() {
    let app = pingyi_tests::spawn_app_with(|settings| settings.trusted_proxies = "127.0.0.1".parse().unwrap()).await;
    app.create_account("office", Role::Admin, None).await;
    let from = |address: &str, password: &str| {
        let body = json!({"grant_type": "password", "username": "office", "password": password});
        app.client.post(app.url("/api/v1/auth/token")).header("x-forwarded-for", address).json(&body).send()
    };
    assert_eq!(from("192.0.2.10", PASSWORD).await.unwrap().status(), 200, "the office signs in from its network");
    let attacker = "203.0.113.9";
    for _ in 0..5 {
        assert_eq!(from(attacker, "a wrong guess!").await.unwrap().status(), 401);
    }
    assert_eq!(from(attacker, "a wrong guess!").await.unwrap().status(), 401, "a sixth guess is still checked");
    let held = from(attacker, PASSWORD).await.unwrap();
    assert_eq!(held.status(), 429, "held, even with the right password");
    let wait: u64 = held.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");

    // Strangers guessing from many addresses hold the account for other strangers, not for
    // the office's own address.
    for n in 0..25 {
        from(&format!("198.51.100.{n}"), "a wrong guess!").await.unwrap();
    }
    assert_eq!(from("198.51.100.200", PASSWORD).await.unwrap().status(), 429);
    assert_eq!(from("192.0.2.10", PASSWORD).await.unwrap().status(), 200);
}
