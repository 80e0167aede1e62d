//! The notice as a print-ready A4 PDF in the official layout: GB/T 9704's margins (37 mm top,
//! 28 mm left, a 156 mm text block), the red header and line, the title at 22 pt, the body at
//! 16 pt (三号), tables at 14 pt with their header row repeated on each page, page numbers
//! as — 1 —, and the copy and issue record at the foot of the last page.
//!
//! The text is real text, not a picture: it is set in the standard Chinese font STSong-Light
//! through the UniGB-UCS2-H encoding, which every PDF reader supplies without the font being
//! embedded (Acrobat from its Asian font pack, pdf.js and Poppler from their character maps and
//! the system's fonts). The file stays small, its text can be searched and copied, and no font
//! file ships with Pingyi.

use std::fmt::Write;

use crate::web::notice_document::{Block, NoticeDocument};

const PAGE_WIDTH: f64 = 595.28;
const PAGE_HEIGHT: f64 = 841.89;
const MM: f64 = 72.0 / 25.4;
const LEFT: f64 = 28.0 * MM;
const TEXT_WIDTH: f64 = 156.0 * MM;
const TOP: f64 = PAGE_HEIGHT - 37.0 * MM;
const BOTTOM: f64 = 35.0 * MM;

const BODY: f64 = 16.0;
/// 28 lines to the 225 mm text block.
const PITCH: f64 = 225.0 * MM / 28.0;
const TABLE: f64 = 14.0;
const TITLE: f64 = 22.0;

const RED: (f64, f64, f64) = (0.85, 0.0, 0.0);
const BLACK: (f64, f64, f64) = (0.0, 0.0, 0.0);

/// A character's advance in ems: STSong-Light's Latin letters and digits are half width.
fn advance(c: char) -> f64 {
    if c.is_ascii() { 0.5 } else { 1.0 }
}

fn width(text: &str, size: f64) -> f64 {
    text.chars().map(advance).sum::<f64>() * size
}

/// Punctuation that may not begin a line; it stays at the end of the line before.
fn closes(c: char) -> bool {
    "，。、；：？！）》」』〕”’％,.;:?!)%".contains(c)
}

/// `text` broken into lines of at most `room` points at `size`, the first `indent` points
/// narrower.
fn wrap(text: &str, size: f64, room: f64, indent: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = indent;
    for c in text.chars() {
        let w = advance(c) * size;
        if used + w > room + 0.01 && !line.is_empty() && !closes(c) {
            lines.push(std::mem::take(&mut line));
            used = 0.0;
        }
        line.push(c);
        used += w;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The text as the font's encoding takes it: UCS-2, big-endian, in hex.
fn hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 4);
    for c in text.chars() {
        let code = u16::try_from(u32::from(c)).unwrap_or(0xFF1F);
        let _ = write!(out, "{code:04X}");
    }
    out
}

struct Pages {
    done: Vec<String>,
    current: String,
    /// The baseline of the next line.
    y: f64,
}

impl Pages {
    fn new() -> Self {
        Self { done: Vec::new(), current: String::new(), y: TOP }
    }

    fn text(&mut self, x: f64, y: f64, size: f64, color: (f64, f64, f64), text: &str) {
        let (r, g, b) = color;
        let _ = writeln!(
            self.current,
            "{r:.3} {g:.3} {b:.3} rg BT /F1 {size:.2} Tf 1 0 0 1 {x:.2} {y:.2} Tm <{}> Tj ET",
            hex(text)
        );
    }

