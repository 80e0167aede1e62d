//! The official notice (通报) as a document: what it says, in the order of a Chinese official
//! document (GB/T 9704): the issuing body's red header, the document number, a red line, the
//! title, the addressees, the body with its headings and tables, the signature and date, and
//! the record at the foot saying to whom it was copied and who issued it when. `pdf` and
//! `docx` lay the same text out for print and for editing.

pub mod docx;
pub mod pdf;

/// One block of the body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A first-level heading (一、…), set in its own line.
    Heading(String),
    /// A paragraph, its first line indented two characters.
    Paragraph(String),
    /// A table with a caption line above it, a header row and its rows.
    Table { caption: String, header: Vec<String>, rows: Vec<Vec<String>> },
}

/// Everything the notice says.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeDocument {
    /// 发文机关, printed in red at the head as its 发文机关标志 (with 文件).
    pub issuing_body: String,
    /// 发文字号, under the header.
    pub doc_number: String,
    pub title: String,
    /// 主送机关, ending with a full-width colon.
    pub addressees: String,
    pub blocks: Vec<Block>,
    /// The date in Chinese (二〇一八年一月十五日 style is not required; 2018年1月15日).
    pub date: String,
    /// 抄送 bodies, in order.
    pub copied_to: Vec<String>,
}

impl NoticeDocument {
    /// The red header: the issuing body followed by 文件.
    pub fn header(&self) -> String {
        format!("{}文件", self.issuing_body)
    }

    /// The 抄送 line.
    pub fn copied_line(&self) -> String {
        format!("抄送：{}。", self.copied_to.join("，"))
    }

    /// The 印发 line: who issued it, and when.
    pub fn printed_line(&self) -> (String, String) {
        (self.issuing_body.clone(), format!("{}印发", self.date))
    }
}
