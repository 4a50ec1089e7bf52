//! A streaming ZIP writer: an album or playlist leaves as one `.zip` built
//! while it is sent, with no copy on the server's disk and no Content-Length.
//!
//! Entries are STORED (method 0): media is already compressed, and storing
//! keeps the cost at one CRC-32 pass over bytes that flow through untouched.
//! Sizes are known upfront but the CRC is not, so each local header sets
//! bit 3 and a data descriptor after the body carries the CRC. ZIP64 records
//! appear only where a value does not fit the classic ones, so ordinary
//! archives stay plain ZIP that every unzip reads.

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes};
use futures_util::stream::{self, BoxStream, Stream, StreamExt};

/// One file of an archive.
pub(crate) struct ZipEntry {
    /// The name inside the archive (already sanitised by the caller; may
    /// contain UTF-8, which the headers declare).
    pub name: String,
    /// The exact length the body will have (stored files know it).
    pub len: u64,
    pub modified: SystemTime,
    pub body: BoxStream<'static, io::Result<Bytes>>,
}

/// The archive's bytes: entry after entry as `entries` yields them (the
/// caller's stream opens each file only when it is reached), then the
/// central directory. Body chunks pass through as they come, so memory stays
/// bounded whatever the sizes. Any failure (a bad name, a body that errs or
/// does not have `len` bytes) ends the stream with an error: the download
/// then breaks visibly instead of ending as a quietly corrupt archive.
pub(crate) fn archive<S>(entries: S) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static
where
    S: Stream<Item = io::Result<ZipEntry>> + Send + 'static,
{
    archive_with(entries, CLASSIC)
}

/// `archive`, with ZIP64 starting at `limits` (tests lower them to reach the
/// ZIP64 records without writing 4 GiB).
fn archive_with<S>(entries: S, limits: Limits) -> impl Stream<Item = io::Result<Bytes>> + Send
where
    S: Stream<Item = io::Result<ZipEntry>> + Send + 'static,
{
    let writer = Writer {
        limits,
        entries: Some(entries.boxed()),
        offset: 0,
        records: Vec::new(),
        current: None,
    };
    // try_unfold ends the stream after the first error.
    stream::try_unfold(writer, |mut writer| async move {
        Ok(writer.next_chunk().await?.map(|chunk| (chunk, writer)))
    })
}

/// A name like `03 - Song title.mp3` for the `position`th of `count` files:
/// zero-padded to the width of `count` (at least 2 digits) so that names
/// sort in order, the title made safe as a file name on every OS.
pub(crate) fn numbered_name(position: usize, count: usize, title: &str, extension: &str) -> String {
    let width = count.to_string().len().max(2);
    let title = clean_title(title);
    let extension: String = (extension.chars())
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(MAX_EXTENSION)
        .collect();
    let dot = if extension.is_empty() { "" } else { "." };
    format!("{position:0width$} - {title}{dot}{extension}")
}

/// Characters Windows refuses in file names (`/` also separates folders).
const FORBIDDEN: [char; 9] = ['/', '\\', ':', '*', '?', '"', '<', '>', '|'];
const MAX_TITLE_CHARS: usize = 120;
/// File systems cap a name near 255 bytes (ext4, APFS) and 120 CJK
/// characters are 360, so bytes are capped too.
const MAX_TITLE_BYTES: usize = 200;
const MAX_EXTENSION: usize = 16;

/// `title` made safe as a file name on every OS (the archive's own name).
pub(crate) fn safe_name(title: &str) -> String {
    clean_title(title)
}

fn clean_title(title: &str) -> String {
    // Windows drops dots and spaces at the end; at the start they hide files.
    let edge = |c: char| c == '.' || c.is_whitespace();
    let replaced = title.replace(|c: char| c.is_control() || FORBIDDEN.contains(&c), "_");
    let trimmed = replaced.trim_matches(edge);
    let end = (trimmed.char_indices())
        .map(|(at, c)| at + c.len_utf8())
        .take(MAX_TITLE_CHARS)
        .take_while(|&end| end <= MAX_TITLE_BYTES)
        .last();
    // Cutting may leave a space or dot at the end again.
    match trimmed[..end.unwrap_or(0)].trim_end_matches(edge) {
        "" => "Untitled".to_owned(),
        cut => cut.to_owned(),
    }
}

