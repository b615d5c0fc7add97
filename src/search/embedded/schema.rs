//! The index schema: its fields, and a search document as a tantivy document.

use super::*;

/// Field handles of our schema.
#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub(super) id: Field,
    pub(super) slug: Field,
    pub(super) name_f: Field,
    pub(super) name_x: Field,
    pub(super) head: Field,
    pub(super) place_f: Field,
    pub(super) other_f: Field,
    pub(super) desc_f: Field,
    pub(super) rest_x: Field,
    pub(super) all_f: Field,
    pub(super) kind: Field,
    pub(super) category_code: Field,
    /// Every place code of the listing's path (commune, district, province): the place filter.
    pub(super) place_path: Field,
    /// The same codes as one space-separated value: the place facet is counted from this
    /// single-valued column and rolled up per distinct value (a third of the cost of counting
    /// the three-valued `place_path` per document).
    pub(super) place_chain: Field,
    pub(super) cooperative_slug: Field,
    pub(super) ocop_stars: Field,
    pub(super) certifications: Field,
    pub(super) season_months: Field,
    pub(super) ocop_n: Field,
    pub(super) price_vnd: Field,
    pub(super) event_days: Field,
    pub(super) published_at: Field,
    pub(super) name_len: Field,
    pub(super) lat: Field,
    pub(super) lng: Field,
}

/// Between the codes of `place_chain` (place codes are letters, digits and dashes).
pub(super) const CHAIN_SEPARATOR: &str = " ";

/// The fast column a facet is counted from, and whether its values are chains to split.
pub(super) fn facet_column(facet: &str) -> (&str, bool) {
    match facet {
        "place_path" => ("place_chain", true),
        other => (other, false),
    }
}

pub(super) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let keyword = STRING | FAST;
    let num = NumericOptions::default().set_indexed().set_fast();
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | FAST),
        slug: b.add_text_field("slug", FAST),
        name_f: b.add_text_field("name_f", text.clone()),
        name_x: b.add_text_field("name_x", text.clone()),
        head: b.add_text_field("head", text.clone()),
        place_f: b.add_text_field("place_f", text.clone()),
        other_f: b.add_text_field("other_f", text.clone()),
        desc_f: b.add_text_field("desc_f", text.clone()),
        rest_x: b.add_text_field("rest_x", text.clone()),
        all_f: b.add_text_field("all_f", text),
        kind: b.add_text_field("kind", keyword.clone()),
        category_code: b.add_text_field("category_code", keyword.clone()),
        place_path: b.add_text_field("place_path", STRING),
        place_chain: b.add_text_field("place_chain", FAST),
        cooperative_slug: b.add_text_field("cooperative_slug", keyword.clone()),
        ocop_stars: b.add_text_field("ocop_stars", keyword.clone()),
        certifications: b.add_text_field("certifications", keyword.clone()),
        season_months: b.add_text_field("season_months", keyword),
        ocop_n: b.add_i64_field("ocop_n", num.clone()),
        price_vnd: b.add_i64_field("price_vnd", num.clone()),
        event_days: b.add_i64_field("event_days", INDEXED),
        published_at: b.add_i64_field("published_at", FAST),
        name_len: b.add_u64_field("name_len", FAST),
        lat: b.add_f64_field("lat", FAST),
        lng: b.add_f64_field("lng", FAST),
    };
    (b.build(), fields)
}

pub(super) fn to_tantivy_doc(f: &Fields, doc: &SearchDocument) -> TantivyDocument {
    let t = DocText::of(doc);
    let mut d = TantivyDocument::default();
    d.add_i64(f.id, doc.id);
    d.add_text(f.slug, &doc.slug);
    d.add_text(f.name_f, analyze::folded_text(&t.name));
    d.add_text(f.name_x, analyze::marker_text(&t.name));
    if let Some(first) = t.name.first() {
        d.add_text(f.head, &first.folded);
        if first.accented() {
            d.add_text(f.head, &first.marker);
        }
    }
    d.add_text(f.place_f, analyze::folded_text(&t.places));
    d.add_text(f.other_f, analyze::folded_text(&t.other));
    d.add_text(f.desc_f, analyze::folded_text(&t.description));
    d.add_text(f.rest_x, t.rest_markers());
    let mut all: Vec<&str> = t
        .name
        .iter()
        .chain(&t.places)
        .chain(&t.other)
        .chain(&t.description)
        .map(|w| w.folded.as_str())
        .collect();
    all.sort_unstable();
    all.dedup();
    d.add_text(f.all_f, all.join(" "));
    d.add_text(f.kind, &doc.kind);
    d.add_text(f.category_code, &doc.category_code);
    for p in &doc.place_path {
        d.add_text(f.place_path, p);
    }
    d.add_text(f.place_chain, doc.place_path.join(CHAIN_SEPARATOR));
    d.add_text(f.cooperative_slug, &doc.cooperative_slug);
    if let Some(stars) = doc.ocop_stars {
        d.add_text(f.ocop_stars, stars.to_string());
        d.add_i64(f.ocop_n, i64::from(stars));
    }
    for c in &doc.certifications {
        d.add_text(f.certifications, c);
    }
    for m in &doc.season_months {
        d.add_text(f.season_months, m.to_string());
    }
    if let Some(price) = doc.price_vnd {
        d.add_i64(f.price_vnd, price);
    }
    for day in &doc.event_days {
        d.add_i64(f.event_days, i64::from(*day));
    }
    d.add_i64(f.published_at, doc.published_at);
    d.add_u64(f.name_len, t.name.len() as u64);
    d.add_f64(f.lat, doc.lat);
    d.add_f64(f.lng, doc.lng);
    d
}
