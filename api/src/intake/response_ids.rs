//! A citizen's response id, derived from the submission id the citizen's page chose.
//!
//! Every send of one submission gets the same response id, so the primary key itself refuses
//! a second copy and the submission id needs no index of its own: on SQLite's single writer
//! that is one entry fewer at a random place per response, several pages fewer per batch.
//! The id is a hash, not the submission id itself, so it stays in no order whatever ids a
//! page sends, and a published response id does not give away the submission id that would
//! replay it.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Keeps these hashes apart from any other SHA-256 of a submission id.
const LABEL: &[u8] = b"pingyi response id v1\0";

/// The id a response to `submission_id` is stored under: SHA-256 of the label and the
/// submission id, its first 16 bytes marked as a custom (version 8) UUID.
pub fn for_submission(submission_id: Uuid) -> Uuid {
    let digest = Sha256::new().chain_update(LABEL).chain_update(submission_id.as_bytes()).finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use crate::intake::response_ids::*;

    #[test]
    fn one_submission_always_gets_the_same_id_and_two_get_two() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(for_submission(a), for_submission(a));
        assert_ne!(for_submission(a), for_submission(b));
        assert_ne!(for_submission(a), a, "the id is not the submission id itself");
        assert_eq!(for_submission(a).get_version_num(), 8);
    }

    #[test]
    fn ordered_submission_ids_give_unordered_response_ids() {
        let ids: Vec<Uuid> = (1u128..=64).map(|n| for_submission(Uuid::from_u128(n))).collect();
        let rising = ids.windows(2).filter(|pair| pair[0] < pair[1]).count();
        assert!((16..=48).contains(&rising), "{rising} of 63 steps rise");
    }
}
