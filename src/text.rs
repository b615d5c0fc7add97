//! Vietnamese text folding: the one place that knows how "Chè Shan tuyết" becomes "che shan tuyet".

use unicode_normalization::UnicodeNormalization;

/// Lower-cases and strips every diacritic, folding `đ`/`Đ` to `d`.
///
/// "Đường phên mía" → "duong phen mia". Used for slugs and for diacritic-free search.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        match c {
            'đ' | 'Đ' => out.push('d'),
            c if is_combining_mark(c) => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Lower-cases while keeping diacritics, in NFC, so "LỄ HỘI" and "lễ hội" compare equal.
pub fn lower_exact(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    // Text already in NFC (nearly all of it) skips the recomposition: same result.
    if unicode_normalization::is_nfc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes
    {
        return text.chars().flat_map(char::to_lowercase).collect();
    }
    text.nfc().flat_map(char::to_lowercase).collect()
}

/// A URL slug folded from Vietnamese: "Chè Shan tuyết cổ thụ Hồng Thái" → "che-shan-tuyet-co-thu-hong-thai".
pub fn slugify(text: &str) -> String {
    let folded = fold(text);
    let mut slug = String::with_capacity(folded.len());
    let mut pending_dash = false;
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c);
        } else {
            pending_dash = true;
        }
    }
    slug
}

fn is_combining_mark(c: char) -> bool {
    // Combining Diacritical Marks block: every Vietnamese tone and vowel mark after NFD.
    ('\u{0300}'..='\u{036f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Chè Shan tuyết"), "che shan tuyet");
        assert_eq!(fold("Đường phên mía"), "duong phen mia");
        assert_eq!(fold("MĂNG KHÔ"), "mang kho");
        assert_eq!(fold("Lễ hội"), "le hoi");
    }

    #[test]
    fn slugs_match_the_design() {
        assert_eq!(
            slugify("Chè Shan tuyết cổ thụ Hồng Thái"),
            "che-shan-tuyet-co-thu-hong-thai"
        );
        assert_eq!(
            slugify("Tour thuyền hồ Na Hang - Pác Tạ"),
            "tour-thuyen-ho-na-hang-pac-ta"
        );
        assert_eq!(
            slugify("  <script>alert(1)</script> "),
            "script-alert-1-script"
        );
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn exact_lowercase_keeps_marks() {
        assert_eq!(lower_exact("LỄ HỘI"), "lễ hội");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Vietnamese letters with every tone and vowel mark, upper and lower case, and the
        /// letter each folds to.
        const MARKED: &[(&str, char)] = &[
            ("aàáảãạăằắẳẵặâầấẩẫậAÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'a'),
            ("eèéẻẽẹêềếểễệEÈÉẺẼẸÊỀẾỂỄỆ", 'e'),
            ("iìíỉĩịIÌÍỈĨỊ", 'i'),
            ("oòóỏõọôồốổỗộơờớởỡợOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'o'),
            ("uùúủũụưừứửữựUÙÚỦŨỤƯỪỨỬỮỰ", 'u'),
            ("yỳýỷỹỵYỲÝỶỸỴ", 'y'),
            ("dđDĐ", 'd'),
        ];

        fn marked_letter() -> impl Strategy<Value = (char, char)> {
            let all: Vec<(char, char)> = MARKED
                .iter()
                .flat_map(|(letters, base)| letters.chars().map(move |c| (c, *base)))
                .collect();
            proptest::sample::select(all)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn slugs_are_lowercase_ascii_words_joined_by_single_dashes(text in any::<String>()) {
                let slug = slugify(&text);
                prop_assert!(
                    slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "{slug:?}"
                );
                prop_assert!(!slug.starts_with('-') && !slug.ends_with('-'), "{slug:?}");
                prop_assert!(!slug.contains("--"), "{slug:?}");
            }

            #[test]
            fn slugging_a_slug_changes_nothing(text in any::<String>()) {
                let slug = slugify(&text);
                prop_assert_eq!(slugify(&slug), slug.clone());
            }

            #[test]
            fn vietnamese_words_fold_to_their_base_letters(
                words in proptest::collection::vec(proptest::collection::vec(marked_letter(), 1..8), 1..6),
                gap in "[ \t,.!?/()-]{1,3}",
            ) {
                let text: Vec<String> = words.iter().map(|w| w.iter().map(|(c, _)| *c).collect()).collect();
                let folded: Vec<String> = words.iter().map(|w| w.iter().map(|(_, b)| *b).collect()).collect();
                prop_assert_eq!(slugify(&text.join(&gap)), folded.join("-"));
            }

            #[test]
            fn decomposed_and_composed_text_slug_alike(text in "[a-zA-ZàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđĐ ]{0,40}") {
                let decomposed: String = text.nfd().collect();
                prop_assert_eq!(slugify(&decomposed), slugify(&text));
            }
        }

        /// The definitions, without the shortcuts `fold` and `lower_exact` take.
        fn fold_in_full(text: &str) -> String {
            let mut out = String::new();
            for c in text.nfd() {
                match c {
                    'đ' | 'Đ' => out.push('d'),
                    c if is_combining_mark(c) => {}
                    c => out.extend(c.to_lowercase()),
                }
            }
            out
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn shortcuts_change_no_word(
                text in prop_oneof![
                    any::<String>(),
                    "[a-zA-Z0-9 ]{0,30}",
                    "[a-zA-ZàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđĐ ]{0,40}",
                ],
                decompose in any::<bool>(),
            ) {
                let text: String = if decompose { text.nfd().collect() } else { text };
                prop_assert_eq!(fold(&text), fold_in_full(&text));
                let lower: String = text.nfc().flat_map(char::to_lowercase).collect();
                prop_assert_eq!(lower_exact(&text), lower);
            }
        }

        #[test]
        fn named_examples() {
            assert_eq!(slugify("Chè Shan tuyết"), "che-shan-tuyet");
            assert_eq!(slugify("Đường phên đỏ"), "duong-phen-do");
            assert_eq!(slugify("--Mật ong  bạc hà--"), "mat-ong-bac-ha");
        }
    }
}
