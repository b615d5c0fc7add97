//! Benchmark: our photo pipeline against libvips' `vipsthumbnail` on a 12 MP phone photo (time and peak memory).
//!
//! `cargo bench --bench photos` runs both tools several times and prints a table. Peak memory is
//! measured per job by running each job in a child process (this binary re-executed with
//! `--single-job`, or `vipsthumbnail` itself) and reading its max RSS from `wait4`.
//!
//! `cargo bench --features heic --bench photos` first prints a second table: the same 12 MP photo
//! as HEIC (`tests/fixtures/heic/phone-12mp.heic`, made by `heif-enc`) next to the JPEG, decode +
//! every variant, runs interleaved in one process. `PHOTOS_BENCH=heic` prints only that table.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use vungcao::media::{process_photo, PhotoLimits};

const INPUT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/images/phone-12mp.jpg"
);
const RUNS: usize = 7;
const VIPSTHUMBNAIL: &str = "vipsthumbnail";
/// The six files both tools make: three widths, each as JPEG q80 and WebP q75, metadata stripped.
const OUTPUTS: [(u32, &str); 6] = [
    (320, "jpg[Q=80,strip]"),
    (320, "webp[Q=75,strip]"),
    (640, "jpg[Q=80,strip]"),
    (640, "webp[Q=75,strip]"),
    (1280, "jpg[Q=80,strip]"),
    (1280, "webp[Q=75,strip]"),
];

/// Wall time and peak resident memory of one job.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Duration,
    max_rss_kib: u64,
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; only our own flag matters.
    if arguments.iter().any(|argument| argument == "--single-job") {
        return single_job();
    }
    #[cfg(feature = "heic")]
    {
        if let Err(message) = heic_table() {
            eprintln!("HEIC benchmark failed: {message}");
            return ExitCode::FAILURE;
        }
        if std::env::var("PHOTOS_BENCH").is_ok_and(|only| only == "heic") {
            return ExitCode::SUCCESS;
        }
    }
    match run_benchmark() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("benchmark failed: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Child mode: process the photo once, write the files, exit. The parent reads our max RSS.
fn single_job() -> ExitCode {
    let out_dir = output_dir("ours-child");
    match read_input().and_then(|input| ours_once(&input, &out_dir)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn read_input() -> Result<Vec<u8>, String> {
    std::fs::read(INPUT).map_err(|error| format!("cannot read {INPUT}: {error}"))
}

fn output_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("vungcao-bench").join(name);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// One full job of ours: every variant plus the master and placeholder, written to disk like
/// vipsthumbnail's outputs are.
fn ours_once(input: &[u8], out_dir: &Path) -> Result<usize, String> {
    let photo = process_photo(input, &PhotoLimits::default()).map_err(|error| error.to_string())?;
    let mut files = 0;
    for object in photo.objects() {
        let name = object.key.rsplit('/').next().unwrap_or("object");
        std::fs::write(out_dir.join(name), &object.bytes).map_err(|error| error.to_string())?;
        files += 1;
    }
    Ok(files)
}

/// Spawns `command`, waits for it with `wait4` and returns its wall time and max RSS.
fn measure_child(command: &mut Command) -> Result<Sample, String> {
    let started = Instant::now();
    let child = command
        .spawn()
        .map_err(|error| format!("cannot start {command:?}: {error}"))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|error| error.to_string())?;
    let mut status: libc::c_int = 0;
    // SAFETY: all-zero is a valid `rusage`; wait4 fills it in for the child we just started.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own un-waited child; both pointers are to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if waited != pid {
        return Err(format!("wait4 failed for {command:?}"));
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("{command:?} failed with status {status}"));
    }
    Ok(Sample {
        wall,
        // Linux reports ru_maxrss in KiB.
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    })
}

