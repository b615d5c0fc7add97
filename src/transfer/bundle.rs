//! A `.zip` upload: one sheet (.xlsx, .csv or .json) and a `photos/` folder. Every entry is read
//! through a bounded reader (declared sizes are never trusted): unsafe paths and zip bombs
//! refuse the whole file before anything is written.

use super::report::Msg;
use crate::error::{AppError, Code};
use std::collections::HashMap;
use std::io::{Cursor, Read};
use unicode_normalization::UnicodeNormalization;
use zip::ZipArchive;

/// What a zip may expand to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// Bytes of every entry together, once decompressed.
    pub max_total_bytes: u64,
    /// Decompressed / compressed, per entry past its first MiB (photos barely compress; a
    /// sheet of text does ten- or twentyfold; a bomb a thousandfold).
    pub max_ratio: u64,
    pub max_entries: usize,
    /// The sheet inside, decompressed.
    pub max_sheet_bytes: u64,
}

impl Default for ZipLimits {
    fn default() -> ZipLimits {
        ZipLimits {
            max_total_bytes: 1024 * 1024 * 1024,
            max_ratio: 200,
            max_entries: 10_000,
            max_sheet_bytes: super::read::DEFAULT_MAX_BYTES,
        }
    }
}

/// Where a photo lives in the archive.
#[derive(Debug, Clone)]
struct PhotoEntry {
    index: usize,
    /// Its size as read (not as declared).
    size: u64,
    /// Its first bytes, to tell an image from anything else.
    head: Vec<u8>,
}

/// A zip that holds a sheet and its photos.
pub struct Bundle {
    archive: ZipArchive<Cursor<Vec<u8>>>,
    /// The sheet's bytes.
    pub sheet: Vec<u8>,
    /// Photos by their path under `photos/`, folded (NFC, lower case) so "Che.JPG" finds
    /// "che.jpg" as Windows would.
    photos: HashMap<String, PhotoEntry>,
}

/// What a row's photo name turned out to be.
pub enum PhotoLookup {
    /// Found, and its bytes start like a JPEG, PNG or WebP.
    Image,
    /// `../`, an absolute path or a drive letter.
    UnsafePath,
    Missing,
    NotAnImage,
    /// Larger than a photo may be (its size as read when the zip was opened).
    TooLarge {
        size: u64,
    },
}

fn refuse(en: String, vi: String) -> AppError {
    Msg::new(en, vi).refusal(Code::ValidationFailed)
}

fn unreadable(e: &dyn std::fmt::Display) -> AppError {
    refuse(
        format!("The zip file cannot be read: {e}"),
        "Không đọc được tệp zip: hãy nén lại rồi thử lại.".into(),
    )
}

/// A path inside the archive that could point outside it.
fn unsafe_path(name: &str) -> bool {
    let name = name.replace('\\', "/");
    name.starts_with('/')
        || name.split('/').any(|part| part == "..")
        || name.chars().nth(1) == Some(':')
}

