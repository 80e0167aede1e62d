use pingyi_tests::{PUBLIC_URL, TestApp, spawn_app};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

async fn with_link() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let slug = app.link(&admin, questionnaire, unit, "window_qr").await;
    (app, admin, slug)
}

async fn html(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    response.text().await.unwrap()
}

fn form_answers(submission_id: &str, overall: &str) -> Vec<(String, String)> {
    let mut fields =
        vec![("submission_id".to_owned(), submission_id.to_owned()), ("lang".to_owned(), "zh-CN".to_owned())];
    for key in ["lawful_duty", "fair_enforcement", "government_openness", "efficiency", "work_style", "integrity"] {
        fields.push((format!("a.{key}"), "satisfied".to_owned()));
    }
    fields.push(("a.overall".to_owned(), overall.to_owned()));
    fields
}

fn submission_id_of(page: &str) -> String {
    let start = page.find("name=\"submission_id\" value=\"").unwrap() + 28;
    page[start..start + 36].to_owned()
}

#[tokio::test]
async fn the_answer_page_is_a_small_self_contained_accessible_form() {
    let (app, _, slug) = with_link().await;
    let response = app.request(Method::GET, &format!("/s/{slug}"), None, None).await;
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'"));
    let page = html(response, 200).await;
    assert!(page.len() < 50 * 1024, "page weight {} bytes", page.len());
    assert!(page.contains("<html lang=\"zh-CN\">"));
    assert!(page.contains("单位 jtysj") && page.contains("非常满意") && page.contains("不了解"));
    assert_eq!(page.matches("type=\"radio\"").count(), 7 * 6, "seven rating questions of six levels");
    assert_eq!(page.matches("<legend>").count(), 7, "each rating question is a labelled group");
    assert!(page.contains("<label class=\"field\" for=\"t-suggestions\">"), "the text field has a label");
    assert!(page.contains("method=\"post\" action=\"/s/"), "works without JavaScript");
    assert!(!page.contains("http://") && !page.contains("https://"), "nothing loads from elsewhere");
    let english = html(app.request(Method::GET, &format!("/s/{slug}?lang=en"), None, None).await, 200).await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("Very satisfied"));
}

#[tokio::test]
async fn a_form_post_without_javascript_stores_the_answers_and_thanks() {
    let (app, _, slug) = with_link().await;
    let page = html(app.request(Method::GET, &format!("/s/{slug}"), None, None).await, 200).await;
    let id = submission_id_of(&page);
    let response = app
        .client
        .post(app.url(&format!("/s/{slug}")))
        .form(&form_answers(&id, "very_satisfied"))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with(&format!("pingyi_done_{slug}=1")) && cookie.contains(&format!("Path=/s/{slug}")));
    let thanks = html(response, 200).await;
    assert!(thanks.contains("感谢您的评价"));
    assert_eq!(app.count("responses").await, 1);
    // Reloading the thank-you post sends the same submission id: nothing is stored twice.
    let again = app
        .client
        .post(app.url(&format!("/s/{slug}")))
        .form(&form_answers(&id, "very_satisfied"))
        .send()
        .await
        .unwrap();
    assert!(html(again, 200).await.contains("感谢您的评价"));
    assert_eq!(app.count("responses").await, 1);
    let back = app
        .client
        .get(app.url(&format!("/s/{slug}")))
        .header("cookie", format!("pingyi_done_{slug}=1"))
        .send()
        .await
        .unwrap();
    assert!(html(back, 200).await.contains("您已经提交过本问卷"));
}

#[tokio::test]
async fn a_form_with_missing_answers_comes_back_marked_with_the_choices_kept() {
    let (app, _, slug) = with_link().await;
    let id = Uuid::new_v4().to_string();
    let mut fields = form_answers(&id, "satisfied");
    fields.retain(|(name, _)| name != "a.integrity");
    let response = app.client.post(app.url(&format!("/s/{slug}"))).form(&fields).send().await.unwrap();
    let page = html(response, 422).await;
    assert!(page.contains("id=\"err-integrity\" role=\"alert\">请选择一项</p>"));
    assert!(page.contains("name=\"a.overall\" value=\"satisfied\" checked"), "earlier choices are kept");
    assert!(page.contains(&id), "the same submission id is reused");
    assert_eq!(app.count("responses").await, 0);
}

