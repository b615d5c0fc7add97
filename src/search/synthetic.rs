//! Synthetic catalogue vocabulary and a deterministic document generator (benchmarks, `demo --synthetic`).
//!
//! The vocabulary (products, qualifiers, places, cooperatives, festivals, experiences) is public so
//! the catalogue can generate database rows from it; [`documents`] yields search documents of the
//! demo's shape directly. No `rand`: a seeded xorshift keeps everything reproducible.

use super::{SearchDocument, SearchFilters};
use crate::text::{fold, slugify};
use chrono::NaiveDate;

/// Base products: (Vietnamese name, category code).
pub const PRODUCTS: &[(&str, &str)] = &[
    ("Chè Shan tuyết", "tea"),
    ("Chè xanh", "tea"),
    ("Hồng trà Shan tuyết", "tea"),
    ("Chè búp", "tea"),
    ("Lê vàng", "fruit"),
    ("Lê xanh", "fruit"),
    ("Cam sành", "fruit"),
    ("Bưởi Soi Hà", "fruit"),
    ("Mận hậu", "fruit"),
    ("Quýt vàng", "fruit"),
    ("Rau su su", "vegetable"),
    ("Cải mèo", "vegetable"),
    ("Măng khô", "dried"),
    ("Nấm hương rừng", "dried"),
    ("Mộc nhĩ", "dried"),
    ("Mật ong bạc hà", "honey"),
    ("Mật ong rừng", "honey"),
    ("Tương nếp", "processed"),
    ("Miến dong", "processed"),
    ("Thịt trâu gác bếp", "processed"),
    ("Đường phên mía", "processed"),
    ("Lạp sườn", "processed"),
    ("Gạo nếp cái hoa vàng", "grain"),
    ("Tam giác mạch sấy", "grain"),
    ("Gạo Séng Cù", "grain"),
    ("Vịt bầu", "livestock"),
    ("Gà đen", "livestock"),
    ("Lợn bản", "livestock"),
    ("Khăn thổ cẩm", "handicraft"),
    ("Túi thổ cẩm", "handicraft"),
    ("Khèn Mông", "handicraft"),
];

/// Qualifiers added to product names.
pub const QUALIFIERS: &[&str] = &[
    "cổ thụ",
    "hữu cơ",
    "búp khô",
    "đặc sản",
    "thượng hạng",
    "vùng cao",
    "truyền thống",
    "loại một",
    "trái vụ",
    "sấy khô",
    "tươi",
    "Dao tiền",
];

pub const FESTIVALS: &[&str] = &[
    "Lễ hội mùa hoa lê",
    "Lễ hội Lồng Tông",
    "Lễ hội nhảy lửa người Pà Thẻn",
    "Lễ hội ruộng bậc thang",
    "Lễ hội hoa tam giác mạch",
    "Lễ hội Thành Tuyên",
    "Chợ phiên vùng cao",
    "Lễ cấp sắc người Dao",
];

/// Experiences: (name prefix, category code).
pub const EXPERIENCES: &[(&str, &str)] = &[
    ("Homestay bản", "homestay"),
    ("Nhà sàn", "homestay"),
    ("Tour thuyền hồ", "tour"),
    ("Trải nghiệm hái chè Shan tuyết", "tour"),
    ("Trekking ruộng bậc thang", "tour"),
    ("Khu di tích", "tour"),
];

/// Former districts (kept as groupings and aliases since the 2025 reform).
pub const DISTRICTS: &[(&str, f64, f64)] = &[
    ("Na Hang", 22.35, 105.39),
    ("Lâm Bình", 22.47, 105.22),
    ("Sơn Dương", 21.70, 105.38),
    ("Hàm Yên", 22.07, 105.04),
    ("Chiêm Hóa", 22.15, 105.27),
    ("Yên Sơn", 21.93, 105.25),
    ("Đồng Văn", 23.28, 105.36),
    ("Mèo Vạc", 23.16, 105.41),
    ("Hoàng Su Phì", 22.74, 104.68),
    ("Bắc Mê", 22.74, 105.36),
    ("Quản Bạ", 23.07, 104.98),
    ("Xín Mần", 22.63, 104.48),
    ("Yên Minh", 23.12, 105.14),
    ("Vị Xuyên", 22.67, 104.98),
    ("Bắc Quang", 22.49, 104.86),
    ("Quang Bình", 22.40, 104.62),
];

