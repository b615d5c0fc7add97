//! Unit tests of the understanding rules over a small catalogue.

use super::*;
use crate::search::SearchDocument;

fn doc(id: i64, name: &str, places: &[&str], path: &[&str]) -> SearchDocument {
    SearchDocument {
        place_code: path[0].into(),
        place_path: path.iter().map(|p| (*p).to_owned()).collect(),
        place_names: places.iter().map(|p| (*p).to_owned()).collect(),
        ..crate::search::sample_document(id, name)
    }
}

fn catalogue() -> Vocabulary {
    let ht = ["Hồng Thái", "Na Hang", "huyện Na Hang", "Tuyên Quang"];
    let ht_path = ["TQ-NH-HT", "TQ-NH", "TQ"];
    let ly = ["Lăng Can", "Lâm Bình", "huyện Lâm Bình", "Tuyên Quang"];
    let ly_path = ["TQ-LB-LC", "TQ-LB", "TQ"];
    let ty = ["Trung Yên", "Sơn Dương", "Tuyên Quang"];
    let ty_path = ["TQ-SD-TY", "TQ-SD", "TQ"];
    let mv = ["Mèo Vạc", "Hà Giang (cũ)", "tỉnh Hà Giang", "Tuyên Quang"];
    let mv_path = ["HG-MV", "HG", "TQ"];
    Vocabulary::of(&[
        doc(1, "Chè Shan tuyết cổ thụ Hồng Thái", &ht, &ht_path),
        doc(2, "Hồng trà Shan tuyết", &ht, &ht_path),
        doc(3, "Thịt trâu gác bếp", &ly, &ly_path),
        doc(4, "Miến dong Trung Yên", &ty, &ty_path),
        doc(5, "Mật ong bạc hà Mèo Vạc", &mv, &mv_path),
        doc(6, "Ngô nếp nương", &mv, &mv_path),
        doc(7, "Lê vàng Hồng Thái", &ht, &ht_path),
    ])
}

#[test]
fn telex_tokens_become_catalogue_words_and_english_stays() {
    let v = catalogue();
    assert_eq!(understand("hoongf thais", &v).text, "hồng thái");
    assert_eq!(understand("mieesn dong", &v).text, "miến dong");
    assert_eq!(understand("mie61n dong", &v).text, "miến dong");
    assert_eq!(understand("thijt trauw", &v).text, "thịt trau");
    let u = understand("shan tuyet", &v);
    assert_eq!(u.text, "shan tuyet");
    assert!(u.plain);
}

#[test]
fn run_together_words_are_split_with_catalogue_words() {
    let v = catalogue();
    assert_eq!(understand("mienđong", &v).text, "miến dong");
    assert_eq!(understand("thittraugacbep", &v).text, "thịt trâu gác bếp");
    assert_eq!(
        understand("#hongtrashantuyet", &v).text,
        "hồng trà shan tuyết"
    );
}

#[test]
fn short_syllable_typos_are_fixed_only_when_pinned() {
    let v = catalogue();
    // Words typed without marks stay so (they match marked text anyway).
    assert_eq!(understand("mat ing bac ha", &v).text, "mat ong bac ha");
    assert_eq!(
        understand("thit trau gac bap", &v).text,
        "thit trau gac bếp"
    );
    // A synonym that fits the other words wins over a typo.
    let v2 = Vocabulary::of(&[
        doc(1, "Lợn đen", &["Lăng Can"], &["TQ-LB-LC"]),
        doc(2, "Thịt lợn", &["Lăng Can"], &["TQ-LB-LC"]),
        doc(3, "Thịt đi theo", &["Lăng Can"], &["TQ-LB-LC"]),
    ]);
    let u = understand("thit heo", &v2);
    assert_eq!(u.text, "thit heo");
    assert_eq!(u.alternatives, vec!["thit lợn".to_owned()]);
    // Without neighbours, no guess.
    assert_eq!(understand("ing", &v).text, "ing");
    // Alone, "bap" is not pinned to "bếp": the synonym reading "ngô" is tried instead.
    let u = understand("bap", &v);
    assert_eq!(u.text, "bap");
    assert!(u.alternatives.contains(&"ngô".to_owned()), "{u:?}");
}

#[test]
fn places_periods_stars_and_filler() {
    let v = catalogue();
    let u = understand("đặc sản Na Hang", &v);
    assert_eq!(
        u.boost.place.as_ref().map(|p| p.code.as_str()),
        Some("TQ-NH")
    );
    assert_eq!(u.core, "");
    let u = understand("mật ong hà giang", &v);
    assert_eq!(u.boost.place.as_ref().map(|p| p.code.as_str()), Some("HG"));
    assert_eq!(u.core, "mật ong");
    let u = understand("cam tháng 10", &v);
    assert_eq!(u.boost.months, vec![10]);
    assert_eq!(u.text, "cam");
    let u = understand("ocop 4 sao", &v);
    assert_eq!(u.boost.ocop, Some(4));
    assert_eq!(u.text, "");
    let u = understand("che mua thu", &v);
    assert_eq!(u.boost.months, vec![7, 8, 9]);
}

