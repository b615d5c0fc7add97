//! Vietnamese syllables: onset + rhyme + tone validity, and writing a tone onto a toneless syllable.

use unicode_normalization::UnicodeNormalization;

/// The six tones; `Level` carries no mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Level,
    /// huyền `\`
    Grave,
    /// sắc `/`
    Acute,
    /// hỏi `?`
    Hook,
    /// ngã `~`
    Tilde,
    /// nặng `.`
    Dot,
}

impl Tone {
    fn mark(self) -> Option<char> {
        match self {
            Tone::Level => None,
            Tone::Grave => Some('\u{0300}'),
            Tone::Acute => Some('\u{0301}'),
            Tone::Hook => Some('\u{0309}'),
            Tone::Tilde => Some('\u{0303}'),
            Tone::Dot => Some('\u{0323}'),
        }
    }

    fn of_mark(c: char) -> Option<Tone> {
        match c {
            '\u{0300}' => Some(Tone::Grave),
            '\u{0301}' => Some(Tone::Acute),
            '\u{0309}' => Some(Tone::Hook),
            '\u{0303}' => Some(Tone::Tilde),
            '\u{0323}' => Some(Tone::Dot),
            _ => None,
        }
    }
}

/// Onsets, longest first so the first match is the right one.
const ONSETS: [&str; 27] = [
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
];

/// Every rhyme (medial + nucleus + coda) of standard Vietnamese, without tone.
const RHYMES: &[&str] = &[
    "a", "ac", "ach", "ai", "am", "an", "ang", "anh", "ao", "ap", "at", "au", "ay", "ăc", "ăm",
    "ăn", "ăng", "ăp", "ăt", "âc", "âm", "ân", "âng", "âp", "ât", "âu", "ây", "e", "ec", "em",
    "en", "eng", "eo", "ep", "et", "ê", "êch", "êm", "ên", "ênh", "êp", "êt", "êu", "i", "ia",
    "ich", "im", "in", "inh", "ip", "it", "iu", "iêc", "iêm", "iên", "iêng", "iêp", "iêt", "iêu",
    "o", "oa", "oac", "oach", "oai", "oam", "oan", "oang", "oanh", "oao", "oap", "oat", "oay",
    "oăc", "oăm", "oăn", "oăng", "oăt", "oc", "oe", "oen", "oeo", "oet", "oi", "om", "on", "ong",
    "oong", "ooc", "op", "ot", "ô", "ôc", "ôi", "ôm", "ôn", "ông", "ôp", "ôt", "ơ", "ơi", "ơm",
    "ơn", "ơp", "ơt", "u", "ua", "uân", "uâng", "uât", "uây", "uc", "uê", "uêch", "uênh", "ui",
    "um", "un", "ung", "uơ", "uôc", "uôi", "uôm", "uôn", "uông", "uôt", "up", "ut", "uy", "uya",
    "uych", "uyên", "uyêt", "uyn", "uynh", "uyp", "uyt", "uyu", "ư", "ưa", "ưc", "ưi", "ưm", "ưn",
    "ưng", "ươc", "ươi", "ươm", "ươn", "ương", "ươp", "ươt", "ươu", "ưt", "ưu", "y", "yêm", "yên",
    "yêt", "yêu",
];

fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'ă' | 'â' | 'e' | 'ê' | 'i' | 'o' | 'ô' | 'ơ' | 'u' | 'ư' | 'y'
    )
}

/// Splits a lower-case NFC syllable into its toneless letters and its tone.
pub fn split_tone(syllable: &str) -> (String, Tone) {
    let mut tone = Tone::Level;
    let base: String = syllable
        .nfd()
        .filter(|c| match Tone::of_mark(*c) {
            Some(t) => {
                tone = t;
                false
            }
            None => true,
        })
        .nfc()
        .collect();
    (base, tone)
}

fn front_vowel(rhyme: &str) -> bool {
    matches!(rhyme.chars().next(), Some('i' | 'e' | 'ê' | 'y'))
}

fn valid_parts(onset: &str, rhyme: &str, tone: Tone) -> bool {
    if !RHYMES.contains(&rhyme) {
        return false;
    }
    let stop = rhyme.ends_with('p')
        || rhyme.ends_with('t')
        || rhyme.ends_with('c')
        || rhyme.ends_with("ch");
    if stop && !matches!(tone, Tone::Acute | Tone::Dot) {
        return false;
    }
    // Spelling: k, gh, ngh before front vowels; c, g, ng elsewhere; qu never before u.
    match onset {
        "k" | "gh" | "ngh" => front_vowel(rhyme),
        "c" | "g" | "ng" => !front_vowel(rhyme),
        "qu" => !rhyme.starts_with('u') && !rhyme.starts_with('o'),
        "gi" => !rhyme.starts_with('i'),
        _ => true,
    }
}

