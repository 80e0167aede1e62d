//! An answer page gzipped once, with a different submission id in every copy.
//!
//! Each view of the answer page differs from the next only by its submission id, so
//! compressing every view afresh would cost more than everything else a view does. Instead
//! the parts before and after the id are deflated once, each on its own (the first ends with
//! a full flush, so nothing after it refers back into it, and the second is compressed with
//! no history), and each view joins them around the id in a stored (uncompressed) deflate
//! block, with the gzip header and the CRC-32 and length of the whole page: one ordinary gzip
//! member, as any browser reads it.

use std::io::Write;

use flate2::{Compress, Compression, FlushCompress};

/// A page split at its placeholder, with both parts deflated.
pub struct SplitPage {
    before: Vec<u8>,
    after: Vec<u8>,
    deflated_before: Vec<u8>,
    deflated_after: Vec<u8>,
    crc_before: crc32fast::Hasher,
    crc_after: crc32fast::Hasher,
}

/// Raw deflate of `input`, ended with `flush`; `None` if it did not finish in one call.
fn deflate(input: &[u8], flush: FlushCompress) -> Option<Vec<u8>> {
    let mut compressor = Compress::new(Compression::default(), false);
    // Deflate's worst case is a few bytes per 16 KiB over the input: one call has room.
    let mut out = Vec::with_capacity(input.len() + input.len() / 8 + 256);
    compressor.compress_vec(input, &mut out, flush).ok()?;
    let consumed = usize::try_from(compressor.total_in()).ok()? == input.len();
    (consumed && out.len() < out.capacity()).then_some(out)
}

fn crc_of(bytes: &[u8]) -> crc32fast::Hasher {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytes);
    hasher
}

impl SplitPage {
    /// `page` split at the first `placeholder`, or `None` if it has none.
    pub fn new(page: &str, placeholder: &str) -> Option<Self> {
        let at = page.find(placeholder)?;
        let (before, after) = (page.as_bytes()[..at].to_vec(), page.as_bytes()[at + placeholder.len()..].to_vec());
        Some(Self {
            deflated_before: deflate(&before, FlushCompress::Full)?,
            deflated_after: deflate(&after, FlushCompress::Finish)?,
            crc_before: crc_of(&before),
            crc_after: crc_of(&after),
            before,
            after,
        })
    }

    /// The page with `id` in place of the placeholder.
    pub fn plain(&self, id: &str) -> Vec<u8> {
        let mut page = Vec::with_capacity(self.before.len() + id.len() + self.after.len());
        page.extend_from_slice(&self.before);
        page.extend_from_slice(id.as_bytes());
        page.extend_from_slice(&self.after);
        page
    }

    /// The same page, gzipped.
    pub fn gzip(&self, id: &str) -> Vec<u8> {
        let id = id.as_bytes();
        let length = u16::try_from(id.len()).unwrap_or(u16::MAX);
        let mut out = Vec::with_capacity(self.deflated_before.len() + self.deflated_after.len() + id.len() + 32);
        // Header: magic, deflate, no flags, no time, no extra flags, unknown OS.
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        out.extend_from_slice(&self.deflated_before);
        // A stored block, not the last: its header byte, then LEN and NLEN, then the bytes.
        out.push(0);
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(id);
        out.extend_from_slice(&self.deflated_after);
        let mut crc = self.crc_before.clone();
        crc.update(id);
        crc.combine(&self.crc_after);
        let total = self.before.len() + id.len() + self.after.len();
        let _ = out.write_all(&crc.finalize().to_le_bytes());
        let _ = out.write_all(&u32::try_from(total % (1 << 32)).unwrap_or(0).to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use crate::web::page_gzip::*;

    #[test]
    fn each_copy_unzips_to_the_page_with_its_own_id() {
        let page = format!("<p>{}</p><input value=\"PLACEHOLDER\">{}", "评议".repeat(2000), "<b>x</b>".repeat(500));
        let split = SplitPage::new(&page, "PLACEHOLDER").unwrap_or_else(|| unreachable!("it has one"));
        for id in ["3f1c2b9e-8d4a-4b6f-9a51-0c7e2d4f6a88", "0d9f4c1e-5b7a-4e2f-8c3d-1a2b3c4d5e6f"] {
            let gzipped = split.gzip(id);
            let mut unzipped = String::new();
            let read = flate2::read::GzDecoder::new(&gzipped[..]).read_to_string(&mut unzipped);
            assert!(read.is_ok(), "{read:?}");
            assert_eq!(unzipped, page.replace("PLACEHOLDER", id));
            assert_eq!(split.plain(id), page.replace("PLACEHOLDER", id).into_bytes());
            assert!(gzipped.len() * 4 < page.len(), "{} of {}", gzipped.len(), page.len());
        }
        assert!(SplitPage::new("no placeholder here", "PLACEHOLDER").is_none());
    }
}
