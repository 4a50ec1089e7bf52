//! Unit tests of `zip`: archives built in memory are checked with real
//! readers (Info-ZIP's unzip and Python's zipfile), not only by our parser.

use super::*;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// 2024-02-29 13:45:30 UTC.
pub(super) const FEB_29: u64 = 1_709_214_330;

pub(super) fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// An entry whose body yields `chunks` and claims `len` bytes.
fn entry_with_len(name: &str, len: u64, chunks: Vec<Vec<u8>>) -> ZipEntry {
    let chunks = chunks.into_iter().map(|c| Ok(Bytes::from(c)));
    ZipEntry {
        name: name.to_owned(),
        len,
        modified: at(FEB_29),
        body: stream::iter(chunks).boxed(),
    }
}

fn entry(name: &str, chunks: Vec<Vec<u8>>) -> ZipEntry {
    let len = chunks.iter().map(|c| c.len() as u64).sum();
    entry_with_len(name, len, chunks)
}

/// Pseudo-random bytes (so a CRC or offset mistake cannot hide in zeros).
pub(super) fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// The archive's pieces, or the error that ended it (with the pieces before).
async fn pieces(entries: Vec<ZipEntry>, limits: Limits) -> (Vec<Bytes>, Option<io::Error>) {
    let mut stream = std::pin::pin!(archive_with(
        stream::iter(entries.into_iter().map(Ok)),
        limits
    ));
    let mut out = Vec::new();
    while let Some(piece) = stream.next().await {
        match piece {
            Ok(piece) => out.push(piece),
            Err(err) => {
                assert!(
                    stream.next().await.is_none(),
                    "the stream goes on after an error"
                );
                return (out, Some(err));
            }
        }
    }
    (out, None)
}

async fn build(entries: Vec<ZipEntry>, limits: Limits) -> Vec<u8> {
    let (pieces, err) = pieces(entries, limits).await;
    assert!(err.is_none(), "archive failed: {err:?}");
    pieces.concat()
}

async fn error_of(entries: Vec<ZipEntry>) -> io::Error {
    pieces(entries, CLASSIC).await.1.expect("the archive fails")
}

/// The files of the first test: empty, small, multi-chunk and UTF-8 named.
fn sample() -> (Vec<ZipEntry>, Vec<(String, Vec<u8>)>) {
    let big = noise(300_000, 1);
    let chunks = vec![
        big[..1].to_vec(),
        big[1..65_536].to_vec(),
        Vec::new(),
        big[65_536..200_001].to_vec(),
        big[200_001..].to_vec(),
    ];
    let expected = vec![
        ("empty.txt".to_owned(), Vec::new()),
        ("hello.txt".to_owned(), b"hello, world\n".to_vec()),
        ("Disc 1/01 - multi.bin".to_owned(), big),
        ("02 - Café Ünïcode ♫ 曲.mp3".to_owned(), noise(1000, 2)),
    ];
    let entries = vec![
        entry(&expected[0].0, vec![]),
        entry(
            &expected[1].0,
            vec![b"hello, ".to_vec(), b"world\n".to_vec()],
        ),
        entry(&expected[2].0, chunks),
        entry(&expected[3].0, vec![expected[3].1.clone()]),
    ];
    (entries, expected)
}

fn write_temp(archive: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::with_suffix(".zip").expect("temp file");
    std::io::Write::write_all(&mut file, archive).expect("write");
    file
}

