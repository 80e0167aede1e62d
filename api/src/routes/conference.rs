//! The assessment conference: sessions, ballot codes, ballots, tally, and a live feed.

use std::time::Duration;

use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, delete, get, post};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{PublicErrors, ReadErrors, WriteErrors};
use crate::services::evaluation::conference::{self, Ballot, BallotReceipt, IssuedCode, NewSession, SessionDto, Tally};
use crate::services::evaluation::paper_ballots::{self, PaperEntryResult, PendingPaper};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(open_session)
        .service(issue_codes)
        .service(reissue_code)
        .service(close_session)
        .service(cast_ballot)
        .service(tally)
        .service(live)
        .service(enter_paper_ballot)
        .service(pending_paper_ballots)
        .service(discard_paper_ballot);
}

/// Open a scoring session (assessment phase).
#[utoipa::path(tag = "conference", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewSession, security(("bearer" = [])), responses((status = 201, body = SessionDto), WriteErrors))]
#[post("/campaigns/{id}/conference/sessions")]
pub async fn open_session(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewSession>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(SessionDto::from(conference::open_session(&state.db, &who, *id, body.0).await?)))
}

/// One single-use ballot code for every evaluator who has none for this session yet.
#[utoipa::path(tag = "conference", params(("id" = Uuid, Path, description = "session id")), security(("bearer" = [])), responses((status = 201, body = Vec<IssuedCode>), WriteErrors))]
#[post("/conference/sessions/{id}/codes")]
pub async fn issue_codes(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(conference::issue_codes(&state.db, &who, *id).await?))
}

/// Replace a representative's ballot code (a lost slip): the old code stops working, the new
/// one is shown once. A ballot already cast with the old code stays counted.
#[utoipa::path(tag = "conference", params(("id" = Uuid, Path, description = "session id"), ("evaluator" = String, Path, description = "the representative's code, e.g. E-007")), security(("bearer" = [])), responses((status = 201, body = IssuedCode), WriteErrors))]
#[post("/conference/sessions/{id}/codes/{evaluator}/reissue")]
pub async fn reissue_code(state: State, who: Principal, path: web::Path<(Uuid, String)>) -> ApiResult<HttpResponse> {
    let (session, evaluator) = path.into_inner();
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(conference::reissue(&state.db, &who, session, &evaluator).await?))
}

/// Close the session: the tally is final and its scores are shown at once.
#[utoipa::path(tag = "conference", params(("id" = Uuid, Path, description = "session id")), security(("bearer" = [])), responses((status = 200, body = SessionDto), WriteErrors))]
#[post("/conference/sessions/{id}/close")]
pub async fn close_session(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(SessionDto::from(conference::close(&state.db, &who, *id).await?)))
}

/// Cast a ballot with a single-use code: every unit (and, in dimension mode, every
/// dimension of its category) scored once.
#[utoipa::path(tag = "conference", params(("id" = Uuid, Path, description = "session id")), request_body = Ballot, responses((status = 201, body = BallotReceipt), PublicErrors))]
#[post("/public/conference/{id}/ballots")]
pub async fn cast_ballot(state: State, id: web::Path<Uuid>, body: ValidJson<Ballot>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(conference::cast(&state.db, &state.spend_key, *id, body.0).await?))
}

/// The tally: ballot counts while the session is open, scores once it is closed.
#[utoipa::path(tag = "conference", params(("id" = Uuid, Path, description = "session id")), responses((status = 200, body = Tally), ReadErrors))]
#[get("/public/conference/{id}/tally")]
pub async fn tally(state: State, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(conference::tally(&state.db, *id).await?))
}

/// The tally as Server-Sent Events, one `tally` event a second until the session closes
/// (the last event carries the results).
#[utoipa::path(tag = "conference", params(("id" = Uuid, Path, description = "session id")), responses((status = 200, description = "text/event-stream of Tally objects", content_type = "text/event-stream"), ReadErrors))]
#[get("/public/conference/{id}/live")]
pub async fn live(state: State, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    conference::find_session(&state.db, *id).await?;
    let db = state.db.clone();
    let session = *id;
    let stream = futures_util::stream::try_unfold(false, move |finished| {
        let db = db.clone();
        async move {
            if finished {
                return Ok::<_, ApiError>(None);
            }
            let current = conference::tally(&db, session).await?;
            let closed = current.status == entity::vocabulary::SessionStatus::Closed;
            let event =
                format!("event: tally\ndata: {}\n\n", serde_json::to_string(&current).map_err(ApiError::internal)?);
            if !closed {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(Some((Bytes::from(event), closed)))
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .streaming(stream))
}

/// Enter a paper ballot, as one of the two clerks who each enter it: it counts when two
/// clerks' entries agree; a disagreement is reported (the units that differ) and counts
/// nothing until a clerk enters the paper again and agrees with one of them.
#[utoipa::path(tag = "conference", params(("id" = Uuid, Path, description = "session id")), request_body = Ballot, security(("bearer" = [])), responses((status = 200, body = PaperEntryResult), WriteErrors))]
#[post("/conference/sessions/{id}/paper-ballots")]
pub async fn enter_paper_ballot(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<Ballot>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(paper_ballots::enter(&state.db, &who, &state.spend_key, *id, body.0).await?))
}

/// The paper ballots not counted yet: waiting for their second entry, or entered twice with
/// different choices.
#[utoipa::path(tag = "conference", params(("id" = Uuid, Path, description = "session id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<PendingPaper>), ReadErrors))]
#[get("/conference/sessions/{id}/paper-ballots")]
pub async fn pending_paper_ballots(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Page::of_all(paper_ballots::pending(&state.db, &who, *id).await?, page.into_inner())?))
}

/// Discard a paper ballot's entries (a paper that cannot be read): it is not counted, and its
/// code can still vote.
#[utoipa::path(tag = "conference", params(("id" = Uuid, Path, description = "session id"), ("entry" = Uuid, Path, description = "the pending paper's id")), security(("bearer" = [])), responses((status = 204), WriteErrors))]
#[delete("/conference/sessions/{id}/paper-ballots/{entry}")]
pub async fn discard_paper_ballot(
    state: State,
    who: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (session, entry) = path.into_inner();
    paper_ballots::discard(&state.db, &who, session, entry).await?;
    Ok(HttpResponse::NoContent().finish())
}
