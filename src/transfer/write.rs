//! Export: the catalogue as xlsx, csv or JSON, exactly as import reads it back; and the empty
//! templates (both languages' column names, one example row per kind, the allowed codes).

use super::columns::Column;
use super::read::Format;
use crate::demo::{CatalogueFile, ListingEntry};
use crate::domain::listing::{Certification, ListingKind, Localized};
use crate::domain::marketplace::Platform;
use crate::error::AppError;
use crate::store::{catalogue, Conn};

/// The listings sheet's name in a workbook, and the one with the allowed codes.
const LISTINGS_SHEET: &str = "Danh sách sản phẩm";
const CODES_SHEET: &str = "Mã hợp lệ (codes)";

/// Every published listing (of one cooperative, when `cooperative` is given) in `format`.
pub fn export(
    conn: &mut Conn,
    format: Format,
    cooperative: Option<&str>,
) -> Result<Vec<u8>, AppError> {
    let mut file = crate::demo::export(conn)?;
    if let Some(slug) = cooperative {
        file.listings.retain(|l| l.cooperative == slug);
    }
    render(conn, format, &file)
}

/// A file to fill in: the headers, one example row per kind, and (xlsx) the allowed codes.
pub fn template(conn: &mut Conn, format: Format) -> Result<Vec<u8>, AppError> {
    let category = catalogue::categories(conn)?
        .first()
        .map_or_else(|| "tea".to_owned(), |c| c.code.clone());
    let (cooperative, place) = catalogue::all_cooperatives(conn)?.first().map_or_else(
        || ("htx-vi-du".to_owned(), "TQ-NH-HT".to_owned()),
        |c| (c.slug.clone(), c.place_code.clone()),
    );
    let example = |kind: ListingKind, vi: &str, en: &str, desc: &str| ListingEntry {
        external_id: None,
        kind,
        name: Localized {
            vi: vi.to_owned(),
            en: Some(en.to_owned()),
        },
        slug: None,
        category: category.clone(),
        cooperative: cooperative.clone(),
        place: Some(place.clone()),
        description: Localized {
            vi: desc.to_owned(),
            en: None,
        },
        marketplace_links: Vec::new(),
        price_vnd: None,
        unit: None,
        ocop_stars: None,
        ocop_certificate: None,
        ocop_expires: None,
        certifications: Vec::new(),
        season_months: Vec::new(),
        recurs_yearly: None,
        event: None,
    };
    let mut product = example(
        ListingKind::Product,
        "Chè Shan tuyết cổ thụ (ví dụ)",
        "Ancient Shan tuyet tea (example)",
        "Búp chè hái từ cây cổ thụ, sao tay.",
    );
    product.price_vnd = Some(450_000);
    product.unit = Some("túi 200 g".into());
    product.ocop_stars = Some(4);
    product.certifications = vec!["vietgap".into()];
    product.season_months = vec![3, 4, 5];
    product.marketplace_links = vec![crate::domain::listing::LinkInput {
        platform: Platform::Shopee,
        url: "https://shopee.vn/vi-du".into(),
    }];
    let mut experience = example(
        ListingKind::Experience,
        "Homestay bên hồ (ví dụ)",
        "Lakeside homestay (example)",
        "Nghỉ đêm tại nhà sàn, ăn cơm cùng gia đình.",
    );
    experience.price_vnd = Some(350_000);
    experience.unit = Some("người/đêm".into());
    let mut event = example(
        ListingKind::Event,
        "Lễ hội hoa lê (ví dụ)",
        "Pear blossom festival (example)",
        "Lễ hội mùa xuân của xã.",
    );
    event.event = Some(crate::domain::listing::EventDatesInput {
        start: chrono::NaiveDate::from_ymd_opt(2027, 2, 12).unwrap_or_default(),
        end: chrono::NaiveDate::from_ymd_opt(2027, 2, 14).unwrap_or_default(),
        recurs_yearly: true,
    });
    let file = CatalogueFile {
        about: Some("vungcao import template: replace the example rows".into()),
        categories: Vec::new(),
        places: Vec::new(),
        cooperatives: Vec::new(),
        listings: vec![product, experience, event],
    };
    render(conn, format, &file)
}

