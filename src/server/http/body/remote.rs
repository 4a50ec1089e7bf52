//! A response body from a store that is not this machine's disk: each file
//! segment is read as a stream of the object's range, in order, with the
//! in-memory segments (multipart part heads) between them.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};

use super::Segment;
use crate::server::service::RangeReader;

/// The body for `segments` of the object `reader` reads.
pub(crate) fn remote_body(
    reader: Arc<dyn RangeReader>,
    segments: Vec<Segment>,
) -> BoxStream<'static, std::io::Result<Bytes>> {
    stream::iter(segments)
        .flat_map(move |segment| match segment {
            Segment::Bytes(bytes) => stream::once(async { Ok(bytes) }).boxed(),
            Segment::File { start, len } => reader.read(start, len),
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object in memory, read in chunks of 3 bytes, as a remote store
    /// answers a range in several pieces.
    struct InMemory(Vec<u8>);

    impl RangeReader for InMemory {
        fn read(&self, start: u64, len: u64) -> BoxStream<'static, std::io::Result<Bytes>> {
            let (start, end) = (start as usize, (start + len) as usize);
            let chunks: Vec<_> = self.0[start..end]
                .chunks(3)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            stream::iter(chunks).boxed()
        }

        fn presign(
            &self,
            _: std::time::Duration,
        ) -> futures_util::future::BoxFuture<'static, Option<String>> {
            Box::pin(async { None })
        }
    }

    #[tokio::test]
    async fn segments_come_out_in_order_with_the_object_bytes_between() {
        let object: Arc<dyn RangeReader> = Arc::new(InMemory(b"0123456789abcdef".to_vec()));
        let segments = vec![
            Segment::Bytes(Bytes::from_static(b"[head]")),
            Segment::File { start: 2, len: 5 },
            Segment::Bytes(Bytes::from_static(b"|")),
            Segment::File { start: 10, len: 6 },
            Segment::File { start: 0, len: 0 },
        ];
        let chunks: Vec<Bytes> = remote_body(object, segments)
            .map(|chunk| chunk.expect("chunk"))
            .collect()
            .await;
        assert_eq!(chunks.concat(), b"[head]23456|abcdef");
        assert!(
            chunks.iter().all(|c| c.len() <= 6),
            "streamed, not gathered"
        );
    }
}
