//! `vungcao backup` and `restore` for the embedded deployment: one `.tar.gz` holding an online
//! copy of the SQLite database and the media folder. (PostgreSQL + S3 deployments back up with
//! `pg_dump` and a bucket sync; the README says how.)

use crate::config::Settings;
use crate::store::{Backend, Db};
use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Component, Path, PathBuf};

/// The archive's first entry: what it holds and which vungcao wrote it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub vungcao: String,
    pub created_at: String,
    pub media_files: usize,
}

const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "vungcao.db";
const MEDIA: &str = "media";

/// The SQLite file and local media folder the settings name, or why a backup cannot take them.
fn embedded_paths(settings: &Settings) -> anyhow::Result<(PathBuf, PathBuf)> {
    let url = settings.database_url();
    if Backend::from_url(&url) == Backend::Postgres {
        bail!(
            "this deployment uses PostgreSQL: back it up with pg_dump (and the media bucket with a bucket sync), \
             as the README's \"Backups\" section shows; `vungcao backup` covers the embedded SQLite deployment"
        );
    }
    let media = settings.media_url.as_str();
    if media.contains("://") && !media.starts_with("file://") {
        bail!("VUNGCAO_MEDIA_URL={media} is not a local folder: sync the bucket instead");
    }
    let database = PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(&url));
    Ok((
        database,
        PathBuf::from(media.strip_prefix("file://").unwrap_or(media)),
    ))
}

/// Files under `root` (relative paths), skipping the media store's temporary files.
fn media_files(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", folder.display())),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                continue;
            }
            if entry.file_type()?.is_dir() {
                folders.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                found.push(relative.to_path_buf());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Writes the archive to `out` (atomically: a half-written archive never has the final name)
/// while the server may keep running: the database copy is one consistent snapshot.
pub fn backup(settings: &Settings, out: &Path) -> anyhow::Result<Manifest> {
    let (database, media_root) = embedded_paths(settings)?;
    if !database.exists() {
        bail!("no database at {}: nothing to back up", database.display());
    }
    let partial = out.with_extension("partial");
    let snapshot = out.with_extension("db-snapshot");
    let _ = std::fs::remove_file(&snapshot);
    {
        // VACUUM INTO writes a consistent copy from one read transaction, beside live writers.
        let db = Db::connect(&database.to_string_lossy(), 1)?;
        let mut conn = db.get().map_err(|e| anyhow::anyhow!("{e}"))?;
        let target = snapshot.to_string_lossy().replace('\'', "''");
        crate::with_conn!(&mut conn, |c| c
            .batch_execute(&format!("VACUUM INTO '{target}'")))
        .context("copying the database")?;
    }
    let result = (|| -> anyhow::Result<Manifest> {
        let files = media_files(&media_root)?;
        let manifest = Manifest {
            format: FORMAT,
            vungcao: env!("CARGO_PKG_VERSION").into(),
            created_at: chrono::Utc::now().to_rfc3339(),
            media_files: files.len(),
        };
        let writer = BufWriter::new(
            File::create(&partial).with_context(|| format!("creating {}", partial.display()))?,
        );
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            writer,
            flate2::Compression::fast(),
        ));
        let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest_bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(chrono::Utc::now().timestamp().max(0).unsigned_abs());
        header.set_cksum();
        tar.append_data(&mut header, MANIFEST, manifest_bytes.as_slice())?;
        tar.append_path_with_name(&snapshot, DATABASE)?;
        for file in &files {
            tar.append_path_with_name(media_root.join(file), Path::new(MEDIA).join(file))
                .with_context(|| format!("adding media file {}", file.display()))?;
        }
        let encoder = tar.into_inner()?;
        let writer = encoder.finish()?;
        writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("writing the archive: {}", e.error()))?
            .sync_all()?;
        std::fs::rename(&partial, out)?;
        Ok(manifest)
    })();
    let _ = std::fs::remove_file(&snapshot);
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// A path inside the archive that stays inside the folder it is unpacked to.
fn safe_relative(path: &Path) -> Option<PathBuf> {
    let mut clean = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(p) => clean.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!clean.as_os_str().is_empty()).then_some(clean)
}

/// Unpacks an archive written by [`backup`] into the settings' data and media folders, which
/// must not hold a database or photos yet. The caller rebuilds the search index afterwards.
pub fn restore(settings: &Settings, archive: &Path) -> anyhow::Result<Manifest> {
    let (database, media_root) = embedded_paths(settings)?;
    if database.exists() {
        bail!(
            "{} already exists: restore goes into an empty data folder (move it away first)",
            database.display()
        );
    }
    if !media_files(&media_root)?.is_empty() {
        bail!(
            "the media folder {} already holds files: restore goes into an empty one",
            media_root.display()
        );
    }
    let open = || -> anyhow::Result<tar::Archive<flate2::read::GzDecoder<BufReader<File>>>> {
        let file = File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
        Ok(tar::Archive::new(flate2::read::GzDecoder::new(
            BufReader::new(file),
        )))
    };
    let mut manifest: Option<Manifest> = None;
    if let Some(first) = open()?.entries()?.next() {
        let mut first = first?;
        if first.path()?.as_ref() == Path::new(MANIFEST) {
            manifest = Some(serde_json::from_reader(&mut first).context("reading the manifest")?);
        }
    }
    let Some(manifest) = manifest else {
        bail!(
            "{} is not a vungcao backup (no manifest)",
            archive.display()
        );
    };
    if manifest.format != FORMAT {
        bail!(
            "backup format {} is not supported by this vungcao (expects {FORMAT})",
            manifest.format
        );
    }
    if let Some(parent) = database.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::create_dir_all(&media_root)?;
    let partial_db = database.with_extension("restoring");
    let result = (|| -> anyhow::Result<()> {
        let mut restored_db = false;
        for entry in open()?.entries()? {
            let mut entry = entry?;
            let path = entry.path()?.into_owned();
            if !entry.header().entry_type().is_file() {
                continue;
            }
            if path == Path::new(DATABASE) {
                entry.unpack(&partial_db)?;
                restored_db = true;
            } else if let Ok(inside) = path.strip_prefix(MEDIA) {
                let Some(relative) = safe_relative(inside) else {
                    bail!("unsafe path in the archive: {}", path.display());
                };
                let target = media_root.join(relative);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                entry.unpack(&target)?;
            }
        }
        if !restored_db {
            bail!("the archive holds no database");
        }
        std::fs::rename(&partial_db, &database)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial_db);
    }
    result.map(|()| manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_never_leave_the_media_folder() {
        assert_eq!(
            safe_relative(Path::new("ab/cd.webp")),
            Some(PathBuf::from("ab/cd.webp"))
        );
        assert_eq!(safe_relative(Path::new("../etc/passwd")), None);
        assert_eq!(safe_relative(Path::new("/etc/passwd")), None);
        assert_eq!(safe_relative(Path::new("a/../../b")), None);
        assert_eq!(safe_relative(Path::new("")), None);
    }
}
