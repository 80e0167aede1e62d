//! A deadline for receiving request bodies.
//!
//! actix-web closes a connection whose request head is late, but waits for a body as long as
//! the client keeps the connection open, so a client sending a byte now and then holds a
//! connection (and whatever handler awaits the body) indefinitely. Bodies must arrive whole
//! within the deadline (`PINGYI_BODY_TIMEOUT_SECONDS`); a late one is answered 408 and its
//! connection closed.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::time::Sleep;

use crate::error::ApiError;

/// Gives the request's body, if it has one, `deadline` to arrive.
pub async fn limit(
    deadline: Duration,
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if has_body(&req) {
        let body = req.take_payload();
        let limited = Deadline { body, expiry: Box::pin(tokio::time::sleep(deadline)) };
        req.set_payload(Payload::Stream { payload: Box::pin(limited) });
    }
    next.call(req).await
}

fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(actix_web::http::header::TRANSFER_ENCODING)
        || headers
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|length| length.trim() != "0")
}

/// The body stream, failing with `TimedOut` once the deadline has passed.
struct Deadline {
    body: Payload,
    expiry: Pin<Box<Sleep>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(chunk) = Pin::new(&mut self.body).poll_next(cx) {
            return Poll::Ready(chunk);
        }
        match self.expiry.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(io::ErrorKind::TimedOut, LATE))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

const LATE: &str = "the request body did not arrive in time";

/// The problem for a failed body read: 408 when the deadline passed, else `otherwise`.
pub fn classify(err: &actix_web::Error, otherwise: impl FnOnce() -> ApiError) -> ApiError {
    match err.as_error::<PayloadError>() {
        Some(PayloadError::Io(io)) if io.kind() == io::ErrorKind::TimedOut => ApiError::RequestTimeout(LATE.to_owned()),
        _ => otherwise(),
    }
}