/// Values at or past these do not fit the classic records and need ZIP64
/// (the maximum of each field is itself the "see ZIP64" marker).
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// Sizes and offsets (4-byte fields).
    field: u64,
    /// The entry count (2-byte fields).
    entries: u64,
}

const CLASSIC: Limits = Limits {
    field: 0xFFFF_FFFF,
    entries: 0xFFFF,
};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
/// Bit 3: CRC and sizes follow the data; bit 11: the name is UTF-8.
const FLAGS: u16 = 0x0808;
/// Version needed to extract: 2.0 for data descriptors, 4.5 for ZIP64.
const VERSION: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// Made by Unix (high byte 3), spec 6.3, so the mode bits below are used.
const MADE_BY: u16 = (3 << 8) | 63;
/// A regular file, rw-r--r--: without it Unix unzips create mode-0 files.
const EXTERNAL_ATTRIBUTES: u32 = 0o100_644 << 16;
/// DOS dates span 1980-01-01 to 2107-12-31 (seconds since the Unix epoch).
const DOS_FIRST: u64 = 315_532_800;
const DOS_LAST: u64 = 4_354_819_199;

/// What the central directory needs of an entry once it has been written.
struct Record {
    name: String,
    len: u64,
    /// Of the bytes passed so far; final once the body has ended.
    crc: u32,
    /// Where its local header starts.
    offset: u64,
    modified: Modified,
}

struct Writer {
    limits: Limits,
    /// `None` once the central directory has been sent.
    entries: Option<BoxStream<'static, io::Result<ZipEntry>>>,
    /// Bytes emitted so far.
    offset: u64,
    /// Entries fully written, for the central directory.
    records: Vec<Record>,
    /// The entry whose body is passing through, and the bytes it still owes.
    current: Option<(Record, BoxStream<'static, io::Result<Bytes>>, u64)>,
}

impl Writer {
    /// The archive's next piece, `None` after the end records.
    async fn next_chunk(&mut self) -> io::Result<Option<Bytes>> {
        loop {
            if let Some((mut record, mut body, remaining)) = self.current.take() {
                let chunk = match body.next().await {
                    Some(Ok(chunk)) => chunk,
                    Some(Err(err)) => return Err(fail(err.kind(), &record.name, err)),
                    None if remaining > 0 => {
                        let what = format!("body {remaining} bytes short of {}", record.len);
                        return Err(fail(io::ErrorKind::UnexpectedEof, &record.name, what));
                    }
                    None => return Ok(Some(self.finish_entry(record))),
                };
                let len = chunk.len() as u64;
                if len > remaining {
                    let what = format!("body longer than {} bytes", record.len);
                    return Err(fail(io::ErrorKind::InvalidData, &record.name, what));
                }
                record.crc = crc32(record.crc, &chunk);
                self.offset += len;
                self.current = Some((record, body, remaining - len));
                // An empty chunk is skipped rather than sent as an empty frame.
                if len > 0 {
                    return Ok(Some(chunk));
                }
                continue;
            }
            let Some(entries) = &mut self.entries else {
                return Ok(None);
            };
            return match entries.next().await {
                Some(entry) => self.begin_entry(entry?).map(Some),
                None => {
                    self.entries = None;
                    Ok(Some(self.central_directory()))
                }
            };
        }
    }

    /// Checks an entry and returns its local header; its body follows.
    fn begin_entry(&mut self, entry: ZipEntry) -> io::Result<Bytes> {
        check_name(&entry.name)?;
        let record = Record {
            name: entry.name,
            len: entry.len,
            crc: 0,
            offset: self.offset,
            modified: Modified::from(entry.modified),
        };
        let mut header = Vec::new();
        put_header(&mut header, &record, self.limits, false);
        self.offset += header.len() as u64;
        self.current = Some((record, entry.body, entry.len));
        Ok(Bytes::from(header))
    }

