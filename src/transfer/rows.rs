//! Rows of a sheet (or listings of the JSON file) into listing input, with what is wrong with
//! each cell named by its column.

use super::columns::Column;
use super::normalise;
use super::read::{Cell, SheetRow, Table};
use super::report::{Msg, RowProblem};
use crate::demo::CatalogueFile;
use crate::domain::listing::{EventDatesInput, ListingInput, Localized};

/// One listing as the file gives it, before any check that needs the database.
#[derive(Debug, Clone)]
pub struct Record {
    pub row: usize,
    /// The cooperative's slug, when the file names one.
    pub cooperative: Option<String>,
    /// The cooperative's own id for the listing, when the file gives one.
    pub external_id: Option<String>,
    /// Whether the file gave the slug itself (else it is folded from the name).
    pub slug_given: bool,
    /// Photo files named by the row (in a zip's `photos/` folder), the cover first.
    pub photos: Vec<String>,
    pub input: ListingInput,
    /// How the file calls each column (its header, or the JSON field).
    pub problems: Vec<RowProblem>,
}

/// The file's name for a column.
pub struct Headers {
    names: Vec<(Column, String)>,
}

impl Headers {
    pub fn of_json() -> Headers {
        Headers { names: Vec::new() }
    }

    pub fn name(&self, column: Column) -> String {
        self.names
            .iter()
            .find(|(c, _)| *c == column)
            .map_or_else(|| column.key().to_owned(), |(_, n)| n.clone())
    }
}

/// Reads every data row of a table whose headers were matched to `columns`.
pub fn from_table(table: Table, columns: &[Option<Column>]) -> (Vec<Record>, Headers) {
    let headers = Headers {
        names: columns
            .iter()
            .zip(&table.headers)
            .filter_map(|(c, h)| c.map(|c| (c, h.trim().to_owned())))
            .collect(),
    };
    let records = table
        .rows
        .into_iter()
        .map(|row| from_row(row, columns, &headers))
        .collect();
    (records, headers)
}

fn from_row(row: SheetRow, columns: &[Option<Column>], headers: &Headers) -> Record {
    let empty = Cell::Empty;
    let cell = |column: Column| -> &Cell {
        columns
            .iter()
            .position(|c| *c == Some(column))
            .and_then(|i| row.cells.get(i))
            .unwrap_or(&empty)
    };
    let mut problems = Vec::new();
    for (i, msg) in &row.flagged {
        let column = columns
            .get(*i)
            .copied()
            .flatten()
            .map_or_else(|| format!("#{}", i + 1), |c| headers.name(c));
        problems.push(RowProblem {
            row: row.number,
            column,
            value: row.cells.get(*i).map(Cell::shown).unwrap_or_default(),
            message: msg.clone(),
        });
    }
    let mut note = |column: Column, msg: Msg| {
        problems.push(RowProblem {
            row: row.number,
            column: headers.name(column),
            value: cell(column).shown(),
            message: msg,
        })
    };
    for column in Column::ALL {
        if let Err(msg) = normalise::no_error(cell(column)) {
            note(column, msg);
        }
    }
    let mut take = |column: Column, result: Result<(), Msg>| {
        if let Err(msg) = result {
            note(column, msg);
        }
    };
    let text = |column: Column| normalise::text(cell(column));
    let mut external_id = None;
    take(
        Column::ExternalId,
        normalise::external_id(cell(Column::ExternalId)).map(|e| external_id = e),
    );
    let mut input = ListingInput {
        slug: text(Column::Slug),
        name: Some(Localized {
            vi: text(Column::NameVi).unwrap_or_default(),
            en: text(Column::NameEn),
        }),
        description: Some(Localized {
            vi: text(Column::DescriptionVi).unwrap_or_default(),
            en: text(Column::DescriptionEn),
        }),
        category: text(Column::Category),
        place: text(Column::Place).map(|p| p.to_uppercase()),
        unit: Some(text(Column::Unit)),
        ocop_certificate: Some(text(Column::OcopCertificate)),
        certifications: Some(normalise::list(cell(Column::Certifications))),
        ..ListingInput::default()
    };
    take(
        Column::Kind,
        normalise::kind(cell(Column::Kind)).map(|k| input.kind = k),
    );
    take(
        Column::PriceVnd,
        normalise::price(cell(Column::PriceVnd)).map(|p| input.price_vnd = Some(p)),
    );
    take(
        Column::OcopStars,
        normalise::stars(cell(Column::OcopStars)).map(|s| input.ocop_stars = Some(s)),
    );
    take(
        Column::OcopExpires,
        normalise::date(cell(Column::OcopExpires)).map(|d| input.ocop_expires = Some(d)),
    );
    take(
        Column::SeasonMonths,
        normalise::months(cell(Column::SeasonMonths)).map(|m| input.season_months = Some(m)),
    );
    take(
        Column::MarketplaceLinks,
        normalise::links(cell(Column::MarketplaceLinks)).map(|l| input.marketplace_links = Some(l)),
    );
    let start = normalise::date(cell(Column::EventStart));
    let end = normalise::date(cell(Column::EventEnd));
    let yearly = normalise::yes_no(cell(Column::RecursYearly));
    let event = match (start, end, yearly) {
        (Ok(Some(start)), Ok(Some(end)), Ok(recurs_yearly)) => Some(EventDatesInput {
            start,
            end,
            recurs_yearly,
        }),
        (Ok(None), Ok(None), Ok(_)) => None,
        (start, end, yearly) => {
            let need = || {
                Msg::new(
                    "an event needs both its start and end dates",
                    "Sự kiện cần cả ngày bắt đầu và ngày kết thúc.",
                )
            };
            take(
                Column::EventStart,
                start.and_then(|d| d.map(|_| ()).ok_or_else(need)),
            );
            take(
                Column::EventEnd,
                end.and_then(|d| d.map(|_| ()).ok_or_else(need)),
            );
            take(Column::RecursYearly, yearly.map(|_| ()));
            None
        }
    };
    input.event = Some(event);
    Record {
        row: row.number,
        cooperative: text(Column::Cooperative),
        external_id,
        slug_given: input.slug.is_some(),
        // Several per cell like any list (`;`, `,` or line breaks); the first is the cover.
        photos: normalise::list(cell(Column::Photos)),
        input,
        problems,
    }
}

