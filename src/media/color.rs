//! Brings pixels tagged with an embedded colour profile (e.g. iPhone Display P3) into sRGB.

use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

use super::pixels::Pixels;

/// Converts `pixels` from the colour space described by the ICC profile `icc` to sRGB.
///
/// Variants are stored without any profile, and browsers show untagged images as sRGB, so
/// wide-gamut photos would otherwise look dull. A profile that cannot be read, or that is not
/// RGB (grey, CMYK), leaves the pixels as decoded: a slightly off colour beats a refused photo.
pub(crate) fn convert_to_srgb(pixels: &mut Pixels, icc: &[u8]) {
    let source = match ColorProfile::new_from_slice(icc) {
        Ok(profile) if profile.color_space == DataColorSpace::Rgb => profile,
        Ok(_) => return,
        Err(error) => {
            tracing::debug!(%error, "ignoring an unreadable ICC profile");
            return;
        }
    };
    let layout = if pixels.has_alpha {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    let transform = match source.create_transform_8bit(
        layout,
        &ColorProfile::new_srgb(),
        layout,
        TransformOptions::default(),
    ) {
        Ok(transform) => transform,
        Err(error) => {
            tracing::debug!(%error, "ICC profile gives no transform to sRGB");
            return;
        }
    };
    let mut converted = vec![0; pixels.data.len()];
    match transform.transform(&pixels.data, &mut converted) {
        Ok(()) => pixels.data = converted,
        Err(error) => tracing::debug!(%error, "ICC transform to sRGB failed"),
    }
}