/// `unzip -t` passes, and extracting gives back every file byte for byte.
fn check_with_unzip(path: &Path, expected: &[(String, Vec<u8>)]) {
    let test = Command::new("/usr/bin/unzip")
        .arg("-t")
        .arg(path)
        .output()
        .expect("unzip");
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert!(
        test.status.success(),
        "unzip -t: {stdout}{}",
        String::from_utf8_lossy(&test.stderr)
    );
    assert!(stdout.contains("No errors detected"), "{stdout}");
    let dir = tempfile::tempdir().expect("temp dir");
    let extract = (Command::new("/usr/bin/unzip").env("LC_ALL", "C.UTF-8"))
        .args(["-q", "-o"])
        .arg(path)
        .arg("-d")
        .arg(dir.path())
        .output()
        .expect("unzip");
    assert!(
        extract.status.success(),
        "unzip: {}",
        String::from_utf8_lossy(&extract.stderr)
    );
    for (name, bytes) in expected {
        let extracted = std::fs::read(dir.path().join(name)).expect(name);
        assert!(&extracted == bytes, "{name}: unzip extracted other bytes");
    }
}

const PYTHON_READ: &str = r#"
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    members = [[i.filename, z.read(i).hex(), list(i.date_time), i.flag_bits, i.compress_type]
               for i in z.infolist()]
print(json.dumps({"bad": bad, "members": members}))
"#;

/// Python's zipfile lists exactly the files sent, with their bytes, CRCs
/// (testzip) and time.
fn check_with_python(path: &Path, expected: &[(String, Vec<u8>)]) {
    let out = Command::new("python3")
        .args(["-c", PYTHON_READ])
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("python's JSON");
    assert_eq!(
        report["bad"],
        serde_json::Value::Null,
        "testzip found a bad member"
    );
    let members = report["members"].as_array().expect("members");
    assert_eq!(members.len(), expected.len());
    for (member, (name, bytes)) in members.iter().zip(expected) {
        assert_eq!(member[0], name.as_str());
        assert!(
            member[1] == hex::encode(bytes).as_str(),
            "{name}: python read other bytes"
        );
        assert_eq!(member[2], serde_json::json!([2024, 2, 29, 13, 45, 30]));
        assert_eq!(member[3], 0x0808, "flags: data descriptor, UTF-8");
        assert_eq!(member[4], 0, "STORED");
    }
}

