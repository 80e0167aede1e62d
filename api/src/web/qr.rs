//! QR codes of public links, as SVG or PNG, with error correction level M (15% damage).

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

pub const DEFAULT_SIZE: u32 = 512;
pub const MIN_SIZE: u32 = 128;
pub const MAX_SIZE: u32 = 2048;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("cannot encode as a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("cannot write PNG: {0}")]
    Png(#[from] image::ImageError),
}

fn code(data: &str) -> Result<QrCode, QrError> {
    Ok(QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)?)
}

/// An SVG document of `size` pixels (at least), with the quiet zone.
pub fn svg(data: &str, size: u32) -> Result<String, QrError> {
    Ok(code(data)?
        .render::<svg::Color>()
        .min_dimensions(size, size)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// A PNG of `size` pixels (at least), with the quiet zone.
pub fn png(data: &str, size: u32) -> Result<Vec<u8>, QrError> {
    let image = code(data)?.render::<Luma<u8>>().min_dimensions(size, size).build();
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, ImageFormat::Png)?;
    Ok(bytes.into_inner())
}

/// The modules of the code as an SVG path in a `width` × `width` box, for embedding in posters.
pub fn path(data: &str) -> Result<(String, usize), QrError> {
    let code = code(data)?;
    let width = code.width();
    let mut d = String::new();
    for (index, colour) in code.to_colors().iter().enumerate() {
        if *colour == qrcode::Color::Dark {
            d.push_str(&format!("M{} {}h1v1h-1z", index % width, index / width));
        }
    }
    Ok((d, width))
}
