//! The `pingyi` binary as an operator meets it: errors in words, and a log without terminal
//! colour codes when it is written to a file or a pipe.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn pingyi(data: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pingyi"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PINGYI_DATA_DIR", data)
        .env("PINGYI_BIND", "127.0.0.1:0");
    command
}

#[test]
fn create_admin_with_a_short_password_says_what_is_wrong() {
    let data = tempfile::tempdir().unwrap();
    let output =
        pingyi(data.path()).args(["create-admin", "office"]).env("PINGYI_ADMIN_PASSWORD", "short").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("the password (PINGYI_ADMIN_PASSWORD or stdin): must be 12 to 200 characters"), "{stderr}");
    assert!(!stderr.contains("ValidationErrors") && !stderr.contains('{'), "no debug dump: {stderr}");
}

#[test]
fn the_log_has_no_colour_codes_when_it_is_not_a_terminal() {
    let data = tempfile::tempdir().unwrap();
    let mut server = pingyi(data.path()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = server.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    // Read until the service's own log line after start-up, within a bound.
    while !seen.iter().any(|line: &String| line.contains("database ready")) {
        match received.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    server.kill().unwrap();
    let _ = server.wait();
    let log = seen.join("\n");
    assert!(log.contains("database ready"), "the service logged: {log}");
    assert!(!log.contains('\u{1b}'), "no ANSI escape codes: {log:?}");
}
