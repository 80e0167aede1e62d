//! Paper ballots at the conference, entered twice. A representative without a phone marks a
//! paper ballot that carries their ballot code; two clerks each enter it. It counts, like a
//! phone ballot and with the same code, when the entries of two different clerks agree; a
//! disagreement is flagged and counts nothing until a clerk enters the paper again and
//! agrees with one of them (a clerk's new entry replaces their own earlier one). Until
//! then the entries wait, named only by the keyed tag of the code and its last characters;
//! they are deleted as the ballot is counted or discarded.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use entity::paper_ballot_entry;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::services::evaluation::conference::{self, Ballot, Score};
use crate::services::integrity::codes::SpendKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaperOutcome {
    /// The first entry of this paper: another clerk must enter it too.
    AwaitingSecondEntry,
    /// Two clerks' entries agree: the ballot is counted.
    Counted,
    /// This entry disagrees with another clerk's: nothing is counted until one agrees.
    Mismatch,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UnitRef {
    pub unit_id: Uuid,
    pub unit_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaperEntryResult {
    pub outcome: PaperOutcome,
    /// The last four characters of the ballot's code, to find the paper again.
    pub code_hint: String,
    /// The units whose choices differ between the clerks' entries (on a mismatch).
    pub differing_units: Vec<UnitRef>,
}

/// A paper ballot not counted yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingPaper {
    /// Its first entry; discarding it discards every entry of the paper.
    pub id: Uuid,
    pub code_hint: String,
    /// The accounts that entered it, by name.
    pub clerks: Vec<String>,
    /// Entered by two clerks who disagree.
    pub mismatch: bool,
    pub differing_units: Vec<UnitRef>,
}

/// The last four characters of a code, as its holder reads them on the paper.
fn hint(code: &str) -> String {
    let normal: Vec<char> = code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect();
    normal[normal.len().saturating_sub(4)..].iter().collect()
}

/// A ballot's choices in one order, so that two entries of the same paper compare equal.
fn sorted(scores: &[Score]) -> Vec<Score> {
    let mut scores = scores.to_vec();
    scores.sort_by(|a, b| (a.unit_id, &a.dimension, &a.option).cmp(&(b.unit_id, &b.dimension, &b.option)));
    scores
}

fn scores_of(entry: &paper_ballot_entry::Model) -> ApiResult<Vec<Score>> {
    serde_json::from_value(entry.scores.clone()).map_err(ApiError::internal)
}

/// The units on which two entries' choices differ.
fn differing(a: &[Score], b: &[Score]) -> BTreeSet<Uuid> {
    let choices = |scores: &[Score]| -> BTreeMap<(Uuid, String), String> {
        scores.iter().map(|s| ((s.unit_id, s.dimension.clone()), s.option.clone())).collect()
    };
    let (a, b) = (choices(a), choices(b));
    a.keys().chain(b.keys()).filter(|key| a.get(*key) != b.get(*key)).map(|(unit, _)| *unit).collect()
}

async fn named(db: &impl ConnectionTrait, units: BTreeSet<Uuid>) -> ApiResult<Vec<UnitRef>> {
    let mut named = Vec::new();
    for unit_id in units {
        let unit_name = crate::services::registry::units::find(db, unit_id).await?.name;
        named.push(UnitRef { unit_id, unit_name });
    }
    named.sort_by(|a, b| a.unit_name.cmp(&b.unit_name));
    Ok(named)
}

fn entries_of(session_id: Uuid, tag: &str) -> sea_orm::Select<paper_ballot_entry::Entity> {
    paper_ballot_entry::Entity::find()
        .filter(paper_ballot_entry::Column::SessionId.eq(session_id))
        .filter(paper_ballot_entry::Column::Tag.eq(tag))
}

/// Enters a paper ballot as `who`, the clerk: see the module's note for when it counts.
pub async fn enter(
    db: &DatabaseConnection,
    who: &Principal,
    key: &SpendKey,
    session_id: Uuid,
    ballot: Ballot,
) -> ApiResult<PaperEntryResult> {
    who.require(Permission::RunConference)?;
    conference::require_open(&conference::find_session(db, session_id).await?)?;
    let errors = conference::check_ballot(&ballot, &conference::tallies_of(session_id).all(db).await?);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let txn = crate::store::begin_write(db).await?;
    // Locked: two clerks entering the same paper at once are taken one after the other.
    conference::require_open(&conference::lock_session(&txn, session_id).await?)?;
    if !conference::code_issued(&txn, session_id, &ballot.code).await? {
        return Err(ApiError::Validation(vec![FieldError::new(
            "code",
            "is not a ballot code of this session (mistyped, or replaced by a new slip)",
        )]));
    }
    let tag = key.tag(session_id, &ballot.code);
    if conference::spent(&txn, session_id, &tag).await? {
        return Err(ApiError::Conflict("a ballot was counted with this code already".to_owned()));
    }
    let scores = sorted(&ballot.scores);
    paper_ballot_entry::Entity::delete_many()
        .filter(paper_ballot_entry::Column::SessionId.eq(session_id))
        .filter(paper_ballot_entry::Column::Tag.eq(tag.as_str()))
        .filter(paper_ballot_entry::Column::EnteredBy.eq(who.subject.as_str()))
        .exec(&txn)
        .await?;
    let others = entries_of(session_id, &tag).all(&txn).await?;
    let code_hint = hint(&ballot.code);
    let mut disagree = BTreeSet::new();
    for other in &others {
        let theirs = scores_of(other)?;
        if theirs == scores {
            conference::count(&txn, session_id, tag, &scores).await?;
            txn.commit().await?;
            return Ok(PaperEntryResult { outcome: PaperOutcome::Counted, code_hint, differing_units: Vec::new() });
        }
        disagree.extend(differing(&theirs, &scores));
    }
    paper_ballot_entry::ActiveModel {
        id: Set(Uuid::new_v4()),
        session_id: Set(session_id),
        tag: Set(tag),
        code_hint: Set(code_hint.clone()),
        entered_by: Set(who.subject.clone()),
        scores: Set(serde_json::to_value(&scores).map_err(ApiError::internal)?),
        entered_at: Set(crate::store::now()),
    }
    .insert(&txn)
    .await?;
    let differing_units = named(&txn, disagree).await?;
    txn.commit().await?;
    let outcome = if others.is_empty() { PaperOutcome::AwaitingSecondEntry } else { PaperOutcome::Mismatch };
    Ok(PaperEntryResult { outcome, code_hint, differing_units })
}

/// The session's paper ballots not counted yet, oldest first.
pub async fn pending(db: &impl ConnectionTrait, who: &Principal, session_id: Uuid) -> ApiResult<Vec<PendingPaper>> {
    who.require(Permission::RunConference)?;
    conference::find_session(db, session_id).await?;
    let entries = paper_ballot_entry::Entity::find()
        .filter(paper_ballot_entry::Column::SessionId.eq(session_id))
        .order_by_asc(paper_ballot_entry::Column::EnteredAt)
        .order_by_asc(paper_ballot_entry::Column::Id)
        .all(db)
        .await?;
    let mut papers: Vec<(String, Vec<paper_ballot_entry::Model>)> = Vec::new();
    for entry in entries {
        match papers.iter_mut().find(|(tag, _)| *tag == entry.tag) {
            Some((_, same)) => same.push(entry),
            None => papers.push((entry.tag.clone(), vec![entry])),
        }
    }
    let mut pending = Vec::new();
    for (_, entries) in papers {
        let mut disagree = BTreeSet::new();
        let first = scores_of(&entries[0])?;
        for other in &entries[1..] {
            disagree.extend(differing(&first, &scores_of(other)?));
        }
        let mut clerks = Vec::new();
        for entry in &entries {
            clerks.push(clerk_name(db, &entry.entered_by).await?);
        }
        pending.push(PendingPaper {
            id: entries[0].id,
            code_hint: entries[0].code_hint.clone(),
            clerks,
            mismatch: entries.len() > 1,
            differing_units: named(db, disagree).await?,
        });
    }
    Ok(pending)
}

/// An account's name, or the subject itself for an API client.
async fn clerk_name(db: &impl ConnectionTrait, subject: &str) -> ApiResult<String> {
    let Ok(id) = subject.parse::<Uuid>() else { return Ok(subject.to_owned()) };
    Ok(entity::account::Entity::find_by_id(id).one(db).await?.map_or_else(|| subject.to_owned(), |a| a.username))
}

/// Discards a paper ballot's entries (a paper that cannot be read, say): it is not counted,
/// and its code can still vote.
pub async fn discard<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    session_id: Uuid,
    entry_id: Uuid,
) -> ApiResult<()> {
    who.require(Permission::RunConference)?;
    let txn = crate::store::begin_write(db).await?;
    conference::lock_session(&txn, session_id).await?;
    let entry = paper_ballot_entry::Entity::find_by_id(entry_id)
        .filter(paper_ballot_entry::Column::SessionId.eq(session_id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no paper ballot entry {entry_id} in this session")))?;
    forget(&txn, session_id, &entry.tag).await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "conference.paper_ballot_discarded",
        "conference_session",
        &session_id.to_string(),
        Some(serde_json::json!({"code_hint": entry.code_hint})),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes the entries of the paper whose code has spend tag `tag`.
pub(crate) async fn forget(txn: &impl ConnectionTrait, session_id: Uuid, tag: &str) -> ApiResult<()> {
    paper_ballot_entry::Entity::delete_many()
        .filter(paper_ballot_entry::Column::SessionId.eq(session_id))
        .filter(paper_ballot_entry::Column::Tag.eq(tag))
        .exec(txn)
        .await?;
    Ok(())
}

/// How many entries of the session wait.
pub(crate) async fn waiting(txn: &impl ConnectionTrait, session_id: Uuid) -> ApiResult<u64> {
    Ok(paper_ballot_entry::Entity::find()
        .filter(paper_ballot_entry::Column::SessionId.eq(session_id))
        .count(txn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(unit: u128, option: &str) -> Score {
        Score { unit_id: Uuid::from_u128(unit), dimension: "overall".to_owned(), option: option.to_owned() }
    }

    #[test]
    fn entries_in_any_order_compare_equal() {
        let a = sorted(&[score(2, "satisfied"), score(1, "dont_know")]);
        let b = sorted(&[score(1, "dont_know"), score(2, "satisfied")]);
        assert_eq!(a, b);
        assert!(differing(&a, &b).is_empty());
    }

    #[test]
    fn a_differing_choice_names_its_unit() {
        let a = sorted(&[score(1, "satisfied"), score(2, "satisfied")]);
        let b = sorted(&[score(1, "satisfied"), score(2, "dissatisfied")]);
        assert_eq!(differing(&a, &b), BTreeSet::from([Uuid::from_u128(2)]));
    }

    #[test]
    fn the_hint_is_the_codes_last_four_characters() {
        assert_eq!(hint("k7qx-2mzp-4rhw-d9tb"), "D9TB");
        assert_eq!(hint("AB"), "AB");
    }
}
