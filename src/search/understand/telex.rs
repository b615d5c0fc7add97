//! Telex and VNI typed with the Vietnamese keyboard off: "hoongf" → "hồng", "mie61n" → "miến".
//!
//! A token is decoded letter by letter as the keyboard would have, keeping every reading where a
//! key could apply to more than one vowel, and only readings that are valid Vietnamese syllables
//! are returned.

use super::syllable::{self, Tone};
use crate::text::fold;

/// What a raw ASCII token could have been typed for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    /// Valid syllables (lower case, NFC, with marks), most likely first.
    pub syllables: Vec<String>,
    /// The letters left once the keys are taken out, folded ("trauw" → "trau"): what the
    /// shopper meant without its marks, even when the marks were mistyped.
    pub folded: String,
}

#[derive(Clone)]
struct State {
    out: Vec<char>,
    tone: Tone,
    keys: usize,
}

const MAX_STATES: usize = 16;

fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'ă' | 'â' | 'e' | 'ê' | 'i' | 'o' | 'ô' | 'ơ' | 'u' | 'ư' | 'y'
    )
}

/// Index range of the last run of vowels in `out`.
fn last_vowel_run(out: &[char]) -> Option<(usize, usize)> {
    let end = out.iter().rposition(|c| is_vowel(*c))?;
    let mut start = end;
    while start > 0 && is_vowel(out[start - 1]) {
        start -= 1;
    }
    Some((start, end + 1))
}

fn circumflex(c: char) -> Option<char> {
    match c {
        'a' => Some('â'),
        'e' => Some('ê'),
        'o' => Some('ô'),
        _ => None,
    }
}

/// Every way a horn/breve key (`w` in Telex, 7/8 in VNI) can apply to the last vowels.
fn hook_options(out: &[char], horn: bool, breve: bool) -> Vec<Vec<char>> {
    let mut options = Vec::new();
    let Some((start, end)) = last_vowel_run(out) else {
        return options;
    };
    for i in start..end {
        if horn && out[i] == 'u' && out.get(i + 1) == Some(&'o') && i + 1 < end {
            let mut o = out.to_vec();
            o[i] = 'ư';
            o[i + 1] = 'ơ';
            options.push(o);
        }
    }
    for i in (start..end).rev() {
        let to = match out[i] {
            'o' if horn => 'ơ',
            'u' if horn => 'ư',
            'a' if breve => 'ă',
            _ => continue,
        };
        let mut o = out.to_vec();
        o[i] = to;
        options.push(o);
    }
    options
}

fn step(state: &State, c: char, vni: bool) -> Vec<State> {
    let with = |out: Vec<char>, tone: Tone| State {
        out,
        tone,
        keys: state.keys + 1,
    };
    let literal = || {
        let mut s = state.clone();
        s.out.push(c);
        s
    };
    let has_vowel = state.out.iter().any(|c| is_vowel(*c));
    let tone_key = |t: Tone| {
        if has_vowel && state.tone == Tone::Level {
            vec![with(state.out.clone(), t)]
        } else {
            vec![literal()]
        }
    };
    if vni {
        return match c {
            '1' => tone_key(Tone::Acute),
            '2' => tone_key(Tone::Grave),
            '3' => tone_key(Tone::Hook),
            '4' => tone_key(Tone::Tilde),
            '5' => tone_key(Tone::Dot),
            '0' => vec![with(state.out.clone(), Tone::Level)],
            '6' => {
                let mut outs = Vec::new();
                if let Some((start, end)) = last_vowel_run(&state.out) {
                    for i in (start..end).rev() {
                        if let Some(m) = circumflex(state.out[i]) {
                            let mut o = state.out.clone();
                            o[i] = m;
                            outs.push(with(o, state.tone));
                        }
                    }
                }
                outs
            }
            '7' | '8' => hook_options(&state.out, c == '7', c == '8')
                .into_iter()
                .map(|o| with(o, state.tone))
                .collect(),
            '9' => match state.out.iter().position(|c| *c == 'd') {
                Some(i) => {
                    let mut o = state.out.clone();
                    o[i] = 'đ';
                    vec![with(o, state.tone)]
                }
                None => Vec::new(),
            },
            _ => vec![literal()],
        };
    }
    match c {
        'd' if state.out == ['d'] => vec![with(vec!['đ'], state.tone)],
        'a' | 'e' | 'o' => {
            let mut outs = Vec::new();
            if state.out.last() == Some(&c) {
                let mut o = state.out.clone();
                if let (Some(last), Some(m)) = (o.last_mut(), circumflex(c)) {
                    *last = m;
                }
                outs.push(with(o, state.tone));
            } else if let Some((start, end)) = last_vowel_run(&state.out) {
                // A late key after the final consonant: "tieengs" typed as "tiengse".
                if end < state.out.len() {
                    if let Some(i) = (start..end).rev().find(|&i| state.out[i] == c) {
                        let mut o = state.out.clone();
                        if let Some(m) = circumflex(c) {
                            o[i] = m;
                        }
                        outs.push(with(o, state.tone));
                    }
                }
            }
            outs.push(literal());
            outs
        }
        'w' => {
            let outs: Vec<State> = hook_options(&state.out, true, true)
                .into_iter()
                .map(|o| with(o, state.tone))
                .collect();
            if outs.is_empty() && !has_vowel {
                let mut o = state.out.clone();
                o.push('ư');
                return vec![with(o, state.tone)];
            }
            outs
        }
        's' => tone_key(Tone::Acute),
        'f' => tone_key(Tone::Grave),
        'r' => tone_key(Tone::Hook),
        'x' => tone_key(Tone::Tilde),
        'j' => tone_key(Tone::Dot),
        'z' if state.tone != Tone::Level => vec![with(state.out.clone(), Tone::Level)],
        _ => vec![literal()],
    }
}