#[tokio::test]
async fn unknown_closed_and_unopened_links_get_friendly_pages() {
    let (app, admin, slug) = with_link().await;
    let missing = html(app.request(Method::GET, "/s/nosuchlink", None, None).await, 404).await;
    assert!(missing.contains("找不到这份问卷") && !missing.contains("problem"));
    let unit = app.unit(&admin, "jyj", "government").await;
    let campaign = campaign_of(&app, &admin).await;
    let questionnaires: serde_json::Value =
        app.get(&format!("/api/v1/campaigns/{campaign}/questionnaires"), &admin).await.json().await.unwrap();
    let questionnaire: Uuid = questionnaires["items"][0]["id"].as_str().unwrap().parse().unwrap();
    let later = app.link_with(&admin, questionnaire, unit, "sms", pingyi_tests::relaxed_controls()).await;
    let not_open = app
        .created(
            &format!("/api/v1/questionnaires/{questionnaire}/links"),
            &admin,
            &json!({"unit_id": unit, "channel": "on_site", "opens_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    let page =
        html(app.request(Method::GET, &format!("/s/{}", not_open["slug"].as_str().unwrap()), None, None).await, 409)
            .await;
    assert!(page.contains("本问卷尚未开始"));
    app.created(&format!("/api/v1/links/{}/revoke", later["id"].as_str().unwrap()), &admin, &json!({})).await;
    let page = html(
        app.request(Method::GET, &format!("/s/{}?lang=en", later["slug"].as_str().unwrap()), None, None).await,
        410,
    )
    .await;
    assert!(page.contains("This link is no longer in use"), "a withdrawn link says so");
    assert_eq!(app.request(Method::GET, &format!("/s/{slug}"), None, None).await.status(), 200);
}

fn decode_qr(png: &[u8]) -> String {
    let image = image::load_from_memory(png).unwrap().to_luma8();
    let (width, height) = (image.width() as usize, image.height() as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| image.get_pixel(x as u32, y as u32).0[0]);
    let grids = prepared.detect_grids();
    assert!(!grids.is_empty(), "no QR code found");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn the_qr_code_and_the_poster_encode_the_public_url() {
    let (app, admin, slug) = with_link().await;
    let expected = format!("{PUBLIC_URL}/s/{slug}");
    let png = app.request(Method::GET, &format!("/s/{slug}/qr.png?size=300"), None, None).await;
    assert_eq!(png.headers()["content-type"], "image/png");
    let png = png.bytes().await.unwrap();
    assert!(image::load_from_memory(&png).unwrap().width() >= 300);
    assert_eq!(decode_qr(&png), expected);
    let svg = app.request(Method::GET, &format!("/s/{slug}/qr.svg"), None, None).await.text().await.unwrap();
    assert!(svg.contains("<svg"));
    pingyi_tests::problem(app.request(Method::GET, &format!("/s/{slug}/qr.png?size=5000"), None, None).await, 422)
        .await;

    let poster_svg = app.request(Method::GET, &format!("/s/{slug}/poster.svg"), None, None).await.text().await.unwrap();
    assert!(
        poster_svg.contains("单位 jtysj")
            && poster_svg.contains("viewBox=\"0 0 210 297\"")
            && poster_svg.contains(&format!("pingyi.test/s/{slug}"))
    );
    let poster_png =
        app.request(Method::GET, &format!("/s/{slug}/poster.png"), None, None).await.bytes().await.unwrap();
    assert_eq!(image::load_from_memory(&poster_png).unwrap().width(), 1240);
    assert_eq!(decode_qr(&poster_png), expected);

    let response = app.get(&format!("/api/v1/campaigns/{}/posters.zip", campaign_of(&app, &admin).await), &admin).await;
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(archive.len(), 1);
    let mut file = archive.by_index(0).unwrap();
    assert_eq!(file.name().unwrap(), "单位 jtysj-窗口二维码.svg", "named by unit and channel");
    let dated = file.last_modified().unwrap();
    assert!(dated.year() >= 2026, "dated when made, not 1980: {dated:?}");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text).unwrap();
    assert!(text.contains("单位 jtysj"));

    // The English poster's code opens the English page; the PDF is one A4 page.
    let english = app.request(Method::GET, &format!("/s/{slug}/poster.png?lang=en"), None, None).await;
    assert_eq!(decode_qr(&english.bytes().await.unwrap()), format!("{expected}?lang=en"));
    let pdf = app.request(Method::GET, &format!("/s/{slug}/poster.pdf"), None, None).await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-1.4"));
}

#[tokio::test]
async fn a_link_that_takes_no_more_answers_has_no_poster() {
    let (app, admin, slug) = with_link().await;
    let campaign = campaign_of(&app, &admin).await;
    let links: serde_json::Value =
        app.get(&format!("/api/v1/campaigns/{campaign}/links"), &admin).await.json().await.unwrap();
    let id = links["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.request(Method::POST, &format!("/api/v1/links/{id}/revoke"), Some(&admin), None).await.status(),
        200
    );
    for path in ["poster.svg", "poster.png", "poster.pdf", "qr.png"] {
        let gone = app.request(Method::GET, &format!("/s/{slug}/{path}"), None, None).await;
        assert_eq!(gone.status(), 410, "{path}");
    }
    let zip = app.get(&format!("/api/v1/campaigns/{campaign}/posters.zip"), &admin).await.bytes().await.unwrap();
    assert_eq!(zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap().len(), 0);
}

async fn campaign_of(app: &TestApp, admin: &str) -> String {
    app.get("/api/v1/campaigns", admin).await.json::<serde_json::Value>().await.unwrap()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}
