use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use pingyi::auth::Role;
use pingyi_tests::{PASSWORD, TEST_SECRET, problem, spawn_app};
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
    let valid = forged(&claims(json!({})), TEST_SECRET, Algorithm::HS256);
    assert_eq!(app.get("/api/v1/units", &valid).await.status(), 200, "the forging itself is right");
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
