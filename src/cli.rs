//! The `vungcao` command line: serve, migrate, demo, and the operators' admin commands.

use crate::accounts::{self, NewAccount};
use crate::config::Settings;
use crate::demo;
use crate::startup::Application;
use crate::store::catalogue::{self, NewCooperative};
use crate::store::users::{self, Role};
use crate::store::Db;
use anyhow::{anyhow, bail, Context};
use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "vungcao",
    version,
    about = "Catalogue and storefront for local products of Vietnam's highland communes",
    long_about = "Catalogue and storefront for local products of Vietnam's highland communes.\n\n\
Settings come from VUNGCAO_* variables (VUNGCAO_LISTEN, VUNGCAO_DATABASE_URL, VUNGCAO_DATA_DIR, \
VUNGCAO_MEDIA_URL, VUNGCAO_MEILI_URL, VUNGCAO_MEILI_KEY) or a vungcao.toml file; with none set, \
everything lives under ./data and ./media."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the JSON API, the storefront and the media (migrates first).
    Serve {
        /// Load the built-in demo catalogue first (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Load the demo catalogue (idempotent: running it twice changes nothing).
    Demo(DemoArgs),
    /// Manage cooperatives.
    Coop {
        #[command(subcommand)]
        command: CoopCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import listings from an Excel (.xlsx), CSV or catalogue JSON file. Every row is checked
    /// first; nothing is written while any row is wrong (unless --partial). Rows are matched by
    /// slug, so importing the same file twice changes nothing.
    Import(ImportArgs),
    /// Write every published listing as xlsx, csv or catalogue JSON (what `import` reads back).
    Export(ExportArgs),
    /// Rebuild the search index from the database into a fresh index, then swap it in.
    /// (The embedded index belongs to one process: with a server running, use
    /// `POST /api/v1/admin/reindex` instead.)
    Reindex,
    /// Write one archive (.tar.gz) with an online copy of the SQLite database and the media
    /// folder; the server may keep running. (PostgreSQL: use pg_dump, see the README.)
    Backup {
        /// The archive to write, e.g. vungcao-2026-12-01.tar.gz.
        file: PathBuf,
    },
    /// Unpack a backup into an empty data folder and media folder, then rebuild the search index.
    Restore {
        /// An archive written by `vungcao backup`.
        file: PathBuf,
    },
    /// Probe a running server's /readyz (the container health check): exit 0 when it is ready.
    Healthcheck {
        /// The server's address; defaults to VUNGCAO_LISTEN (a wildcard address is probed on loopback).
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
    /// Compare the database with the search index and with the media store (orphan objects,
    /// photos with missing variants) and report differences.
    Check {
        /// Repair: reindex through the outbox, delete orphan objects, remove photo rows whose
        /// files are gone (the listing is named so its cooperative can upload the photo again).
        #[arg(long)]
        fix: bool,
        /// With --fix, orphan objects younger than this many seconds are left alone (an upload
        /// may be about to record them); 0 when no server is running.
        #[arg(long, default_value_t = crate::media_check::ORPHAN_GRACE.as_secs())]
        orphan_grace: u64,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// An .xlsx, .csv (UTF-8, UTF-16 or Windows-1258; `,` or `;`) or catalogue .json file, or a
    /// .zip of one of those and a `photos/` folder named by the `photos` column.
    pub file: PathBuf,
    /// Import the valid rows (one transaction per batch) and report the others.
    #[arg(long)]
    pub partial: bool,
    /// Archive the published listings of the file's cooperatives that the file does not name.
    #[arg(long)]
    pub archive_missing: bool,
    /// Import for this cooperative only (its slug): rows may omit the cooperative column.
    #[arg(long, value_name = "SLUG")]
    pub coop: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// xlsx, csv or json.
    #[arg(long, default_value = "json", value_parser = ["xlsx", "csv", "json"])]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only this cooperative's listings (its slug).
    #[arg(long, value_name = "SLUG")]
    pub coop: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Load this file instead of the built-in demo catalogue.
    #[arg(long, conflicts_with = "synthetic")]
    pub file: Option<PathBuf>,
    /// Load N generated listings instead (benchmarks; published, without review; run
    /// `vungcao reindex` afterwards).
    #[arg(long, value_name = "N")]
    pub synthetic: Option<usize>,
    /// Seed of the generated catalogue.
    #[arg(long, default_value_t = 42, requires = "synthetic")]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum CoopCommand {
    /// Create a cooperative.
    Add {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// A place code, e.g. TQ-NH-HT.
        #[arg(long)]
        place: String,
        #[arg(long)]
        phone: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// The member's cooperative slug.
        #[arg(long, conflicts_with = "admin", required_unless_present = "admin")]
        coop: Option<String>,
        /// Create a commune/province admin.
        #[arg(long)]
        admin: bool,
    },
    /// Set a new password (read from standard input, first line; never from the command line).
    /// Every session and API token of the account stops working.
    Passwd {
        /// The account's email.
        email: String,
        /// Read the password from standard input (the default; accepted for scripts that say so).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: sign-in is refused and every session and API token stops working.
    Disable {
        /// The account's email.
        email: String,
    },
    /// Let a disabled account sign in again (its old sessions and tokens stay revoked).
    Enable {
        /// The account's email.
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue an API token for an account and print it alone on stdout.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        label: Option<String>,
        /// Days the token lasts (default VUNGCAO_TOKEN_DAYS_DEFAULT, at most VUNGCAO_TOKEN_DAYS_MAX).
        #[arg(long, value_name = "N")]
        days: Option<i64>,
    },
}

async fn open_db_and_search(
    settings: &Settings,
) -> anyhow::Result<(Db, crate::search::SearchIndex)> {
    let db = {
        let settings = settings.clone();
        tokio::task::spawn_blocking(move || open_db(&settings)).await??
    };
    let index = crate::startup::open_search(settings).await?;
    Ok((db, index))
}

fn open_db(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url(), 4)?;
    db.migrate()?;
    Ok(db)
}

/// The media half of `check`: prints what it finds (and repairs with `fix`); answers whether
/// the media store and the photo rows agree in the end.
async fn check_media(
    db: &Db,
    media: &crate::media::MediaStore,
    fix: bool,
    orphan_grace: u64,
) -> anyhow::Result<bool> {
    use crate::media_check;
    let drift = media_check::check(db, media)
        .await
        .map_err(|e| anyhow!("media check failed: {e}"))?;
    println!(
        "media store: {}\norphan objects (no photo row): {} {:?}\nphotos with missing files: {} {:?}",
        media.describe(),
        drift.orphans.len(),
        drift.orphans.iter().take(20).map(|o| &o.key).collect::<Vec<_>>(),
        drift.broken.len(),
        drift
            .broken
            .iter()
            .take(20)
            .map(|b| format!("photo {} of listing {}", b.photo_id, b.listing_id))
            .collect::<Vec<_>>(),
    );
    if drift.is_clean() {
        println!("the media store matches the database");
        return Ok(true);
    }
    if !fix {
        return Ok(false);
    }
    let grace = std::time::Duration::from_secs(orphan_grace);
    let repair = media_check::fix(db, media, &drift, grace)
        .await
        .map_err(|e| anyhow!("media fix failed: {e}"))?;
    println!(
        "deleted {} orphan objects ({} younger than {orphan_grace} s left alone)",
        repair.orphans_deleted, repair.orphans_spared
    );
    for (listing, photo) in &repair.photos_removed {
        println!("removed photo {photo} of listing {listing}: its files were gone; ask the cooperative to upload it again");
    }
    let after = media_check::check(db, media)
        .await
        .map_err(|e| anyhow!("media check failed: {e}"))?;
    // Orphans spared for their youth may be uploads in flight: not a failure of the repair.
    Ok(after.broken.is_empty() && after.orphans.iter().all(|o| o.age < grace))
}

/// A one-line progress display on stderr, only when a person is watching.
fn progress_printer(what: &'static str) -> impl FnMut(usize, usize) {
    let tty = std::io::stderr().is_terminal();
    move |done, total| {
        if tty && (done == total || done % 50 == 0) {
            eprint!("\r{what}: {done}/{total}");
            if done == total {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        }
    }
}

fn load_catalogue(settings: &Settings, text: &str) -> anyhow::Result<()> {
    let file = demo::parse(text)
        .map_err(|e| anyhow!("the catalogue file is not valid: {}", describe(&e)))?;
    let db = open_db(settings)?;
    let mut conn = db.get()?;
    let report = demo::load(&mut conn, &file, progress_printer("listings"))
        .map_err(|e| anyhow!("loading failed: {}", describe(&e)))?;
    drop(conn);
    db.settle_after_bulk_load().map_err(|e| anyhow!("{e}"))?;
    eprintln!(
        "{} categories, {} places, {} new cooperatives, {} listings added, {} already there",
        report.categories,
        report.places,
        report.cooperatives,
        report.listings_added,
        report.listings_skipped
    );
    Ok(())
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { demo: load_demo } => {
            if load_demo {
                let settings = settings.clone();
                tokio::task::spawn_blocking(move || {
                    load_catalogue(&settings, demo::DEMO_CATALOGUE)
                })
                .await??;
            }
            let app = Application::build(settings.clone()).await?;
            tracing::info!(
                listen = %settings.listen,
                port = app.port(),
                database = crate::store::Backend::from_url(&settings.database_url()).name(),
                "vungcao is serving"
            );
            app.run_until_stopped().await?;
        }
        Command::Healthcheck { addr, timeout } => {
            let listen = addr.unwrap_or_else(|| settings.listen.clone());
            let target = crate::healthcheck::probe_address(&listen).map_err(|e| anyhow!(e))?;
            let timeout = std::time::Duration::from_secs(timeout.max(1));
            tokio::task::spawn_blocking(move || crate::healthcheck::probe(target, timeout))
                .await?
                .map_err(|e| anyhow!("not ready: {e}"))?;
            println!("ready");
        }
        Command::Restore { file } => {
            let manifest = {
                let settings = settings.clone();
                tokio::task::spawn_blocking(move || crate::backup::restore(&settings, &file))
                    .await??
            };
            eprintln!(
                "restored the database and {} media files (backup of {}, vungcao {})",
                manifest.media_files, manifest.created_at, manifest.vungcao
            );
            let (db, index) = open_db_and_search(&settings).await?;
            let n = crate::indexer::reindex(
                &db,
                &index,
                progress_printer("indexed"),
                // This process exits afterwards; a server builds its own vocabulary.
                crate::search::Vocabulary::Skip,
            )
                .await
                .map_err(|e| anyhow!("the data is restored, but rebuilding the search index failed ({e}); run `vungcao reindex`"))?;
            eprintln!("{n} listings indexed");
        }
        Command::Reindex => {
            let (db, index) = open_db_and_search(&settings).await?;
            let started = std::time::Instant::now();
            let n = crate::indexer::reindex(
                &db,
                &index,
                progress_printer("indexed"),
                // This process exits afterwards; a server builds its own vocabulary.
                crate::search::Vocabulary::Skip,
            )
            .await
            .map_err(|e| anyhow!("reindex failed: {e}"))?;
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{n} listings indexed in {secs:.1} s ({:.0} documents/s, {})",
                n as f64 / secs.max(1e-9),
                index.backend_name()
            );
        }
        Command::Check { fix, orphan_grace } => {
            let (db, index) = open_db_and_search(&settings).await?;
            let media = crate::startup::open_media(&settings)?;
            let mut index_clean = true;
            let drift = crate::indexer::check(&db, &index)
                .await
                .map_err(|e| anyhow!("check failed: {e}"))?;
            let pending = db
                .run(crate::store::outbox::pending)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!(
                "missing from the index: {} {:?}\nin the index but not published: {} {:?}\noutbox rows waiting: {pending}",
                drift.missing.len(),
                drift.missing.iter().take(20).collect::<Vec<_>>(),
                drift.extra.len(),
                drift.extra.iter().take(20).collect::<Vec<_>>(),
            );
            if drift != crate::indexer::Drift::default() {
                if fix {
                    crate::indexer::fix(&db, &index, &drift)
                        .await
                        .map_err(|e| anyhow!("fix failed: {e}"))?;
                    let after = crate::indexer::check(&db, &index)
                        .await
                        .map_err(|e| anyhow!("check failed: {e}"))?;
                    if after != crate::indexer::Drift::default() {
                        bail!("differences remain after --fix: {after:?}");
                    }
                    println!("fixed");
                } else {
                    index_clean = false;
                }
            } else {
                println!("the index matches the database");
            }
            let media_clean = check_media(&db, &media, fix, orphan_grace).await?;
            if !index_clean || !media_clean {
                bail!("the database differs from the index or the media store (run `vungcao check --fix`)");
            }
        }
        command @ (Command::Migrate
        | Command::Demo(_)
        | Command::Coop { .. }
        | Command::User { .. }
        | Command::Token { .. }
        | Command::Import(_)
        | Command::Backup { .. }
        | Command::Export(_)) => {
            // Everything else is blocking database work.
            tokio::task::spawn_blocking(move || run_blocking(command, settings)).await??;
        }
    }
    Ok(())
}

fn run_blocking(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { .. }
        | Command::Reindex
        | Command::Check { .. }
        | Command::Healthcheck { .. }
        | Command::Restore { .. } => unreachable_async(),
        Command::Backup { file } => {
            let manifest = crate::backup::backup(&settings, &file)?;
            eprintln!(
                "backup written to {} (database and {} media files)",
                file.display(),
                manifest.media_files
            );
            Ok(())
        }
        Command::Migrate => {
            let db = Db::connect(&settings.database_url(), 1)?;
            let n = db.migrate()?;
            eprintln!("{n} migrations applied ({})", db.backend().name());
            Ok(())
        }
        Command::Demo(DemoArgs {
            synthetic: Some(n),
            seed,
            ..
        }) => {
            let db = open_db(&settings)?;
            let mut conn = db.get()?;
            let started = std::time::Instant::now();
            let report = demo::load_synthetic(&mut conn, n, seed, progress_printer("listings"))
                .map_err(|e| anyhow!("loading failed: {}", describe(&e)))?;
            drop(conn);
            db.settle_after_bulk_load().map_err(|e| anyhow!("{e}"))?;
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{} places, {} cooperatives, {} listings added, {} already there, in {secs:.1} s",
                report.places, report.cooperatives, report.listings_added, report.listings_skipped
            );
            Ok(())
        }
        Command::Demo(args) => {
            let text = match args.file {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
                None => demo::DEMO_CATALOGUE.to_owned(),
            };
            load_catalogue(&settings, &text)
        }
        Command::Import(args) => import(&settings, &args),
        Command::Export(args) => {
            let format = crate::transfer::Format::parse(&args.format)
                .ok_or_else(|| anyhow!("--format must be xlsx, csv or json"))?;
            if args.out.is_none()
                && format == crate::transfer::Format::Xlsx
                && std::io::stdout().is_terminal()
            {
                bail!("an xlsx file is binary: give --out FILE (or redirect standard output)");
            }
            let db = open_db(&settings)?;
            let mut conn = db.get()?;
            let mut bytes = crate::transfer::export(&mut conn, format, args.coop.as_deref())
                .map_err(|e| anyhow!("{}", describe(&e)))?;
            if format == crate::transfer::Format::Json {
                bytes.push(b'\n');
            }
            match &args.out {
                Some(path) => std::fs::write(path, &bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().lock().write_all(&bytes)?,
            }
            Ok(())
        }
        Command::Coop {
            command:
                CoopCommand::Add {
                    slug,
                    name,
                    place,
                    phone,
                },
        } => {
            let db = open_db(&settings)?;
            let mut conn = db.get()?;
            let coop = catalogue::save_cooperative(
                &mut conn,
                &NewCooperative {
                    slug,
                    name,
                    place,
                    phone,
                },
                catalogue::OnExisting::Refuse,
            )
            .map_err(|e| anyhow!("{}", describe(&e)))?;
            eprintln!("cooperative {} created", coop.slug);
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    password_stdin: _,
                    coop,
                    admin,
                },
        } => {
            let password = read_password()?;
            let db = open_db(&settings)?;
            let mut conn = db.get()?;
            let user = accounts::create(
                &mut conn,
                &NewAccount {
                    email: &email,
                    password: &password,
                    role: if admin { Role::Admin } else { Role::Member },
                    cooperative_slug: coop.as_deref(),
                },
            )
            .map_err(|e| anyhow!("{}", describe(&e)))?;
            eprintln!("account {} created ({})", user.email, user.role().as_str());
            Ok(())
        }
        Command::User {
            command: UserCommand::Passwd { email, .. },
        } => {
            if std::io::stdin().is_terminal() {
                eprint!("New password for {email} (shown as you type; pipe it in to hide it): ");
            }
            let password = read_password()?;
            let db = open_db(&settings)?;
            let mut conn = db.get()?;
            let user = account_by_email(&mut conn, &email)?;
            let revoked = accounts::reset_password(&mut conn, user.id, &password)
                .map_err(|e| anyhow!("{}", describe(&e)))?;
            eprintln!(
                "password of {} changed; {revoked} sessions and tokens revoked",
                user.email
            );
            Ok(())
        }
        Command::User {
            command: UserCommand::Disable { email },
        } => {
            let db = open_db(&settings)?;
            let mut conn = db.get()?;
            let user = account_by_email(&mut conn, &email)?;
            accounts::disable(&mut conn, user.id, None).map_err(|e| anyhow!("{}", describe(&e)))?;
            eprintln!(
                "account {} disabled; its sessions and tokens are revoked",
                user.email
            );
            Ok(())
        }
        Command::User {
            command: UserCommand::Enable { email },
        } => {
            let db = open_db(&settings)?;
            let mut conn = db.get()?;
            let user = account_by_email(&mut conn, &email)?;
            accounts::enable(&mut conn, user.id).map_err(|e| anyhow!("{}", describe(&e)))?;
            eprintln!("account {} enabled", user.email);
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { email, label, days },
        } => {
            let terms = accounts::TokenTerms::of(&settings);
            let expires_at = terms.expiry(days).map_err(|_| {
                anyhow!("--days must be a whole number from 1 to {}", terms.max_days)
            })?;
            let db = open_db(&settings)?;
            let mut conn = db.get()?;
            let user = account_by_email(&mut conn, &email)?;
            if user.is_disabled() {
                bail!(
                    "the account {} is disabled (vungcao user enable {})",
                    user.email,
                    user.email
                );
            }
            let (token, _) =
                accounts::issue_api_token(&mut conn, user.id, label.as_deref(), expires_at)
                    .map_err(|e| anyhow!("{e}"))?;
            println!("{token}");
            Ok(())
        }
    }
}

