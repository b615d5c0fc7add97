//! The API suite: every test runs against SQLite and against PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod access_matrix;
mod account_controls;
mod accounts;
mod bad_input;
mod cards;
mod festivals;
mod filter_properties;
#[cfg(feature = "heic")]
mod heic;
mod home_page;
mod http;
mod import_jobs;
mod labels;
mod media;
mod members;
mod photos;
mod pool;
mod public;
mod review;
mod revisions;
mod search;
mod search_replicas;
mod sign_in_limits;
mod stats;
mod transfer;
mod transfer_ids;
mod transfer_zip;
mod upload_limits;
mod web;
mod web_imports;