/// What our own reading of the end records and central directory finds.
#[derive(Debug)]
struct Parsed {
    zip64_end: bool,
    /// (name, crc, size, local header offset, version needed, ZIP64 extra).
    entries: Vec<(String, u32, u64, u64, u16, bool)>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Parses the end of an archive: `tail` is its last bytes, starting at
/// offset `tail_start`, and must hold the whole central directory.
fn parse(tail: &[u8], tail_start: u64) -> Parsed {
    let end = tail.len() - 22;
    assert_eq!(u32_at(tail, end), END);
    let mut count = u64::from(u16_at(tail, end + 10));
    let mut size = u64::from(u32_at(tail, end + 12));
    let mut start = u64::from(u32_at(tail, end + 16));
    let zip64_end = end >= 20 && u32_at(tail, end - 20) == ZIP64_LOCATOR;
    if zip64_end {
        let record = (u64_at(tail, end - 12) - tail_start) as usize;
        assert_eq!(
            record + 56 + 20,
            end,
            "the ZIP64 end record sits before its locator"
        );
        assert_eq!(u32_at(tail, record), ZIP64_END);
        assert_eq!(u64_at(tail, record + 24), u64_at(tail, record + 32));
        (count, size, start) = (
            u64_at(tail, record + 32),
            u64_at(tail, record + 40),
            u64_at(tail, record + 48),
        );
        assert_eq!(
            start + size,
            tail_start + record as u64,
            "the directory ends at the ZIP64 record"
        );
    } else {
        assert_eq!(
            start + size,
            tail_start + end as u64,
            "the directory ends at the end record"
        );
    }
    let mut at = (start - tail_start) as usize;
    let mut entries = Vec::new();
    for _ in 0..count {
        assert_eq!(u32_at(tail, at), CENTRAL_HEADER);
        let (name_len, extra_len) = (
            usize::from(u16_at(tail, at + 28)),
            usize::from(u16_at(tail, at + 30)),
        );
        let name =
            String::from_utf8(tail[at + 46..at + 46 + name_len].to_vec()).expect("UTF-8 name");
        let mut size = u64::from(u32_at(tail, at + 24));
        let mut offset = u64::from(u32_at(tail, at + 42));
        let mut zip64 = false;
        let (mut x, extra_end) = (at + 46 + name_len, at + 46 + name_len + extra_len);
        while x < extra_end {
            let (id, len) = (u16_at(tail, x), usize::from(u16_at(tail, x + 2)));
            if id == 0x0001 {
                zip64 = true;
                let mut field = x + 4;
                if size == 0xFFFF_FFFF {
                    assert_eq!(
                        u64_at(tail, field),
                        u64_at(tail, field + 8),
                        "sizes (STORED)"
                    );
                    size = u64_at(tail, field);
                    field += 16;
                }
                if offset == 0xFFFF_FFFF {
                    offset = u64_at(tail, field);
                    field += 8;
                }
                assert_eq!(
                    field,
                    x + 4 + len,
                    "the ZIP64 field holds the marked values only"
                );
            }
            x += 4 + len;
        }
        entries.push((
            name,
            u32_at(tail, at + 16),
            size,
            offset,
            u16_at(tail, at + 6),
            zip64,
        ));
        at = extra_end;
    }
    assert_eq!(at as u64 + tail_start, start + size, "the directory's size");
    Parsed { zip64_end, entries }
}

#[tokio::test]
async fn plain_archive_reads_in_unzip_and_python() {
    let (entries, expected) = sample();
    let archive = build(entries, CLASSIC).await;
    let file = write_temp(&archive);
    check_with_unzip(file.path(), &expected);
    check_with_python(file.path(), &expected);
    let parsed = parse(&archive, 0);
    assert!(!parsed.zip64_end, "no ZIP64 end records in a small archive");
    for ((name, crc, size, _, version, zip64), (sent_name, bytes)) in
        parsed.entries.iter().zip(&expected)
    {
        assert_eq!((name, *size), (sent_name, bytes.len() as u64));
        assert_eq!(*crc, crc32(0, bytes));
        assert_eq!((*version, *zip64), (20, false), "{name} is plain ZIP");
    }
}

#[tokio::test]
async fn forced_zip64_reads_in_python_and_unzip() {
    let all = Limits {
        field: 0,
        entries: 0,
    };
    let (entries, expected) = sample();
    let archive = build(entries, all).await;
    let parsed = parse(&archive, 0);
    assert!(parsed.zip64_end);
    assert!(
        parsed.entries.iter().all(|e| e.5 && e.4 == 45),
        "{parsed:?}"
    );
    let file = write_temp(&archive);
    check_with_python(file.path(), &expected);
    check_with_unzip(file.path(), &expected);
}

#[tokio::test]
async fn many_entries_alone_call_for_zip64_end_records() {
    let few = Limits {
        field: CLASSIC.field,
        entries: 3,
    };
    let expected: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| (format!("{i}.bin"), noise(10 + i, i as u32)))
        .collect();
    let entries = expected
        .iter()
        .map(|(name, bytes)| entry(name, vec![bytes.clone()]))
        .collect();
    let archive = build(entries, few).await;
    let parsed = parse(&archive, 0);
    assert!(parsed.zip64_end);
    assert!(
        parsed.entries.iter().all(|e| !e.5 && e.4 == 20),
        "entries stay plain: {parsed:?}"
    );
    let file = write_temp(&archive);
    check_with_python(file.path(), &expected);
    check_with_unzip(file.path(), &expected);
}

