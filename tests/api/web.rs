//! The storefront and member pages over plain HTTP: what a phone without JavaScript gets.

use crate::both_backends;
use crate::helpers::{TestApp, PHONE_UA};
use reqwest::header::{HeaderMap, HeaderValue};

both_backends!(
    shopper_pages_in_both_languages,
    listing_page_for_sharing_and_buying,
    listing_and_event_pages_share_their_canonical_address,
    listings_without_photos_show_their_category_drawing,
    photos_are_responsive_pictures,
    pages_fit_the_3g_budget,
    sitemap_robots_and_not_found,
    member_manages_a_listing_without_javascript,
    forms_refuse_missing_or_forged_tokens,
    sign_in_is_rate_limited,
    sign_in_never_sends_the_browser_to_another_site,
    admin_reviews_and_creates_cooperatives
);
both_backends!(@settings |s| s.sitemap_urls_per_file = 10; the_sitemap_splits_into_files_of_the_limit);

/// With 10 URLs per file (the protocol's limit is 50 000), the 34 demo listings take 4 files
/// that together list each listing exactly once.
async fn the_sitemap_splits_into_files_of_the_limit(app: TestApp) {
    let (_, index) = app_text(&app, "/sitemap.xml").await;
    assert!(
        index.contains("sitemap-listings-4.xml") && !index.contains("sitemap-listings-5.xml"),
        "{index}"
    );
    let mut seen = std::collections::HashSet::new();
    for n in 1..=4 {
        let (status, xml) = app_text(&app, &format!("/sitemap-listings-{n}.xml")).await;
        assert_eq!(status, 200);
        let urls: Vec<&str> = xml
            .split("<loc>")
            .skip(1)
            .filter_map(|u| u.split("</loc>").next())
            .collect();
        assert!(urls.len() <= 10, "file {n}: {}", urls.len());
        for u in urls {
            assert!(seen.insert(u.to_owned()), "{u} listed twice");
        }
    }
    assert_eq!(seen.len(), 34);
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn browser() -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(
        reqwest::header::USER_AGENT,
        HeaderValue::from_static(PHONE_UA),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

pub async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// The value of the first hidden `csrf` field on the page.
pub fn csrf(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[start..].split('"').next().unwrap().to_owned()
}

/// The value of the first hidden input `name` on a page (or part of one).
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn post_form(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let res = client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

pub async fn sign_in(app: &TestApp, email: &str) -> reqwest::Client {
    let (client, status, location) = sign_in_then(app, email, "").await;
    assert_eq!(status, 303, "signed in");
    assert!(location == "/tai-khoan" || location == "/quan-tri");
    client
}

/// Signs in through the form with `next`; the client, the status and where it sends the browser.
async fn sign_in_then(app: &TestApp, email: &str, next: &str) -> (reqwest::Client, u16, String) {
    let client = browser();
    let (_, html) = page(&client, app, "/dang-nhap").await;
    let token = csrf(&html);
    let (status, location, _) = post_form(
        &client,
        app,
        "/dang-nhap",
        &[
            ("csrf", &token),
            ("email", email),
            ("password", "mat-khau-an-toan"),
            ("next", next),
        ],
    )
    .await;
    (client, status, location)
}

async fn shopper_pages_in_both_languages(app: TestApp) {
    let client = browser();
    let (status, home) = page(&client, &app, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("<html lang=\"vi\">"));
    assert!(home.contains("Lễ hội sắp tới"));
    assert!(home.contains("Sản phẩm OCOP nổi bật"));
    assert!(home.contains("href=\"/tim-kiem?category=tea\""));
    assert!(home.contains("href=\"/dia-phuong/TQ-NH\""));
    assert!(home.contains("/le-hoi/le-hoi-mua-hoa-le-hong-thai"));

    // ?lang=en switches and is remembered by a cookie.
    let res = client.get(app.url("/?lang=en")).send().await.unwrap();
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("lang=en"));
    assert!(res.text().await.unwrap().contains("Upcoming festivals"));
    let (_, again) = page(&client, &app, "/le-hoi").await;
    assert!(
        again.contains("Festival calendar"),
        "the cookie keeps English"
    );
    let (_, vi) = page(&client, &app, "/le-hoi?lang=vi").await;
    assert!(vi.contains("Lịch lễ hội"));

    // Search without diacritics finds the tea; filters narrow; partial answers a fragment.
    let (status, found) = page(&client, &app, "/tim-kiem?q=che+shan+tuyet").await;
    assert_eq!(status, 200);
    let first = found.find("/san-pham/che-shan-tuyet").unwrap();
    assert!(
        first
            < found
                .find("/san-pham/trai-nghiem-hai-che-shan-tuyet")
                .unwrap()
    );
    assert!(found.contains("href=\"/san-pham/che-shan-tuyet-co-thu-hong-thai\""));
    assert!(found.contains("<details class=\"filters\""));
    let (_, honey) = page(&client, &app, "/tim-kiem?q=mat+ong&category=honey").await;
    assert!(honey.contains("Mật ong bạc hà Mèo Vạc"));
    assert!(!honey.contains("Chè Shan tuyết"));
    let (_, partial) = page(&client, &app, "/tim-kiem?q=cam+sanh&partial=1").await;
    assert!(partial.starts_with("<div id=\"results\""));
    assert!(partial.contains("Cam sành Hàm Yên"));
    assert!(!partial.contains("<html"));
    let (_, by_place) = page(&client, &app, "/tim-kiem?place=TQ-NH&kind=product").await;
    assert!(by_place.contains("Chè Shan tuyết cổ thụ Hồng Thái"));
    assert!(!by_place.contains("Cam sành Hàm Yên"));
    // A page of more results keeps the place (checked against the kept names too).
    let (_, more_by_place) = page(
        &client,
        &app,
        "/tim-kiem?place=TQ-NH&kind=product&partial=1",
    )
    .await;
    assert!(more_by_place.starts_with("<div id=\"results\""));
    assert!(more_by_place.contains("Chè Shan tuyết cổ thụ Hồng Thái"));
    assert!(!more_by_place.contains("Cam sành Hàm Yên"));
    // The place filter offers the districts; a district's communes once it is chosen.
    let option = |code: &str| format!("<option value=\"{code}\"");
    assert!(found.contains(&option("TQ-NH")) && found.contains(&option("HG")));
    assert!(
        !found.contains(&option("TQ-NH-HT")),
        "no commune before a district"
    );
    assert!(by_place.contains("<option value=\"TQ-NH\" selected>· Na Hang"));
    assert!(by_place.contains("<option value=\"TQ-NH-HT\">· · Hồng Thái"));
    assert!(by_place.contains(&option("TQ-NH-KM")) && by_place.contains(&option("TQ-HY")));
    assert!(
        !by_place.contains(&option("TQ-HY-MH")),
        "only the chosen district's communes"
    );
    let (_, by_commune) = page(&client, &app, "/tim-kiem?place=TQ-NH-HT").await;
    assert!(by_commune.contains("<option value=\"TQ-NH-HT\" selected>· · Hồng Thái"));
    assert!(
        by_commune.contains(&option("TQ-NH-KM")),
        "the commune's neighbours stay offered"
    );
    assert!(!by_commune.contains(&option("HG-DV")));
    // The offered places carry their counts: a commune's is what choosing it finds.
    let count_of = |page: &str, shown: &str| -> usize {
        let at = page
            .find(shown)
            .unwrap_or_else(|| panic!("{shown} in the page"))
            + shown.len();
        let digits: String = page[at..]
            .strip_prefix(" (")
            .unwrap_or_else(|| panic!("a count after {shown}"))
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().expect("a count")
    };
    let hong_thai = count_of(&by_place, "<option value=\"TQ-NH-HT\">· · Hồng Thái");
    assert!(hong_thai > 0);
    let (_, chosen) = page(&client, &app, "/tim-kiem?place=TQ-NH-HT&kind=product").await;
    assert!(
        chosen.contains(&format!("{hong_thai} kết quả")),
        "the count offered ({hong_thai}) is what the commune finds"
    );
    let na_hang = count_of(&by_place, "<option value=\"TQ-NH\" selected>· Na Hang");
    assert!(na_hang >= hong_thai);
    // A province's count is its places' (it was missing while the index read the place
    // chains from the wrong end).
    assert!(count_of(&by_place, "<option value=\"TQ\">Tuyên Quang") >= na_hang);
    let tea_in_tq = count_of(&found, "<option value=\"TQ\">Tuyên Quang");
    assert!(tea_in_tq > 0 && tea_in_tq >= count_of(&found, "<option value=\"TQ-NH\">· Na Hang"));
    // "Load more" is a plain link to the next page.
    let (_, all) = page(&client, &app, "/tim-kiem").await;
    assert!(all.contains("data-more href=\"/tim-kiem?page=2\""));
    let (_, second) = page(&client, &app, "/tim-kiem?page=2").await;
    assert!(second.contains("<ol class=\"cards\" start=\"13\">"));
    // Nothing found as typed: the closest reading and its results, never an empty page.
    let (_, closest) = page(&client, &app, "/tim-kiem?q=vitt").await;
    assert!(
        closest.contains("Có phải bạn tìm: <a href=\"/tim-kiem?q=v%E1%BB%8Bt\">vịt</a>"),
        "{closest}"
    );
    assert!(closest.contains("Vịt bầu Minh Hương"));
    // Bad filter values are ignored, not an error page.
    let (status, _) = page(&client, &app, "/tim-kiem?month=99&ocop=x&price_min=abc").await;
    assert_eq!(status, 200);

    let (_, events) = page(&client, &app, "/le-hoi").await;
    assert!(events.contains("Lễ hội mùa hoa lê Hồng Thái"));
    assert!(events.contains("<h2>Tháng 2 "));
    // `?sau=` continues the calendar after an occurrence (the next API page's cursor).
    let (_, first) = app.get_json("/api/v1/events?limit=1").await;
    let (_, second) = app.get_json("/api/v1/events?limit=2").await;
    let first_slug = first["items"][0]["listing"]["slug"].as_str().unwrap();
    let second_slug = second["items"][1]["listing"]["slug"].as_str().unwrap();
    let cursor = first["next"].as_str().unwrap();
    let (status, rest) = page(&client, &app, &format!("/le-hoi?sau={cursor}")).await;
    assert_eq!(status, 200);
    // The first card after the cursor is the second occurrence, and the first occurrence is
    // gone (a yearly festival starting today is also listed a year on: count, not absence).
    let cards_of = |html: &str, slug: &str| html.matches(&format!("/le-hoi/{slug}\"")).count();
    let first_card = rest
        .split("href=\"/le-hoi/")
        .nth(1)
        .and_then(|s| s.split('"').next());
    assert_eq!(first_card, Some(second_slug), "{rest}");
    assert_eq!(
        cards_of(&rest, first_slug),
        cards_of(&events, first_slug) - 1,
        "{rest}"
    );
    assert!(
        !rest.contains("class=\"more btn\""),
        "one page holds the rest"
    );
    let (status, coop) = page(&client, &app, "/htx/htx-che-shan-tuyet-hong-thai").await;
    assert_eq!(status, 200);
    assert!(coop.contains("Hồng trà Shan tuyết"));
    assert!(coop.contains("href=\"tel:0912000101\""));
    let (status, place) = page(&client, &app, "/dia-phuong/TQ-NH").await;
    assert_eq!(status, 200);
    assert!(place.contains("Chè Shan tuyết cổ thụ Hồng Thái"));
    assert!(!place.contains("Cam sành Hàm Yên"));
}

async fn listing_page_for_sharing_and_buying(app: TestApp) {
    let client = browser();
    let (status, html) = page(&client, &app, "/san-pham/che-shan-tuyet-co-thu-hong-thai").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Chè Shan tuyết cổ thụ Hồng Thái</h1>"));
    assert!(html.contains("450.000 ₫ / hộp 200 g"));
    assert!(html.contains("OCOP 4 sao"));
    assert!(html.contains("Mua trên Shopee"));
    assert!(html.contains("href=\"/go/"));
    assert!(html.contains("href=\"tel:0912000101\""));
    assert!(html.contains(
        "https://www.openstreetmap.org/?mlat=22.4055&#38;mlon=105.4468#map=13/22.4055/105.4468"
    ));
    assert!(html.contains(
        "<link rel=\"canonical\" href=\"http://127.0.0.1:8080/san-pham/che-shan-tuyet-co-thu-hong-thai\">"
    ));
    assert!(
        html.contains("<meta property=\"og:title\" content=\"Chè Shan tuyết cổ thụ Hồng Thái\">")
    );
    assert!(html.contains("<meta property=\"product:price:amount\" content=\"450000\">"));
    assert!(html.contains(
        "<link rel=\"alternate\" hreflang=\"en\" href=\"http://127.0.0.1:8080/san-pham/che-shan-tuyet-co-thu-hong-thai?lang=en\">"
    ));
    assert!(html.contains("<meta property=\"product:price:currency\" content=\"VND\">"));
    let ld_start = html.find("<script type=\"application/ld+json\">").unwrap() + 35;
    let ld_end = ld_start + html[ld_start..].find("</script>").unwrap();
    let ld: serde_json::Value = serde_json::from_str(&html[ld_start..ld_end]).unwrap();
    assert_eq!(ld["@type"], "Product");
    assert_eq!(ld["offers"]["priceCurrency"], "VND");
    assert_eq!(ld["offers"]["price"], "450000");

    // The marketplace button counts the click and leaves for the marketplace.
    let go = html
        .split("href=\"/go/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let res = client
        .get(app.url(&format!("/go/{go}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);

    // Events: dates and Event JSON-LD; wrong prefix redirects to the canonical URL.
    let (status, fest) = page(&client, &app, "/le-hoi/le-hoi-mua-hoa-le-hong-thai").await;
    assert_eq!(status, 200);
    assert!(fest.contains("\"@type\":\"Event\""));
    assert!(fest.contains("Hằng năm"));
    assert!(fest.contains("/02/"));
    let res = client
        .get(app.url("/san-pham/le-hoi-mua-hoa-le-hong-thai"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 301);
    assert_eq!(
        res.headers()["location"],
        "/le-hoi/le-hoi-mua-hoa-le-hong-thai"
    );

    // English.
    let (_, en) = page(
        &client,
        &app,
        "/san-pham/che-shan-tuyet-co-thu-hong-thai?lang=en",
    )
    .await;
    assert!(en.contains("Buy on Shopee"));
    assert!(en.contains("Where to buy"));

    let (status, missing) = page(&browser(), &app, "/san-pham/khong-co").await;
    assert_eq!(status, 404);
    assert!(missing.contains("Không tìm thấy trang"));
}

async fn photos_are_responsive_pictures(app: TestApp) {
    use vungcao::store::photos::{self, NewPhoto, StoredVariant};
    let variants: Vec<StoredVariant> = [320u32, 640, 1280]
        .iter()
        .flat_map(|w| {
            ["webp", "jpeg"].into_iter().map(move |f| StoredVariant {
                width: *w,
                height: w * 3 / 4,
                format: f.into(),
                key: format!("ab/abcdef-{w}.{}", if f == "jpeg" { "jpg" } else { f }),
            })
        })
        .collect();
    app.with_db(move |conn| {
        for _ in 0..2 {
            photos::insert(
                conn,
                &NewPhoto {
                    listing_id: 1,
                    content_key: "ab/abcdef",
                    width: 3264,
                    height: 2448,
                    placeholder: "1QcSHQRnh493V4dIh4eXh1h4kJUI",
                    variants: &variants,
                },
            )
            .unwrap();
        }
        // Written past the review that would store the listing's view again: store it here.
        vungcao::store::listings::cards::refresh(conn, &[1]).unwrap();
    })
    .await;
    let client = browser();
    let (_, html) = page(&client, &app, "/san-pham/che-shan-tuyet-co-thu-hong-thai").await;
    assert!(html.contains(
        "<source type=\"image/webp\" srcset=\"/media/ab/abcdef-320.webp 320w, /media/ab/abcdef-640.webp 640w, /media/ab/abcdef-1280.webp 1280w\""
    ));
    assert!(html.contains("src=\"/media/ab/abcdef-640.jpg\""));
    assert!(html.contains("width=\"3264\" height=\"2448\""));
    assert_eq!(
        html.matches("fetchpriority=\"high\"").count(),
        1,
        "only the first is eager"
    );
    assert_eq!(html.matches("loading=\"lazy\"").count(), 1);
    assert!(html.contains("data-th=\"1QcSHQRnh493V4dIh4eXh1h4kJUI\""));
    assert!(html.contains("aspect-ratio:3264/2448;background-color:rgb("));
    // Photos stored before link-preview pictures were made offer their largest JPEG.
    assert!(html.contains(
        "<meta property=\"og:image\" content=\"http://127.0.0.1:8080/media/ab/abcdef-1280.jpg\">"
    ));
    assert!(html.contains("<meta property=\"og:image:width\" content=\"1280\">"));
    assert!(html.contains("<meta property=\"og:image:height\" content=\"960\">"));
    let ld_start = html.find("<script type=\"application/ld+json\">").unwrap() + 35;
    let ld_end = ld_start + html[ld_start..].find("</script>").unwrap();
    let ld: serde_json::Value = serde_json::from_str(&html[ld_start..ld_end]).unwrap();
    assert_eq!(
        ld["image"][0],
        "http://127.0.0.1:8080/media/ab/abcdef-640.jpg"
    );
    // Cards use the small variants.
    let (_, search) = page(&client, &app, "/tim-kiem?q=co+thu").await;
    assert!(search.contains("sizes=\"96px\""));
}

/// The value of attribute `name` on the first element that has `marker` in its start tag,
/// HTML entities for `&` undone.
fn attribute_near(html: &str, marker: &str, name: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} on the page"));
    let tag_start = html[..=at].rfind('<').unwrap();
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>').unwrap()];
    let needle = format!(" {name}=\"");
    let value_start = tag
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + needle.len();
    tag[value_start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
}

/// The value of `param` in the query of `link`, percent-decoded.
fn query_param(link: &str, param: &str) -> String {
    let url = url::Url::parse(link).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == param)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {param} in {link}"))
}

async fn listing_and_event_pages_share_their_canonical_address(app: TestApp) {
    let client = browser();
    for (path, lang) in [
        ("/san-pham/che-shan-tuyet-co-thu-hong-thai", "vi"),
        ("/le-hoi/le-hoi-mua-hoa-le-hong-thai", "vi"),
        ("/san-pham/che-shan-tuyet-co-thu-hong-thai?lang=en", "en"),
    ] {
        let (status, html) = page(&client, &app, path).await;
        assert_eq!(status, 200, "{path}");
        let canonical = attribute_near(&html, "<link rel=\"canonical\"", "href");
        let public = app.settings.public_url.trim_end_matches('/');
        assert_eq!(canonical, format!("{public}{path}"), "an absolute page URL");

        let (zalo_text, facebook_text, copy_text) = if lang == "vi" {
            ("Chia sẻ Zalo", "Chia sẻ Facebook", "Sao chép liên kết")
        } else {
            ("Share on Zalo", "Share on Facebook", "Copy link")
        };
        let facebook = attribute_near(&html, &format!(">{facebook_text}</a>"), "href");
        assert!(
            facebook.starts_with("https://www.facebook.com/sharer/sharer.php?u="),
            "{facebook}"
        );
        assert_eq!(query_param(&facebook, "u"), canonical, "{path}");
        let zalo = attribute_near(&html, &format!(">{zalo_text}</a>"), "href");
        assert!(
            zalo.starts_with("https://sp.zalo.me/share_inline?url="),
            "{zalo}"
        );
        assert_eq!(query_param(&zalo, "url"), canonical, "{path}");
        // Encoded, so the page's own `?`, `&` or `:` cannot break the share link's query.
        for link in [&facebook, &zalo] {
            let (_, value) = link.split_once('=').unwrap();
            assert!(value.starts_with("http%3A%2F%2F"), "{link}");
            assert!(!value.contains(['/', '?', ':']), "{link}");
        }
        assert_eq!(
            attribute_near(&html, &format!(">{copy_text}</button>"), "data-copy"),
            canonical
        );
        // Without JavaScript the button stays hidden and the link waits in a read-only field.
        assert!(html.contains(&format!(" hidden>{copy_text}</button>")));
        assert!(html.contains(&format!(
            "<input type=\"url\" readonly value=\"{}\">",
            canonical.replace('&', "&#38;")
        )));
        // Plain links: nothing of Zalo's or Facebook's is loaded by the page.
        assert!(!html.contains("sdk.js") && !html.contains("connect.facebook.net"));
        assert_eq!(
            html.matches("<script src=").count(),
            1,
            "only our own script"
        );
    }
}

async fn listings_without_photos_show_their_category_drawing(app: TestApp) {
    use vungcao::web::art;
    let client = browser();
    let (tea, orange) = (art::for_category("tea"), art::for_category("fruit"));
    assert_ne!(tea, orange);
    let (_, html) = page(&client, &app, "/san-pham/che-shan-tuyet-co-thu-hong-thai").await;
    assert!(
        html.contains(&format!("<figure class=\"drawn\">{tea}</figure>")),
        "the tea listing shows the tea drawing"
    );
    assert!(!html.contains(orange));
    assert!(!html.contains("class=\"gallery\""), "no empty gallery");
    assert!(
        !html.contains("og:image"),
        "no photo, no preview picture to name"
    );
    let (_, html) = page(&client, &app, "/san-pham/cam-sanh-ham-yen").await;
    assert!(html.contains(&format!("<figure class=\"drawn\">{orange}</figure>")));
    assert!(!html.contains(tea));
    let (_, html) = page(&client, &app, "/le-hoi/le-hoi-mua-hoa-le-hong-thai").await;
    assert!(html.contains(art::for_category("festival")));

    // Cards: every card without a photo shows its category's drawing, never an empty square.
    let (_, results) = page(&client, &app, "/tim-kiem?q=che").await;
    assert!(results.contains(&format!("<span class=\"thumb\" data-art>{tea}</span>")));
    assert!(!results.contains("<span class=\"thumb\"></span>"));
    let (_, home) = page(&client, &app, "/").await;
    assert!(home.contains("data-art><svg"));
    assert!(!home.contains("<span class=\"thumb\"></span>"));
}

/// Compressed bytes of a page plus the stylesheet and script it references.
/// What a page costs on 3G, as the server sends it gzip-compressed: `(html, html_gz, total)`,
/// the total with its stylesheet and script. `client` carries the cookies of whoever looks.
pub async fn weigh(client: &reqwest::Client, app: &TestApp, path: &str) -> (String, usize, usize) {
    let get = |url: String| {
        let client = client.clone();
        async move {
            let res = client
                .get(url)
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-encoding"], "gzip");
            res.bytes().await.unwrap()
        }
    };
    let html_gz = get(app.url(path)).await;
    let html = {
        use std::io::Read;
        let mut out = String::new();
        flate2::read::GzDecoder::new(&html_gz[..])
            .read_to_string(&mut out)
            .unwrap();
        out
    };
    let mut total = html_gz.len();
    for marker in ["<link rel=\"stylesheet\" href=\"", "<script src=\""] {
        let start = html.find(marker).unwrap() + marker.len();
        let url = html[start..].split('"').next().unwrap();
        total += get(app.url(url)).await.len();
    }
    (html, html_gz.len(), total)
}

async fn transferred(app: &TestApp, path: &str) -> (usize, usize) {
    let (_, html, total) = weigh(&browser(), app, path).await;
    (html, total)
}

async fn pages_fit_the_3g_budget(app: TestApp) {
    for path in [
        "/",
        "/tim-kiem?q=che",
        "/tim-kiem",
        "/san-pham/che-shan-tuyet-co-thu-hong-thai",
        "/le-hoi",
    ] {
        let (html, total) = transferred(&app, path).await;
        println!("page weight {path}: HTML {html} B, with CSS and JS {total} B (gzip)");
        assert!(total <= 30 * 1024, "{path} weighs {total} bytes");
    }
    // Assets are cached for a year and versioned by content.
    let res = app.get("/static/site.css?v=1").await;
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let res = app
        .client
        .get(app.url("/static/site.css"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
}

async fn sitemap_robots_and_not_found(app: TestApp) {
    // An index of files: the site's pages, then the listings (34 fit one file).
    let (status, index) = app_text(&app, "/sitemap.xml").await;
    assert_eq!(status, 200);
    assert!(
        index.starts_with("<?xml") && index.contains("<sitemapindex"),
        "{index}"
    );
    assert!(index.contains("<loc>http://127.0.0.1:8080/sitemap-pages.xml</loc>"));
    assert!(index.contains("<loc>http://127.0.0.1:8080/sitemap-listings-1.xml</loc>"));
    assert!(!index.contains("sitemap-listings-2.xml"));
    let (status, xml) = app_text(&app, "/sitemap-listings-1.xml").await;
    assert_eq!(status, 200);
    assert!(
        xml.contains("<loc>http://127.0.0.1:8080/san-pham/che-shan-tuyet-co-thu-hong-thai</loc>")
    );
    assert!(xml.contains("<loc>http://127.0.0.1:8080/le-hoi/le-hoi-mua-hoa-le-hong-thai</loc>"));
    assert_eq!(xml.matches("<url>").count(), 34);
    let (_, pages) = app_text(&app, "/sitemap-pages.xml").await;
    assert!(pages.contains("<loc>http://127.0.0.1:8080/htx/htx-che-shan-tuyet-hong-thai</loc>"));
    assert!(pages.contains("<loc>http://127.0.0.1:8080/dia-phuong/TQ-NH-HT</loc>"));
    assert_eq!(app_text(&app, "/sitemap-listings-2.xml").await.0, 404);
    assert_eq!(app_text(&app, "/sitemap-listings-0.xml").await.0, 404);
    let (status, robots) = app_text(&app, "/robots.txt").await;
    assert_eq!(status, 200);
    assert!(robots.contains("Sitemap: http://127.0.0.1:8080/sitemap.xml"));
    assert!(robots.contains("Disallow: /tai-khoan"));
    let (status, html) = app_text(&app, "/khong-co-trang-nay").await;
    assert_eq!(status, 404);
    assert!(html.contains("Về trang chủ"));
    let (status, _) = app_text(&app, "/go/999999").await;
    assert_eq!(status, 404);
    // The API keeps its JSON 404.
    let res = app.get("/api/v1/khong-co").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

async fn app_text(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

async fn member_manages_a_listing_without_javascript(app: TestApp) {
    // Signed out, the member area sends you to sign in and back.
    let anonymous = browser();
    let res = anonymous.get(app.url("/tai-khoan")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dang-nhap?next=%2Ftai-khoan");

    let member = browser();
    let (_, login) = page(&member, &app, "/dang-nhap").await;
    let token = csrf(&login);
    let (status, _, body) = post_form(
        &member,
        &app,
        "/dang-nhap",
        &[
            ("csrf", &token),
            ("email", "tea@htx.vn"),
            ("password", "sai-mat-khau"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert!(body.contains("Sai email hoặc mật khẩu."));
    assert!(body.contains("value=\"tea@htx.vn\""), "the email is kept");
    let res = member
        .post(app.url("/dang-nhap"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", "tea@htx.vn"),
            ("password", "mat-khau-an-toan"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("vungcao_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));

    let (status, mine) = page(&member, &app, "/tai-khoan").await;
    assert_eq!(status, 200);
    assert!(mine.contains("Chè Shan tuyết cổ thụ Hồng Thái"));
    assert!(mine.contains("Đang bán"));
    assert!(mine.contains("Chưa có lượt bấm nào."));

    // A bad form comes back with the input kept and the errors in Vietnamese next to the fields.
    let (_, form) = page(&member, &app, "/tai-khoan/san-pham/moi").await;
    let token = csrf(&form);
    assert!(form.contains("Lưu sản phẩm trước, sau đó thêm ảnh."));
    let (status, _, body) = post_form(
        &member,
        &app,
        "/tai-khoan/san-pham/moi",
        &[
            ("csrf", &token),
            ("name", ""),
            ("kind", "product"),
            ("category", "tea"),
            ("price", "bốn trăm"),
            ("unit", "hộp"),
            ("month", "3"),
            ("description", "Chè thơm"),
            ("platform", "tiki"),
            ("url", "https://shopee.vn/che"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("Vui lòng sửa các ô được đánh dấu."));
    assert!(body.contains("Vui lòng điền ô này."));
    assert!(body.contains("Hãy nhập một số, ví dụ 450000."));
    assert!(body.contains("Đường dẫn này không thuộc sàn đã chọn."));
    assert!(body.contains("value=\"bốn trăm\""));
    assert!(body.contains("value=\"https://shopee.vn/che\""));
    assert!(body.contains(
        "<textarea name=\"description\" rows=\"6\" maxlength=\"5000\">Chè thơm</textarea>"
    ));
    assert!(body.contains("value=\"3\" checked"));

    // A good one is saved as a draft; script in a name stays text.
    let (status, location, _) = post_form(
        &member,
        &app,
        "/tai-khoan/san-pham/moi",
        &[
            ("csrf", &token),
            ("name", "<script>alert(1)</script> Chè mới"),
            ("kind", "product"),
            ("category", "tea"),
            ("price", "250.000"),
            ("unit", "túi 200 g"),
            ("month", "3"),
            ("month", "4"),
            ("description", "Chè <b>thơm</b>"),
            ("platform", "shopee"),
            ("url", "https://shopee.vn/che-moi"),
            ("platform", "shopee"),
            ("url", ""),
        ],
    )
    .await;
    assert_eq!(status, 303, "created");
    assert!(location.starts_with("/tai-khoan/san-pham/"));
    let id: i64 = location
        .trim_start_matches("/tai-khoan/san-pham/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, edit) = page(&member, &app, &location).await;
    assert!(edit.contains("Đã lưu."));
    assert!(edit.contains("Bản nháp"));
    assert!(edit.contains("&#60;script&#62;alert(1)&#60;/script&#62; Chè mới"));
    assert!(!edit.contains("<script>alert(1)</script>"));
    assert!(edit.contains("value=\"250000\""));
    assert!(edit.contains("accept=\"image/*\" capture=\"environment\" multiple"));
    assert!(edit.contains(&format!("data-upload=\"/api/v1/my/listings/{id}/photos\"")));

    // Edit keeps what the form does not show, e.g. the English name set through the API.
    app.patch(
        &format!("/api/v1/my/listings/{id}"),
        &app.tea_token,
        serde_json::json!({"name": {"vi": "<script>alert(1)</script> Chè mới", "en": "New tea"}}),
    )
    .await;
    let token = csrf(&edit);
    let (status, _, _) = post_form(
        &member,
        &app,
        &format!("/tai-khoan/san-pham/{id}"),
        &[
            ("csrf", &token),
            ("name", "<script>alert(1)</script> Chè mới"),
            ("kind", "product"),
            ("category", "tea"),
            ("price", "260000"),
            ("unit", "túi 200 g"),
            ("description", "Chè <b>thơm</b>"),
            ("platform", "shopee"),
            ("url", "https://shopee.vn/che-moi"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, json) = app
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(json["name"]["en"], "New tea");
    assert_eq!(json["price"]["vnd"], 260000);
    assert_eq!(json["season_months"], serde_json::json!([]));

    // Submit for review, then the admin approves it.
    let (status, location, _) = post_form(
        &member,
        &app,
        &format!("/tai-khoan/san-pham/{id}/gui-duyet"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/tai-khoan?ok=submitted")
    );
    let (_, mine) = page(&member, &app, "/tai-khoan?ok=submitted").await;
    assert!(mine.contains("Chờ duyệt"));

    let admin = sign_in(&app, "admin@tuyenquang.gov.vn").await;
    let (_, queue) = page(&admin, &app, "/quan-tri").await;
    assert!(queue.contains("&#60;script&#62;alert(1)&#60;/script&#62; Chè mới"));
    let admin_token = csrf(&queue);
    let version = hidden(
        &queue[queue.find(&format!("id=\"l{id}\"")).unwrap()..],
        "version",
    );
    let (status, location, _) = post_form(
        &admin,
        &app,
        &format!("/quan-tri/duyet/{id}/dang"),
        &[("csrf", &admin_token), ("version", &version)],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, "/quan-tri?ok=approved"));
    app.indexed().await;
    let (_, found) = page(&browser(), &app, "/tim-kiem?q=che+moi").await;
    assert!(found.contains("script-alert-1-script-che-moi"));
    let (status, public) = page(&browser(), &app, "/san-pham/script-alert-1-script-che-moi").await;
    assert_eq!(status, 200);
    assert!(public.contains("<h1>&#60;script&#62;alert(1)&#60;/script&#62; Chè mới</h1>"));
    assert!(public.contains("Chè &#60;b&#62;thơm&#60;/b&#62;"));
    assert!(
        public.contains("\\u003cscript\\u003e"),
        "JSON-LD cannot close its script"
    );

    // A click on its button shows up in the member's click table.
    let go = public
        .split("href=\"/go/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    browser()
        .get(app.url(&format!("/go/{go}")))
        .send()
        .await
        .unwrap();
    // Clicks are counted off the redirect's path: wait (bounded) for this one to land.
    let mut mine = String::new();
    for _ in 0..100 {
        mine = page(&member, &app, "/tai-khoan").await.1;
        if mine.contains("<small>Shopee</small>") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(mine.contains("<small>Shopee</small>"));
    assert!(mine.contains("1 lượt"));

    // Archive, then sign out.
    let (status, location, _) = post_form(
        &member,
        &app,
        &format!("/tai-khoan/san-pham/{id}/luu-tru"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, "/tai-khoan?ok=archived"));
    let (status, _) = page(&browser(), &app, "/san-pham/script-alert-1-script-che-moi").await;
    assert_eq!(status, 404);
    let (status, location, _) = post_form(&member, &app, "/dang-xuat", &[("csrf", &token)]).await;
    assert_eq!((status, location.as_str()), (303, "/"));
    let res = member.get(app.url("/tai-khoan")).send().await.unwrap();
    assert_eq!(res.status(), 303, "signed out");
}

async fn forms_refuse_missing_or_forged_tokens(app: TestApp) {
    let member = sign_in(&app, "tea@htx.vn").await;
    let other = sign_in(&app, "tea@htx.vn").await;
    let orange = sign_in(&app, "orange@htx.vn").await;
    let before = app.snapshot().await;
    for (path, fields) in [
        ("/tai-khoan/san-pham/1/luu-tru", vec![]),
        ("/tai-khoan/san-pham/1/luu-tru", vec![("csrf", "forged")]),
        (
            "/tai-khoan/san-pham/moi",
            vec![
                ("csrf", "x"),
                ("name", "Hàng giả"),
                ("kind", "product"),
                ("category", "tea"),
                ("description", "x"),
            ],
        ),
        ("/tai-khoan/san-pham/1/gui-duyet", vec![]),
    ] {
        let (status, _, body) = post_form(&member, &app, path, &fields).await;
        assert_eq!(status, 403, "{path}");
        assert!(body.contains("Biểu mẫu đã hết hạn"));
    }
    // The token of another session does not work either.
    let (_, html) = page(&other, &app, "/tai-khoan/san-pham/1").await;
    let (status, _, _) = post_form(
        &member,
        &app,
        "/tai-khoan/san-pham/1/luu-tru",
        &[("csrf", &csrf(&html))],
    )
    .await;
    assert_eq!(status, 403);
    // Sign-in without the pre-session cookie's token.
    let (status, _, _) = post_form(
        &browser(),
        &app,
        "/dang-nhap",
        &[
            ("csrf", "x"),
            ("email", "tea@htx.vn"),
            ("password", "mat-khau-an-toan"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    // Another cooperative's listing is not editable through the pages.
    let (_, html) = page(&orange, &app, "/tai-khoan").await;
    let (status, _, _) = post_form(
        &orange,
        &app,
        "/tai-khoan/san-pham/1/luu-tru",
        &[("csrf", &csrf(&html))],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

async fn sign_in_never_sends_the_browser_to_another_site(app: TestApp) {
    for next in [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
    ] {
        let (_, status, location) = sign_in_then(&app, "tea@htx.vn", next).await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/tai-khoan"),
            "next={next:?}"
        );
    }
    // The not-found page does not turn `//host` into a link to that host.
    let client = browser();
    let (status, html) = page(&client, &app, "//evil.example").await;
    assert_eq!(status, 404);
    assert!(!html.contains("\"//evil.example"), "{html}");
    assert!(!html.contains("href=\"//"), "{html}");
}

async fn sign_in_is_rate_limited(app: TestApp) {
    let client = browser();
    let (_, html) = page(&client, &app, "/dang-nhap").await;
    let token = csrf(&html);
    for _ in 0..5 {
        let (status, _, _) = post_form(
            &client,
            &app,
            "/dang-nhap",
            &[
                ("csrf", &token),
                ("email", "tea@htx.vn"),
                ("password", "doan-mo-1234"),
            ],
        )
        .await;
        assert_eq!(status, 401);
    }
    let (status, _, body) = post_form(
        &client,
        &app,
        "/dang-nhap",
        &[
            ("csrf", &token),
            ("email", "tea@htx.vn"),
            ("password", "mat-khau-an-toan"),
        ],
    )
    .await;
    assert_eq!(status, 429);
    assert!(body.contains("Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau"));
}

async fn admin_reviews_and_creates_cooperatives(app: TestApp) {
    // A member cannot see the admin pages.
    let member = sign_in(&app, "tea@htx.vn").await;
    let (status, _) = page(&member, &app, "/quan-tri").await;
    assert_eq!(status, 404);

    let (_, created) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            crate::helpers::new_listing("Chè búp tím"),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/my/listings/{id}/submit"),
        &app.tea_token,
        serde_json::json!({}),
    )
    .await;

    let admin = sign_in(&app, "admin@tuyenquang.gov.vn").await;
    let (_, queue) = page(&admin, &app, "/quan-tri").await;
    assert!(queue.contains("Chè búp tím"));
    let token = csrf(&queue);
    let (status, _, body) = post_form(
        &admin,
        &app,
        &format!("/quan-tri/duyet/{id}/tu-choi"),
        &[("csrf", &token), ("reason", "  ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("Hãy ghi lý do"));
    let (status, _, _) = post_form(
        &admin,
        &app,
        &format!("/quan-tri/duyet/{id}/tu-choi"),
        &[
            ("csrf", &token),
            ("reason", "Ảnh bị mờ, vui lòng chụp lại"),
            (
                "version",
                &hidden(
                    &queue[queue.find(&format!("id=\"l{id}\"")).unwrap()..],
                    "version",
                ),
            ),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, mine) = page(&member, &app, "/tai-khoan").await;
    assert!(mine.contains("Bị từ chối: Ảnh bị mờ, vui lòng chụp lại"));
    assert!(mine.contains("Bản nháp"));

    // Cooperatives and accounts.
    let (_, coops) = page(&admin, &app, "/quan-tri/htx").await;
    let (status, _, body) = post_form(
        &admin,
        &app,
        "/quan-tri/htx",
        &[
            ("csrf", &token),
            ("slug", "HTX Sai"),
            ("name", "HTX Miến dong"),
            ("place", "TQ-SD-TY"),
            ("phone", ""),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("Chỉ chữ thường không dấu, số và dấu gạch ngang."));
    assert!(body.contains("value=\"HTX Miến dong\""));
    assert!(coops.contains("HTX Chè Shan tuyết Hồng Thái"));
    let (status, _, _) = post_form(
        &admin,
        &app,
        "/quan-tri/htx",
        &[
            ("csrf", &token),
            ("slug", "htx-mien-dong"),
            ("name", "HTX Miến dong"),
            ("place", "TQ-SD-TY"),
            ("phone", "0912 345 678"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, body) = post_form(
        &admin,
        &app,
        "/quan-tri/tai-khoan",
        &[
            ("csrf", &token),
            ("email", "mien@htx.vn"),
            ("password", "ngan"),
            ("role", "member"),
            ("cooperative", "htx-mien-dong"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("Mật khẩu từ 8 đến 200 ký tự."));
    let (status, _, _) = post_form(
        &admin,
        &app,
        "/quan-tri/tai-khoan",
        &[
            ("csrf", &token),
            ("email", "mien@htx.vn"),
            ("password", "mat-khau-an-toan"),
            ("role", "member"),
            ("cooperative", "htx-mien-dong"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let newcomer = sign_in(&app, "mien@htx.vn").await;
    let (status, mine) = page(&newcomer, &app, "/tai-khoan").await;
    assert_eq!(status, 200);
    assert!(mine.contains("Chưa có gì ở đây."));
    let (status, coop) = page(&browser(), &app, "/htx/htx-mien-dong").await;
    assert_eq!(status, 200);
    assert!(coop.contains("tel:0912345678"));
}
