//! QR labels: a published listing's QR code (SVG and PNG, the PNG decoding to the listing's
//! page), and the A4 label sheet a member prints (own listings only, 1–24 per page, light on 3G).

use crate::both_backends;
use crate::helpers::{new_listing, TestApp};
use crate::web::{browser, page, sign_in};

both_backends!(
    qr_codes_lead_to_the_listing_page,
    label_sheet_shows_only_own_listings_and_checks_per_page,
    label_sheet_of_24_fits_the_3g_budget
);

/// What a phone's camera reads from a QR code PNG.
pub fn decode_qr_png(png: &[u8]) -> String {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the picture");
    grids[0].decode().unwrap().1
}

async fn listing_id(app: &TestApp, slug: &str) -> i64 {
    let (status, body) = app.get_json(&format!("/api/v1/listings/{slug}")).await;
    assert_eq!(status, 200, "{slug}");
    body["id"].as_i64().unwrap()
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

async fn qr_codes_lead_to_the_listing_page(app: TestApp) {
    let base = app.settings.public_url.trim_end_matches('/').to_owned();
    for (path, page_path) in [
        (
            "/san-pham/che-shan-tuyet-co-thu-hong-thai",
            "/san-pham/che-shan-tuyet-co-thu-hong-thai",
        ),
        (
            "/le-hoi/le-hoi-mua-hoa-le-hong-thai",
            "/le-hoi/le-hoi-mua-hoa-le-hong-thai",
        ),
        // Asked under the other section: still the listing's own page.
        (
            "/le-hoi/che-shan-tuyet-co-thu-hong-thai",
            "/san-pham/che-shan-tuyet-co-thu-hong-thai",
        ),
    ] {
        let res = app.get(&format!("{path}/qr.png")).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], "image/png");
        assert!(res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public"));
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let png = res.bytes().await.unwrap();
        assert_eq!(decode_qr_png(&png), format!("{base}{page_path}"), "{path}");
        // A second look costs a 304.
        let again = app
            .client
            .get(app.url(&format!("{path}/qr.png")))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);

        let res = app.get(&format!("{path}/qr.svg")).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], "image/svg+xml");
        assert!(res.headers().contains_key("etag"));
        let svg = res.text().await.unwrap();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.ends_with("</svg>"),
            "{svg}"
        );
        assert!(svg.contains("<path"), "{svg}");
    }

    // Not published (a draft, then an archived listing) and unknown: not found, like the page.
    let (status, draft) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            new_listing("Chè nháp QR"),
        )
        .await;
    assert_eq!(status, 201, "{draft}");
    let slug = draft["slug"].as_str().unwrap().to_owned();
    for path in [
        format!("/san-pham/{slug}/qr.svg"),
        format!("/san-pham/{slug}/qr.png"),
        "/san-pham/khong-co-san-pham-nay/qr.png".to_owned(),
        "/le-hoi/khong-co-le-hoi-nay/qr.svg".to_owned(),
    ] {
        assert_eq!(app.get(&path).await.status(), 404, "{path}");
    }
    let id = listing_id(&app, "che-shan-tuyet-bup-kho").await;
    let (status, body) = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.get("/san-pham/che-shan-tuyet-bup-kho/qr.png")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get("/san-pham/che-shan-tuyet-bup-kho").await.status(),
        404
    );
}

