//! Reading an uploaded file into a table of cells: format detection, xlsx (calamine), csv
//! (BOM, `;`/`,`, UTF-8, UTF-16, Windows-1258) and the catalogue JSON.

use super::report::Msg;
use crate::demo::CatalogueFile;
use crate::error::{AppError, Code};
use std::io::Cursor;
use unicode_normalization::UnicodeNormalization;

/// Files larger than this are refused before they are read.
pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

/// One cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// An Excel date: days since 1899-12-30 (the serial number).
    Date(f64),
    Bool(bool),
    /// `#N/A`, `#DIV/0!`…
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The value as the user typed it, for the report.
    pub fn shown(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Number(n) | Cell::Date(n) => number_text(*n),
            Cell::Bool(b) => b.to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// A whole number without ".0"; anything else as Rust prints it.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A data row: its number as the user sees it, its cells, and what the reader already found
/// wrong with particular cells (formulas, merged cells).
#[derive(Debug, Clone)]
pub struct SheetRow {
    pub number: usize,
    pub cells: Vec<Cell>,
    pub flagged: Vec<(usize, Msg)>,
}

/// A sheet: the header row and the non-empty data rows below it.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<SheetRow>,
}

/// What a file turned out to be.
pub enum Source {
    Table(Table),
    Catalogue(CatalogueFile),
}

fn refuse(en: &str, vi: &str) -> AppError {
    Msg::new(en, vi).refusal(Code::UnsupportedMediaType)
}

/// Recognises the format from the bytes (not the name) and reads the file.
pub fn read(bytes: &[u8], max_bytes: u64) -> Result<Source, AppError> {
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64, max_bytes));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Msg::new("The file is empty", "Tệp trống.").refusal(Code::EmptyFile));
    }
    match detect(bytes) {
        Detected::Xlsx => read_xlsx(bytes).map(Source::Table),
        Detected::Json => read_json(bytes).map(Source::Catalogue),
        Detected::Csv => read_csv(bytes).map(Source::Table),
        Detected::OldExcel => Err(refuse(
            "This is an old Excel file (.xls): save it as .xlsx (Excel Workbook) and try again",
            "Đây là tệp Excel cũ (.xls): hãy lưu lại thành .xlsx (Excel Workbook) rồi thử lại.",
        )),
        Detected::OtherZip => Err(refuse(
            "This zip holds no Excel workbook: upload an .xlsx, .csv or .json file",
            "Tệp zip này không chứa bảng tính Excel: hãy tải lên tệp .xlsx, .csv hoặc .json.",
        )),
    }
}

/// The refusal for a file over the cap, before reading it.
/// Bytes as whole MB for messages, rounded up (a 1.2 MB file is "2 MB", never "1 MB").
pub(super) fn megabytes(n: u64) -> u64 {
    n.div_ceil(1024 * 1024)
}

pub fn too_large(len: u64, max_bytes: u64) -> AppError {
    let mb = megabytes;
    Msg::new(
        format!(
            "The file is {} MB; at most {} MB can be imported at once: split it into several files",
            mb(len),
            mb(max_bytes)
        ),
        format!(
            "Tệp nặng {} MB; mỗi lần chỉ nhập được tối đa {} MB: hãy chia thành nhiều tệp.",
            mb(len),
            mb(max_bytes)
        ),
    )
    .refusal(Code::FileTooLarge)
}

enum Detected {
    Xlsx,
    OtherZip,
    OldExcel,
    Json,
    Csv,
}

/// Whether a zip looks like an Excel workbook.
fn is_workbook(bytes: &[u8]) -> bool {
    bytes
        .windows(b"xl/workbook.xml".len())
        .any(|w| w == b"xl/workbook.xml")
}

fn detect(bytes: &[u8]) -> Detected {
    if bytes.starts_with(b"PK\x03\x04") {
        return if is_workbook(bytes) {
            Detected::Xlsx
        } else {
            Detected::OtherZip
        };
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Detected::OldExcel;
    }
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match start.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Detected::Json,
        _ => Detected::Csv,
    }
}

