//! sea-orm entities: the storage shape of Pingyi's tables, one module per table. Models are
//! never sent over the wire (the API crate maps them to DTOs); the closed sets of stored
//! words in `vocabulary` are, under the same names.

pub mod account;
pub mod api_client;
pub mod audit_record;
pub mod ballot_code;
pub mod ballot_spend;
pub mod batch_exclusion;
pub mod campaign;
pub mod campaign_unit;
pub mod conference_session;
pub mod conference_tally;
pub mod console_session;
pub mod deliverable;
pub mod deliverable_reminder;
pub mod evaluator;
pub mod hand_in;
pub mod invitation_code;
pub mod invitation_spend;
pub mod link_change;
pub mod measure;
pub mod official_notice;
pub mod paper_ballot_entry;
pub mod pollster_answer;
pub mod pollster_figure;
pub mod pollster_response;
pub mod problem;
pub mod questionnaire;
pub mod rectification_report;
pub mod response;
pub mod result_approval;
pub mod result_version;
pub mod satisfaction_hourly_total;
pub mod satisfaction_pending;
pub mod satisfaction_total;
pub mod service_key;
pub mod supervision_notice;
pub mod survey_link;
pub mod unit;
pub mod violation_case;
pub mod vocabulary;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_subscription;
