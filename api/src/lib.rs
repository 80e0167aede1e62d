//! Pingyi (评议): the system of record of a yearly citizen evaluation of government
//! departments and public-service companies.

pub mod apidoc;
pub mod auth;
pub mod body_deadline;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod integrity;
pub mod metrics;
pub mod pagination;
pub mod routes;
pub mod services;
pub mod sqlite_checkpoints;
pub mod sqlite_log_sync;
pub mod startup;
pub mod telemetry;
pub mod validation;
pub mod web;
pub mod webhooks;
