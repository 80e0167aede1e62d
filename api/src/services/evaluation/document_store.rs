//! Where handed-in documents are kept: in the database by default (one backup holds
//! everything), or as files in a configured directory (`PINGYI_DOCUMENT_DIR`) when an office
//! prefers its database small. A file is written and synced before the row naming it is
//! committed, so an acknowledged hand-in never names a missing file.

use std::io::Write;
use std::path::Path;

use entity::hand_in;

use crate::config::DocumentSettings;
use crate::domain::documents::DocumentType;
use crate::error::{ApiError, ApiResult};

/// Where one document went: its bytes for the row, or the file name it was written under.
pub struct Kept {
    pub content: Option<Vec<u8>>,
    pub stored_as: Option<String>,
}

/// Keeps `bytes`, the document of hand-in `id`.
pub fn keep(settings: &DocumentSettings, id: uuid::Uuid, kind: DocumentType, bytes: Vec<u8>) -> ApiResult<Kept> {
    let Some(dir) = &settings.dir else {
        return Ok(Kept { content: Some(bytes), stored_as: None });
    };
    let name = format!("{}.{}", id.simple(), kind.extension());
    write_synced(dir, &name, &bytes).map_err(ApiError::internal)?;
    Ok(Kept { content: None, stored_as: Some(name) })
}

/// Removes a document written by `keep` whose row was not committed.
pub fn discard(settings: &DocumentSettings, kept: &Kept) {
    if let (Some(dir), Some(name)) = (&settings.dir, &kept.stored_as)
        && let Err(err) = std::fs::remove_file(dir.join(name))
    {
        tracing::warn!(error = %err, file = %name, "an uncommitted document could not be removed");
    }
}

fn write_synced(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(dir.join(name)).map_err(|err| err.error)?;
    // The new name itself must survive a crash too.
    std::fs::File::open(dir)?.sync_all()
}

/// The bytes of a hand-in's document, if it has one.
pub fn load(settings: &DocumentSettings, found: &hand_in::Model) -> ApiResult<Option<Vec<u8>>> {
    if let Some(bytes) = &found.content {
        return Ok(Some(bytes.clone()));
    }
    let Some(name) = &found.stored_as else { return Ok(None) };
    let Some(dir) = &settings.dir else {
        return Err(ApiError::Internal(
            format!("document {name} is kept in a directory, but PINGYI_DOCUMENT_DIR is not set").into(),
        ));
    };
    std::fs::read(dir.join(name)).map(Some).map_err(ApiError::internal)
}
