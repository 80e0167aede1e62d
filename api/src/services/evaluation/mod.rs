//! The evaluation itself: the assessment conference, supervision notices and violations,
//! composite results with their approval and publication, and rectification.

pub mod ballot_sheet;
pub mod conference;
pub mod notice_board;
pub mod paper_ballots;
pub mod rectification;
pub mod results;
pub mod supervision;
