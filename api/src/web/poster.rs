//! A printable A4 poster per link: campaign, unit name (wrapped and shrunk to fit however long
//! it is), the QR code, an invitation, the short URL, who asks, until when, and a contact
//! line. As SVG, rendered to PNG with resvg, as a one-page PDF of that rendering, and zipped
//! per campaign.

use std::io::{Cursor, Write};
use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::domain::questionnaire::Lang;
use crate::web::html::escape;
use crate::web::qr;
use crate::web::texts::texts;

/// A4 at 150 dpi.
pub const PNG_WIDTH: u32 = 1240;
/// The PDF's rendering: A4 at 200 dpi, sharp on paper.
const PDF_WIDTH: u32 = 1654;

/// What goes on one poster.
pub struct PosterContent<'a> {
    pub unit_name: &'a str,
    pub campaign_title: &'a str,
    /// The link's public URL; the English poster's code adds `?lang=en`.
    pub url: &'a str,
    pub lang: Lang,
    pub organiser: Option<&'a str>,
    pub contact: Option<&'a str>,
    /// The last day answers are taken.
    pub closes_on: chrono::NaiveDate,
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

/// The width text may take, in millimetres: the page less 10 mm each side.
const TEXT_WIDTH: f64 = 190.0;

/// A generous estimate of a character's advance, in ems: CJK and other wide characters take
/// a whole em, narrow Latin letters about half. Generous, so that text set by it stays inside
/// the page in any of the listed fonts.
fn advance(c: char) -> f64 {
    match c {
        ' ' => 0.35,
        'i' | 'l' | 'j' | 't' | 'f' | 'r' | 'I' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.4,
        c if c.is_ascii() => 0.68,
        _ => 1.0,
    }
}

fn width_of(text: &str, size: f64) -> f64 {
    text.chars().map(advance).sum::<f64>() * size
}

/// `text` broken into lines no wider than `TEXT_WIDTH` at `size`: at spaces where there are
/// some (English names), anywhere between wide characters otherwise, as Chinese is set.
fn wrap(text: &str, size: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_inclusive(|c: char| c == ' ' || !c.is_ascii()) {
        let candidate = format!("{line}{word}");
        if width_of(candidate.trim_end(), size) <= TEXT_WIDTH || line.is_empty() {
            line = candidate;
        } else {
            lines.push(line.trim_end().to_owned());
            line = word.to_owned();
        }
        // A single word wider than the line (a long code, say) is cut where it must be.
        while width_of(line.trim_end(), size) > TEXT_WIDTH {
            let mut head = String::new();
            for c in line.chars() {
                if width_of(&format!("{head}{c}"), size) > TEXT_WIDTH {
                    break;
                }
                head.push(c);
            }
            if head.is_empty() {
                break;
            }
            line = line[head.len()..].to_owned();
            lines.push(head);
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// The largest size, from `largest` down, at which `text` fits in `height` millimetres of
/// lines, with the lines at that size.
pub fn fit(text: &str, largest: f64, height: f64) -> (f64, Vec<String>) {
    let mut size = largest;
    loop {
        let lines = wrap(text, size);
        if lines.len() as f64 * size * 1.2 <= height || size <= 3.0 {
            return (size, lines);
        }
        size -= 0.5;
    }
}

/// Lines of text centred on the page, the first baseline at `y`.
fn text_block(lines: &[String], y: f64, size: f64, style: &str) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let baseline = y + index as f64 * size * 1.2;
            format!(
                "<text x=\"105\" y=\"{baseline:.1}\" text-anchor=\"middle\" font-size=\"{size}\" {style}>{}</text>",
                escape(line)
            )
        })
        .collect()
}

/// The URL the poster's code holds: the English poster opens the page in English.
pub fn coded_url(content: &PosterContent) -> String {
    match content.lang {
        Lang::ZhCn => content.url.to_owned(),
        Lang::En => format!("{}?lang=en", content.url),
    }
}

