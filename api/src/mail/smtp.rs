//! A small SMTP client (RFC 5321) for the office's mail relay: one message per connection,
//! UTF-8 subject and body (base64), no authentication and no TLS, as an intranet relay that
//! accepts the service's address takes it. Everything it waits for is bounded by a timeout.

use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Where and as whom mail is sent (`PINGYI_SMTP_HOST`, `PINGYI_SMTP_PORT`, `PINGYI_SMTP_FROM`).
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// The sender's address, which the relay must accept.
    pub from: String,
}

/// One message.
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("cannot reach the mail relay: {0}")]
    Io(#[from] std::io::Error),
    #[error("the mail relay did not answer in time")]
    Timeout,
    #[error("the mail relay refused {step}: {reply}")]
    Refused { step: &'static str, reply: String },
}

/// How long the whole exchange with the relay may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Header text in UTF-8 (RFC 2047).
fn encoded_word(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(text))
}

/// The message as sent after DATA: headers, a blank line, the body in base64 lines of 76.
fn data(settings: &SmtpSettings, message: &Message) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(message.body.as_bytes());
    let lines: Vec<&str> =
        body.as_bytes().chunks(76).map(|chunk| std::str::from_utf8(chunk).unwrap_or_default()).collect();
    let domain = settings.from.rsplit('@').next().unwrap_or("localhost");
    format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}@{domain}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n.\r\n",
        settings.from,
        message.to,
        encoded_word(&message.subject),
        chrono::Utc::now().to_rfc2822(),
        uuid::Uuid::new_v4().simple(),
        lines.join("\r\n"),
    )
}

/// Sends `message` through the relay.
pub async fn send(settings: &SmtpSettings, message: &Message) -> Result<(), SmtpError> {
    tokio::time::timeout(TIMEOUT, exchange(settings, message)).await.map_err(|_| SmtpError::Timeout)?
}

async fn exchange(settings: &SmtpSettings, message: &Message) -> Result<(), SmtpError> {
    let stream = TcpStream::connect((settings.host.as_str(), settings.port)).await?;
    let (read, mut write) = stream.into_split();
    let mut replies = BufReader::new(read);
    expect(&mut replies, "the greeting", 220).await?;
    let steps: [(String, &'static str, u16); 4] = [
        ("EHLO pingyi\r\n".to_owned(), "EHLO", 250),
        (format!("MAIL FROM:<{}>\r\n", settings.from), "the sender", 250),
        (format!("RCPT TO:<{}>\r\n", message.to), "the recipient", 250),
        ("DATA\r\n".to_owned(), "DATA", 354),
    ];
    for (command, step, code) in steps {
        write.write_all(command.as_bytes()).await?;
        expect(&mut replies, step, code).await?;
    }
    write.write_all(data(settings, message).as_bytes()).await?;
    expect(&mut replies, "the message", 250).await?;
    write.write_all(b"QUIT\r\n").await?;
    Ok(())
}

/// Reads one reply (its continuation lines too) and refuses any code but `code`.
async fn expect(
    replies: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    step: &'static str,
    code: u16,
) -> Result<(), SmtpError> {
    let mut reply = String::new();
    loop {
        let mut line = String::new();
        if replies.read_line(&mut line).await? == 0 {
            return Err(SmtpError::Refused { step, reply: "the connection closed".to_owned() });
        }
        reply.push_str(&line);
        // "250-…" continues, "250 …" ends the reply.
        if line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    }
    if reply.get(..3).and_then(|c| c.parse::<u16>().ok()) == Some(code) {
        Ok(())
    } else {
        Err(SmtpError::Refused { step, reply: reply.trim().to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_utf8_in_base64_with_an_encoded_subject() {
        let settings = SmtpSettings { host: "relay".to_owned(), port: 25, from: "pingyi@example.gov.cn".to_owned() };
        let message =
            Message { to: "a@example.gov.cn".to_owned(), subject: "提醒".to_owned(), body: "材料".to_owned() };
        let text = data(&settings, &message);
        assert!(text.contains("Subject: =?UTF-8?B?5o+Q6YaS?=\r\n"), "{text}");
        assert!(text.contains("\r\n\r\n5p2Q5paZ\r\n.\r\n"), "{text}");
        assert!(text.contains("Message-ID: <") && text.contains("@example.gov.cn>"));
    }
}
