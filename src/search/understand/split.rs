//! Words run together ("mienđong", "#thittraugacbep"): split with the catalogue's own words,
//! fewest words first, then splits whose words appear together in one listing.

use super::Vocabulary;

/// Longest piece looked at (the longest Vietnamese syllable is 7 letters; brand words a few more).
const MAX_PIECE: usize = 10;
const MAX_SPLITS: usize = 64;

/// The best split of a folded token into at least two catalogue words, or `None`.
pub fn split(folded: &str, vocab: &Vocabulary) -> Option<Vec<String>> {
    let chars: Vec<char> = folded.chars().collect();
    let n = chars.len();
    if !(4..=40).contains(&n) || !chars.iter().all(|c| c.is_ascii_lowercase()) {
        return None;
    }
    // fewest[i]: fewest pieces covering chars[i..].
    let mut fewest: Vec<Option<usize>> = vec![None; n + 1];
    fewest[n] = Some(0);
    let piece = |i: usize, j: usize| -> String { chars[i..j].iter().collect() };
    for i in (0..n).rev() {
        for j in (i + 2)..=(i + MAX_PIECE).min(n) {
            if let Some(rest) = fewest[j] {
                if vocab.contains(&piece(i, j)) {
                    let total = rest + 1;
                    if fewest[i].is_none_or(|f| total < f) {
                        fewest[i] = Some(total);
                    }
                }
            }
        }
    }
    let best = fewest[0]?;
    if best < 2 {
        return None;
    }
    // Every split with the fewest pieces.
    let mut splits: Vec<Vec<String>> = Vec::new();
    let mut stack: Vec<(usize, Vec<String>)> = vec![(0, Vec::new())];
    while let Some((i, pieces)) = stack.pop() {
        if splits.len() >= MAX_SPLITS {
            break;
        }
        if i == n {
            splits.push(pieces);
            continue;
        }
        for j in (i + 2)..=(i + MAX_PIECE).min(n) {
            let p = piece(i, j);
            if fewest[j].is_some_and(|rest| rest + 1 == fewest[i].unwrap_or(0))
                && vocab.contains(&p)
            {
                let mut next = pieces.clone();
                next.push(p);
                stack.push((j, next));
            }
        }
    }
    splits.into_iter().max_by_key(|s| {
        let refs: Vec<&str> = s.iter().map(String::as_str).collect();
        let together = vocab.co_occur(&refs);
        let pairs: usize = refs
            .windows(2)
            .map(|w| usize::from(vocab.co_occur(w)))
            .sum();
        let freq: usize = refs.iter().map(|w| vocab.doc_freq(w).min(1_000)).sum();
        (together, pairs, freq)
    })
}
