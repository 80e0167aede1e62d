//! A printable A4 poster per link — unit name, campaign, QR code, invitation and short URL —
//! as SVG, rendered to PNG with resvg, and zipped per campaign.

use std::io::{Cursor, Write};
use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::domain::questionnaire::Lang;
use crate::web::html::escape;
use crate::web::qr;
use crate::web::texts::texts;

/// A4 at 150 dpi.
pub const PNG_WIDTH: u32 = 1240;

/// What goes on one poster.
pub struct PosterContent<'a> {
    pub unit_name: &'a str,
    pub campaign_title: &'a str,
    pub url: &'a str,
    pub lang: Lang,
}

#[derive(Debug, thiserror::Error)]
pub enum PosterError {
    #[error(transparent)]
    Qr(#[from] qr::QrError),
    #[error("cannot render the poster: {0}")]
    Render(String),
    #[error("cannot write the archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("cannot write the archive: {0}")]
    Io(#[from] std::io::Error),
}

/// The fonts listed first cover Chinese on Debian (fonts-wqy-microhei, fonts-noto-cjk),
/// Windows and macOS.
const FONTS: &str = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";

/// A4 in millimetres: 210 × 297.
pub fn svg(content: &PosterContent) -> Result<String, PosterError> {
    let (modules, width) = qr::path(content.url)?;
    // The code spans 130 mm; a quiet zone of 4 modules is drawn as white around it.
    let scale = 130.0 / (width as f64 + 8.0);
    let qr_x = (210.0 - 130.0) / 2.0;
    let t = texts(content.lang);
    let short_url = content.url.trim_start_matches("https://").trim_start_matches("http://");
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"210mm\" height=\"297mm\" viewBox=\"0 0 210 297\" font-family=\"{FONTS}\">\
         <rect width=\"210\" height=\"297\" fill=\"#ffffff\"/>\
         <rect x=\"0\" y=\"0\" width=\"210\" height=\"14\" fill=\"#0b57a4\"/>\
         <text x=\"105\" y=\"34\" text-anchor=\"middle\" font-size=\"8\" fill=\"#57606a\">{campaign}</text>\
         <text x=\"105\" y=\"56\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\" fill=\"#1f2328\">{unit}</text>\
         <g transform=\"translate({qr_x} 70) scale({scale})\"><rect width=\"{outer}\" height=\"{outer}\" fill=\"#ffffff\"/>\
         <path transform=\"translate(4 4)\" d=\"{modules}\" fill=\"#000000\" shape-rendering=\"crispEdges\"/></g>\
         <text x=\"105\" y=\"226\" text-anchor=\"middle\" font-size=\"10\" font-weight=\"bold\" fill=\"#0b57a4\">{invitation}</text>\
         <text x=\"105\" y=\"244\" text-anchor=\"middle\" font-size=\"7\" fill=\"#1f2328\">{short_url}</text>\
         <text x=\"105\" y=\"280\" text-anchor=\"middle\" font-size=\"5\" fill=\"#57606a\">{privacy}</text>\
         </svg>",
        campaign = escape(content.campaign_title),
        unit = escape(content.unit_name),
        outer = width + 8,
        invitation = escape(t.poster_invitation),
        short_url = escape(short_url),
        privacy = escape(t.privacy.split(['。', ':', '.']).next().unwrap_or_default()),
    ))
}

/// The system's fonts, loaded once: loading them takes longer than rendering a poster.
fn font_database() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            Arc::new(db)
        })
        .clone()
}

/// The poster as a PNG, `width` pixels wide (A4 proportions).
pub fn png(content: &PosterContent, width: u32) -> Result<Vec<u8>, PosterError> {
    let svg = svg(content)?;
    let options = usvg::Options { fontdb: font_database(), ..Default::default() };
    let tree = usvg::Tree::from_str(&svg, &options).map_err(|e| PosterError::Render(e.to_string()))?;
    let scale = width as f32 / tree.size().width();
    let height = (tree.size().height() * scale).ceil() as u32;
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or_else(|| PosterError::Render("empty image".to_owned()))?;
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| PosterError::Render(e.to_string()))
}

/// A zip of named files, deflated.
pub fn zip(files: Vec<(String, Vec<u8>)>) -> Result<Vec<u8>, PosterError> {
    let mut archive = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        archive.start_file(name, options)?;
        archive.write_all(&bytes)?;
    }
    Ok(archive.finish()?.into_inner())
}