async fn label_sheet_shows_only_own_listings_and_checks_per_page(app: TestApp) {
    // A stranger is sent to sign in, and back.
    let res = browser()
        .get(app.url("/tai-khoan/nhan?id=1&per_page=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/dang-nhap?next=%2Ftai-khoan%2Fnhan"
    );

    let tea = sign_in(&app, "tea@htx.vn").await;
    let (_, mine) = page(&tea, &app, "/tai-khoan").await;
    assert!(
        mine.contains("href=\"/tai-khoan/nhan\""),
        "linked from my listings"
    );
    assert!(mine.contains("In nhãn QR"));

    // The form offers the cooperative's published listings, and no one else's.
    let (status, form) = page(&tea, &app, "/tai-khoan/nhan").await;
    assert_eq!(status, 200);
    assert!(form.contains("Chè Shan tuyết cổ thụ Hồng Thái"));
    assert!(form.contains("Hồng trà Shan tuyết"));
    assert!(
        !form.contains("Cam sành Hàm Yên"),
        "another cooperative's listing"
    );
    assert_eq!(
        count(&form, "name=\"id\""),
        5,
        "the five tea listings on sale"
    );
    assert_eq!(count(&form, "class=\"label\""), 0, "nothing printed yet");

    let tea_id = listing_id(&app, "che-shan-tuyet-co-thu-hong-thai").await;
    let red_id = listing_id(&app, "hong-tra-shan-tuyet").await;
    let orange_id = listing_id(&app, "cam-sanh-ham-yen").await;
    let base = app.settings.public_url.trim_end_matches('/').to_owned();

    // Another cooperative's listing asked for by id is left out.
    let (status, sheet) = page(
        &tea,
        &app,
        &format!("/tai-khoan/nhan?id={tea_id}&id={orange_id}&id={red_id}&per_page=1"),
    )
    .await;
    assert_eq!(status, 200, "{sheet}");
    assert_eq!(count(&sheet, "class=\"label\""), 2);
    assert_eq!(
        count(&sheet, "<section class=\"sheet"),
        2,
        "one label a page"
    );
    assert_eq!(count(&sheet, "<svg"), 2, "a QR code per label");
    assert!(sheet.contains("2 nhãn trên 2 trang"));
    assert!(!sheet.contains("Cam sành Hàm Yên"));
    // Name, price and unit the Vietnamese way, OCOP stars, and the address the QR code holds.
    assert!(sheet.contains("<b>Chè Shan tuyết cổ thụ Hồng Thái</b>"));
    assert!(sheet.contains("450.000 ₫ / "), "{sheet}");
    assert!(sheet.contains("★★★★ OCOP 4 sao"));
    let address = format!("{base}/san-pham/che-shan-tuyet-co-thu-hong-thai");
    assert!(sheet.contains(address.trim_start_matches("http://")));
    assert!(sheet.contains("data-print"), "the print button");

    // Both labels on one sheet with 2 a page.
    let (status, sheet) = page(
        &tea,
        &app,
        &format!("/tai-khoan/nhan?id={tea_id}&id={red_id}&per_page=2"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(count(&sheet, "<section class=\"sheet"), 1);
    assert_eq!(count(&sheet, "class=\"label\""), 2);

    // 0 and 25 a page are refused with a clear Vietnamese message, the choice kept.
    for bad in ["0", "25", "nhiều"] {
        let (status, refused) = page(
            &tea,
            &app,
            &format!("/tai-khoan/nhan?id={tea_id}&per_page={bad}"),
        )
        .await;
        assert_eq!(status, 422, "{bad}");
        assert!(
            refused.contains("Số nhãn mỗi trang phải là một số từ 1 đến 24."),
            "{bad}: {refused}"
        );
        assert_eq!(count(&refused, "class=\"label\""), 0);
        assert_eq!(count(&refused, " checked"), 1, "the choice is kept");
    }
    // Nothing chosen (or only someone else's).
    let (status, refused) = page(
        &tea,
        &app,
        &format!("/tai-khoan/nhan?id={orange_id}&per_page=4"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused.contains("Hãy chọn ít nhất một sản phẩm để in nhãn."));

    // An admin may label any cooperative's listing.
    let admin = sign_in(&app, "admin@tuyenquang.gov.vn").await;
    let (status, sheet) = page(
        &admin,
        &app,
        &format!("/tai-khoan/nhan?id={tea_id}&id={orange_id}&per_page=24"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(count(&sheet, "class=\"label\""), 2);
    assert!(sheet.contains("<b>Cam sành Hàm Yên</b>"));
}

/// The ids offered on an admin's label form (every published listing).
fn offered_ids(form: &str) -> Vec<String> {
    form.split("name=\"id\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

async fn label_sheet_of_24_fits_the_3g_budget(app: TestApp) {
    let admin = sign_in(&app, "admin@tuyenquang.gov.vn").await;
    let (_, form) = page(&admin, &app, "/tai-khoan/nhan").await;
    let ids = offered_ids(&form);
    assert!(ids.len() >= 24, "{} listings offered", ids.len());
    let query: Vec<String> = ids.iter().take(24).map(|id| format!("id={id}")).collect();
    let path = format!("/tai-khoan/nhan?{}&per_page=24", query.join("&"));
    let (html, html_gz, total) = crate::web::weigh(&admin, &app, &path).await;
    assert_eq!(count(&html, "class=\"label\""), 24);
    assert_eq!(count(&html, "<svg"), 24);
    eprintln!(
        "page weight /tai-khoan/nhan (24 labels): HTML {} B raw, {} B gzip; with CSS and JS {total} B gzip",
        html.len(),
        html_gz
    );
    assert!(total <= 30 * 1024, "the label sheet weighs {total} bytes");
}