/// Syllables commune names are made of.
pub const SYLLABLES: &[&str] = &[
    "Hồng",
    "Thái",
    "Khau",
    "Mút",
    "Lăng",
    "Can",
    "Phù",
    "Lưu",
    "Minh",
    "Hương",
    "Vĩnh",
    "Quang",
    "Xuân",
    "Vân",
    "Mỹ",
    "Bằng",
    "Trung",
    "Yên",
    "Tân",
    "Trào",
    "Thượng",
    "Lâm",
    "Sơn",
    "Pác",
    "Tạ",
    "Nà",
    "Tạng",
    "Lũng",
    "Cú",
    "Pả",
    "Vi",
    "Sủng",
    "Là",
    "Thanh",
    "Tương",
    "Đà",
    "Vị",
    "Phúc",
    "Sơn",
    "Côn",
    "Lôn",
    "Bản",
    "Ngòi",
    "Tiến",
    "Kiên",
    "Đài",
    "Thị",
    "Hùng",
    "Lợi",
];

pub const CERTIFICATIONS: &[&str] = &["vietgap", "globalgap", "organic", "geographical_indication"];

pub const DESCRIPTION_PHRASES: &[&str] = &[
    "được trồng trên núi cao trên 1.000 m",
    "sản xuất theo phương pháp truyền thống của người Dao",
    "thu hái thủ công, đóng gói tại hợp tác xã",
    "hương vị đậm đà, hậu ngọt",
    "đạt chứng nhận OCOP của tỉnh",
    "giao hàng toàn quốc qua bưu điện",
    "phù hợp làm quà biếu dịp Tết",
    "bảo quản nơi khô ráo, thoáng mát",
    "gắn với sinh kế của bà con vùng cao",
    "mùa vụ chính vào cuối năm",
];

/// A small, fast, seeded xorshift64* generator.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A synthetic commune with its former district and province.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticCommune {
    pub code: String,
    pub name: String,
    pub district: &'static str,
    pub district_code: String,
    pub lat: f64,
    pub lng: f64,
}

/// `n` communes spread over [`DISTRICTS`], deterministic for `seed`.
pub fn communes(n: usize, seed: u64) -> Vec<SyntheticCommune> {
    let mut rng = XorShift::new(seed ^ 0xC0);
    (0..n)
        .map(|i| {
            let d = i % DISTRICTS.len();
            let (district, lat, lng) = DISTRICTS[d];
            let name = format!("{} {}", rng.pick(SYLLABLES), rng.pick(SYLLABLES));
            let jitter = |r: &mut XorShift| (r.below(4_000) as f64 - 2_000.0) / 10_000.0;
            SyntheticCommune {
                code: format!("TQ-D{d:02}-C{i:04}"),
                name,
                district,
                district_code: format!("TQ-D{d:02}"),
                lat: lat + jitter(&mut rng),
                lng: lng + jitter(&mut rng),
            }
        })
        .collect()
}

/// A synthetic cooperative: (slug, name, index of its commune).
pub fn cooperatives(
    n: usize,
    communes: &[SyntheticCommune],
    seed: u64,
) -> Vec<(String, String, usize)> {
    let mut rng = XorShift::new(seed ^ 0xC00B);
    (0..n)
        .map(|i| {
            let c = rng.below(communes.len());
            let (product, _) = rng.pick(PRODUCTS);
            let name = format!("HTX {product} {}", communes[c].name);
            (format!("{}-{i}", slugify(&name)), name, c)
        })
        .collect()
}

