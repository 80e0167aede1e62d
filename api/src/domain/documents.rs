//! What a handed-in document is, read from its bytes: a unit may hand in a PDF, a Word
//! (DOCX) or Excel (XLSX) file, or an image (PNG, JPEG). Its name and the type its browser
//! claims are never believed: a renamed program or web page is refused whatever it is called.

use std::io::Cursor;

/// The kinds of document accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentType {
    Pdf,
    Docx,
    Xlsx,
    Png,
    Jpeg,
}

impl DocumentType {
    /// The media type it is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    /// The file name extension it is downloaded with.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
            Self::Png => "png",
            Self::Jpeg => "jpg",
        }
    }

    /// The type served as `media_type`, if it is one of ours.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        [Self::Pdf, Self::Docx, Self::Xlsx, Self::Png, Self::Jpeg].into_iter().find(|t| t.media_type() == media_type)
    }
}

/// Why a document is refused.
pub const ACCEPTED: &str = "must be a PDF, DOCX, XLSX, PNG or JPEG document";

/// The type of `bytes`, or `None` when they are none of the accepted kinds. DOCX and XLSX
/// are both ZIP archives: what tells them apart (and from any other archive) is the part
/// each must hold.
pub fn sniff(bytes: &[u8]) -> Option<DocumentType> {
    if bytes.starts_with(b"%PDF-") {
        return Some(DocumentType::Pdf);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(DocumentType::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(DocumentType::Jpeg);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let holds = |name: &str| archive.file_names().any(|n| n.is_ok_and(|n| n == name));
        if !holds("[Content_Types].xml") {
            return None;
        }
        if holds("word/document.xml") {
            return Some(DocumentType::Docx);
        }
        if holds("xl/workbook.xml") {
            return Some(DocumentType::Xlsx);
        }
    }
    None
}

/// A file name safe to show and to offer for download: its last path component, without
/// control characters, at most 255 bytes; `None` when nothing is left.
pub fn clean_file_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut cleaned: String = last.chars().filter(|c| !c.is_control() && *c != '"').collect();
    while cleaned.len() > 255 {
        cleaned.pop();
    }
    let cleaned = cleaned.trim().to_owned();
    (!cleaned.is_empty() && cleaned != "." && cleaned != "..").then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn archive_with(names: &[&str]) -> Result<Vec<u8>, zip::result::ZipError> {
        let mut out = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        for name in names {
            writer.start_file(*name, zip::write::SimpleFileOptions::default())?;
            writer.write_all(b"<x/>")?;
        }
        writer.finish()?;
        Ok(out.into_inner())
    }

    #[test]
    fn documents_are_told_by_their_bytes() -> Result<(), zip::result::ZipError> {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(DocumentType::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(DocumentType::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(DocumentType::Jpeg));
        assert_eq!(sniff(&archive_with(&["[Content_Types].xml", "word/document.xml"])?), Some(DocumentType::Docx));
        assert_eq!(sniff(&archive_with(&["[Content_Types].xml", "xl/workbook.xml"])?), Some(DocumentType::Xlsx));
        Ok(())
    }

    #[test]
    fn anything_else_is_refused_whatever_its_name() -> Result<(), zip::result::ZipError> {
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"MZ\x90\x00 a Windows program"), None);
        assert_eq!(sniff(&archive_with(&["payload.exe"])?), None, "a plain archive");
        assert_eq!(sniff(b"PK\x03\x04 not really an archive"), None);
        assert_eq!(sniff(b""), None);
        Ok(())
    }

    #[test]
    fn file_names_lose_their_paths_and_control_characters() {
        assert_eq!(clean_file_name("C:\\Users\\me\\整改报告.pdf").as_deref(), Some("整改报告.pdf"));
        assert_eq!(clean_file_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(clean_file_name("a\u{0}b\r\n.pdf").as_deref(), Some("ab.pdf"));
        assert_eq!(clean_file_name(".."), None);
        assert_eq!(clean_file_name("   "), None);
    }
}
