//! Seasons and event dates: month masks and the next occurrence of yearly festivals.

use chrono::{Datelike, NaiveDate};

/// Bit m (1..=12) set for each month.
pub fn months_to_mask(months: &[u8]) -> i32 {
    months
        .iter()
        .filter(|m| (1..=12).contains(*m))
        .fold(0, |mask, m| mask | (1 << m))
}

pub fn mask_to_months(mask: i32) -> Vec<u8> {
    (1u8..=12).filter(|m| mask & (1 << m) != 0).collect()
}

/// One occurrence of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Moves a date to another year; 29 February becomes 28 February in common years.
fn in_year(date: NaiveDate, year: i32) -> Option<NaiveDate> {
    date.with_year(year)
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), 28))
}

/// The occurrence of `start..=end` in `year` (a yearly event keeps its month, day and length).
pub fn occurrence_in(start: NaiveDate, end: NaiveDate, year: i32) -> Option<Occurrence> {
    let shifted = in_year(start, year)?;
    let length = end.signed_duration_since(start);
    Some(Occurrence {
        start: shifted,
        end: shifted + length,
    })
}

/// The first occurrence that has not ended by `today`: the stored dates for one-off events,
/// this year's or next year's for yearly ones. `None` for a one-off event in the past.
pub fn next_occurrence(
    start: NaiveDate,
    end: NaiveDate,
    recurs_yearly: bool,
    today: NaiveDate,
) -> Option<Occurrence> {
    if !recurs_yearly {
        return (end >= today).then_some(Occurrence { start, end });
    }
    (today.year() - 1..=today.year() + 1)
        .filter_map(|y| occurrence_in(start, end, y))
        .find(|o| o.end >= today && o.start >= start)
}

/// Occurrences overlapping `from..=to` (inclusive), earliest first.
pub fn occurrences_between(
    start: NaiveDate,
    end: NaiveDate,
    recurs_yearly: bool,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Occurrence> {
    if !recurs_yearly {
        return if start <= to && end >= from {
            vec![Occurrence { start, end }]
        } else {
            Vec::new()
        };
    }
    (from.year() - 1..=to.year())
        .filter_map(|y| occurrence_in(start, end, y))
        .filter(|o| o.start >= start && o.start <= to && o.end >= from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn masks_round_trip() {
        assert_eq!(mask_to_months(months_to_mask(&[2, 3, 12])), vec![2, 3, 12]);
        assert_eq!(months_to_mask(&[0, 13]), 0);
    }

    #[test]
    fn yearly_festival_resolves_to_next_dates() {
        // Pear blossom festival, 10–12 February every year, first held 2026.
        let (s, e) = (d(2026, 2, 10), d(2026, 2, 12));
        let next = next_occurrence(s, e, true, d(2026, 11, 26));
        assert_eq!(next.map(|o| o.start), Some(d(2027, 2, 10)));
        let during = next_occurrence(s, e, true, d(2027, 2, 11));
        assert_eq!(during.map(|o| o.end), Some(d(2027, 2, 12)));
        assert_eq!(next_occurrence(s, e, false, d(2026, 11, 26)), None);
    }

    #[test]
    fn occurrences_between_dates() {
        let (s, e) = (d(2026, 2, 10), d(2026, 2, 12));
        let found = occurrences_between(s, e, true, d(2026, 12, 1), d(2028, 3, 1));
        assert_eq!(found.len(), 2);
        assert!(occurrences_between(s, e, true, d(2027, 3, 1), d(2027, 4, 1)).is_empty());
    }
}