#[tokio::test]
async fn body_chunks_pass_through_uncopied_and_files_open_lazily() {
    let opened = Arc::new(AtomicUsize::new(0));
    let counter = opened.clone();
    let chunk = Bytes::from(noise(4096, 3));
    let sent = chunk.clone();
    let entries = stream::iter(0..3).map(move |i| {
        counter.fetch_add(1, Ordering::SeqCst);
        let body = stream::iter([Ok(sent.clone())]).boxed();
        Ok(ZipEntry {
            name: format!("{i}.bin"),
            len: 4096,
            modified: at(FEB_29),
            body,
        })
    });
    let mut stream = std::pin::pin!(archive(entries));
    let _header = stream.next().await.expect("a header").expect("no error");
    assert_eq!(
        opened.load(Ordering::SeqCst),
        1,
        "only the first entry is opened"
    );
    let body = stream
        .next()
        .await
        .expect("a body chunk")
        .expect("no error");
    assert_eq!(body.as_ptr(), chunk.as_ptr(), "the very chunk, not a copy");
}

#[tokio::test]
async fn short_and_long_bodies_end_the_stream_with_an_error() {
    let short = error_of(vec![
        entry("a", vec![]),
        entry_with_len("b", 10, vec![vec![1; 4], vec![2; 5]]),
    ])
    .await;
    assert_eq!(short.kind(), io::ErrorKind::UnexpectedEof, "{short}");
    let long = error_of(vec![entry_with_len("a", 5, vec![vec![1; 6]])]).await;
    assert_eq!(long.kind(), io::ErrorKind::InvalidData, "{long}");
    let late = error_of(vec![entry_with_len("a", 5, vec![vec![1; 5], vec![2]])]).await;
    assert_eq!(late.kind(), io::ErrorKind::InvalidData, "{late}");
    // The excess is never sent: the last piece before the error is the body's
    // first (complete) chunk.
    let (sent, _) = pieces(
        vec![entry_with_len("a", 5, vec![vec![1; 5], vec![2]])],
        CLASSIC,
    )
    .await;
    assert_eq!(sent.last().map(|b| b.to_vec()), Some(vec![1; 5]));
}

#[tokio::test]
async fn body_and_entry_errors_pass_through() {
    let failing = ZipEntry {
        body: stream::iter([
            Ok(Bytes::from_static(b"ab")),
            Err(io::Error::other("disk on fire")),
        ])
        .boxed(),
        ..entry_with_len("a", 4, vec![])
    };
    let err = error_of(vec![failing]).await;
    assert!(
        err.kind() == io::ErrorKind::Other && err.to_string().contains("disk on fire"),
        "{err}"
    );
    let entries = stream::iter([
        Ok(entry("a", vec![b"x".to_vec()])),
        Err(io::Error::other("no such track")),
    ]);
    let mut stream = std::pin::pin!(archive(entries));
    let mut last = None;
    while let Some(piece) = stream.next().await {
        last = Some(piece);
    }
    let err = last.expect("pieces").expect_err("ends with the error");
    assert!(err.to_string().contains("no such track"), "{err}");
}

#[tokio::test]
async fn unsafe_names_are_refused() {
    let long = "a".repeat(70_000);
    for name in [
        "",
        "a\0b",
        "/etc/passwd",
        "../up",
        "a/../../b",
        "a/..",
        "./a",
        "a//b",
        "dir/",
        "a\\b",
        "C:/x",
        "c:x",
        &long,
    ] {
        let (sent, err) = pieces(vec![entry(name, vec![b"x".to_vec()])], CLASSIC).await;
        assert!(
            sent.is_empty(),
            "{name:?}: nothing is sent before the refusal"
        );
        assert_eq!(
            err.map(|e| e.kind()),
            Some(io::ErrorKind::InvalidInput),
            "{name:?}"
        );
    }
    for name in [
        "a",
        "Disc 1/01 - x.mp3",
        "..a",
        "a..",
        "a/b.c/d",
        "1:2",
        "ü/ñ",
    ] {
        assert!(check_name(name).is_ok(), "{name:?}");
    }
}

/// Counts what it is given and keeps the small pieces (headers,
/// descriptors, the directory) with their offsets, and the last bytes.
#[derive(Default)]
struct Sink {
    len: u64,
    small: Vec<(u64, Bytes)>,
    tail: Vec<u8>,
    tail_start: u64,
}

