//! The evaluation itself: the assessment conference, supervision notices and violations,
//! composite results with their approval and publication, rectification, and the plan's
//! deliverables.

pub mod ballot_sheet;
pub mod conference;
pub mod deliverables;
pub mod document_store;
pub mod feedback;
pub mod notice_board;
pub mod official_notices;
pub mod paper_ballots;
pub mod rectification;
pub mod reminder_mail;
pub mod results;
pub mod resurvey;
pub mod supervision;
