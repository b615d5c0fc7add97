//! 8-bit RGB or RGBA pixel buffers, and the resizing, rotating and flattening done on them.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, RgbImage, RgbaImage};

use super::error::PhotoError;

/// Tightly packed 8-bit sRGB pixels, with alpha only when the source had an alpha channel.
#[derive(Debug, Clone)]
pub(crate) struct Pixels {
    pub width: u32,
    pub height: u32,
    pub has_alpha: bool,
    pub data: Vec<u8>,
}

impl Pixels {
    /// Brings any decoded image (grey, 16-bit, …) to 8-bit RGB, or RGBA if it has alpha.
    pub fn from_dynamic(image: DynamicImage) -> Self {
        let (width, height) = (image.width(), image.height());
        if image.color().has_alpha() {
            Self {
                width,
                height,
                has_alpha: true,
                data: image.into_rgba8().into_raw(),
            }
        } else {
            Self {
                width,
                height,
                has_alpha: false,
                data: image.into_rgb8().into_raw(),
            }
        }
    }

    fn pixel_type(&self) -> PixelType {
        if self.has_alpha {
            PixelType::U8x4
        } else {
            PixelType::U8x3
        }
    }

    /// SIMD convolution resampling; alpha is premultiplied during the resize so transparent
    /// pixels do not bleed their (meaningless) colour into the edges.
    pub fn resized(&self, width: u32, height: u32, filter: FilterType) -> Result<Self, PhotoError> {
        if (width, height) == (self.width, self.height) {
            return Ok(self.clone());
        }
        self.resampled(
            width,
            height,
            ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter)),
        )
    }

    /// Fills exactly `width`×`height`: scaled to cover it, and what sticks out cut off evenly on
    /// both sides (a link preview's fixed frame, without bars or stretching).
    pub fn covering(
        &self,
        width: u32,
        height: u32,
        filter: FilterType,
    ) -> Result<Self, PhotoError> {
        self.resampled(
            width,
            height,
            ResizeOptions::new()
                .resize_alg(ResizeAlg::Convolution(filter))
                .fit_into_destination(Some((0.5, 0.5))),
        )
    }

    fn resampled(
        &self,
        width: u32,
        height: u32,
        options: ResizeOptions,
    ) -> Result<Self, PhotoError> {
        let failed = |detail: String| PhotoError::ProcessingFailed { detail };
        let source = ImageRef::new(self.width, self.height, &self.data, self.pixel_type())
            .map_err(|error| failed(format!("resize source: {error}")))?;
        let mut target = Image::new(width, height, self.pixel_type());
        Resizer::new()
            .resize(&source, &mut target, &options)
            .map_err(|error| failed(format!("resize: {error}")))?;
        Ok(Self {
            width,
            height,
            has_alpha: self.has_alpha,
            data: target.into_vec(),
        })
    }

    /// Applies the EXIF orientation so the pixels themselves are upright.
    pub fn oriented(self, orientation: Orientation) -> Result<Self, PhotoError> {
        if orientation == Orientation::NoTransforms {
            return Ok(self);
        }
        let mut image = self.into_dynamic()?;
        image.apply_orientation(orientation);
        Ok(Self::from_dynamic(image))
    }

    fn into_dynamic(self) -> Result<DynamicImage, PhotoError> {
        let mismatch = || PhotoError::ProcessingFailed {
            detail: "pixel buffer does not match its size".to_owned(),
        };
        if self.has_alpha {
            RgbaImage::from_raw(self.width, self.height, self.data)
                .map(DynamicImage::ImageRgba8)
                .ok_or_else(mismatch)
        } else {
            RgbImage::from_raw(self.width, self.height, self.data)
                .map(DynamicImage::ImageRgb8)
                .ok_or_else(mismatch)
        }
    }

    /// RGB with transparency composited onto white: JPEG has no alpha, and a product shot
    /// on a transparent background should look like it sits on a white page, not a black one.
    pub fn rgb_on_white(&self) -> std::borrow::Cow<'_, [u8]> {
        if !self.has_alpha {
            return std::borrow::Cow::Borrowed(&self.data);
        }
        let rgb = self
            .data
            .chunks_exact(4)
            .flat_map(|rgba| {
                let alpha = u32::from(rgba[3]);
                let over_white = |channel: u8| {
                    ((u32::from(channel) * alpha + 255 * (255 - alpha) + 127) / 255) as u8
                };
                [
                    over_white(rgba[0]),
                    over_white(rgba[1]),
                    over_white(rgba[2]),
                ]
            })
            .collect();
        std::borrow::Cow::Owned(rgb)
    }

    /// RGBA whatever the source, as ThumbHash wants.
    pub fn to_rgba(&self) -> Vec<u8> {
        if self.has_alpha {
            return self.data.clone();
        }
        self.data
            .chunks_exact(3)
            .flat_map(|rgb| [rgb[0], rgb[1], rgb[2], 255])
            .collect()
    }
}