fn epoch_days(y: i32, m: u32, d: u32) -> Option<i32> {
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((date - epoch).num_days() as i32)
}

/// The Vietnamese name of a synthetic category code.
pub fn category_name(code: &str) -> &'static str {
    match code {
        "tea" => "Chè",
        "fruit" => "Trái cây",
        "vegetable" => "Rau",
        "dried" => "Đồ khô",
        "honey" => "Mật ong",
        "processed" => "Chế biến",
        "grain" => "Ngũ cốc",
        "livestock" => "Chăn nuôi",
        "handicraft" => "Thủ công",
        "festival" => "Lễ hội",
        "homestay" => "Homestay",
        _ => "Trải nghiệm",
    }
}

/// `n` documents of the demo's shape (ids `1..=n`, `published_at` = id), deterministic for
/// `seed`, generated lazily: about n/100 communes and n/60 cooperatives.
pub fn documents(n: usize, seed: u64) -> impl ExactSizeIterator<Item = SearchDocument> {
    let communes = communes((n / 100).clamp(20, 2_000), seed);
    let coops = cooperatives((n / 60).clamp(10, 5_000), &communes, seed);
    let mut rng = XorShift::new(seed);
    (0..n).map(move |i| {
        let id = i as i64 + 1;
        let (coop_slug, coop_name, coop_commune) = &coops[rng.below(coops.len())];
        // Most listings are in their cooperative's commune.
        let commune = if rng.chance(80) {
            &communes[*coop_commune]
        } else {
            &communes[rng.below(communes.len())]
        };
        let roll = rng.below(100);
        let (kind, name, category, price, events) = if roll < 82 {
            let (product, category) = *rng.pick(PRODUCTS);
            let name = if rng.chance(50) {
                format!("{product} {} {}", rng.pick(QUALIFIERS), commune.name)
            } else {
                format!("{product} {}", commune.name)
            };
            let price = rng.chance(95).then(|| (rng.below(990) as i64 + 10) * 1_000);
            ("product", name, category, price, Vec::new())
        } else if roll < 92 {
            let (prefix, category) = *rng.pick(EXPERIENCES);
            let name = format!("{prefix} {}", commune.name);
            let price = Some((rng.below(150) as i64 + 5) * 10_000);
            ("experience", name, category, price, Vec::new())
        } else {
            let name = format!("{} {}", rng.pick(FESTIVALS), commune.name);
            let month = rng.below(12) as u32 + 1;
            let start = rng.below(25) as u32 + 1;
            let len = rng.below(3) as u32;
            let mut days = Vec::new();
            for year in 2025..=2029 {
                for d in start..=start + len {
                    if let Some(day) = epoch_days(year, month, d) {
                        days.push(day);
                    }
                }
            }
            ("event", name, "festival", None, days)
        };
        let season_months: Vec<u8> = if kind == "event" {
            days_month(&events)
        } else if rng.chance(60) {
            let start = rng.below(12);
            let len = rng.below(5) + 1;
            let mut months: Vec<u8> = (0..len).map(|k| ((start + k) % 12 + 1) as u8).collect();
            months.sort_unstable();
            months
        } else {
            Vec::new()
        };
        let mut certifications = Vec::new();
        for c in CERTIFICATIONS {
            if kind == "product" && rng.chance(15) {
                certifications.push((*c).to_owned());
            }
        }
        let description = format!(
            "{name} {}, {}.",
            rng.pick(DESCRIPTION_PHRASES),
            rng.pick(DESCRIPTION_PHRASES)
        );
        SearchDocument {
            id,
            slug: format!("{}-{id}", slugify(&name)),
            kind: kind.to_owned(),
            name_en: None,
            description_vi: description,
            description_en: None,
            category_code: category.to_owned(),
            category_name_vi: category_name(category).to_owned(),
            place_code: commune.code.clone(),
            place_path: vec![
                commune.code.clone(),
                commune.district_code.clone(),
                "TQ".to_owned(),
            ],
            place_names: vec![
                commune.name.clone(),
                commune.district.to_owned(),
                format!("huyện {}", commune.district),
                "Tuyên Quang".to_owned(),
            ],
            cooperative_slug: coop_slug.clone(),
            cooperative_name: coop_name.clone(),
            price_vnd: price,
            ocop_stars: (kind == "product" && rng.chance(40)).then(|| rng.below(3) as i16 + 3),
            certifications,
            season_months,
            event_days: events,
            lat: commune.lat,
            lng: commune.lng,
            published_at: id,
            name_vi: name,
        }
    })
}