#[test]
fn unknown_words_get_a_closest_reading() {
    let v = catalogue();
    let u = understand("mieng dongg", &v);
    assert_eq!(u.did_you_mean(&v).as_deref(), Some("miến dong"), "{u:?}");
    assert_eq!(understand("zzzzzz", &v).did_you_mean(&v), None);
}

#[test]
fn plans_rank_boosted_matches_first_and_fall_back() {
    let v = catalogue();
    let q = SearchQuery::text("mật ong na hang");
    let p = plan(&q, &v);
    let roles: Vec<(&str, When)> = p.steps.iter().map(|s| (s.role, s.when)).collect();
    assert_eq!(
        roles,
        vec![
            ("understood", When::Always),
            ("place", When::Fill),
            ("without boost", When::Fill),
        ]
    );
    assert_eq!(p.steps[0].query.filters.place.as_deref(), Some("TQ-NH"));
    assert_eq!(p.steps[1].query.text, "");
    assert_eq!(p.steps[2].query.filters.place, None);
    // A plain query is one step, exactly as asked.
    let q = SearchQuery::text("shan tuyet");
    assert_eq!(
        plan(&q, &v).steps,
        vec![Step {
            query: q.clone(),
            when: When::Always,
            role: "as typed",
            boost: None
        }]
    );
}

#[test]
fn removing_and_replacing_listings_forgets_their_words_spellings_and_places() {
    let ht = ["Hồng Thái", "Na Hang", "Tuyên Quang"];
    let ht_path = ["TQ-NH-HT", "TQ-NH", "TQ"];
    let ly = ["Lăng Can", "Lâm Bình", "Tuyên Quang"];
    let ly_path = ["TQ-LB-LC", "TQ-LB", "TQ"];
    let mut v = Vocabulary::of(&[
        doc(1, "Chè Shan tuyết", &ht, &ht_path),
        doc(2, "Chè xanh", &ly, &ly_path),
    ]);
    assert_eq!(v.doc_freq("che"), 2);
    assert_eq!(v.best_spelling("tuyet"), "tuyết");
    assert!(v.place_at(&["hong", "thai"]).is_some());
    v.remove(1);
    assert_eq!(v.len(), 1);
    assert_eq!(v.doc_freq("che"), 1);
    assert!(!v.contains("tuyet") && !v.contains("shan"));
    assert!(v.place_at(&["hong", "thai"]).is_none());
    // Replacing a listing counts its new spelling only.
    v.add(&doc(2, "Che xanh Lăng Can", &ly, &ly_path));
    v.add(&doc(2, "Chè xanh Lăng Can", &ly, &ly_path));
    assert_eq!(v.len(), 1);
    assert_eq!(v.best_spelling("che"), "chè");
    assert_eq!(v.spelling_like("che", "chè").as_deref(), Some("chè"));
    v.add(&doc(3, "Chè Shan tuyết", &ht, &ht_path));
    assert_eq!(v.doc_freq("tuyet"), 1);
    assert_eq!(
        v.place_at(&["hong", "thai"]).map(|p| p.name),
        Some("Hồng Thái".to_owned())
    );
    v.remove(2);
    v.remove(3);
    assert!(v.is_empty() && !v.contains("che"));
}

#[test]
fn re_adding_an_unchanged_listing_changes_nothing_and_a_changed_one_is_replaced() {
    let ht = ["Hồng Thái", "Na Hang", "Tuyên Quang"];
    let ht_path = ["TQ-NH-HT", "TQ-NH", "TQ"];
    let mut v = Vocabulary::of(&[
        doc(1, "Chè Shan tuyết", &ht, &ht_path),
        doc(2, "Chẻ tre", &ht, &ht_path),
        doc(3, "Chẻ lạt", &ht, &ht_path),
        doc(4, "Măng khô", &["Na Hang", "Tuyên Quang"], &ht_path),
    ]);
    assert_eq!(v.best_spelling("che"), "chẻ");
    // The indexer re-adds what it refreshes: the same listing twice more is still one use.
    for _ in 0..3 {
        v.add(&doc(1, "Chè Shan tuyết", &ht, &ht_path));
    }
    assert_eq!(v.len(), 4);
    assert_eq!(v.doc_freq("che"), 3);
    assert_eq!(v.best_spelling("che"), "chẻ");
    assert_eq!(v.co_occurrence(&["che", "tuyet"]), 1);
    // Same words and place names, another place path: the entry is replaced, not kept.
    let moved = ["TQ-LB-XX", "TQ-LB", "TQ"];
    for id in 1..=3 {
        let name = ["Chè Shan tuyết", "Chẻ tre", "Chẻ lạt"][id as usize - 1];
        v.add(&doc(id, name, &ht, &moved));
    }
    assert_eq!(
        v.place_at(&["hong", "thai"]).map(|p| p.code),
        Some("TQ-LB".to_owned())
    );
    // Changed words replace the old ones.
    v.add(&doc(1, "Chè xanh", &ht, &moved));
    assert!(!v.contains("tuyet") && v.contains("xanh"));
    assert_eq!(v.doc_freq("che"), 3);
}

