//! Unit tests of `body`.

use super::*;
use futures_util::StreamExt;
use std::io::Write;

async fn collect(body: FileBody) -> io::Result<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut chunks = 0;
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk?);
        chunks += 1;
    }
    Ok((out, chunks))
}

fn file_with(bytes: &[u8]) -> Arc<File> {
    let mut file = tempfile::tempfile().expect("temp file");
    file.write_all(bytes).expect("write");
    Arc::new(file)
}

#[tokio::test]
async fn segments_come_out_in_order_across_chunk_boundaries() {
    let data: Vec<u8> = (0..CHUNK * 3 + 17).map(|i| (i % 251) as u8).collect();
    let segments = vec![
        Segment::Bytes(Bytes::from_static(b"head")),
        Segment::File {
            start: 5,
            len: (CHUNK * 2 + 3) as u64,
        },
        Segment::Bytes(Bytes::new()),
        Segment::File { start: 0, len: 0 },
        Segment::Bytes(Bytes::from_static(b"mid")),
        Segment::File { start: 1, len: 2 },
    ];
    let (out, chunks) = collect(FileBody::new(file_with(&data), segments))
        .await
        .expect("read");
    let mut expect = b"head".to_vec();
    expect.extend_from_slice(&data[5..5 + CHUNK * 2 + 3]);
    expect.extend_from_slice(b"mid");
    expect.extend_from_slice(&data[1..3]);
    assert_eq!(out, expect);
    assert_eq!(chunks, 1 + 3 + 1 + 1);
}

#[tokio::test]
async fn a_first_chunk_read_ahead_of_time_comes_first() {
    let data: Vec<u8> = (0..CHUNK * 2).map(|i| (i % 13) as u8).collect();
    for segments in [
        vec![Segment::File {
            start: 3,
            len: (CHUNK + 5) as u64,
        }],
        vec![
            Segment::Bytes(Bytes::from_static(b"a")),
            Segment::Bytes(Bytes::from_static(b"b")),
            Segment::File { start: 0, len: 4 },
        ],
    ] {
        let mut expect = Vec::new();
        for segment in &segments {
            match segment {
                Segment::Bytes(b) => expect.extend_from_slice(b),
                Segment::File { start, len } => {
                    expect.extend_from_slice(&data[*start as usize..(*start + *len) as usize])
                }
            }
        }
        let mut body = FileBody::new(file_with(&data), segments);
        body.read_first();
        let (out, _) = collect(body).await.expect("read");
        assert_eq!(out, expect);
    }
}

#[tokio::test]
async fn an_empty_body_ends_at_once() {
    let (out, chunks) = collect(FileBody::new(file_with(b""), vec![]))
        .await
        .expect("read");
    assert!(out.is_empty());
    assert_eq!(chunks, 0);
}

#[tokio::test]
async fn a_file_shorter_than_promised_is_an_error_not_a_short_body() {
    let segments = vec![Segment::File { start: 0, len: 10 }];
    let result = collect(FileBody::new(file_with(b"abc"), segments)).await;
    assert_eq!(
        result.expect_err("short").kind(),
        io::ErrorKind::UnexpectedEof
    );
}

#[tokio::test]
async fn held_chunks_hold_back_the_stream_until_released() {
    let data = vec![7u8; CHUNK * 5];
    let segments = vec![Segment::File {
        start: 0,
        len: data.len() as u64,
    }];
    let mut body = Box::pin(FileBody::new(file_with(&data), segments));
    let wait = std::time::Duration::from_millis(100);
    let mut held = Vec::new();
    // One buffer, and a second if a read-ahead slot is free; never a third.
    while let Ok(Some(chunk)) = tokio::time::timeout(wait, body.next()).await {
        held.push(chunk.expect("read"));
        assert!(held.len() <= 2, "more buffers than one plus read-ahead");
    }
    assert!(!held.is_empty());
    held.clear();
    let next = body.next().await.expect("chunk").expect("read");
    assert_eq!(next.len(), CHUNK);
}