/// libvips: one `vipsthumbnail` process per output file, run one after the other. Each process
/// decodes with libjpeg shrink-on-load and uses libvips' own threads. The job's wall time is
/// the sum; its peak memory is the largest of the six processes (they never overlap).
fn vips_job(out_dir: &Path) -> Result<Sample, String> {
    let mut wall = Duration::ZERO;
    let mut max_rss_kib = 0;
    for (width, format) in OUTPUTS {
        let output = out_dir.join(format!("out_{width}.{format}"));
        let sample = measure_child(
            Command::new(VIPSTHUMBNAIL)
                .arg(INPUT)
                .arg("--size")
                .arg(format!("{width}x"))
                .arg("-o")
                .arg(&output),
        )?;
        wall += sample.wall;
        max_rss_kib = max_rss_kib.max(sample.max_rss_kib);
    }
    Ok(Sample { wall, max_rss_kib })
}

/// libvips with the six processes two at a time, one per core: the best libvips can do here.
fn vips_job_two_at_a_time(out_dir: &Path) -> Result<Sample, String> {
    let started = Instant::now();
    let mut max_rss_kib = 0;
    for pair in OUTPUTS.chunks(2) {
        let handles: Vec<_> = pair
            .iter()
            .map(|&(width, format)| {
                let output = out_dir.join(format!("pair_{width}.{format}"));
                std::thread::spawn(move || {
                    measure_child(
                        Command::new(VIPSTHUMBNAIL)
                            .arg(INPUT)
                            .arg("--size")
                            .arg(format!("{width}x"))
                            .arg("-o")
                            .arg(&output),
                    )
                })
            })
            .collect();
        for handle in handles {
            let sample = handle
                .join()
                .map_err(|_| "measuring thread panicked".to_owned())??;
            // Two processes run together, so the job's footprint is their sum.
            max_rss_kib += sample.max_rss_kib;
        }
    }
    Ok(Sample {
        wall: started.elapsed(),
        max_rss_kib: max_rss_kib / 3,
    })
}

struct Row {
    tool: &'static str,
    walls: Vec<Duration>,
    peak_rss_kib: u64,
}

