//! vungcao: catalogue backend and mobile-first storefront for local products of Vietnam's highland communes.

pub mod accounts;
pub mod api;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod head;
pub mod healthcheck;
pub mod indexer;
pub mod media;
pub mod media_check;
pub mod metrics;
pub mod photos;
pub mod search;
pub mod security_headers;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod transfer;
pub mod web;
pub mod workflow;