    /// The data descriptor of an entry whose body is complete.
    fn finish_entry(&mut self, record: Record) -> Bytes {
        let mut out = Vec::with_capacity(24);
        out.put_u32_le(DATA_DESCRIPTOR);
        out.put_u32_le(record.crc);
        // 8-byte sizes exactly when the local header had the ZIP64 field.
        if record.len >= self.limits.field {
            out.put_u64_le(record.len);
            out.put_u64_le(record.len);
        } else {
            out.put_u32_le(record.len as u32);
            out.put_u32_le(record.len as u32);
        }
        self.offset += out.len() as u64;
        self.records.push(record);
        Bytes::from(out)
    }

    /// The central directory and the end records, in one piece: about
    /// 100 bytes an entry, bounded by the entry count like `records`.
    fn central_directory(&self) -> Bytes {
        let limits = self.limits;
        let start = self.offset;
        let mut out = Vec::new();
        for record in &self.records {
            put_header(&mut out, record, limits, true);
        }
        let count = self.records.len() as u64;
        let size = out.len() as u64;
        // The ZIP64 end record and its locator, when a value does not fit.
        if count >= limits.entries || size >= limits.field || start >= limits.field {
            out.put_u32_le(ZIP64_END);
            out.put_u64_le(44); // the record's length after this field
            out.put_u16_le(MADE_BY);
            out.put_u16_le(VERSION_ZIP64);
            out.put_u64_le(0); // this disk, the directory's disk
            out.put_u64_le(count); // on this disk
            out.put_u64_le(count);
            out.put_u64_le(size);
            out.put_u64_le(start);
            out.put_u32_le(ZIP64_LOCATOR);
            out.put_u32_le(0); // the ZIP64 record's disk
            out.put_u64_le(start + size);
            out.put_u32_le(1); // disks in all
        }
        let marked = count >= limits.entries;
        let count = if marked { u16::MAX } else { count as u16 };
        out.put_u32_le(END);
        out.put_u32_le(0); // this disk, the directory's disk
        out.put_u16_le(count); // on this disk
        out.put_u16_le(count);
        out.put_u32_le(field32(size, limits));
        out.put_u32_le(field32(start, limits));
        out.put_u16_le(0); // comment length
        Bytes::from(out)
    }
}

/// A local header, or with `central` the entry's central directory header.
fn put_header(out: &mut Vec<u8>, record: &Record, limits: Limits, central: bool) {
    // The ZIP64 field (0x0001) holds exactly the values whose classic field
    // is marked, in this order. A local header has no offset, so only a
    // size makes it ZIP64 (and then the descriptor's sizes have 8 bytes).
    let mut zip64 = Vec::new();
    if record.len >= limits.field {
        zip64.put_u64_le(record.len);
        zip64.put_u64_le(record.len);
    }
    if central && record.offset >= limits.field {
        zip64.put_u64_le(record.offset);
    }
    let mut extra = Vec::new();
    let mut version = VERSION;
    if !zip64.is_empty() {
        version = VERSION_ZIP64;
        extra.put_u16_le(0x0001);
        extra.put_u16_le(zip64.len() as u16);
        extra.put_slice(&zip64);
    }
    // The extended timestamp (0x5455): the exact mtime, in UTC.
    if let Some(unix) = record.modified.unix {
        extra.put_u16_le(0x5455);
        extra.put_u16_le(5);
        extra.put_u8(1); // flags: mtime present
        extra.put_u32_le(unix);
    }
    if central {
        out.put_u32_le(CENTRAL_HEADER);
        out.put_u16_le(MADE_BY);
    } else {
        out.put_u32_le(LOCAL_HEADER);
    }
    out.put_u16_le(version);
    out.put_u16_le(FLAGS);
    out.put_u16_le(0); // STORED
    out.put_u16_le(record.modified.dos_time);
    out.put_u16_le(record.modified.dos_date);
    out.put_u32_le(if central { record.crc } else { 0 });
    // Local headers give the sizes too (bit 3 allows zeros): streaming
    // readers then know where a stored body ends.
    let size = field32(record.len, limits);
    out.put_u32_le(size);
    out.put_u32_le(size);
    out.put_u16_le(record.name.len() as u16); // check_name bounds it
    out.put_u16_le(extra.len() as u16);
    if central {
        out.put_u16_le(0); // comment length
        out.put_u16_le(0); // disk
        out.put_u16_le(0); // internal attributes
        out.put_u32_le(EXTERNAL_ATTRIBUTES);
        out.put_u32_le(field32(record.offset, limits));
    }
    out.put_slice(record.name.as_bytes());
    out.put_slice(&extra);
}

/// A 4-byte size or offset: the value, or the marker sending readers to ZIP64.
fn field32(value: u64, limits: Limits) -> u32 {
    let marked = value >= limits.field;
    if marked { u32::MAX } else { value as u32 }
}

/// Refuses names that could escape the extraction folder or that some OS
/// cannot create; the caller sanitises, this is the second check.
fn check_name(name: &str) -> io::Result<()> {
    let drive = matches!(name.as_bytes(), [letter, b':', ..] if letter.is_ascii_alphabetic());
    let bad = name.is_empty()
        // The header's name length has two bytes.
        || name.len() > usize::from(u16::MAX)
        || name.contains(['\0', '\\'])
        || drive
        // An empty part is an absolute path or a folder (a trailing `/`).
        || name.split('/').any(|part| matches!(part, "" | "." | ".."));
    if bad {
        return Err(fail(io::ErrorKind::InvalidInput, name, "unsafe name"));
    }
    Ok(())
}

fn fail(kind: io::ErrorKind, name: &str, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(kind, format!("zip entry {name:?}: {what}"))
}

/// A modification time as ZIP records it: DOS date and time (UTC, 2-second
/// steps, clamped to 1980..2107), plus Unix seconds for the extended
/// timestamp, left out before 1970 and past 2038 (old unzips read it signed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Modified {
    dos_date: u16,
    dos_time: u16,
    unix: Option<u32>,
}

