//! Reminders by mail, against a local SMTP sink: one digest per unit account with an address
//! (a township's account with its stations' reminders too), in Chinese, each reminder mailed
//! once; an account without an address gets none, and a relay that refuses loses nothing.

use std::sync::{Arc, Mutex};

use base64::Engine;
use pingyi::auth::Role;
use pingyi_tests::{TestApp, spawn_app_with};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

/// A message the sink took: its recipient and its text after DATA.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub(crate) to: String,
    data: String,
}

impl Mail {
    fn header(&self, name: &str) -> String {
        self.data.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).unwrap_or_default().to_owned()
    }

    pub(crate) fn body(&self) -> String {
        let (_, body) = self.data.split_once("\r\n\r\n").unwrap();
        let joined: String = body.lines().take_while(|l| *l != ".").collect();
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(joined).unwrap()).unwrap()
    }

    fn subject(&self) -> String {
        let word = self.header("Subject");
        let encoded = word.trim_start_matches("=?UTF-8?B?").trim_end_matches("?=");
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap()
    }
}

/// A local SMTP server that answers as a relay does, refusing recipients while `refuse` holds.
pub(crate) async fn sink(refuse: Arc<Mutex<bool>>) -> (u16, Arc<Mutex<Vec<Mail>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let kept = mails.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
            let mut to = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                let reply: &[u8] = if line.starts_with("EHLO") {
                    b"250-sink\r\n250 8BITMIME\r\n"
                } else if line.starts_with("MAIL FROM:") {
                    b"250 ok\r\n"
                } else if let Some(rcpt) = line.strip_prefix("RCPT TO:") {
                    to = rcpt.trim_matches(['<', '>']).to_owned();
                    if *refuse.lock().unwrap() { b"550 no such mailbox\r\n" } else { b"250 ok\r\n" }
                } else if line == "DATA" {
                    write.write_all(b"354 go on\r\n").await.unwrap();
                    let mut data = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        data.push_str(&line);
                        data.push_str("\r\n");
                        if line == "." {
                            break;
                        }
                    }
                    kept.lock().unwrap().push(Mail { to: to.clone(), data });
                    b"250 queued\r\n"
                } else if line == "QUIT" {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    break;
                } else {
                    b"500 what\r\n"
                };
                write.write_all(reply).await.unwrap();
            }
        }
    });
    (port, mails)
}

/// A unit account with `email`, by the office.
async fn account_with(app: &TestApp, admin: &str, unit: Uuid, email: Option<&str>) -> String {
    let username = format!("unit-{}", &Uuid::new_v4().simple().to_string()[..8]);
    app.create_account(&username, Role::Unit, Some(unit)).await;
    let token = app.login(&username).await;
    let me: Value = app.get("/api/v1/accounts", admin).await.json().await.unwrap();
    let id = me["items"].as_array().unwrap().iter().find(|a| a["username"] == username).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    if let Some(email) = email {
        let set = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/accounts/{id}/email"),
                Some(&token),
                Some(&json!({"email": email})),
            )
            .await;
        assert_eq!(set.status(), 200, "an account sets its own address");
    }
    token
}

