//! Unit tests of `zip`: archives built in memory are checked with real
//! readers (Info-ZIP's unzip and Python's zipfile), not only by our parser.
//! How the stream behaves (lazy bodies, errors, names, past 4 GiB) is in
//! `streaming`.

mod streaming;

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