/// The two facets the benchmarks' "filter + 2 facets" searches ask for.
pub const MIX_TWO_FACETS: [&str; 2] = ["kind", "category_code"];

/// Kinds of query in the benchmark mix, in report order.
pub const MIX_KINDS: [&str; 5] = [
    "diacritic-free",
    "accented",
    "typos",
    "prefix (as you type)",
    "empty (browse)",
];

/// One query of the fixed benchmark mix (engine and HTTP benchmarks share it).
#[derive(Debug, Clone, PartialEq)]
pub struct MixQuery {
    /// One of [`MIX_KINDS`].
    pub kind: &'static str,
    pub text: String,
    /// The filter this query gets in the "with filter and facets" runs.
    pub filter: SearchFilters,
}

impl MixQuery {
    /// The query's filter as `GET /api/v1/search` parameters, each `&name=value` (the fields a
    /// mix filter sets: kind, category, place, OCOP stars, month in season, price).
    pub fn api_filter_params(&self) -> String {
        let f = &self.filter;
        let mut p = String::new();
        let mut add = |k: &str, v: &str| {
            p.push('&');
            p.push_str(k);
            p.push('=');
            p.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
        };
        let text = [
            ("kind", &f.kind),
            ("category", &f.category),
            ("place", &f.place),
        ];
        for (k, v) in text {
            if let Some(v) = v {
                add(k, v);
            }
        }
        let numbers = [
            ("ocop", f.min_ocop_stars.map(i64::from)),
            ("month", f.in_season_month.map(i64::from)),
            ("price_min", f.price_min),
            ("price_max", f.price_max),
        ];
        for (k, v) in numbers {
            if let Some(v) = v {
                add(k, &v.to_string());
            }
        }
        p
    }
}

/// One typo in a word of 5+ letters, never on the first letter (transposition or substitution).
fn with_typo(rng: &mut XorShift, text: &str) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    let candidates: Vec<usize> = (0..words.len()).filter(|&i| words[i].len() >= 5).collect();
    let Some(&i) = candidates.get(rng.below(candidates.len().max(1))) else {
        return text.to_owned();
    };
    let mut chars: Vec<char> = words[i].chars().collect();
    let at = 1 + rng.below(chars.len() - 2);
    if rng.chance(50) {
        chars.swap(at, at + 1);
    } else {
        chars[at] = if chars[at] == 'a' { 'e' } else { 'a' };
    }
    words[i] = chars.into_iter().collect();
    words.join(" ")
}

fn mix_filter(i: usize, rng: &mut XorShift) -> SearchFilters {
    let category = PRODUCTS[rng.below(PRODUCTS.len())].1;
    match i % 5 {
        0 => SearchFilters {
            category: Some(category.to_owned()),
            ..Default::default()
        },
        1 => SearchFilters {
            place: Some(format!("TQ-D{:02}", rng.below(DISTRICTS.len()))),
            ..Default::default()
        },
        2 => SearchFilters {
            kind: Some("product".into()),
            min_ocop_stars: Some(3),
            ..Default::default()
        },
        3 => SearchFilters {
            in_season_month: Some(rng.below(12) as u8 + 1),
            ..Default::default()
        },
        _ => SearchFilters {
            price_min: Some(50_000),
            price_max: Some(300_000),
            ..Default::default()
        },
    }
}