fn render(conn: &mut Conn, format: Format, file: &CatalogueFile) -> Result<Vec<u8>, AppError> {
    match format {
        Format::Json => serde_json::to_vec_pretty(file)
            .map_err(|e| AppError::internal(format!("export json: {e}"))),
        Format::Csv => csv_bytes(file),
        Format::Xlsx => xlsx_bytes(conn, file),
    }
}

/// A cell of an exported table: numbers stay numbers in a workbook.
pub enum Cell {
    Text(String),
    Number(f64),
}

/// One listing as the sheet's cells, in [`Column::exported`] order.
fn row_of(entry: &ListingEntry) -> Vec<Cell> {
    use Cell::{Number, Text};
    let text = |s: Option<&String>| Text(s.cloned().unwrap_or_default());
    let date = |d: Option<chrono::NaiveDate>| Text(d.map(|d| d.to_string()).unwrap_or_default());
    Column::exported()
        .map(|column| match column {
            Column::ExternalId => text(entry.external_id.as_ref()),
            Column::Photos => Text(String::new()),
            Column::Slug => text(entry.slug.as_ref()),
            Column::Kind => Text(entry.kind.as_str().to_owned()),
            Column::NameVi => Text(entry.name.vi.clone()),
            Column::NameEn => text(entry.name.en.as_ref()),
            Column::DescriptionVi => Text(entry.description.vi.clone()),
            Column::DescriptionEn => text(entry.description.en.as_ref()),
            Column::Category => Text(entry.category.clone()),
            Column::Cooperative => Text(entry.cooperative.clone()),
            Column::Place => text(entry.place.as_ref()),
            Column::PriceVnd => entry
                .price_vnd
                .map_or_else(|| Text(String::new()), |p| Number(p as f64)),
            Column::Unit => text(entry.unit.as_ref()),
            Column::OcopStars => entry
                .ocop_stars
                .map_or_else(|| Text(String::new()), |s| Number(f64::from(s))),
            Column::OcopCertificate => text(entry.ocop_certificate.as_ref()),
            Column::OcopExpires => date(entry.ocop_expires),
            Column::Certifications => Text(entry.certifications.join(", ")),
            Column::SeasonMonths => Text(
                entry
                    .season_months
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Column::EventStart => date(entry.event.as_ref().map(|e| e.start)),
            Column::EventEnd => date(entry.event.as_ref().map(|e| e.end)),
            Column::RecursYearly => Text(match &entry.event {
                Some(e) if e.recurs_yearly => "có".to_owned(),
                Some(_) => "không".to_owned(),
                None => String::new(),
            }),
            Column::MarketplaceLinks => Text(
                entry
                    .marketplace_links
                    .iter()
                    .map(|l| format!("{} {}", l.platform.code(), l.url))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        })
        .collect()
}

/// A table as CSV that Excel opens with its diacritics: UTF-8 with a byte order mark.
pub fn csv_table<H: AsRef<str>>(
    headers: impl IntoIterator<Item = H>,
    rows: impl IntoIterator<Item = Vec<Cell>>,
) -> Result<Vec<u8>, AppError> {
    let failed = |e: csv::Error| AppError::internal(format!("export csv: {e}"));
    // The BOM makes Excel read the file as UTF-8.
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer
        .write_record(headers.into_iter().map(|h| h.as_ref().to_owned()))
        .map_err(failed)?;
    for row in rows {
        writer
            .write_record(row.into_iter().map(|v| match v {
                Cell::Text(t) => t,
                Cell::Number(n) => super::read::number_text(n),
            }))
            .map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::internal(format!("export csv: {e}")))
}

/// Writes a table into a new sheet named `name` of `book`: a bold header row, then the rows
/// (empty texts left blank).
pub fn xlsx_sheet<H: AsRef<str>>(
    book: &mut rust_xlsxwriter::Workbook,
    name: &str,
    headers: impl IntoIterator<Item = H>,
    rows: impl IntoIterator<Item = Vec<Cell>>,
) -> Result<(), AppError> {
    let failed = |e: rust_xlsxwriter::XlsxError| AppError::internal(format!("export xlsx: {e}"));
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(name).map_err(failed)?;
    for (col, header) in headers.into_iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        sheet
            .write_string_with_format(0, col, header.as_ref(), &bold)
            .map_err(failed)?;
    }
    for (i, cells) in rows.into_iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        for (col, value) in cells.into_iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            match value {
                Cell::Text(t) if t.is_empty() => {}
                Cell::Text(t) => {
                    sheet.write_string(row, col, t).map_err(failed)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(row, col, n).map_err(failed)?;
                }
            }
        }
    }
    Ok(())
}