    fn line(&mut self, from: (f64, f64), to: (f64, f64), thickness: f64, color: (f64, f64, f64)) {
        let (r, g, b) = color;
        let _ = writeln!(
            self.current,
            "{r:.3} {g:.3} {b:.3} RG {thickness:.2} w {:.2} {:.2} m {:.2} {:.2} l S",
            from.0, from.1, to.0, to.1
        );
    }

    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.current));
        self.y = TOP;
    }

    /// Starts a new page unless `height` more points fit on this one.
    fn room_for(&mut self, height: f64) -> bool {
        if self.y - height < BOTTOM {
            self.new_page();
            true
        } else {
            false
        }
    }

    fn centered(&mut self, size: f64, color: (f64, f64, f64), text: &str) {
        let x = LEFT + (TEXT_WIDTH - width(text, size)).max(0.0) / 2.0;
        let y = self.y;
        self.text(x, y, size, color, text);
    }

    /// A paragraph at the body size, its first line indented `indent_em` characters.
    fn paragraph(&mut self, text: &str, indent_em: f64) {
        let indent = indent_em * BODY;
        for (at, line) in wrap(text, BODY, TEXT_WIDTH, indent).iter().enumerate() {
            self.room_for(PITCH);
            self.y -= PITCH;
            let x = LEFT + if at == 0 { indent } else { 0.0 };
            let y = self.y;
            self.text(x, y, BODY, BLACK, line);
        }
    }

    fn table(&mut self, header: &[String], rows: &[Vec<String>]) {
        // 名次, 单位, 综合得分, 等次: the unit's name takes what the others leave.
        let shares = [0.13, 0.47, 0.2, 0.2];
        let widths: Vec<f64> = shares.iter().map(|s| s * TEXT_WIDTH).collect();
        let line_height = TABLE * 1.35;
        let pad = 5.0;
        let draw_row = |pages: &mut Pages, cells: &[String]| {
            let wrapped: Vec<Vec<String>> =
                cells.iter().zip(&widths).map(|(cell, w)| wrap(cell, TABLE, w - 2.0 * pad, 0.0)).collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
            let height = lines as f64 * line_height + 2.0 * pad;
            let top = pages.y;
            let mut x = LEFT;
            for (cell, w) in wrapped.iter().zip(&widths) {
                for (at, text) in cell.iter().enumerate() {
                    let tx = x + (w - width(text, TABLE)).max(0.0) / 2.0;
                    let ty = top - pad - TABLE - at as f64 * line_height + 2.0;
                    pages.text(tx, ty, TABLE, BLACK, text);
                }
                x += w;
            }
            let bottom = top - height;
            pages.line((LEFT, bottom), (LEFT + TEXT_WIDTH, bottom), 0.75, BLACK);
            let mut x = LEFT;
            pages.line((x, top), (x, bottom), 0.75, BLACK);
            for w in &widths {
                x += w;
                pages.line((x, top), (x, bottom), 0.75, BLACK);
            }
            pages.y = bottom;
            height
        };
        let header_height = line_height + 2.0 * pad;
        self.room_for(header_height * 2.0 + 6.0);
        self.y -= 6.0;
        self.line((LEFT, self.y), (LEFT + TEXT_WIDTH, self.y), 0.75, BLACK);
        draw_row(self, header);
        for row in rows {
            let lines =
                row.iter().zip(&widths).map(|(cell, w)| wrap(cell, TABLE, w - 2.0 * pad, 0.0).len()).max().unwrap_or(1);
            let height = lines as f64 * line_height + 2.0 * pad;
            if self.room_for(height) {
                self.line((LEFT, self.y), (LEFT + TEXT_WIDTH, self.y), 0.75, BLACK);
                draw_row(self, header);
            }
            draw_row(self, row);
        }
        self.y -= 4.0;
    }

    /// The copy and issue record (版记), at the foot of the last page.
    fn record(&mut self, notice: &NoticeDocument) {
        let copied = wrap(&notice.copied_line(), TABLE, TEXT_WIDTH - 2.0 * TABLE, 0.0);
        let line_height = TABLE * 1.6;
        let height = (copied.len() + 1) as f64 * line_height + 12.0;
        if self.y - height < BOTTOM + 2.0 * PITCH {
            self.new_page();
        }
        let top = BOTTOM + height;
        self.line((LEFT, top), (LEFT + TEXT_WIDTH, top), 1.0, BLACK);
        let mut y = top;
        for text in &copied {
            y -= line_height;
            self.text(LEFT + TABLE, y + 4.0, TABLE, BLACK, text);
        }
        self.line((LEFT, y), (LEFT + TEXT_WIDTH, y), 0.5, BLACK);
        y -= line_height;
        let (body, printed) = notice.printed_line();
        self.text(LEFT + TABLE, y + 4.0, TABLE, BLACK, &body);
        let right = LEFT + TEXT_WIDTH - TABLE - width(&printed, TABLE);
        self.text(right, y + 4.0, TABLE, BLACK, &printed);
        self.line((LEFT, y), (LEFT + TEXT_WIDTH, y), 1.0, BLACK);
    }
}