/// Whether `syllable` (lower case, NFC, tone marks allowed) is a possible Vietnamese syllable.
pub fn is_valid(syllable: &str) -> bool {
    let (base, tone) = split_tone(syllable);
    is_valid_base(&base, tone)
}

/// [`is_valid`] on a toneless syllable and a separate tone.
pub fn is_valid_base(base: &str, tone: Tone) -> bool {
    if base.is_empty() || base.chars().count() > 8 {
        return false;
    }
    let mut parses: Vec<(&str, &str)> = Vec::with_capacity(3);
    for onset in ONSETS {
        if let Some(rest) = base.strip_prefix(onset) {
            parses.push((onset, rest));
            break;
        }
    }
    // "gì", "gìn": gi- with no vowel after reads as g + i-rhyme.
    if let Some(rest) = base.strip_prefix('g') {
        parses.push(("g_i", rest));
    }
    if base.chars().next().is_some_and(is_vowel) {
        parses.push(("", base));
    }
    parses.into_iter().any(|(onset, rhyme)| match onset {
        "g_i" => rhyme.starts_with('i') && valid_parts("", rhyme, tone),
        _ => valid_parts(onset, rhyme, tone),
    })
}

/// Writes `tone` onto the toneless syllable `base` where Vietnamese puts it (the marked vowel;
/// else the last vowel before a final consonant; else the first of two, the middle of three).
pub fn with_tone(base: &str, tone: Tone) -> String {
    let Some(mark) = tone.mark() else {
        return base.to_owned();
    };
    let chars: Vec<char> = base.chars().collect();
    // The vowels of the rhyme (skip the u of qu- and the i of gi- + vowel).
    let mut start = 0;
    if base.starts_with("qu")
        || (base.starts_with("gi") && chars.get(2).is_some_and(|c| is_vowel(*c)))
    {
        start = 2;
    }
    let vowels: Vec<usize> = (start..chars.len())
        .filter(|&i| is_vowel(chars[i]))
        .collect();
    let Some(&last) = vowels.last() else {
        return base.to_owned();
    };
    let marked: Vec<usize> = vowels
        .iter()
        .copied()
        .filter(|&i| matches!(chars[i], 'ă' | 'â' | 'ê' | 'ô' | 'ơ' | 'ư'))
        .collect();
    let at = if let Some(&m) = marked.last() {
        m
    } else if last + 1 < chars.len() {
        last
    } else if vowels.len() >= 3 {
        vowels[1]
    } else {
        vowels[0]
    };
    let mut out = String::with_capacity(base.len() + 2);
    for (i, c) in chars.iter().enumerate() {
        out.push(*c);
        if i == at {
            out.push(mark);
        }
    }
    out.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_syllables_are_valid() {
        for s in [
            "hồng",
            "thái",
            "miến",
            "dong",
            "thịt",
            "trâu",
            "dừa",
            "đường",
            "nghiêng",
            "quả",
            "già",
            "gì",
            "khuya",
            "tuyết",
            "chè",
            "lê",
            "ăn",
            "yên",
            "uống",
            "gác",
            "bếp",
            "mật",
            "ong",
            "bạc",
            "hà",
        ] {
            assert!(is_valid(s), "{s}");
        }
    }

    #[test]
    fn impossible_syllables_are_refused() {
        // Stop codas take only sắc or nặng; k/gh before front vowels, c/g elsewhere; no such
        // rhymes; letters that are not Vietnamese.
        for s in [
            "thìt", "mãt", "ce", "ci", "gha", "ghao", "quu", "tours", "ocop", "xyz", "traư",
            "hoongf", "shan",
        ] {
            assert!(!is_valid(s), "{s}");
        }
        assert!(is_valid("kì") && is_valid("ghế") && is_valid("giêng") && is_valid("gìn"));
    }

    #[test]
    fn tones_go_where_vietnamese_writes_them() {
        assert_eq!(with_tone("hông", Tone::Grave), "hồng");
        assert_eq!(with_tone("thai", Tone::Acute), "thái");
        assert_eq!(with_tone("mia", Tone::Acute), "mía");
        assert_eq!(with_tone("tuyêt", Tone::Acute), "tuyết");
        assert_eq!(with_tone("đương", Tone::Grave), "đường");
        assert_eq!(with_tone("qua", Tone::Hook), "quả");
        assert_eq!(with_tone("khuya", Tone::Level), "khuya");
        assert_eq!(with_tone("thit", Tone::Dot), "thịt");
        assert_eq!(split_tone("miến"), ("miên".to_owned(), Tone::Acute));
    }
}