/// A workbook of one sheet holding the table.
pub fn xlsx_table<H: AsRef<str>>(
    name: &str,
    headers: impl IntoIterator<Item = H>,
    rows: impl IntoIterator<Item = Vec<Cell>>,
) -> Result<Vec<u8>, AppError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    xlsx_sheet(&mut book, name, headers, rows)?;
    book.save_to_buffer()
        .map_err(|e| AppError::internal(format!("export xlsx: {e}")))
}

fn csv_bytes(file: &CatalogueFile) -> Result<Vec<u8>, AppError> {
    csv_table(
        Column::exported().map(|c| c.header()),
        file.listings.iter().map(row_of),
    )
}

fn xlsx_bytes(conn: &mut Conn, file: &CatalogueFile) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::Workbook;
    let failed = |e: rust_xlsxwriter::XlsxError| AppError::internal(format!("export xlsx: {e}"));
    let mut book = Workbook::new();
    xlsx_sheet(
        &mut book,
        LISTINGS_SHEET,
        Column::exported().map(|c| c.header()),
        file.listings.iter().map(row_of),
    )?;
    let codes = book.add_worksheet();
    codes.set_name(CODES_SHEET).map_err(failed)?;
    let mut lines: Vec<[String; 4]> = vec![[
        "Nhóm / group".into(),
        "Mã / code".into(),
        "Tiếng Việt".into(),
        "English".into(),
    ]];
    for kind in [
        ListingKind::Product,
        ListingKind::Experience,
        ListingKind::Event,
    ] {
        let (vi, en) = match kind {
            ListingKind::Product => ("Sản phẩm", "Product"),
            ListingKind::Experience => ("Trải nghiệm", "Experience"),
            ListingKind::Event => ("Sự kiện, lễ hội", "Event"),
        };
        lines.push(["kind".into(), kind.as_str().into(), vi.into(), en.into()]);
    }
    for c in catalogue::categories(conn)? {
        lines.push(["category".into(), c.code, c.name_vi, c.name_en]);
    }
    for p in catalogue::all_places(conn)? {
        lines.push(["place".into(), p.code, p.name.clone(), p.name]);
    }
    for c in Certification::ALL {
        lines.push([
            "certifications".into(),
            c.code().into(),
            c.label_vi().into(),
            c.label_en().into(),
        ]);
    }
    for p in Platform::ALL {
        lines.push([
            "marketplace_links".into(),
            p.code().into(),
            p.display_name().into(),
            p.display_name().into(),
        ]);
    }
    for (i, line) in lines.into_iter().enumerate() {
        let row = u32::try_from(i).unwrap_or(u32::MAX);
        for (col, text) in line.into_iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            codes.write_string(row, col, text).map_err(failed)?;
        }
    }
    book.save_to_buffer().map_err(failed)
}
