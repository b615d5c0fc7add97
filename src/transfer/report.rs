//! What an import says back: per-row problems (row, column, value, message in Vietnamese and
//! English), counts, and refusals of a whole file.

use crate::error::{AppError, Code};
use crate::messages::Message;
use serde::{Deserialize, Serialize};

/// A message in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Msg {
    pub en: String,
    pub vi: String,
}

impl Msg {
    pub fn new(en: impl Into<String>, vi: impl Into<String>) -> Msg {
        Msg {
            en: en.into(),
            vi: vi.into(),
        }
    }

    /// A validation message by its key, in both languages.
    pub fn from_key(key: &Message) -> Msg {
        Msg::new(key.en(), key.vi())
    }

    /// The whole file is refused with this explanation.
    pub fn refusal(self, code: Code) -> AppError {
        AppError::new(code)
            .with_detail(self.en)
            .with_detail_vi(self.vi)
    }
}

/// One thing wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// The row as the user sees it: the spreadsheet row number, the CSV line, or the position
    /// of the listing in the JSON file (from 1).
    pub row: usize,
    /// The column's header as written in the file (or the JSON field).
    pub column: String,
    pub value: String,
    pub message: Msg,
}

/// The answer to an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Listing rows read (empty rows are not counted).
    pub rows: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Listings absent from the file that were archived (`--archive-missing`).
    pub archived: usize,
    /// Rows not imported because they have problems.
    pub invalid_rows: usize,
    /// Whether anything was written: false when a row was invalid and `partial` was not asked.
    pub written: bool,
    pub problems: Vec<RowProblem>,
}

impl ImportReport {
    /// The report as an operator reads it on a terminal, one problem per line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for p in &self.problems {
            out.push_str(&format!(
                "dòng/row {} · {} · «{}»: {} / {}\n",
                p.row, p.column, p.value, p.message.vi, p.message.en
            ));
        }
        out.push_str(&format!(
            "{} rows: {} added, {} updated, {} unchanged, {} archived, {} invalid{}\n",
            self.rows,
            self.added,
            self.updated,
            self.unchanged,
            self.archived,
            self.invalid_rows,
            if self.written {
                ""
            } else {
                " — nothing was written (fix the rows, or import the valid ones with --partial)"
            }
        ));
        out
    }
}
