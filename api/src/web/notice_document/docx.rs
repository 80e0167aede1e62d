//! The notice as a Word document (DOCX) in the official layout, for an office that edits or
//! files it in its own system: A4 with GB/T 9704's margins, the red header and line, the title
//! in 方正小标宋简体 at 二号, the body in 仿宋_GB2312 at 三号 with headings in 黑体, tables with
//! their header row repeated, page numbers in the footer, and the copy and issue record.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

use crate::web::html::escape;
use crate::web::notice_document::{Block, NoticeDocument};

/// Text safe inside XML: escaped as for HTML, without the control characters XML 1.0 forbids.
fn xml(text: &str) -> String {
    escape(&text.chars().filter(|c| !c.is_control() || *c == '\t').collect::<String>())
}

/// A run of `text` in `font` at `half_points`, optionally coloured.
fn run(text: &str, font: &str, half_points: u32, color: Option<&str>) -> String {
    let color = color.map(|c| format!("<w:color w:val=\"{c}\"/>")).unwrap_or_default();
    format!(
        "<w:r><w:rPr><w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"{font}\"/>{color}<w:sz w:val=\"{half_points}\"/><w:szCs w:val=\"{half_points}\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r>",
        xml(text)
    )
}

/// A paragraph: `properties` inside `w:pPr`, then its runs.
fn paragraph(properties: &str, runs: &str) -> String {
    format!("<w:p><w:pPr>{properties}</w:pPr>{runs}</w:p>")
}

const BODY_FONT: &str = "仿宋_GB2312";
const HEADING_FONT: &str = "黑体";
const TITLE_FONT: &str = "方正小标宋简体";
/// 三号 (16 pt) in half-points.
const BODY_SIZE: u32 = 32;
/// 四号 (14 pt).
const TABLE_SIZE: u32 = 28;
/// 二号 (22 pt).
const TITLE_SIZE: u32 = 44;
/// A fixed line pitch of 28.9 pt, in twentieths of a point: 22 lines to the page's text block.
const LINE: &str = "<w:spacing w:line=\"578\" w:lineRule=\"exact\" w:before=\"0\" w:after=\"0\"/>";

fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let widths = [13, 47, 20, 20];
    let cell = |text: &str, share: u32, head: bool| {
        let font = if head { HEADING_FONT } else { BODY_FONT };
        format!(
            "<w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"pct\"/><w:vAlign w:val=\"center\"/></w:tcPr>{}</w:tc>",
            share * 50,
            paragraph(
                "<w:jc w:val=\"center\"/><w:spacing w:before=\"40\" w:after=\"40\"/>",
                &run(text, font, TABLE_SIZE, None)
            )
        )
    };
    let row = |cells: &[String], head: bool| {
        let repeat =
            if head { "<w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>" } else { "<w:trPr><w:cantSplit/></w:trPr>" };
        let cells: String = cells.iter().zip(widths).map(|(text, share)| cell(text, share, head)).collect();
        format!("<w:tr>{repeat}{cells}</w:tr>")
    };
    let border = |side: &str| format!("<w:{side} w:val=\"single\" w:sz=\"6\" w:space=\"0\" w:color=\"000000\"/>");
    let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"].iter().map(|s| border(s)).collect();
    let grid: String = widths.iter().map(|w| format!("<w:gridCol w:w=\"{}\"/>", w * 88)).collect();
    format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"5000\" w:type=\"pct\"/><w:jc w:val=\"center\"/><w:tblBorders>{borders}</w:tblBorders></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{}{}</w:tbl>",
        row(header, true),
        rows.iter().map(|r| row(r, false)).collect::<String>()
    )
}