#[test]
fn a_name_two_places_share_is_no_place() {
    // Two communes named Hồng Thái in different districts: the only place every listing
    // carrying the name shares is the province, which holds the other listings as well.
    let ht_nh = ["Hồng Thái", "Na Hang", "Tuyên Quang"];
    let ht_hsp = ["Hồng Thái", "Hoàng Su Phì", "Tuyên Quang"];
    let ly = ["Lăng Can", "Lâm Bình", "Tuyên Quang"];
    let mut v = Vocabulary::of(&[
        doc(1, "Chè Shan tuyết", &ht_nh, &["TQ-NH-HT", "TQ-NH", "TQ"]),
        doc(2, "Lễ hội hoa lê", &ht_hsp, &["TQ-HSP-HT", "TQ-HSP", "TQ"]),
        doc(3, "Chè xanh", &ly, &["TQ-LB-LC", "TQ-LB", "TQ"]),
    ]);
    assert_eq!(v.place_at(&["hong", "thai"]), None);
    let q = SearchQuery::text("hong thai");
    assert_eq!(plan(&q, &v).steps[0].query.text, "hong thai");
    // One of them gone, the name is one place again (its district holds the same listings).
    v.remove(2);
    assert_eq!(
        v.place_at(&["hong", "thai"]).map(|p| p.code),
        Some("TQ-NH".to_owned())
    );
    // A province every listing is in is still a place when its name is asked for.
    assert_eq!(
        v.place_at(&["tuyen", "quang"]).map(|p| p.code),
        Some("TQ".to_owned())
    );
}

fn found(n: usize) -> SearchResults {
    SearchResults {
        hits: (0..n)
            .map(|i| crate::search::SearchHit {
                id: i as i64 + 1,
                slug: format!("s{i}"),
            })
            .collect(),
        total: n as u64,
        ..Default::default()
    }
}

#[test]
fn synonym_readings_run_only_while_the_page_has_room() {
    let v = catalogue();
    let mut p = plan(&SearchQuery::text("bap nep"), &v);
    let roles: Vec<(&str, When)> = p.steps.iter().map(|s| (s.role, s.when)).collect();
    // "ngô nếp" is found together in one listing, so it goes first; "bap nep" fills.
    assert_eq!(roles[0], ("synonym", When::Always), "{roles:?}");
    assert_eq!(roles[1], ("understood", When::Fill), "{roles:?}");
    let shared: SharedVocabulary = Arc::new(RwLock::new(v));
    assert!(!p.ready(1, &[Some(found(20))], &shared));
    assert!(p.ready(1, &[Some(found(3))], &shared));
}

#[test]
fn the_closest_reading_is_worked_out_only_when_nothing_was_found() {
    let v = catalogue();
    let mut p = plan(&SearchQuery::text("mieng dongg"), &v);
    let last = p.steps.len() - 1;
    assert_eq!(p.steps[last].role, "did you mean");
    assert_eq!(
        p.steps[last].query.text, "",
        "not worked out while planning"
    );
    let shared: SharedVocabulary = Arc::new(RwLock::new(v));
    let mut done: Vec<Option<SearchResults>> = vec![Some(found(2))];
    done.resize(last, None);
    assert!(!p.ready(last, &done, &shared));
    assert_eq!(p.steps[last].query.text, "");
    done[0] = Some(found(0));
    assert!(p.ready(last, &done, &shared));
    assert_eq!(p.steps[last].query.text, "miến dong");
    let merged = p.merge({
        let mut a = done.clone();
        a.push(Some(found(1)));
        a
    });
    assert_eq!(merged.explain.did_you_mean.as_deref(), Some("miến dong"));
}

#[test]
fn readings_merged_take_the_counts_of_the_one_that_found_most() {
    let v = catalogue();
    let p = plan(&SearchQuery::text("bap nep"), &v);
    assert!(p.primary() >= 2, "both readings are primary");
    let with_counts = |n: usize, category: &str| SearchResults {
        facets: [(
            "category_code".to_owned(),
            [(category.to_owned(), n as u64)].into_iter().collect(),
        )]
        .into_iter()
        .collect(),
        ..found(n)
    };
    let mut answers = vec![
        Some(with_counts(3, "grain")),
        Some(with_counts(20, "processed")),
    ];
    answers.resize(p.steps.len(), None);
    let merged = p.merge(answers);
    assert_eq!(merged.total, 20);
    assert_eq!(merged.facets["category_code"]["processed"], 20);
    assert!(!merged.facets["category_code"].contains_key("grain"));
    // Hits of both, each once, the first reading's first.
    assert_eq!(merged.hits.len(), 20);
    assert_eq!(merged.hits[0].id, 1);
}
