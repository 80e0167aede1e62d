use pingyi_tests::{fields, problem, spawn_app};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn health_and_readiness_answer_ok() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    }
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let app = spawn_app().await;
    problem(app.client.get(app.url("/no/such/route")).send().await.unwrap(), 404).await;
    let wrong_method = app.client.delete(app.url("/api/v1/units")).send().await.unwrap();
    assert_eq!(wrong_method.headers()["allow"], "GET, HEAD, POST");
    problem(wrong_method, 405).await;
    // A name beside an id parameter is not taken for an id.
    let beside_an_id = app.client.put(app.url("/api/v1/units/import")).send().await.unwrap();
    assert_eq!(beside_an_id.headers()["allow"], "POST");
    problem(beside_an_id, 405).await;
}

#[tokio::test]
async fn malformed_bodies_paths_and_queries_are_problems() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let broken = app
        .client
        .post(app.url("/api/v1/units"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"code\":")
        .send()
        .await
        .unwrap();
    problem(broken, 400).await;
    let not_json = app.client.post(app.url("/api/v1/units")).bearer_auth(&admin).body("code=x").send().await.unwrap();
    problem(not_json, 400).await;
    problem(app.get("/api/v1/units/not-a-uuid", &admin).await, 404).await;
    problem(app.get("/api/v1/units?limit=-1", &admin).await, 400).await;
    let too_many = problem(app.get("/api/v1/units?limit=201", &admin).await, 422).await;
    assert_eq!(too_many["errors"][0]["field"], "limit");
    let huge = problem(app.get("/api/v1/units?offset=99999999999999999999999", &admin).await, 400).await;
    assert!(huge["detail"].as_str().unwrap().contains("query"));
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = json!({"code": "big", "name": "x".repeat(300 * 1024), "category": "government", "kind": "department"});
    problem(app.post("/api/v1/units", &admin, &body).await, 413).await;
    assert_eq!(app.count("units").await, 0);
    assert_eq!(app.count("campaigns").await, 0);
}

/// Sends a request head announcing a 100-byte JSON body, then `parts` of it with `pause` in
/// between; returns what the server answered (it closes the connection after a 408).
async fn send_slowly(address: &str, parts: &[&str], pause: std::time::Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address.trim_start_matches("http://")).await.unwrap();
    let head = "POST /api/v1/public/surveys/nope/responses HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    for part in parts {
        tokio::time::sleep(pause).await;
        // The server may already have answered and closed.
        let _ = stream.write_all(part.as_bytes()).await;
    }
    let mut answer = String::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_string(&mut answer))
        .await
        .expect("the server answers and closes the connection")
        .unwrap();
    answer
}

/// A body that trickles in is cut off at the deadline with a 408 (and the connection closed);
/// one that arrives in pieces but within the deadline is read as usual.
#[tokio::test]
async fn a_body_that_arrives_too_slowly_is_refused_with_408() {
    let app = pingyi_tests::spawn_app_with(|s| s.body_timeout = std::time::Duration::from_secs(1)).await;
    let started = std::time::Instant::now();
    let late = send_slowly(&app.address, &["{\"submission_id\":", " \"1"], std::time::Duration::from_millis(700)).await;
    assert!(late.starts_with("HTTP/1.1 408"), "{late}");
    assert!(late.contains("application/problem+json") && late.contains("request-timeout"), "{late}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "answered at the deadline, not later");

    let body = format!("{{\"submission_id\": \"{}\", \"answers\": {{}}}}", uuid::Uuid::new_v4());
    let padded = format!("{body:<100}");
    let (first, second) = padded.split_at(50);
    let in_time = send_slowly(&app.address, &[first, second], std::time::Duration::from_millis(300)).await;
    assert!(in_time.starts_with("HTTP/1.1 404"), "the body was read and the unknown link reported: {in_time}");
}

/// Every error response in the OpenAPI document shows an example of its own status, and every
/// list is a page (`items`, `total`, `limit`, `offset`).
#[test]
fn the_documents_examples_match_their_statuses_and_lists_are_pages() {
    let document = serde_json::to_value(pingyi::app::openapi()).unwrap();
    let mut examples = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let example = &response["content"]["application/problem+json"]["example"];
                if !example.is_null() {
                    examples += 1;
                    assert_eq!(example["status"].to_string(), *status, "{method} {path} {status}");
                }
                // The audit log pages by cursor (`after`), as the API guide says.
                let schema = &response["content"]["application/json"]["schema"];
                if method == "get" && status == "200" && path != "/api/v1/audit" {
                    assert_ne!(schema["type"], "array", "{method} {path} returns a bare array");
                }
            }
        }
    }
    assert!(examples > 500, "{examples} error examples");
}

#[tokio::test]
async fn the_served_openapi_document_matches_the_committed_copy() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: serde_json::Value = response.json().await.unwrap();
    let committed_text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json")).unwrap();
    let committed: serde_json::Value = serde_json::from_str(&committed_text).unwrap();
    assert_eq!(served, committed, "regenerate with `cargo run -p pingyi-openapi` and commit openapi/openapi.json");
    assert_eq!(
        committed_text,
        pingyi::http::openapi::render_openapi().unwrap(),
        "the committed file is not formatted as generated"
    );
    assert_eq!(served["openapi"], "3.1.0");
}