/// Decodes one lower-case ASCII token typed in Telex or VNI. `None` when the token uses no key
/// (it is already what was meant) or is not a candidate (non-ASCII, digits only).
pub fn decode(token: &str) -> Option<Decoded> {
    if token.is_empty()
        || token.len() > 12
        || !token
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        || token.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let vni = token.bytes().any(|b| b.is_ascii_digit());
    if vni && !token.as_bytes()[0].is_ascii_lowercase() {
        return None;
    }
    let mut states = vec![State {
        out: Vec::new(),
        tone: Tone::Level,
        keys: 0,
    }];
    for c in token.chars() {
        let mut next: Vec<State> = Vec::new();
        for s in &states {
            next.extend(step(s, c, vni));
        }
        next.truncate(MAX_STATES);
        if next.is_empty() {
            return None;
        }
        states = next;
    }
    let keyed: Vec<&State> = states.iter().filter(|s| s.keys > 0).collect();
    let first = keyed.first()?;
    let mut syllables: Vec<String> = Vec::new();
    for s in &keyed {
        let base: String = s.out.iter().collect();
        if syllable::is_valid_base(&base, s.tone) {
            let word = syllable::with_tone(&base, s.tone);
            if !syllables.contains(&word) {
                syllables.push(word);
            }
        }
    }
    let folded = fold(&first.out.iter().collect::<String>());
    Some(Decoded { syllables, folded })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(token: &str) -> String {
        decode(token)
            .and_then(|d| d.syllables.first().cloned())
            .unwrap_or_default()
    }

    #[test]
    fn telex_keys_become_marks() {
        assert_eq!(first("hoongf"), "hồng");
        assert_eq!(first("thais"), "thái");
        assert_eq!(first("mieesn"), "miến");
        assert_eq!(first("thijt"), "thịt");
        assert_eq!(first("dduwa"), "đưa");
        assert_eq!(first("dduwowngf"), "đường");
        assert_eq!(first("tuyeets"), "tuyết");
        assert_eq!(first("meof"), "mèo");
        assert_eq!(first("vacj"), "vạc");
    }

    #[test]
    fn vni_digits_become_marks() {
        assert_eq!(first("mie61n"), "miến");
        assert_eq!(first("ho62ng"), "hồng");
        assert_eq!(first("d9uo72ng"), "đường");
        assert_eq!(first("cha2"), "chà");
    }

    #[test]
    fn mistyped_marks_still_give_the_letters() {
        // "trauw" is no syllable ("trău", "traư"), but the shopper meant the letters t-r-a-u.
        let d = decode("trauw").unwrap_or_default();
        assert_eq!(d.folded, "trau");
    }

    #[test]
    fn words_without_keys_or_invalid_results_are_left_alone() {
        assert_eq!(decode("shan"), None);
        assert!(decode("ocop").is_none_or(|d| d.syllables.is_empty()));
        assert_eq!(decode("10"), None);
        assert_eq!(decode("chè"), None);
        // Keys used, but no Vietnamese syllable comes out: English stays English.
        assert!(decode("tours").is_some_and(|d| d.syllables.is_empty()));
        assert!(decode("street").is_some_and(|d| d.syllables.is_empty()));
    }
}