fn document_xml(notice: &NoticeDocument) -> String {
    let mut body = String::new();
    body.push_str(&paragraph(
        "<w:jc w:val=\"center\"/><w:spacing w:before=\"0\" w:after=\"240\"/>",
        &run(&notice.header(), TITLE_FONT, 64, Some("FF0000")),
    ));
    body.push_str(&paragraph(
        &format!("<w:jc w:val=\"center\"/>{LINE}<w:pBdr><w:bottom w:val=\"single\" w:sz=\"18\" w:space=\"8\" w:color=\"FF0000\"/></w:pBdr>"),
        &run(&notice.doc_number, BODY_FONT, BODY_SIZE, None),
    ));
    body.push_str(&paragraph(LINE, ""));
    body.push_str(&paragraph(
        "<w:jc w:val=\"center\"/><w:spacing w:line=\"700\" w:lineRule=\"exact\"/>",
        &run(&notice.title, TITLE_FONT, TITLE_SIZE, None),
    ));
    body.push_str(&paragraph(LINE, ""));
    body.push_str(&paragraph(LINE, &run(&notice.addressees, BODY_FONT, BODY_SIZE, None)));
    let indented = format!("{LINE}<w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/><w:jc w:val=\"both\"/>");
    for block in &notice.blocks {
        match block {
            Block::Heading(text) => {
                body.push_str(&paragraph(
                    &format!("{indented}<w:keepNext/>"),
                    &run(text, HEADING_FONT, BODY_SIZE, None),
                ));
            }
            Block::Paragraph(text) => body.push_str(&paragraph(&indented, &run(text, BODY_FONT, BODY_SIZE, None))),
            Block::Table { caption, header, rows } => {
                body.push_str(&paragraph(
                    &format!("{indented}<w:keepNext/>"),
                    &run(caption, BODY_FONT, BODY_SIZE, None),
                ));
                body.push_str(&table(header, rows));
            }
        }
    }
    body.push_str(&paragraph(LINE, ""));
    body.push_str(&paragraph(LINE, ""));
    let signed = format!("<w:jc w:val=\"right\"/>{LINE}<w:ind w:rightChars=\"400\" w:right=\"1280\"/>");
    body.push_str(&paragraph(&signed, &run(&notice.issuing_body, BODY_FONT, BODY_SIZE, None)));
    body.push_str(&paragraph(&signed, &run(&notice.date, BODY_FONT, BODY_SIZE, None)));
    body.push_str(&paragraph(LINE, ""));
    let rule = |size: u32| {
        format!("<w:pBdr><w:top w:val=\"single\" w:sz=\"{size}\" w:space=\"1\" w:color=\"000000\"/></w:pBdr>")
    };
    body.push_str(&paragraph(
        &format!("{}<w:ind w:left=\"280\" w:right=\"280\"/><w:keepNext/>", rule(8)),
        &run(&notice.copied_line(), BODY_FONT, TABLE_SIZE, None),
    ));
    let (issuer, printed) = notice.printed_line();
    body.push_str(&paragraph(
        "<w:pBdr><w:top w:val=\"single\" w:sz=\"4\" w:space=\"1\" w:color=\"000000\"/><w:bottom w:val=\"single\" w:sz=\"8\" w:space=\"1\" w:color=\"000000\"/></w:pBdr><w:tabs><w:tab w:val=\"right\" w:pos=\"8560\"/></w:tabs><w:ind w:left=\"280\" w:right=\"280\"/>",
        &format!("{}<w:r><w:tab/></w:r>{}", run(&issuer, BODY_FONT, TABLE_SIZE, None), run(&printed, BODY_FONT, TABLE_SIZE, None)),
    ));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
<w:body>{body}<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rIdFooter\"/>\
<w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"2098\" w:right=\"1474\" w:bottom=\"1984\" w:left=\"1588\" w:header=\"851\" w:footer=\"1304\" w:gutter=\"0\"/>\
</w:sectPr></w:body></w:document>"
    )
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>";

const PACKAGE_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>";

const DOCUMENT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rIdFooter\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer1.xml\"/>\
</Relationships>";

/// Page numbers as — 1 —, centred.
fn footer_xml() -> String {
    let field = "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r>";
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:ftr xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">{}</w:ftr>",
        paragraph(
            "<w:jc w:val=\"center\"/>",
            &format!("{}{field}{}", run("— ", BODY_FONT, TABLE_SIZE, None), run(" —", BODY_FONT, TABLE_SIZE, None))
        )
    )
}

fn core_xml(notice: &NoticeDocument) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
<dc:title>{}</dc:title><dc:creator>{}</dc:creator></cp:coreProperties>",
        xml(&notice.title),
        xml(&notice.issuing_body)
    )
}

/// The notice as a DOCX file.
pub fn render(notice: &NoticeDocument) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut out = Cursor::new(Vec::new());
    let mut archive = zip::ZipWriter::new(&mut out);
    let options = SimpleFileOptions::default();
    for (name, content) in [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", PACKAGE_RELS.to_owned()),
        ("word/document.xml", document_xml(notice)),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_owned()),
        ("word/footer1.xml", footer_xml()),
        ("docProps/core.xml", core_xml(notice)),
    ] {
        archive.start_file(name, options)?;
        archive.write_all(content.as_bytes())?;
    }
    archive.finish()?;
    Ok(out.into_inner())
}