/// A4 in millimetres: 210 × 297.
pub fn svg(content: &PosterContent) -> Result<String, PosterError> {
    let (modules, width) = qr::path(&coded_url(content))?;
    // The code spans 120 mm; a quiet zone of 4 modules is drawn as white around it.
    let scale = 120.0 / (width as f64 + 8.0);
    let qr_x = (210.0 - 120.0) / 2.0;
    let t = texts(content.lang);
    let short_url = content.url.trim_start_matches("https://").trim_start_matches("http://");
    let (campaign_size, campaign_lines) = fit(content.campaign_title, 8.0, 10.0);
    let (unit_size, unit_lines) = fit(content.unit_name, 15.0, 26.0);
    let (invitation_size, invitation_lines) = fit(t.poster_invitation, 10.0, 12.0);
    let closes = match content.lang {
        Lang::ZhCn => format!("{}截止", content.closes_on.format("%Y年%-m月%-d日")),
        Lang::En => format!("Open until {}", content.closes_on.format("%-d %B %Y")),
    };
    let by = content.organiser.map(|organiser| match content.lang {
        Lang::ZhCn => format!("主办：{organiser}"),
        Lang::En => format!("Asked by {organiser}"),
    });
    let footer: Vec<String> = [by, Some(closes), content.contact.map(str::to_owned)].into_iter().flatten().collect();
    let mut footer_lines = Vec::new();
    for line in &footer {
        footer_lines.extend(fit(line, 5.0, 6.0).1);
    }
    let privacy = t.privacy.split(['。', '：', '.', ':']).next().unwrap_or_default();
    let (privacy_size, privacy_lines) = fit(privacy, 4.5, 6.0);
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"210mm\" height=\"297mm\" viewBox=\"0 0 210 297\" font-family=\"{FONTS}\">\
         <rect width=\"210\" height=\"297\" fill=\"#ffffff\"/>\
         <rect x=\"0\" y=\"0\" width=\"210\" height=\"12\" fill=\"#0b57a4\"/>\
         {campaign}{unit}\
         <g transform=\"translate({qr_x} 64) scale({scale})\"><rect width=\"{outer}\" height=\"{outer}\" fill=\"#ffffff\"/>\
         <path transform=\"translate(4 4)\" d=\"{modules}\" fill=\"#000000\" shape-rendering=\"crispEdges\"/></g>\
         {invitation}\
         <text x=\"105\" y=\"220\" text-anchor=\"middle\" font-size=\"6.5\" fill=\"#1f2328\">{short_url}</text>\
         {footer}{privacy}\
         </svg>",
        campaign = text_block(&campaign_lines, 24.0, campaign_size, "fill=\"#57606a\""),
        unit = text_block(&unit_lines, 36.0 + unit_size * 0.8, unit_size, "font-weight=\"bold\" fill=\"#1f2328\""),
        outer = width + 8,
        invitation = text_block(&invitation_lines, 200.0, invitation_size, "font-weight=\"bold\" fill=\"#0b57a4\""),
        short_url = escape(short_url),
        footer = text_block(&footer_lines, 236.0, 5.0, "fill=\"#1f2328\""),
        privacy = text_block(&privacy_lines, 282.0, privacy_size, "fill=\"#57606a\""),
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

/// The poster's SVG as resvg reads it, with the system's fonts.
pub fn tree(svg: &str) -> Result<usvg::Tree, PosterError> {
    let options = usvg::Options { fontdb: font_database(), ..Default::default() };
    usvg::Tree::from_str(svg, &options).map_err(|e| PosterError::Render(e.to_string()))
}

fn render(content: &PosterContent, width: u32) -> Result<tiny_skia::Pixmap, PosterError> {
    let tree = tree(&svg(content)?)?;
    let scale = width as f32 / tree.size().width();
    let height = (tree.size().height() * scale).ceil() as u32;
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or_else(|| PosterError::Render("empty image".to_owned()))?;
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    Ok(pixmap)
}

/// The poster as a PNG, `width` pixels wide (A4 proportions).
pub fn png(content: &PosterContent, width: u32) -> Result<Vec<u8>, PosterError> {
    render(content, width)?.encode_png().map_err(|e| PosterError::Render(e.to_string()))
}

/// The poster as a one-page A4 PDF: its rendering at 200 dpi, as a deflated RGB image that
/// fills the page (a PDF needs nothing more to print it).
pub fn pdf(content: &PosterContent) -> Result<Vec<u8>, PosterError> {
    let pixmap = render(content, PDF_WIDTH)?;
    let (width, height) = (pixmap.width(), pixmap.height());
    // The page is white under the poster, so dropping alpha changes nothing.
    let rgb: Vec<u8> = pixmap.data().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    deflate.write_all(&rgb)?;
    let image = deflate.finish()?;
    // A4 in points.
    let (page_w, page_h) = (595.28, 841.89);
    let drawing = format!("q {page_w} 0 0 {page_h} 0 0 cm /Im0 Do Q");
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    let mut object = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
    object(&mut out, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    object(
        &mut out,
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_w} {page_h}] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"
        )
        .as_bytes(),
    );
    let mut image_object = format!(
        "<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length {} >>\nstream\n",
        image.len()
    )
    .into_bytes();
    image_object.extend_from_slice(&image);
    image_object.extend_from_slice(b"\nendstream");
    object(&mut out, &image_object);
    object(&mut out, format!("<< /Length {} >>\nstream\n{drawing}\nendstream", drawing.len()).as_bytes());
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes());
    for offset in &offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", offsets.len() + 1).as_bytes(),
    );
    Ok(out)
}

