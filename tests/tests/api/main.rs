//! Drives the real app over real HTTP; see `pingyi_tests` for the harness.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod basics;
mod citizens;
mod conference_room;
mod console;
mod console_browser;
mod console_deliverables;
mod console_operations;
mod console_setup;
mod deliverables;
mod delivery;
mod demo;
mod edge;
mod evaluation;
mod integrity;
mod link_changes;
mod notice_board;
mod official_notices;
mod pages;
mod plans;
mod pollster;
mod query;
mod questionnaires;
mod races;
mod registry;
mod results_review;
mod satisfaction;
mod schema;
mod secrecy;
mod submissions;
mod townships;
mod unit_import;
mod upgrade;
mod webhooks;