/// The listings of a catalogue JSON file, numbered from 1 in file order.
pub fn from_catalogue(file: &CatalogueFile) -> Vec<Record> {
    file.listings
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let mut problems = Vec::new();
            let input = entry.to_input().unwrap_or_else(|e| {
                for f in e.errors {
                    problems.push(RowProblem {
                        row: i + 1,
                        column: f.field.clone(),
                        value: String::new(),
                        message: Msg::from_key(&f.key),
                    });
                }
                ListingInput::default()
            });
            Record {
                row: i + 1,
                cooperative: Some(entry.cooperative.clone()),
                external_id: entry.external_id.clone(),
                slug_given: entry.slug.is_some(),
                photos: Vec::new(),
                input,
                problems,
            }
        })
        .collect()
}

/// The column a domain validation error is about ("name.vi" → name_vi, "certifications[1]" →
/// certifications).
pub fn column_of_field(field: &str) -> Column {
    let head = field.split(['[', '.']).next().unwrap_or(field);
    match (head, field) {
        ("name", f) if f.ends_with(".en") => Column::NameEn,
        ("name", _) => Column::NameVi,
        ("description", f) if f.ends_with(".en") => Column::DescriptionEn,
        ("description", _) => Column::DescriptionVi,
        ("event", "event.end") => Column::EventEnd,
        ("event", _) => Column::EventStart,
        ("marketplace_links", _) => Column::MarketplaceLinks,
        ("certifications", _) => Column::Certifications,
        ("season_months", _) => Column::SeasonMonths,
        ("price_vnd", _) => Column::PriceVnd,
        ("unit", _) => Column::Unit,
        ("ocop_stars", _) => Column::OcopStars,
        ("ocop_certificate", _) => Column::OcopCertificate,
        ("ocop_expires", _) => Column::OcopExpires,
        ("category", _) => Column::Category,
        ("place", _) => Column::Place,
        ("cooperative", _) => Column::Cooperative,
        ("kind", _) => Column::Kind,
        _ => Column::Slug,
    }
}