#[tokio::test]
async fn reminders_are_mailed_as_one_digest_per_account_and_each_once() {
    let refuse = Arc::new(Mutex::new(true));
    let (port, mails) = sink(refuse.clone()).await;
    let app = spawn_app_with(|settings| {
        settings.smtp = Some(pingyi::mail::smtp::SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port,
            from: "pingyi@example.gov.cn".to_owned(),
        });
    })
    .await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let bureau = app.unit_of_kind(&admin, "jtysj", "department", None).await;
    let quiet = app.unit_of_kind(&admin, "jyj", "department", None).await;
    let township = app.unit_of_kind(&admin, "ybz", "township", None).await;
    let station = app.unit_of_kind(&admin, "ybz-gts", "station", Some(township)).await;
    let members = format!("/api/v1/campaigns/{campaign}/units");
    for (unit, role) in [(bureau, "district_key"), (quiet, "district_key"), (station, "township_key")] {
        app.created(&members, &admin, &json!({"unit_id": unit, "role": role})).await;
    }
    account_with(&app, &admin, bureau, Some("bgs@jtysj.example.gov.cn")).await;
    account_with(&app, &admin, quiet, None).await;
    account_with(&app, &admin, township, Some("dzb@ybz.example.gov.cn")).await;
    let bad = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/accounts/00000000-0000-0000-0000-000000000000/email",
            Some(&admin),
            Some(&json!({"email": "not an address"})),
        )
        .await;
    assert_eq!(bad.status(), 422);

    let deliverables = format!("/api/v1/campaigns/{campaign}/deliverables");
    for (title, due) in [("单位评议工作方案", "2017-06-20"), ("评议工作总结", "2017-12-20")] {
        let body = json!({"kind": "other", "title": title, "due_on": due, "receivers": ["office"]});
        app.created(&deliverables, &admin, &body).await;
    }

    // A relay that refuses: the webhooks' reminders stand, and nothing is lost for the mail.
    assert_eq!(app.jobs.send_reminders().await.unwrap(), 6);
    assert!(mails.lock().unwrap().is_empty());
    *refuse.lock().unwrap() = false;
    assert_eq!(app.jobs.mail_reminders().await.unwrap(), 2, "one digest for the bureau, one for the township");
    let got = mails.lock().unwrap().clone();
    let to: Vec<&str> = got.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, ["bgs@jtysj.example.gov.cn", "dzb@ybz.example.gov.cn"]);
    let bureau_mail = &got[0];
    assert_eq!(bureau_mail.subject(), "评议材料报送提醒（2 项）");
    let body = bureau_mail.body();
    assert!(body.contains("单位 jtysj：《单位评议工作方案》截止日期 2017-06-20，已逾期，尚未报送。"), "{body}");
    assert!(body.contains("《评议工作总结》") && !body.contains("单位 jyj"), "{body}");
    assert!(got[1].body().contains("单位 ybz-gts：《单位评议工作方案》"), "the township hears of its station");
    assert_eq!(app.jobs.mail_reminders().await.unwrap(), 0, "each reminder is mailed once");
    assert_eq!(mails.lock().unwrap().len(), 2);
}

/// The office sets an account's reminder address on the accounts page; a bad one is named.
#[tokio::test]
async fn the_console_sets_an_accounts_reminder_address() {
    use super::console_browser::{Browser, account, location};
    let app = pingyi_tests::spawn_app().await;
    let admin = app.admin().await;
    let unit = app.unit_of_kind(&admin, "jtysj", "department", None).await;
    let staff = format!("unit-{}", &Uuid::new_v4().simple().to_string()[..8]);
    app.create_account(&staff, Role::Unit, Some(unit)).await;
    let clerk = account(&app, Role::Admin).await;
    let mut office = Browser::new(&app);
    office.sign_in(&clerk, pingyi_tests::PASSWORD).await;
    let csrf = office.form_token("/console/accounts").await;
    let listed: Value = app.get("/api/v1/accounts", &admin).await.json().await.unwrap();
    let id = listed["items"].as_array().unwrap().iter().find(|a| a["username"] == staff).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/console/accounts/{id}/email");
    let bad = office.post(&path, &[("csrf", &csrf), ("email", "not an address")]).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("邮箱地址格式不正确"));
    let saved = office.post(&path, &[("csrf", &csrf), ("email", "bgs@jtysj.example.gov.cn")]).await;
    assert_eq!(location(&saved), "/console/accounts?notice=saved");
    let read: Value = app.get(&format!("/api/v1/accounts/{id}"), &admin).await.json().await.unwrap();
    assert_eq!(read["email"], "bgs@jtysj.example.gov.cn");
    assert_eq!(app.audited("account.email_set", &id).await, 1);
}