/// Lays the notice out page by page; returns each page's content stream.
fn lay_out(notice: &NoticeDocument) -> Vec<String> {
    let mut pages = Pages::new();
    let header = notice.header();
    let header_size = (TEXT_WIDTH / header.chars().map(advance).sum::<f64>()).min(36.0);
    pages.y -= header_size;
    pages.centered(header_size, RED, &header);
    pages.y -= 2.0 * PITCH;
    pages.centered(BODY, BLACK, &notice.doc_number);
    pages.y -= 4.0 * MM;
    let y = pages.y;
    pages.line((LEFT, y), (LEFT + TEXT_WIDTH, y), 2.0, RED);
    pages.y -= PITCH;
    for line in wrap(&notice.title, TITLE, TEXT_WIDTH - 4.0 * TITLE, 0.0) {
        pages.y -= TITLE * 1.5;
        pages.centered(TITLE, BLACK, &line);
    }
    pages.y -= PITCH * 0.5;
    pages.paragraph(&notice.addressees, 0.0);
    for block in &notice.blocks {
        match block {
            Block::Heading(text) => {
                pages.room_for(PITCH * 3.0);
                pages.paragraph(text, 2.0);
            }
            Block::Paragraph(text) => pages.paragraph(text, 2.0),
            Block::Table { caption, header, rows } => {
                pages.paragraph(caption, 2.0);
                pages.table(header, rows);
            }
        }
    }
    pages.room_for(PITCH * 5.0);
    pages.y -= PITCH * 2.0;
    for text in [&notice.issuing_body, &notice.date] {
        pages.y -= PITCH;
        let x = LEFT + TEXT_WIDTH - 4.0 * BODY - width(text, BODY);
        let y = pages.y;
        pages.text(x.max(LEFT), y, BODY, BLACK, text);
    }
    pages.record(notice);
    pages.new_page();
    let mut streams = pages.done;
    for (at, stream) in streams.iter_mut().enumerate() {
        let number = format!("— {} —", at + 1);
        let x = LEFT + (TEXT_WIDTH - width(&number, TABLE)) / 2.0;
        let _ = writeln!(
            stream,
            "0 0 0 rg BT /F1 {TABLE:.2} Tf 1 0 0 1 {x:.2} {:.2} Tm <{}> Tj ET",
            20.0 * MM,
            hex(&number)
        );
    }
    streams
}

/// The notice as a PDF file.
pub fn render(notice: &NoticeDocument) -> Vec<u8> {
    let streams = lay_out(notice);
    // The catalog, the page tree, the document's information and the font's three objects
    // come first; then each page and its content.
    let first_page = 7;
    let page_ids: Vec<usize> = (0..streams.len()).map(|i| first_page + 2 * i).collect();
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            page_ids.iter().map(|id| format!("{id} 0 R")).collect::<Vec<_>>().join(" "),
            page_ids.len()
        ),
        format!("<< /Title <FEFF{}> /Producer (Pingyi) >>", hex(&notice.title)),
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [5 0 R] >>"
            .to_owned(),
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> \
         /FontDescriptor 6 0 R /DW 1000 /W [1 95 500 814 939 500 7712 7716 500] >>"
            .to_owned(),
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] \
         /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
            .to_owned(),
    ];
    for (at, stream) in streams.iter().enumerate() {
        let content_id = page_ids[at] + 1;
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
             /Resources << /Font << /F1 4 0 R >> >> /Contents {content_id} 0 R >>"
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{stream}endstream", stream.len()));
    }
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (at, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", at + 1).as_bytes());
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ =
        write!(table, "trailer\n<< /Size {} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    out.extend_from_slice(table.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_within_the_width_and_punctuation_never_starts_one() {
        let text =
            "对排名末位的单位，取消其本年度评先评优资格，单位主要负责人当年不得评先评优，并列为下一年度重点评议单位。";
        let lines = wrap(text, BODY, TEXT_WIDTH, 2.0 * BODY);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), text);
        for line in &lines[1..] {
            assert!(!line.starts_with(closes), "{line}");
        }
        assert!(width(&lines[1], BODY) <= TEXT_WIDTH + BODY, "a line may only overhang by one closing mark");
    }

    #[test]
    fn text_is_encoded_as_ucs2() {
        assert_eq!(hex("通报A"), "901A62A50041");
    }
}
