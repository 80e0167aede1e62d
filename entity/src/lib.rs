//! sea-orm entities: the storage shape of Pingyi's tables. Never sent over the wire;
//! the API crate maps them to DTOs.

pub mod account;
pub mod api_client;
pub mod batch_exclusion;
pub mod campaign;
pub mod invitation_code;
pub mod pollster_answer;
pub mod pollster_figure;
pub mod pollster_response;
pub mod questionnaire;
pub mod response;
pub mod response_answer;
pub mod survey_link;
pub mod unit;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_subscription;