/// What macOS and Windows add to a zip that no one meant to import.
fn is_clutter(path: &str) -> bool {
    path.starts_with("__MACOSX/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|f| f.starts_with('.') || f.eq_ignore_ascii_case("thumbs.db"))
}

fn fold(name: &str) -> String {
    name.trim().nfc().collect::<String>().to_lowercase()
}

fn sheet_extension(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".xlsx", ".csv", ".json"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Reads an entry to its end through a reader that stops past `cap` bytes, so a lying header
/// cannot make it allocate or spin more. Keeps the bytes when `keep`, else only the first 64.
fn read_bounded(
    entry: &mut impl Read,
    cap: u64,
    keep: bool,
) -> Result<(u64, Vec<u8>), std::io::Error> {
    let mut limited = entry.take(cap.saturating_add(1));
    let mut kept = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = limited.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if keep || kept.len() < 64 {
            let room = if keep { n } else { n.min(64 - kept.len()) };
            kept.extend_from_slice(&buf[..room]);
        }
        total += n as u64;
    }
    Ok((total, kept))
}

impl Bundle {
    /// Opens a zip that is not a workbook: checks every path and every size, finds the one
    /// sheet and the photos. A zip without exactly one sheet is refused.
    pub fn open(bytes: Vec<u8>, limits: &ZipLimits) -> Result<Bundle, AppError> {
        let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
        if archive.len() > limits.max_entries {
            return Err(refuse(
                format!(
                    "The zip holds {} files; at most {} can be imported at once",
                    archive.len(),
                    limits.max_entries
                ),
                format!(
                    "Tệp zip có {} tệp; mỗi lần chỉ nhập được tối đa {} tệp.",
                    archive.len(),
                    limits.max_entries
                ),
            ));
        }
        // A zip of a folder ("catalogue/list.xlsx", "catalogue/photos/…") is read as if the
        // folder's content had been zipped.
        let names: Vec<String> = (0..archive.len())
            .filter_map(|i| archive.name_for_index(i).map(str::to_owned))
            .collect();
        if let Some(bad) = names.iter().find(|n| unsafe_path(n)) {
            return Err(refuse(
                format!("The zip holds a file outside its own folder ({bad}): make the zip again from the folder itself"),
                format!("Tệp zip chứa tệp nằm ngoài thư mục của nó ({bad}): hãy nén lại từ chính thư mục đó."),
            ));
        }
        let root = common_root(&names);
        let mut total = 0u64;
        let mut sheet: Option<(String, Vec<u8>)> = None;
        let mut photos = HashMap::new();
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).map_err(|e| unreadable(&e))?;
            let full = entry.name().replace('\\', "/");
            let path = full.strip_prefix(&root).unwrap_or(&full).to_owned();
            if entry.is_dir() || is_clutter(&path) {
                continue;
            }
            let compressed = entry.compressed_size();
            let photo = path
                .strip_prefix("photos/")
                .or_else(|| path.strip_prefix("Photos/"))
                .or_else(|| path.strip_prefix("PHOTOS/"))
                .map(str::to_owned);
            let is_sheet = photo.is_none() && !path.contains('/') && sheet_extension(&path);
            // Reading stops one byte past the first bound it crosses, whatever the header says.
            let ratio_cap = compressed.saturating_mul(limits.max_ratio).max(1024 * 1024);
            let total_cap = limits.max_total_bytes.saturating_sub(total);
            let mut cap = ratio_cap.min(total_cap);
            if is_sheet {
                cap = cap.min(limits.max_sheet_bytes);
            }
            let (size, head) =
                read_bounded(&mut entry, cap, is_sheet).map_err(|e| unreadable(&e))?;
            total += size;
            if size > ratio_cap {
                let fold_by = size / compressed.max(1);
                return Err(refuse(
                    format!("{path} expands more than {fold_by}-fold: this looks like a zip bomb and is refused"),
                    format!("{path} giải nén ra gấp hơn {fold_by} lần: giống một \"bom zip\" nên bị từ chối."),
                ));
            }
            if total > limits.max_total_bytes {
                return Err(refuse(
                    format!(
                        "The zip expands to more than {} MB: split it into several files",
                        limits.max_total_bytes.div_ceil(1024 * 1024)
                    ),
                    format!(
                        "Tệp zip giải nén ra hơn {} MB: hãy chia thành nhiều tệp.",
                        limits.max_total_bytes.div_ceil(1024 * 1024)
                    ),
                ));
            }
            if is_sheet {
                if size > limits.max_sheet_bytes {
                    return Err(super::read::too_large(size, limits.max_sheet_bytes));
                }
                if let Some((first, _)) = &sheet {
                    return Err(refuse(
                        format!("The zip holds two sheets ({first} and {path}): keep one"),
                        format!("Tệp zip có hai bảng tính ({first} và {path}): chỉ giữ một."),
                    ));
                }
                sheet = Some((path, head));
            } else if let Some(name) = photo {
                photos.insert(fold(&name), PhotoEntry { index, size, head });
            }
        }
        let Some((_, sheet)) = sheet else {
            return Err(refuse(
                "The zip holds no sheet: put one .xlsx, .csv or .json file next to the photos/ folder".into(),
                "Tệp zip không có bảng tính: hãy đặt một tệp .xlsx, .csv hoặc .json cạnh thư mục photos/.".into(),
            ));
        };
        Ok(Bundle {
            archive,
            sheet,
            photos,
        })
    }

    /// The key a row's photo name is known by ("photos/Chè 1.jpg" and "chè 1.jpg" alike).
    pub fn key(name: &str) -> String {
        let name = name.replace('\\', "/");
        let name = name.trim_start_matches("./");
        let lower = fold(name);
        lower
            .strip_prefix("photos/")
            .map(str::to_owned)
            .unwrap_or(lower)
    }

    /// Whether a row may use this photo name.
    pub fn lookup(&self, name: &str, max_bytes: u64) -> PhotoLookup {
        if unsafe_path(name) {
            return PhotoLookup::UnsafePath;
        }
        match self.photos.get(&Bundle::key(name)) {
            None => PhotoLookup::Missing,
            // Refused here, while checking rows: the photo is never read into memory.
            Some(p) if p.size > max_bytes => PhotoLookup::TooLarge { size: p.size },
            Some(p) => match crate::media::sniff_format(&p.head) {
                crate::media::SniffedFormat::Jpeg
                | crate::media::SniffedFormat::Png
                | crate::media::SniffedFormat::WebP => PhotoLookup::Image,
                _ => PhotoLookup::NotAnImage,
            },
        }
    }

    /// A photo's bytes, read again with the size found when the zip was opened as the bound.
    pub fn read_photo(&mut self, name: &str) -> Result<Vec<u8>, AppError> {
        let entry = self
            .photos
            .get(&Bundle::key(name))
            .cloned()
            .ok_or_else(|| AppError::internal(format!("photo {name} vanished from the zip")))?;
        let mut file = self
            .archive
            .by_index(entry.index)
            .map_err(|e| unreadable(&e))?;
        let (size, bytes) =
            read_bounded(&mut file, entry.size, true).map_err(|e| unreadable(&e))?;
        if size != entry.size {
            return Err(unreadable(&"a photo changed size between two reads"));
        }
        Ok(bytes)
    }
}

