//! Resumable uploads into an object store: the bytes go straight into an S3
//! multipart upload at the item's original, part by part, so that any node
//! can take an upload up where another left it and no node's disk holds it.
//! The store only moves parts; which parts are in (their ETags) and the
//! bytes short of a whole part are rows (`uploads::remote`).

use bytes::Bytes;
use object_store::multipart::{MultipartStore, PartId};
use object_store::{ObjectStore, PutPayload};

use super::{Objects, Store, StoreError, Variant};
use crate::model::MediaId;

/// S3 takes at most this many parts per upload.
const MAX_PARTS: u64 = 10_000;
/// Every part but the last must be at least 5 MiB (S3's rule); larger parts
/// only for uploads that would otherwise need more than `MAX_PARTS`.
pub(crate) const MIN_PART: u64 = 5 << 20;

/// The part size of an upload of `length` bytes, fixed at its creation.
pub(crate) fn part_size(length: u64) -> u64 {
    let needed = length.div_ceil(MAX_PARTS);
    // Whole MiB, so sizes read well in logs and rows.
    needed
        .div_ceil(1 << 20)
        .max(1)
        .saturating_mul(1 << 20)
        .max(MIN_PART)
}

impl Store {
    fn remote(&self) -> &super::s3::S3Objects {
        match &self.objects {
            Objects::S3(s3) => s3,
            // Callers ask `is_local` first: uploads to a local store use the
            // partial area.
            Objects::Local(_) => unreachable!("multipart uploads are for object stores"),
        }
    }

    /// Starts a multipart upload that will become `media`'s original.
    pub(crate) async fn start_multipart(&self, media: &MediaId) -> Result<String, StoreError> {
        let s3 = self.remote();
        let key = s3.key(media, Variant::Original);
        s3.client()
            .create_multipart(&key)
            .await
            .map_err(|e| s3.failed(&key, e))
    }

    /// Stores part `number` (from 1); the answer is its ETag.
    pub(crate) async fn put_part(
        &self,
        media: &MediaId,
        multipart_id: &str,
        number: u32,
        pieces: Vec<Bytes>,
    ) -> Result<String, StoreError> {
        let s3 = self.remote();
        let key = s3.key(media, Variant::Original);
        let index = number.saturating_sub(1) as usize;
        let part = s3
            .client()
            .put_part(
                &key,
                &multipart_id.to_string(),
                index,
                pieces.into_iter().collect::<PutPayload>(),
            )
            .await
            .map_err(|e| s3.failed(&key, e))?;
        Ok(part.content_id)
    }

    /// Joins the parts, in order, into the object. A multipart upload that
    /// is already gone (a crash after the last join, before its record) is
    /// fine when the object is there with `length` bytes.
    pub(crate) async fn complete_multipart(
        &self,
        media: &MediaId,
        multipart_id: &str,
        tags: Vec<String>,
        length: u64,
    ) -> Result<(), StoreError> {
        let s3 = self.remote();
        let key = s3.key(media, Variant::Original);
        let parts = tags
            .into_iter()
            .map(|content_id| PartId { content_id })
            .collect();
        let joined = s3
            .client()
            .complete_multipart(&key, &multipart_id.to_string(), parts)
            .await;
        match joined {
            Ok(_) => Ok(()),
            Err(e) => match s3.client().head(&key).await {
                Ok(meta) if meta.size == length => Ok(()),
                _ => Err(s3.failed(&key, e)),
            },
        }
    }

    /// Drops a multipart upload and its parts; one already gone is fine.
    pub(crate) async fn abort_multipart(
        &self,
        media: &MediaId,
        multipart_id: &str,
    ) -> Result<(), StoreError> {
        let s3 = self.remote();
        let key = s3.key(media, Variant::Original);
        match s3
            .client()
            .abort_multipart(&key, &multipart_id.to_string())
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(s3.failed(&key, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_at_least_five_mib_and_never_more_than_ten_thousand() {
        assert_eq!(part_size(0), MIN_PART);
        assert_eq!(part_size(1 << 30), MIN_PART);
        let huge = 200u64 << 30;
        assert!(huge.div_ceil(part_size(huge)) <= MAX_PARTS);
        assert_eq!(part_size(huge) % (1 << 20), 0);
    }
}