fn read_json(bytes: &[u8]) -> Result<CatalogueFile, AppError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    crate::domain::json::parse_json(bytes).map_err(|e| {
        let mut e = e;
        e.detail_vi = Some(format!(
            "Tệp JSON không đúng định dạng danh mục: {}",
            e.detail.clone().unwrap_or_default()
        ));
        e
    })
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/// Text of a CSV file in whatever encoding Excel or an old office PC wrote it, in NFC.
pub fn decode_text(bytes: &[u8]) -> String {
    let text = if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        encoding.decode_without_bom_handling(&bytes[bom..]).0
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        std::borrow::Cow::Borrowed(text)
    } else if let Some(encoding) = utf16_without_bom(bytes) {
        encoding.decode_without_bom_handling(bytes).0
    } else {
        // Vietnamese Windows ("ANSI"): tone marks are combining characters, composed below.
        encoding_rs::WINDOWS_1258
            .decode_without_bom_handling(bytes)
            .0
    };
    text.nfc().collect()
}

/// UTF-16 without a BOM shows as every other byte zero in mostly-ASCII text.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zero_odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    let zero_even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    if zero_odd * 3 > pairs * 2 {
        Some(encoding_rs::UTF_16LE)
    } else if zero_even * 3 > pairs * 2 {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// The separator of the header line: Excel in Vietnam writes `;`, elsewhere `,` (or tab).
fn delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut in_quotes = false;
    let mut counts = [0usize; 3];
    for c in first.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes => counts[0] += 1,
            ',' if !in_quotes => counts[1] += 1,
            '\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|i| (counts[*i], *i == 1)).unwrap_or(1);
    [b';', b',', b'\t'][best]
}

fn read_csv(bytes: &[u8]) -> Result<Table, AppError> {
    let text = decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(&text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table::default();
    let mut have_headers = false;
    let (mut line, mut counted) = (1, 0);
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            Msg::new(
                format!("The CSV file cannot be read at line {line}: {e}"),
                format!("Không đọc được tệp CSV ở dòng {line}."),
            )
            .refusal(Code::ValidationFailed)
        })?;
        // The line the record starts on, counted here: the reader's own count stumbles on
        // "\r\n" line ends.
        let mut start = record
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX))
            .min(text.len());
        // The reported start may sit before skipped empty lines or a "\n" after "\r".
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += text.as_bytes()[counted..start.max(counted)]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted = start.max(counted);
        let number = line;
        let cells: Vec<Cell> = record
            .iter()
            .map(|s| {
                if s.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s.to_owned())
                }
            })
            .collect();
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        if !have_headers {
            table.headers = record.iter().map(str::to_owned).collect();
            have_headers = true;
            continue;
        }
        table.rows.push(SheetRow {
            number,
            cells,
            flagged: Vec::new(),
        });
    }
    Ok(table)
}

// ---------------------------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------------------------

/// Reads the first sheet cell by cell (calamine's streaming reader), so a 100 000-row workbook
/// is never held as a whole grid of cells next to the rows made from it.
fn read_xlsx(bytes: &[u8]) -> Result<Table, AppError> {
    use calamine::{DataRef, Reader, Xlsx};
    let unreadable = |e: &dyn std::fmt::Display| {
        Msg::new(
            format!("The Excel file cannot be read: {e}"),
            "Không đọc được tệp Excel: hãy mở và lưu lại bằng Excel rồi thử lại.",
        )
        .refusal(Code::ValidationFailed)
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let Some(name) = book.sheet_names().first().cloned() else {
        return Err(unreadable(&"no sheet"));
    };
    let formulas = book.worksheet_formula(&name).map_err(|e| unreadable(&e))?;
    book.load_merged_regions().map_err(|e| unreadable(&e))?;
    let merged: Vec<calamine::Dimensions> = book
        .merged_regions_by_sheet(&name)
        .into_iter()
        .map(|(_, _, d)| *d)
        .collect();
    let mut table = Table::default();
    let mut sheet = RowsBuilder {
        formulas: &formulas,
        merged: &merged,
        table: &mut table,
    };
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|e| unreadable(&e))?;
    let mut current: Option<(u32, Vec<Cell>)> = None;
    while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
        let (r, c) = cell.get_position();
        let value = match cell.get_value() {
            DataRef::Empty => Cell::Empty,
            DataRef::String(s) => Cell::Text(s.clone()),
            DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Int(n) => Cell::Number(*n as f64),
            DataRef::Bool(b) => Cell::Bool(*b),
            DataRef::DateTime(dt) => Cell::Date(dt.as_f64()),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
            DataRef::Error(e) => Cell::Error(format!("{e}")),
        };
        if current.as_ref().is_some_and(|(row, _)| *row != r) {
            if let Some((row, cells)) = current.take() {
                sheet.push(row, cells);
            }
        }
        let (_, cells) = current.get_or_insert_with(|| (r, Vec::new()));
        let col = c as usize;
        if cells.len() <= col {
            cells.resize(col + 1, Cell::Empty);
        }
        cells[col] = value;
    }
    if let Some((row, cells)) = current.take() {
        sheet.push(row, cells);
    }
    Ok(table)
}