/// The one folder every entry sits in ("catalogue/"), or "" when there is none.
fn common_root(names: &[String]) -> String {
    let files: Vec<String> = names
        .iter()
        .map(|n| n.replace('\\', "/"))
        .filter(|n| !n.ends_with('/') && !n.starts_with("__MACOSX/"))
        .collect();
    let Some(first) = files.first() else {
        return String::new();
    };
    let Some((top, _)) = first.split_once('/') else {
        return String::new();
    };
    let prefix = format!("{top}/");
    if prefix.eq_ignore_ascii_case("photos/") {
        return String::new();
    }
    if files.iter().all(|n| n.starts_with(&prefix)) {
        prefix
    } else {
        String::new()
    }
}

/// Whether the bytes are a zip of a sheet and photos rather than an Excel workbook (a zip
/// too): told apart by the archive's own table of contents, never by bytes that a workbook
/// stored inside the zip would also show.
pub fn is_bundle(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"PK\x03\x04") {
        return false;
    }
    match ZipArchive::new(Cursor::new(bytes)) {
        Ok(archive) => !archive
            .file_names()
            .any(|n| n == "xl/workbook.xml" || n == "[Content_Types].xml"),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_archive_are_recognised() {
        assert!(unsafe_path("../etc/passwd"));
        assert!(unsafe_path("photos/../../x.jpg"));
        assert!(unsafe_path("/etc/passwd"));
        assert!(unsafe_path("C:\\Windows\\x.jpg"));
        assert!(unsafe_path("photos\\..\\x.jpg"));
        assert!(!unsafe_path("photos/chè..jpg"));
        assert!(!unsafe_path("photos/a/b.jpg"));
    }

    #[test]
    fn photo_names_are_matched_as_a_user_types_them() {
        assert_eq!(Bundle::key("photos/Chè 1.JPG"), "chè 1.jpg");
        assert_eq!(Bundle::key("./chè 1.jpg"), "chè 1.jpg");
        assert_eq!(Bundle::key("a\\b.jpg"), "a/b.jpg");
    }

    #[test]
    fn a_zipped_folder_is_read_from_inside() {
        let names = [
            "htx/".to_owned(),
            "htx/list.csv".into(),
            "htx/photos/a.jpg".into(),
        ];
        assert_eq!(common_root(&names), "htx/");
        let flat = ["list.csv".to_owned(), "photos/a.jpg".into()];
        assert_eq!(common_root(&flat), "");
    }
}
