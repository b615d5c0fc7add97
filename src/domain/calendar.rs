//! Dates a person can mean: the years a catalogue deals with. Anything outside (a year like
//! +262143, which date libraries accept) is refused as input instead of overflowing later in
//! occurrence arithmetic or an engine's date range.

use chrono::{Datelike, NaiveDate};

pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2199;

/// Whether `date` lies in the years input may name.
pub fn is_plausible(date: NaiveDate) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&date.year())
}

/// The message for a date outside them.
pub const OUT_OF_RANGE: &str = "must be a date between 1900 and 2199";

/// Parses `YYYY-MM-DD` within the plausible years.
pub fn parse(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| is_plausible(*d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_future_and_far_past_dates_are_refused() {
        assert!(parse("2027-02-10").is_some());
        assert!(parse("+262143-06-01").is_none());
        assert!(parse("+262142-06-01").is_none());
        assert!(parse("-0001-01-01").is_none());
        assert!(parse("1899-12-31").is_none());
        assert!(parse("2199-12-31").is_some());
        assert!(parse("2027-02-30").is_none());
    }
}