/// Turns a sheet's rows (as they stream by) into the table: the first non-empty row is the
/// header; formula and merged cells are flagged per row.
struct RowsBuilder<'a> {
    formulas: &'a calamine::Range<String>,
    merged: &'a [calamine::Dimensions],
    table: &'a mut Table,
}

impl RowsBuilder<'_> {
    fn push(&mut self, r: u32, mut cells: Vec<Cell>) {
        let have_headers = !self.table.headers.is_empty();
        let width = cells.len().max(self.table.headers.len());
        let mut flagged = Vec::new();
        for col in 0..width {
            let c = u32::try_from(col).unwrap_or(u32::MAX);
            if let Some(f) = self.formulas.get_value((r, c)).filter(|f| !f.is_empty()) {
                flagged.push((
                    col,
                    Msg::new(
                        format!("this cell holds a formula (={f}): paste its value instead"),
                        format!("Ô này chứa công thức (={f}): hãy dán giá trị thay cho công thức."),
                    ),
                ));
            }
            if let Some(m) = self.merged.iter().find(|m| m.contains(r, c)) {
                if m.start.0 != m.end.0 && have_headers {
                    let area = format!(
                        "{}{}:{}{}",
                        column_letter(m.start.1),
                        m.start.0 + 1,
                        column_letter(m.end.1),
                        m.end.0 + 1
                    );
                    flagged.push((
                        col,
                        Msg::new(
                            format!("merged cells ({area}): unmerge them and fill in every row"),
                            format!("Ô bị gộp ({area}): hãy bỏ gộp ô và điền đủ từng dòng."),
                        ),
                    ));
                }
            }
        }
        if cells.iter().all(Cell::is_empty) && flagged.is_empty() {
            return;
        }
        if !have_headers {
            self.table.headers = cells.iter().map(Cell::shown).collect();
            return;
        }
        if cells.len() < width {
            cells.resize(width, Cell::Empty);
        }
        self.table.rows.push(SheetRow {
            number: r as usize + 1,
            cells,
            flagged,
        });
    }
}

/// "A", "B", … "AA": how Excel names a column (0-based here).
fn column_letter(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_detected() {
        assert_eq!(delimiter("Tên;Loại;Giá\n"), b';');
        assert_eq!(delimiter("name_vi,kind\n"), b',');
        assert_eq!(delimiter("\"a;b\",c,d\n"), b',');
    }

    #[test]
    fn encodings_are_detected() {
        let text = "Tên;Chè Shan tuyết";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode_text(&le), text);
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(&le);
        assert_eq!(decode_text(&with_bom), text);
        // Windows-1258 as Excel writes it: "ê" precomposed, tone marks combining.
        let cp1258 = b"T\xEAn;Che\xCC Shan tuy\xEA\xECt";
        assert_eq!(decode_text(cp1258), text);
        assert_eq!(decode_text("\u{feff}Tên".as_bytes()), "Tên");
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn csv_rows_carry_the_line_the_user_sees() {
        for sep in ["\n", "\r\n"] {
            let text = ["a,b", "c,d", "", "\"e\nx\",f", "g,h"].join(sep);
            let table = read_csv(text.as_bytes()).unwrap_or_default();
            let lines: Vec<usize> = table.rows.iter().map(|r| r.number).collect();
            assert_eq!(lines, vec![2, 4, 6], "{sep:?}");
        }
    }
}