impl Row {
    fn median(&self) -> Duration {
        let mut sorted = self.walls.clone();
        sorted.sort();
        sorted[sorted.len() / 2]
    }
    fn min(&self) -> Duration {
        self.walls.iter().copied().min().unwrap_or_default()
    }
    fn max(&self) -> Duration {
        self.walls.iter().copied().max().unwrap_or_default()
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn run_benchmark() -> Result<(), String> {
    let self_exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let ours_dir = output_dir("ours");
    let vips_dir = output_dir("vips");

    let mut ours = Row {
        tool: "vungcao (in-process)",
        walls: Vec::new(),
        peak_rss_kib: 0,
    };
    let mut ours_child = Row {
        tool: "vungcao (child process)",
        walls: Vec::new(),
        peak_rss_kib: 0,
    };
    let mut vips = Row {
        tool: "vipsthumbnail x6, sequential",
        walls: Vec::new(),
        peak_rss_kib: 0,
    };
    let mut vips_pairs = Row {
        tool: "vipsthumbnail x6, 2 at a time",
        walls: Vec::new(),
        peak_rss_kib: 0,
    };

    // Child processes first, while this process is still small: Linux starts a child's max RSS
    // at its parent's high-water mark (vfork + exec), which would inflate every reading.
    measure_child(Command::new(&self_exe).arg("--single-job"))?;
    vips_job(&vips_dir)?;
    for _ in 0..RUNS {
        let child = measure_child(Command::new(&self_exe).arg("--single-job"))?;
        ours_child.walls.push(child.wall);
        ours_child.peak_rss_kib = ours_child.peak_rss_kib.max(child.max_rss_kib);

        let sample = vips_job(&vips_dir)?;
        vips.walls.push(sample.wall);
        vips.peak_rss_kib = vips.peak_rss_kib.max(sample.max_rss_kib);

        let sample = vips_job_two_at_a_time(&vips_dir)?;
        vips_pairs.walls.push(sample.wall);
        vips_pairs.peak_rss_kib = vips_pairs.peak_rss_kib.max(sample.max_rss_kib);
    }

    let input = read_input()?;
    ours_once(&input, &ours_dir)?;
    for _ in 0..RUNS {
        let started = Instant::now();
        ours_once(&input, &ours_dir)?;
        ours.walls.push(started.elapsed());
    }
    ours.peak_rss_kib = ours_child.peak_rss_kib;

    let baseline = millis(vips.median());
    println!(
        "input: {INPUT} (4032x3024 JPEG), {RUNS} runs after one warm-up each, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("ours: 320/640/1280 px x (WebP q75 + JPEG q80) + 2560 px master JPEG q85 + ThumbHash");
    println!("vips: 320/640/1280 px x (JPEG Q=80 + WebP Q=75), strip; one process per file");
    println!();
    println!(
        "| {:<30} | {:>9} | {:>9} | {:>9} | {:>13} | {:>13} |",
        "tool", "median ms", "min ms", "max ms", "peak RSS MiB", "x libvips seq"
    );
    println!(
        "|{:-<32}|{:->11}|{:->11}|{:->11}|{:->15}|{:->15}|",
        "", "", "", "", "", ""
    );
    for row in [&ours, &ours_child, &vips, &vips_pairs] {
        println!(
            "| {:<30} | {:>9.0} | {:>9.0} | {:>9.0} | {:>13.1} | {:>13.2} |",
            row.tool,
            millis(row.median()),
            millis(row.min()),
            millis(row.max()),
            row.peak_rss_kib as f64 / 1024.0,
            millis(row.median()) / baseline,
        );
    }
    println!();
    println!("peak RSS: max RSS of one job's process (ours: this binary with --single-job; vips:");
    println!("largest of the six processes, or for '2 at a time' the mean sum of each pair).");
    // The child-process row is the fair one: it pays process start and file reading like
    // vipsthumbnail does, and its runs were interleaved with libvips' under the same load.
    let ratio = millis(ours_child.median()) / baseline;
    let peak_mib = ours_child.peak_rss_kib as f64 / 1024.0;
    println!(
        "targets (child process vs libvips sequential): time <= 0.30x -> {ratio:.2}x {}; peak <= 150 MiB -> {peak_mib:.0} MiB {}",
        if ratio <= 0.3 { "OK" } else { "MISSED" },
        if peak_mib <= 150.0 { "OK" } else { "MISSED" },
    );
    Ok(())
}

/// The 12 MP photo as HEIC next to the same photo as JPEG: decode + master + six variants +
/// placeholder, in this process, the two formats taking turns so both see the same load.
#[cfg(feature = "heic")]
fn heic_table() -> Result<(), String> {
    const HEIC_INPUT: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/heic/phone-12mp.heic"
    );
    let jpeg = read_input()?;
    let heic =
        std::fs::read(HEIC_INPUT).map_err(|error| format!("cannot read {HEIC_INPUT}: {error}"))?;
    let out_dir = output_dir("heic");
    let mut rows = [
        Row {
            tool: "12 MP JPEG (2.9 MB)",
            walls: Vec::new(),
            peak_rss_kib: 0,
        },
        Row {
            tool: "12 MP HEIC (heif-enc -q 50)",
            walls: Vec::new(),
            peak_rss_kib: 0,
        },
    ];
    let inputs = [&jpeg, &heic];
    for input in inputs {
        ours_once(input, &out_dir)?;
    }
    for _ in 0..RUNS {
        for (row, input) in rows.iter_mut().zip(inputs) {
            let started = Instant::now();
            ours_once(input, &out_dir)?;
            row.walls.push(started.elapsed());
        }
    }
    let baseline = millis(rows[0].median());
    println!(
        "HEIC vs JPEG, same 4032x3024 photo: decode + 2560 px master + 320/640/1280 px x (WebP + JPEG) + ThumbHash"
    );
    println!(
        "{RUNS} runs each after one warm-up, interleaved, in-process, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    println!(
        "| {:<30} | {:>9} | {:>9} | {:>9} | {:>9} |",
        "input", "median ms", "min ms", "max ms", "x JPEG"
    );
    println!(
        "|{:-<32}|{:->11}|{:->11}|{:->11}|{:->11}|",
        "", "", "", "", ""
    );
    for row in &rows {
        println!(
            "| {:<30} | {:>9.0} | {:>9.0} | {:>9.0} | {:>9.2} |",
            row.tool,
            millis(row.median()),
            millis(row.min()),
            millis(row.max()),
            millis(row.median()) / baseline,
        );
    }
    println!();
    Ok(())
}