impl Sink {
    fn take(&mut self, piece: Bytes) {
        const TAIL: usize = 1 << 16;
        if piece.len() <= 4096 {
            self.small.push((self.len, piece.clone()));
        }
        self.len += piece.len() as u64;
        if piece.len() >= TAIL {
            self.tail = piece[piece.len() - TAIL..].to_vec();
        } else {
            self.tail.extend_from_slice(&piece);
            let cut = self.tail.len().saturating_sub(TAIL);
            self.tail.drain(..cut);
        }
        self.tail_start = self.len - self.tail.len() as u64;
    }

    fn piece_at(&self, offset: u64) -> &Bytes {
        &self
            .small
            .iter()
            .find(|(at, _)| *at == offset)
            .expect("a piece there")
            .1
    }
}

/// A real entry past 4 GiB, streamed into a counting sink: about a minute
/// in a debug build (the CRC), a few seconds in release, hence ignored.
#[tokio::test]
#[ignore = "streams 4.1 GiB; run with --ignored (fast with --release)"]
async fn entry_past_4_gib_uses_zip64() {
    static ZEROS: [u8; 1 << 20] = [0; 1 << 20];
    const CHUNKS: u64 = 4096 + 100;
    const BIG: u64 = CHUNKS << 20;
    // zlib.crc32 of BIG zero bytes.
    const BIG_CRC: u32 = 0x2c9d_dcd8;
    let zeros = stream::iter((0..CHUNKS).map(|_| Ok(Bytes::from_static(&ZEROS))));
    let big = ZipEntry {
        body: zeros.boxed(),
        ..entry_with_len("big.bin", BIG, vec![])
    };
    let entries = vec![
        entry("a.txt", vec![b"first".to_vec()]),
        big,
        entry("c.txt", vec![b"last".to_vec()]),
    ];
    let mut stream = std::pin::pin!(archive(stream::iter(entries.into_iter().map(Ok))));
    let mut sink = Sink::default();
    while let Some(piece) = stream.next().await {
        sink.take(piece.expect("no error"));
    }
    let parsed = parse(&sink.tail, sink.tail_start);
    assert!(parsed.zip64_end, "the directory starts past 4 GiB");
    let [a, big, c] = &parsed.entries[..] else {
        panic!("{parsed:?}")
    };
    assert_eq!(
        (a.0.as_str(), a.2, a.3, a.4, a.5),
        ("a.txt", 5, 0, 20, false)
    );
    assert_eq!(
        (big.0.as_str(), big.1, big.2, big.4, big.5),
        ("big.bin", BIG_CRC, BIG, 45, true)
    );
    assert_eq!(
        (c.0.as_str(), c.2, c.4, c.5),
        ("c.txt", 4, 45, true),
        "offset in ZIP64"
    );
    assert!(c.3 > 1 << 32);
    // The big entry's local header is ZIP64, its descriptor has 8-byte sizes.
    let header = sink.piece_at(big.3);
    assert_eq!((u32_at(header, 0), u16_at(header, 4)), (LOCAL_HEADER, 45));
    assert_eq!(
        (u32_at(header, 18), u32_at(header, 22)),
        (u32::MAX, u32::MAX)
    );
    assert_eq!(
        (u16_at(header, 30 + 7), u64_at(header, 30 + 7 + 4)),
        (0x0001, BIG)
    );
    let descriptor = sink.piece_at(big.3 + header.len() as u64 + BIG);
    assert_eq!(descriptor.len(), 24);
    assert_eq!(
        (
            u32_at(descriptor, 4),
            u64_at(descriptor, 8),
            u64_at(descriptor, 16)
        ),
        (BIG_CRC, BIG, BIG)
    );
    // c's local header (past 4 GiB) needs no ZIP64: it holds no offset.
    let header = sink.piece_at(c.3);
    assert_eq!(
        (u32_at(header, 0), u16_at(header, 4), u32_at(header, 18)),
        (LOCAL_HEADER, 20, 4)
    );
}