/// The fixed benchmark mix of `n` queries over a catalogue generated with `seed`: 30 %
/// diacritic-free, 15 % accented, 25 % with a typo, 25 % cut short (as you type), 5 % empty;
/// each with a filter (category, former district, product with OCOP ≥ 3, month, price range).
pub fn query_mix(n: usize, seed: u64) -> Vec<MixQuery> {
    let mut rng = XorShift::new(seed ^ 0xBEEF);
    let mut frng = XorShift::new(seed ^ 0xF11);
    let communes = communes(1_000, seed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (product, _) = *rng.pick(PRODUCTS);
        let place = if rng.chance(50) {
            rng.pick(DISTRICTS).0.to_owned()
        } else {
            communes[rng.below(communes.len())].name.clone()
        };
        let accented = if rng.chance(30) {
            format!("{product} {place}")
        } else if rng.chance(30) {
            (*rng.pick(FESTIVALS)).to_owned()
        } else {
            product.to_owned()
        };
        let (kind, text) = match i % 20 {
            0..=5 => (MIX_KINDS[0], fold(&accented)),
            6..=8 => (MIX_KINDS[1], accented.to_lowercase()),
            9..=13 => (MIX_KINDS[2], with_typo(&mut rng, &fold(&accented))),
            14..=18 => {
                let folded = fold(&accented);
                let mut cut: String = folded.clone();
                if let Some(last) = folded.rsplit(' ').next() {
                    let keep = 1 + rng.below(last.chars().count().max(1));
                    let head = &folded[..folded.len() - last.len()];
                    cut = format!("{head}{}", last.chars().take(keep).collect::<String>());
                }
                (MIX_KINDS[3], cut)
            }
            _ => (MIX_KINDS[4], String::new()),
        };
        out.push(MixQuery {
            kind,
            text,
            filter: SearchFilters::default(),
        });
    }
    for (i, q) in out.iter_mut().enumerate() {
        q.filter = mix_filter(i, &mut frng);
    }
    out
}

fn days_month(days: &[i32]) -> Vec<u8> {
    let Some(first) = days.first() else {
        return Vec::new();
    };
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1);
    epoch
        .and_then(|e| e.checked_add_signed(chrono::TimeDelta::days(i64::from(*first))))
        .map(|d| vec![chrono::Datelike::month(&d) as u8])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_filters_read_as_api_parameters() {
        let q = MixQuery {
            kind: "accented",
            text: "chè".into(),
            filter: SearchFilters {
                kind: Some("product".into()),
                category: Some("tea".into()),
                place: Some("TQ-D02".into()),
                min_ocop_stars: Some(3),
                in_season_month: Some(11),
                price_min: Some(50_000),
                price_max: Some(300_000),
                ..Default::default()
            },
        };
        assert_eq!(
            q.api_filter_params(),
            "&kind=product&category=tea&place=TQ-D02&ocop=3&month=11\
             &price_min=50000&price_max=300000"
        );
        assert_eq!(
            MixQuery {
                filter: SearchFilters::default(),
                ..q
            }
            .api_filter_params(),
            ""
        );
    }

    #[test]
    fn generator_is_deterministic_and_shaped_like_the_demo() {
        let a: Vec<SearchDocument> = documents(500, 7).collect();
        let b: Vec<SearchDocument> = documents(500, 7).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 500);
        assert_eq!(documents(500, 7).len(), 500);
        assert!(a
            .iter()
            .any(|d| d.kind == "event" && !d.event_days.is_empty()));
        assert!(a
            .iter()
            .all(|d| d.place_path.len() == 3 && d.place_path[2] == "TQ"));
        let slugs: std::collections::HashSet<&str> = a.iter().map(|d| d.slug.as_str()).collect();
        assert_eq!(slugs.len(), a.len());
        let c: Vec<SearchDocument> = documents(500, 8).collect();
        assert_ne!(a, c);
    }
}
