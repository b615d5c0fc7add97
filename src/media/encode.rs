//! Encodes pixel buffers to JPEG and WebP, spreading the files over a few threads.

use std::sync::atomic::{AtomicUsize, Ordering};

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use super::error::PhotoError;
use super::pipeline::{VariantFormat, WEBP_METHOD};
use super::pixels::Pixels;

/// One file to encode. Encoders get raw pixels only, so no EXIF, XMP, ICC or comment can
/// reach the output.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EncodeJob<'a> {
    Jpeg { pixels: &'a Pixels, quality: u8 },
    Webp { pixels: &'a Pixels, quality: f32 },
}

impl<'a> EncodeJob<'a> {
    pub fn pixels(&self) -> &'a Pixels {
        match *self {
            Self::Jpeg { pixels, .. } | Self::Webp { pixels, .. } => pixels,
        }
    }

    pub fn format(&self) -> VariantFormat {
        match self {
            Self::Jpeg { .. } => VariantFormat::Jpeg,
            Self::Webp { .. } => VariantFormat::Webp,
        }
    }

    pub fn run(&self) -> Result<Vec<u8>, PhotoError> {
        match *self {
            Self::Jpeg { pixels, quality } => encode_jpeg(pixels, quality),
            Self::Webp { pixels, quality } => encode_webp(pixels, quality),
        }
    }
}

/// Baseline JPEG through `jpeg-encoder`, whose AVX2 colour conversion and DCT (picked at run
/// time) take about half the CPU of `image`'s scalar encoder: libjpeg's quality scaling of the
/// standard tables, a JFIF header and nothing else. Chroma at half resolution both ways (4:2:0),
/// what libjpeg and libvips write below quality 90 and what phone cameras record in the first
/// place: half the blocks of 4:4:4 to transform and code, and an eye that cannot tell.
fn encode_jpeg(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let failed = |detail: String| PhotoError::ProcessingFailed {
        detail: format!("JPEG encoding: {detail}"),
    };
    let side = |length: u32| {
        u16::try_from(length).map_err(|_| failed(format!("{length} px is too large for JPEG")))
    };
    let (width, height) = (side(pixels.width)?, side(pixels.height)?);
    let rgb = pixels.rgb_on_white();
    let mut out = Vec::with_capacity(rgb.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::F_2_2);
    encoder
        .encode(&rgb, width, height, ColorType::Rgb)
        .map_err(|error| failed(error.to_string()))?;
    Ok(out)
}

/// Lossy WebP at libwebp's default effort (`method` 4, what libvips and `cwebp` use).
fn encode_webp(pixels: &Pixels, quality: f32) -> Result<Vec<u8>, PhotoError> {
    let failed = |detail: String| PhotoError::ProcessingFailed {
        detail: format!("WebP encoding: {detail}"),
    };
    let mut config =
        webp::WebPConfig::new().map_err(|()| failed("no encoder configuration".to_owned()))?;
    config.quality = quality;
    config.method = WEBP_METHOD;
    let encoder = if pixels.has_alpha {
        webp::Encoder::from_rgba(&pixels.data, pixels.width, pixels.height)
    } else {
        webp::Encoder::from_rgb(&pixels.data, pixels.width, pixels.height)
    };
    let memory = encoder
        .encode_advanced(&config)
        .map_err(|error| failed(format!("{error:?}")))?;
    Ok(memory.to_vec())
}

/// Runs `jobs` on up to `threads` threads (the caller's included) and returns the outputs in
/// job order. Threads take the next job when free, so listing big jobs first balances them.
pub(crate) fn encode_in_parallel(
    jobs: &[EncodeJob<'_>],
    threads: usize,
) -> Result<Vec<Vec<u8>>, PhotoError> {
    let threads = threads.clamp(1, jobs.len().max(1));
    let next_job = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let index = next_job.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(index) else {
                return done;
            };
            done.push((index, job.run()));
        }
    };
    let mut finished: Vec<(usize, Result<Vec<u8>, PhotoError>)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut finished = work();
        for helper in helpers {
            match helper.join() {
                Ok(theirs) => finished.extend(theirs),
                Err(_) => finished.push((
                    usize::MAX,
                    Err(PhotoError::ProcessingFailed {
                        detail: "an encoding thread panicked".to_owned(),
                    }),
                )),
            }
        }
        finished
    });
    finished.sort_by_key(|(index, _)| *index);
    finished.into_iter().map(|(_, output)| output).collect()
}
