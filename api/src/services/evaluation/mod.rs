//! The evaluation itself: the assessment conference, supervision notices and violations,
//! composite results with their approval and publication, and rectification.

pub mod conference;
pub mod rectification;
pub mod results;
pub mod supervision;