#[tokio::test]
async fn every_operation_is_documented_with_examples_on_bodies() {
    let spec = pingyi::app::openapi();
    let spec = serde_json::to_value(&spec).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 20);
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            assert!(
                operation["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
            if let Some(schema_ref) = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            {
                let name = schema_ref.rsplit('/').next().unwrap();
                let schema = &spec["components"]["schemas"][name];
                assert!(
                    schema.get("example").is_some() || schema.get("examples").is_some(),
                    "{method} {path}: {name} has no example"
                );
            }
        }
    }
}

#[tokio::test]
async fn swagger_ui_is_served_without_a_cdn() {
    let app = spawn_app().await;
    let response = app.request(Method::GET, "/docs/", None, None).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger-ui"));
    assert!(!html.contains("unpkg.com") && !html.contains("cdn."), "assets must be vendored");
    let initializer = app.request(Method::GET, "/docs/swagger-initializer.js", None, None).await;
    assert!(initializer.text().await.unwrap().contains("\"url\": \"/openapi.json\""), "the UI shows our document");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_without_identifiers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let slug = app.link(&admin, questionnaire, unit, "web").await;
    assert_eq!(app.submit(&slug, "satisfied").await.status(), 201);
    assert_eq!(app.client.get(app.url(&format!("/s/{slug}"))).send().await.unwrap().status(), 200);

    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    for expected in [
        r#"pingyi_http_requests_total{method="POST",route="/api/v1/public/surveys/{slug}/responses",status="201"}"#,
        r#"route="/s/{slug}""#,
        r#"pingyi_ingest_responses_total{outcome="stored"}"#,
        "pingyi_ingest_batch_size_bucket",
        r#"pingyi_db_pool_connections{state="max"}"#,
        "pingyi_ingest_queue_depth",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    // SQLite's single write turn, timed by holder; PostgreSQL has none.
    let turn = r#"pingyi_sqlite_write_turn_hold_seconds_count{holder="responses"}"#;
    assert_eq!(text.contains(turn), app.db.get_database_backend() == sea_orm::DbBackend::Sqlite, "{turn}");
    assert!(!text.contains(&slug), "a link's slug is not a label");
    assert!(!text.contains("127.0.0.1"), "no client address");
}

/// Bodies built to break a parser or a database get a 4xx naming what is wrong, and
/// nothing is stored.
#[tokio::test]
async fn hostile_bodies_get_clear_client_errors() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let post = |path: &'static str, body: String| {
        app.client.post(app.url(path)).bearer_auth(&admin).header("content-type", "application/json").body(body).send()
    };
    let unit = |name: &str| format!(r#"{{"code":"x1","name":"{name}","category":"government","kind":"department"}}"#);
    // Nesting far past the parser's recursion limit, inside the size limit: a body that is an
    // array is refused at its first character, and typed fields stop at the first value of the
    // wrong shape, long before any depth is reached.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(fields(&problem(post("/api/v1/units", deep).await.unwrap(), 422).await), ["body"]);
    let deep_field = format!(r#"{{"code":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(fields(&problem(post("/api/v1/units", deep_field).await.unwrap(), 422).await), ["code"]);
    // A lone surrogate is not a character.
    problem(post("/api/v1/units", unit(r"\ud800")).await.unwrap(), 400).await;
    // NUL would be refused by PostgreSQL: it is refused first, naming the field.
    assert_eq!(fields(&problem(post("/api/v1/units", unit(r"a\u0000b")).await.unwrap(), 422).await), ["name"]);
    // A name far past its length limit.
    assert_eq!(fields(&problem(post("/api/v1/units", unit(&"长".repeat(50_000))).await.unwrap(), 422).await), ["name"]);
    // Unknown fields are refused on every write, and named.
    let extra = r#"{"code":"x1","name":"n","category":"government","kind":"department","colour":"red"}"#;
    let refused = problem(post("/api/v1/units", extra.to_owned()).await.unwrap(), 422).await;
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("colour"), "{refused}");
    // A nested object given as the array of its fields (which serde would read in order) is
    // refused at any depth, naming the field.
    let range = r#"{"starts_on":"2030-01-01","ends_on":"2030-02-01"}"#;
    let pair = r#"["2030-01-01","2030-02-01"]"#;
    let campaign = |phases: String| format!(r#"{{"year":2030,"title":"t","phases":{phases}}}"#);
    let as_array = campaign(format!("[{range},{range},{range},{range}]"));
    assert_eq!(fields(&problem(post("/api/v1/campaigns", as_array).await.unwrap(), 422).await), ["phases"]);
    let inner_array =
        campaign(format!(r#"{{"mobilisation":{range},"survey":{pair},"rectification":{range},"assessment":{range}}}"#));
    assert_eq!(fields(&problem(post("/api/v1/campaigns", inner_array).await.unwrap(), 422).await), ["phases.survey"]);
    // A malformed uuid in a body names its field; in a path it is simply not found.
    let account = r#"{"username":"u1","password":"a long passphrase","role":"unit","unit_id":"not-a-uuid"}"#;
    assert_eq!(fields(&problem(post("/api/v1/accounts", account.to_owned()).await.unwrap(), 422).await), ["unit_id"]);
    problem(app.get("/api/v1/units/not-a-uuid", &admin).await, 404).await;
    assert_eq!(app.count("units").await, 0);
    assert_eq!(app.count("campaigns").await, 0);
}
