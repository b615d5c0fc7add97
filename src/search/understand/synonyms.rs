//! Synonyms, abbreviations and trade filler words, from the one curated file `synonyms.toml`.

use crate::text::{fold, lower_exact};
use serde::Deserialize;
use std::sync::LazyLock;

const FILE: &str = include_str!("synonyms.toml");

#[derive(Debug, Default, Deserialize)]
struct File {
    groups: Vec<Vec<String>>,
    abbreviations: Vec<Vec<String>>,
    filler: Vec<String>,
}

/// A phrase as words: lower case with marks, and folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub exact: Vec<String>,
    pub folded: Vec<String>,
}

impl Phrase {
    fn of(text: &str) -> Phrase {
        let exact: Vec<String> = lower_exact(text)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        let folded = exact.iter().map(|w| fold(w)).collect();
        Phrase { exact, folded }
    }

    /// Whether the query words (exact, folded) start with this phrase: a word typed with marks
    /// must match exactly, one typed without marks matches by its folded form.
    pub fn matches_at(&self, exact: &[String], folded: &[String]) -> bool {
        if exact.len() < self.exact.len() {
            return false;
        }
        self.exact.iter().enumerate().all(|(i, w)| {
            let typed_plain = exact[i] == folded[i];
            if typed_plain {
                folded[i] == self.folded[i]
            } else {
                exact[i] == *w
            }
        })
    }

    pub fn len(&self) -> usize {
        self.exact.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    pub fn text(&self) -> String {
        self.exact.join(" ")
    }
}

/// The curated word lists.
#[derive(Debug, Default)]
pub struct Lexicon {
    /// Groups of phrases that mean the same (synonyms and abbreviations alike).
    pub groups: Vec<Vec<Phrase>>,
    pub filler: Vec<Phrase>,
}

fn parse(text: &str) -> Result<Lexicon, toml::de::Error> {
    let file: File = toml::from_str(text)?;
    let groups = file
        .groups
        .iter()
        .chain(&file.abbreviations)
        .map(|g| {
            g.iter()
                .map(|p| Phrase::of(p))
                .filter(|p| !p.is_empty())
                .collect()
        })
        .collect();
    let filler = file.filler.iter().map(|p| Phrase::of(p)).collect();
    Ok(Lexicon { groups, filler })
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| match parse(FILE) {
    Ok(l) => l,
    Err(e) => {
        // The file is compiled in and tested; this only guards a bad edit.
        tracing::error!(error = %e, "synonyms.toml does not parse; synonyms are off");
        Lexicon::default()
    }
});

pub fn lexicon() -> &'static Lexicon {
    &LEXICON
}

impl Lexicon {
    /// The other phrases of every group whose member starts at the query words, with the length
    /// of the member matched.
    pub fn alternatives_at(&self, exact: &[String], folded: &[String]) -> Vec<(usize, &Phrase)> {
        let mut out = Vec::new();
        for group in &self.groups {
            // The longest member matching here.
            let Some(hit) = group
                .iter()
                .filter(|p| p.matches_at(exact, folded))
                .max_by_key(|p| p.len())
            else {
                continue;
            };
            for other in group.iter().filter(|p| *p != hit) {
                out.push((hit.len(), other));
            }
        }
        out
    }

    /// How many query words a filler phrase takes at the start, if one does.
    pub fn filler_at(&self, exact: &[String], folded: &[String]) -> Option<usize> {
        self.filler
            .iter()
            .filter(|p| p.matches_at(exact, folded))
            .map(Phrase::len)
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> (Vec<String>, Vec<String>) {
        let p = Phrase::of(text);
        (p.exact, p.folded)
    }

    #[test]
    fn the_file_parses_and_holds_the_regional_pairs() {
        let lex = parse(FILE).unwrap_or_default();
        assert!(lex.groups.len() >= 20, "{}", lex.groups.len());
        for (a, b) in [
            ("bắp", "ngô"),
            ("heo", "lợn"),
            ("thơm", "dứa"),
            ("mè", "vừng"),
            ("đậu phộng", "lạc"),
            ("khoai mì", "sắn"),
            ("htx", "hợp tác xã"),
            ("tp", "thành phố"),
            ("sp", "sản phẩm"),
        ] {
            let (e, f) = words(a);
            let alts: Vec<String> = lex
                .alternatives_at(&e, &f)
                .iter()
                .map(|(_, p)| p.text())
                .collect();
            assert!(alts.contains(&b.to_owned()), "{a} → {b}: {alts:?}");
        }
    }

    /// Every pair of every group, both ways, with and without marks.
    #[test]
    fn every_pair_of_every_group_works_both_ways() {
        let lex = parse(FILE).unwrap_or_default();
        for group in &lex.groups {
            for a in group {
                for b in group.iter().filter(|b| *b != a) {
                    for (exact, folded) in [
                        (a.exact.clone(), a.folded.clone()),
                        (a.folded.clone(), a.folded.clone()),
                    ] {
                        let alts: Vec<&Phrase> = lex
                            .alternatives_at(&exact, &folded)
                            .into_iter()
                            .filter(|(n, _)| *n == a.len())
                            .map(|(_, p)| p)
                            .collect();
                        assert!(
                            alts.contains(&b),
                            "{} → {}: {alts:?}",
                            exact.join(" "),
                            b.text()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn marks_typed_must_match() {
        let lex = lexicon();
        // "thơm" (pineapple in the South) → "dứa"; "thớm" is not "thơm".
        let (e, f) = words("thớm");
        assert!(lex.alternatives_at(&e, &f).is_empty());
        let (e, f) = words("đặc sản");
        assert_eq!(lex.filler_at(&e, &f), Some(2));
        let (e, f) = words("dac san na hang");
        assert_eq!(lex.filler_at(&e, &f), Some(2));
        let (e, f) = words("na hang");
        assert_eq!(lex.filler_at(&e, &f), None);
    }
}
