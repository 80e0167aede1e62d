//! The register: accounts, API clients, units, campaigns and their units, questionnaires and
//! survey links.

pub mod accounts;
pub mod campaign_units;
pub mod campaigns;
pub mod clients;
pub mod links;
pub mod questionnaires;
pub mod unit_import;
pub mod units;
pub mod year_copy;
