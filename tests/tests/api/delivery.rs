//! How responses travel: compressed when asked, tagged for conditional reads, answering
//! HEAD, and pages that run only their own inline style and script.

use pingyi_tests::{TestApp, spawn_app};
use reqwest::Method;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, IF_NONE_MATCH};

async fn with_link() -> (TestApp, String) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let slug = app.link(&admin, questionnaire, unit, "window_qr").await;
    (app, slug)
}

#[tokio::test]
async fn pages_and_json_are_compressed_when_the_client_asks() {
    let (app, slug) = with_link().await;
    let page = |encoding: &'static str| {
        app.client.get(app.url(&format!("/s/{slug}"))).header(ACCEPT_ENCODING, encoding).send()
    };
    let plain = page("identity").await.unwrap();
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    let plain = plain.text().await.unwrap();

    // The answer page is gzipped once per link and language, each view with its own id.
    let gzip = page("gzip, deflate, br").await.unwrap();
    assert_eq!(gzip.headers()[CONTENT_ENCODING], "gzip");
    assert!(gzip.headers()["vary"].to_str().unwrap().contains("accept-encoding"));
    let compressed = gzip.bytes().await.unwrap();
    let mut unpacked = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&compressed[..]), &mut unpacked).unwrap();
    assert!(compressed.len() * 2 < unpacked.len(), "{} → {}", unpacked.len(), compressed.len());
    assert_eq!(unpacked.len(), plain.len(), "the same page, with its own submission id");
    assert_ne!(unpacked, plain);

    // Other bodies are compressed as they go, brotli first.
    let questionnaire = format!("/api/v1/public/surveys/{slug}");
    let brotli = app.client.get(app.url(&questionnaire)).header(ACCEPT_ENCODING, "gzip, br").send().await.unwrap();
    assert_eq!(brotli.headers()[CONTENT_ENCODING], "br");
    let compressed = brotli.bytes().await.unwrap();
    let mut unpacked = Vec::new();
    brotli::BrotliDecompress(&mut &compressed[..], &mut unpacked).unwrap();
    assert!(String::from_utf8(unpacked).unwrap().contains("\"questions\""));

    let json = app
        .client
        .get(app.url(&format!("/api/v1/public/surveys/{slug}")))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(json.headers()[CONTENT_ENCODING], "gzip");
    let png = app.client.get(app.url(&format!("/s/{slug}/qr.png"))).header(ACCEPT_ENCODING, "br").send().await.unwrap();
    assert!(png.headers().get(CONTENT_ENCODING).is_none(), "images are compressed already");
}

#[tokio::test]
async fn public_reads_carry_an_etag_and_the_answer_page_is_never_stored() {
    let (app, slug) = with_link().await;
    for path in [format!("/api/v1/public/surveys/{slug}"), format!("/s/{slug}/qr.png"), format!("/s/{slug}/poster.svg")]
    {
        let first = app.request(Method::GET, &path, None, None).await;
        assert_eq!(first.status(), 200, "{path}");
        let tag = first.headers()["etag"].to_str().unwrap().to_owned();
        let again = app.client.get(app.url(&path)).header(IF_NONE_MATCH, &tag).send().await.unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
        assert!(again.bytes().await.unwrap().is_empty());
        let other = app.client.get(app.url(&path)).header(IF_NONE_MATCH, "W/\"0\"").send().await.unwrap();
        assert_eq!(other.status(), 200, "{path}");
    }
    let page = app.request(Method::GET, &format!("/s/{slug}"), None, None).await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.headers().get("etag").is_none(), "each load carries its own submission id");
}

#[tokio::test]
async fn head_answers_wherever_get_does_and_docs_redirect_to_swagger_ui() {
    let (app, slug) = with_link().await;
    for path in [format!("/s/{slug}"), format!("/api/v1/public/surveys/{slug}"), "/healthz".to_owned()] {
        let head = app.request(Method::HEAD, &path, None, None).await;
        assert_eq!(head.status(), 200, "{path}");
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
    let missing = app.request(Method::HEAD, "/s/nosuchlink", None, None).await;
    assert_eq!(missing.status(), 404);

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let docs = client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 308);
    assert_eq!(docs.headers()["location"], "/docs/");
    assert_eq!(app.request(Method::GET, "/docs/", None, None).await.status(), 200);
}

#[tokio::test]
async fn pages_allow_only_their_own_inline_style_and_script() {
    let (app, slug) = with_link().await;
    let page = app.request(Method::GET, &format!("/s/{slug}"), None, None).await;
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(policy.contains("script-src 'sha256-") && policy.contains("style-src 'sha256-"), "{policy}");
    let html = page.text().await.unwrap();
    let script = html.split("<script>").nth(1).unwrap().split("</script>").next().unwrap();
    let digest = <sha2::Sha256 as sha2::Digest>::digest(script.as_bytes());
    let hash = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest);
    assert!(policy.contains(&format!("'sha256-{hash}'")), "the page's own script is the one allowed");
}

/// The answer page is rendered once per link entry: a view reads nothing, so a change made
/// underneath the service's paths does not show, and a change through them shows at once.
#[tokio::test]
async fn the_answer_page_comes_from_the_link_cache_until_the_link_changes() {
    use sea_orm::ConnectionTrait;
    let (app, slug) = with_link().await;
    let first = app.request(Method::GET, &format!("/s/{slug}"), None, None).await.text().await.unwrap();
    app.db.execute_unprepared("UPDATE units SET name = '改名单位'").await.unwrap();
    let second = app.request(Method::GET, &format!("/s/{slug}"), None, None).await.text().await.unwrap();
    assert!(second.contains("单位 jtysj") && !second.contains("改名单位"), "served from the link's entry");
    let id = |page: &str| page.split("name=\"submission_id\" value=\"").nth(1).unwrap()[..36].to_owned();
    assert_ne!(id(&first), id(&second), "each view has its own submission id");

    let admin = app.admin().await;
    let campaigns: serde_json::Value = app.get("/api/v1/campaigns", &admin).await.json().await.unwrap();
    let campaign = campaigns["items"][0]["id"].as_str().unwrap();
    let links: serde_json::Value =
        app.get(&format!("/api/v1/campaigns/{campaign}/links"), &admin).await.json().await.unwrap();
    let link = links["items"][0]["id"].as_str().unwrap();
    let kiosk = serde_json::json!({"kiosk": true});
    let changed = app.request(Method::PUT, &format!("/api/v1/links/{link}/controls"), Some(&admin), Some(&kiosk)).await;
    assert_eq!(changed.status(), 200);
    let third = app.request(Method::GET, &format!("/s/{slug}"), None, None).await.text().await.unwrap();
    assert!(third.contains(" data-kiosk") && third.contains("改名单位"), "rendered anew from a fresh entry");
}