fn import(settings: &Settings, args: &ImportArgs) -> anyhow::Result<()> {
    use crate::transfer::{self, ImportOptions, Stage};
    let file = &args.file;
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > transfer::DEFAULT_MAX_BYTES {
        bail!(
            "the file cannot be imported: {}",
            describe(&transfer::too_large(size, transfer::DEFAULT_MAX_BYTES))
        );
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let db = open_db(settings)?;
    let media = crate::startup::open_media(settings)?;
    let options = ImportOptions {
        partial: args.partial,
        archive_missing: args.archive_missing,
        cooperative: args.coop.clone(),
        review_required: settings.review_required,
        max_photo_bytes: settings.upload_max_bytes,
        ..ImportOptions::default()
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:10} [{bar:40}] {pos}/{len} ({per_sec}, {eta})",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let shown = bar.clone();
    let progress = move |stage: Stage, done: usize, total: usize| {
        let label = stage.name();
        if shown.message() != label {
            shown.set_message(label);
        }
        shown.set_length(total as u64);
        shown.set_position(done as u64);
    };
    // Photos go through the media store, which is async: this blocking thread waits on the
    // runtime that started it.
    let report = tokio::runtime::Handle::current()
        .block_on(transfer::run(&db, &media, bytes, options, progress))
        .map_err(|e| anyhow!("the file cannot be imported: {}", describe(&e)))?;
    bar.finish_and_clear();
    eprint!("{}", report.to_text());
    if !report.written {
        bail!(
            "nothing was imported: {} rows have problems (see above)",
            report.invalid_rows
        );
    }
    db.settle_after_bulk_load().map_err(|e| anyhow!("{e}"))?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "imported in {secs:.1} s ({:.0} rows/s)",
        report.rows as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// The first line of standard input, without its line ending (never echoed, never logged).
fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password from standard input")?;
    Ok(password.trim_end_matches(['\n', '\r']).to_owned())
}

fn account_by_email(conn: &mut crate::store::Conn, email: &str) -> anyhow::Result<users::UserRow> {
    users::by_email(conn, email)
        .map_err(|e| anyhow!("{e}"))?
        .ok_or_else(|| anyhow!("no account with email {email}"))
}

/// An error as an operator reads it: what went wrong, then each field and why.
fn describe(e: &crate::error::AppError) -> String {
    let mut parts = vec![e.problem().title];
    parts.extend(e.detail.clone());
    parts.extend(e.detail_vi.clone());
    parts.extend(
        e.errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message)),
    );
    parts.join("; ")
}

fn unreachable_async() -> anyhow::Result<()> {
    bail!("this command runs on the async runtime")
}
