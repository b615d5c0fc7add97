//! Input parsed once into types that cannot hold bad values, so handlers never re-validate.

pub mod calendar;
pub mod json;
pub mod listing;
pub mod marketplace;
pub mod season;