/// A zip of named files, deflated, each dated `at` (local time as a zip keeps it).
pub fn zip(files: Vec<(String, Vec<u8>)>, at: chrono::NaiveDateTime) -> Result<Vec<u8>, PosterError> {
    use chrono::{Datelike, Timelike};
    let mut archive = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let narrow = |v: u32| u8::try_from(v).unwrap_or(0);
    let modified = zip::DateTime::from_date_and_time(
        u16::try_from(at.year()).unwrap_or(1980),
        narrow(at.month()),
        narrow(at.day()),
        narrow(at.hour()),
        narrow(at.minute()),
        narrow(at.second()),
    )
    .unwrap_or_default();
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(modified);
    for (name, bytes) in files {
        archive.start_file(name, options)?;
        archive.write_all(&bytes)?;
    }
    Ok(archive.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use crate::web::poster::*;

    fn content<'a>(unit_name: &'a str, lang: Lang) -> PosterContent<'a> {
        PosterContent {
            unit_name,
            campaign_title: "昭化区2017年度民主评议政风行风",
            url: "https://pingyi.example/s/abcdefgh",
            lang,
            organiser: Some("昭化区民主评议政风行风工作领导小组办公室"),
            contact: Some("评议办：区政府大楼三楼"),
            closes_on: chrono::NaiveDate::from_ymd_opt(2017, 9, 30).unwrap_or_default(),
        }
    }

    /// The bounds of every text under `group`, however deep.
    fn texts_in(group: &usvg::Group, found: &mut Vec<usvg::Rect>) {
        for node in group.children() {
            match node {
                usvg::Node::Text(text) => found.push(text.abs_bounding_box()),
                usvg::Node::Group(inner) => texts_in(inner, found),
                _ => {}
            }
        }
    }

    /// Every line of text, as resvg lays it out in the system's fonts, lies inside the page,
    /// for the longest unit name a unit may have (200 characters), in Chinese and in Latin.
    #[test]
    fn text_stays_inside_the_page_for_the_longest_names() -> Result<(), PosterError> {
        let longest = "国家税务总局广元市昭化区税务局第一税务分局".repeat(10).chars().take(200).collect::<String>();
        let latin = "Zhaohua District Tax Bureau First Branch ".repeat(5).chars().take(200).collect::<String>();
        for (name, lang) in [(longest.as_str(), Lang::ZhCn), (latin.as_str(), Lang::En), ("区交通运输局", Lang::ZhCn)]
        {
            let svg = svg(&content(name, lang))?;
            let tree = tree(&svg)?;
            let mut found = Vec::new();
            texts_in(tree.root(), &mut found);
            let texts = found.len();
            for bounds in found {
                assert!(bounds.width() > 0.0, "a font drew the text (install fonts-wqy-microhei)");
                // In the tree's own units: the page is `tree.size()`, A4 at 96 dpi.
                let page = tree.size();
                assert!(bounds.left() >= 0.0 && bounds.right() <= page.width(), "{name}: {bounds:?} in {page:?}");
                assert!(bounds.top() >= 0.0 && bounds.bottom() <= page.height(), "{name}: {bounds:?} in {page:?}");
            }
            assert!(texts >= 8, "{texts} lines");
        }
        Ok(())
    }

    #[test]
    fn long_names_wrap_and_shrink() {
        let (size, lines) = fit("国家税务总局广元市昭化区税务局第一税务分局", 15.0, 26.0);
        assert!(lines.len() == 2 && size < 15.0, "{size} {lines:?}");
        assert_eq!(lines.concat(), "国家税务总局广元市昭化区税务局第一税务分局", "nothing is cut");
        assert_eq!(fit("区交通运输局", 15.0, 26.0), (15.0, vec!["区交通运输局".to_owned()]));
    }

    #[test]
    fn the_english_posters_code_opens_the_english_page() {
        assert_eq!(coded_url(&content("x", Lang::En)), "https://pingyi.example/s/abcdefgh?lang=en");
        assert_eq!(coded_url(&content("x", Lang::ZhCn)), "https://pingyi.example/s/abcdefgh");
    }

    #[test]
    fn the_pdf_is_one_a4_page() -> Result<(), PosterError> {
        let pdf = pdf(&content("区交通运输局", Lang::ZhCn))?;
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4") && text.trim_end().ends_with("%%EOF"));
        assert!(text.contains("/MediaBox [0 0 595.28 841.89]") && text.contains("/Count 1"));
        Ok(())
    }
}
