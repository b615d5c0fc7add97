//! Month, season and festival words: "tháng 10", "thang muoi", "t10", "mùa thu", "dịp tết".

/// A period the query named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// 1..=12, sorted.
    pub months: Vec<u8>,
    /// Query words it took.
    pub words: usize,
}

/// Month number words, as typed with or without marks.
const MONTH_WORDS: [(&[&str], u8); 12] = [
    (&["một", "mot", "giêng", "gieng"], 1),
    (&["hai"], 2),
    (&["ba"], 3),
    (&["tư", "tu", "bốn", "bon"], 4),
    (&["năm", "nam"], 5),
    (&["sáu", "sau"], 6),
    (&["bảy", "bay", "bẩy"], 7),
    (&["tám", "tam"], 8),
    (&["chín", "chin"], 9),
    (&["mười", "muoi"], 10),
    (&["mười một", "muoi mot"], 11),
    (&["mười hai", "muoi hai", "chạp", "chap"], 12),
];

/// Seasons as the North counts them (spring Jan–Mar … winter Oct–Dec).
const SEASONS: [(&[&str], [u8; 3]); 4] = [
    (&["xuân", "xuan"], [1, 2, 3]),
    (&["hạ", "ha", "hè", "he"], [4, 5, 6]),
    (&["thu"], [7, 8, 9]),
    (&["đông", "dong"], [10, 11, 12]),
];

/// Festivals with a fixed season (lunar dates, so the solar months they fall in).
const FESTIVALS: [(&str, &[u8]); 6] = [
    ("tết trung thu", &[9]),
    ("trung thu", &[9]),
    ("tết nguyên đán", &[1, 2]),
    ("tết", &[1, 2]),
    ("giáng sinh", &[12]),
    ("noel", &[12]),
];

/// Whether the typed word (lower case, maybe with marks) is `want` typed with or without marks:
/// a word typed with marks must have exactly these.
fn is(typed: &str, want: &str) -> bool {
    typed == want || (typed == crate::text::fold(typed) && crate::text::fold(want) == typed)
}

fn phrase_at(words: &[String], phrase: &str) -> Option<usize> {
    let parts: Vec<&str> = phrase.split(' ').collect();
    (words.len() >= parts.len() && parts.iter().zip(words).all(|(p, w)| is(w, p)))
        .then_some(parts.len())
}

/// A month number after "tháng": digits or words (the longest words win: "mười hai" over "mười").
fn month_number(words: &[String]) -> Option<(u8, usize)> {
    let first = words.first()?;
    if let Ok(n) = first.parse::<u8>() {
        return (1..=12).contains(&n).then_some((n, 1));
    }
    MONTH_WORDS
        .iter()
        .flat_map(|(forms, m)| forms.iter().map(move |f| (*f, *m)))
        .filter_map(|(f, m)| phrase_at(words, f).map(|n| (m, n)))
        .max_by_key(|(_, n)| *n)
}

/// The period named at the start of `words` (lower-case words as typed), if any.
pub fn period_at(words: &[String]) -> Option<Period> {
    let first = words.first()?;
    // "dịp tết": the occasion word goes with what follows.
    if is(first, "dịp") {
        return period_at(&words[1..]).map(|p| Period {
            words: p.words + 1,
            ..p
        });
    }
    if is(first, "tháng") {
        if let Some((m, n)) = month_number(&words[1..]) {
            return Some(Period {
                months: vec![m],
                words: n + 1,
            });
        }
    }
    // "t10": a compact month.
    if let Some(n) = first.strip_prefix('t').and_then(|d| d.parse::<u8>().ok()) {
        if (1..=12).contains(&n) {
            return Some(Period {
                months: vec![n],
                words: 1,
            });
        }
    }
    if is(first, "mùa") {
        if let Some(next) = words.get(1) {
            for (forms, months) in SEASONS {
                if forms.iter().any(|f| is(next, f)) {
                    return Some(Period {
                        months: months.to_vec(),
                        words: 2,
                    });
                }
            }
        }
    }
    for (name, months) in FESTIVALS {
        if let Some(n) = phrase_at(words, name) {
            return Some(Period {
                months: months.to_vec(),
                words: n,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(text: &str) -> Option<(Vec<u8>, usize)> {
        let words: Vec<String> = crate::text::lower_exact(text)
            .split(' ')
            .map(str::to_owned)
            .collect();
        period_at(&words).map(|p| (p.months, p.words))
    }

    #[test]
    fn months_in_digits_and_words() {
        assert_eq!(period("tháng 10"), Some((vec![10], 2)));
        assert_eq!(period("thang 10 cam"), Some((vec![10], 2)));
        assert_eq!(period("thang muoi"), Some((vec![10], 2)));
        assert_eq!(period("tháng mười hai"), Some((vec![12], 3)));
        assert_eq!(period("tháng giêng"), Some((vec![1], 2)));
        assert_eq!(period("tháng chạp"), Some((vec![12], 2)));
        assert_eq!(period("T10"), Some((vec![10], 1)));
        assert_eq!(period("tháng 13"), None);
        // "muối" (salt) is not "mười".
        assert_eq!(period("tháng muối"), None);
        assert_eq!(period("thắng"), None);
    }

    #[test]
    fn seasons_and_festivals() {
        assert_eq!(period("mùa thu"), Some((vec![7, 8, 9], 2)));
        assert_eq!(period("mua xuan"), Some((vec![1, 2, 3], 2)));
        assert_eq!(period("mùa hè"), Some((vec![4, 5, 6], 2)));
        assert_eq!(period("dịp tết"), Some((vec![1, 2], 2)));
        assert_eq!(period("tet trung thu"), Some((vec![9], 3)));
        assert_eq!(period("tết"), Some((vec![1, 2], 1)));
        // "mùa hoa" is not a season; "múa" (dance) is not "mùa".
        assert_eq!(period("mùa hoa"), None);
        assert_eq!(period("múa thu"), None);
    }
}
