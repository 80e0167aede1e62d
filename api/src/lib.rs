//! Pingyi (评议): the system of record of a yearly citizen evaluation of government
//! departments and public-service companies. `docs/architecture.md` maps the modules.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod intake;
pub mod mail;
pub mod metrics;
pub mod routes;
pub mod services;
pub mod store;
pub mod telemetry;
pub mod totals;
pub mod web;
pub mod webhooks;