impl From<SystemTime> for Modified {
    fn from(time: SystemTime) -> Self {
        let secs = time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs());
        let clamped = secs.unwrap_or(0).clamp(DOS_FIRST, DOS_LAST) as i64;
        // Within the clamp the conversion cannot fail.
        let t = time::OffsetDateTime::from_unix_timestamp(clamped)
            .unwrap_or(time::macros::datetime!(1980-01-01 0:00 UTC));
        let (year, month) = ((t.year() - 1980) as u16, u16::from(u8::from(t.month())));
        let (hour, minute) = (u16::from(t.hour()), u16::from(t.minute()));
        Modified {
            dos_date: year << 9 | month << 5 | u16::from(t.day()),
            dos_time: hour << 11 | minute << 5 | u16::from(t.second() / 2),
            unix: secs.and_then(|s| i32::try_from(s).ok()).map(|s| s as u32),
        }
    }
}

/// CRC-32 (IEEE) tables for slicing-by-16: entry `b` of table `k` is the
/// CRC of byte `b` followed by `k` zero bytes. About 2 GB/s in release on
/// one core (crc32fast's SIMD does 4x that), far more than a download needs.
static CRC_TABLES: [[u32; 256]; 16] = {
    let mut tables = [[0u32; 256]; 16];
    let mut n = 0;
    // In order, so that table 0 is complete before the others look into it.
    while n < 16 * 256 {
        let (k, b) = (n / 256, n % 256);
        tables[k][b] = if k == 0 {
            let (mut c, mut bit) = (b as u32, 0);
            while bit < 8 {
                c = (c >> 1) ^ (0xEDB8_8320 & (c & 1).wrapping_neg());
                bit += 1;
            }
            c
        } else {
            let c = tables[k - 1][b];
            (c >> 8) ^ tables[0][(c & 0xFF) as usize]
        };
        n += 1;
    }
    tables
};

/// The CRC-32 of bytes whose CRC so far is `crc` (0 for none) and then `data`.
fn crc32(crc: u32, data: &[u8]) -> u32 {
    let mut crc = !crc;
    let (blocks, rest) = data.as_chunks::<16>();
    for block in blocks {
        let mut word = u128::from_le_bytes(*block) ^ u128::from(crc);
        crc = 0;
        for table in CRC_TABLES.iter().rev() {
            crc ^= table[usize::from(word as u8)];
            word >>= 8;
        }
    }
    for &byte in rest {
        crc = CRC_TABLES[0][usize::from(crc as u8 ^ byte)] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod name_tests;
#[cfg(test)]
mod tests;
