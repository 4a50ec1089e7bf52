//! Where an MP4/MOV file keeps its index. A browser can start playing an MP4
//! only once it has the `moov` box; when that box sits after the media data
//! (`mdat`), as ffmpeg writes it without `+faststart`, playback waits for a
//! second request to the end of the file. Reading the top-level box headers
//! answers the question without decoding anything.

use std::io::SeekFrom;
use std::path::Path;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};

/// Top-level boxes read before giving up: real files have a handful
/// (`ftyp`, `free`, `moov`, `mdat`, `uuid`...); a file of thousands of tiny
/// boxes is built to waste our time.
pub(crate) const MAX_BOXES: usize = 256;

/// Whether `moov` comes before `mdat` in the file at `path`: `Some(true)` for
/// a file ready to stream, `Some(false)` for one whose index is at the end,
/// `None` when neither box is found within `MAX_BOXES` boxes or the headers
/// are broken.
pub(crate) async fn faststart(path: &Path) -> std::io::Result<Option<bool>> {
    let mut file = tokio::fs::File::open(path).await?;
    let len = file.metadata().await?.len();
    moov_before_mdat(&mut file, len).await
}

/// The same question for any seekable reader of `len` bytes.
pub(crate) async fn moov_before_mdat<R>(reader: &mut R, len: u64) -> std::io::Result<Option<bool>>
where
    R: AsyncRead + AsyncSeek + Unpin,
{
    let mut pos = 0u64;
    for _ in 0..MAX_BOXES {
        let Some(header) = read_header(reader, pos, len).await? else {
            return Ok(None);
        };
        match &header.kind {
            b"moov" => return Ok(Some(true)),
            b"mdat" => return Ok(Some(false)),
            _ => {}
        }
        match header.end {
            Some(end) => pos = end,
            // The last box: nothing follows it.
            None => return Ok(None),
        }
    }
    Ok(None)
}

struct BoxHeader {
    kind: [u8; 4],
    /// Where the next box starts, or `None` for a box that runs to the end.
    end: Option<u64>,
}

/// Reads the box header at `pos`; `None` when there is no whole, sane box
/// there (end of file, a size smaller than its own header, a size past the
/// end of the file).
async fn read_header<R>(reader: &mut R, pos: u64, len: u64) -> std::io::Result<Option<BoxHeader>>
where
    R: AsyncRead + AsyncSeek + Unpin,
{
    if len.saturating_sub(pos) < 8 {
        return Ok(None);
    }
    reader.seek(SeekFrom::Start(pos)).await?;
    let mut head = [0u8; 8];
    reader.read_exact(&mut head).await?;
    let size = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
    let kind = [head[4], head[5], head[6], head[7]];
    let (size, header_len) = match size {
        0 => return Ok(Some(BoxHeader { kind, end: None })),
        1 => {
            if len - pos < 16 {
                return Ok(None);
            }
            let mut large = [0u8; 8];
            reader.read_exact(&mut large).await?;
            (u64::from_be_bytes(large), 16)
        }
        size => (size, 8),
    };
    if size < header_len {
        return Ok(None);
    }
    match pos.checked_add(size) {
        Some(end) if end <= len => Ok(Some(BoxHeader {
            kind,
            end: Some(end),
        })),
        // A box claiming more bytes than the file has: truncated or forged.
        // Its type still counts if it is one of the two we look for.
        _ if &kind == b"moov" || &kind == b"mdat" => Ok(Some(BoxHeader { kind, end: None })),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4_box(kind: &[u8; 4], body_len: usize) -> Vec<u8> {
        let size = u32::try_from(8 + body_len).expect("small box");
        let mut out = size.to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.resize(8 + body_len, 0xAB);
        out
    }

    fn large_box(kind: &[u8; 4], body_len: usize) -> Vec<u8> {
        let mut out = 1u32.to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(&(16 + body_len as u64).to_be_bytes());
        out.resize(16 + body_len, 0xCD);
        out
    }

    async fn check(bytes: &[u8]) -> Option<bool> {
        let mut cursor = std::io::Cursor::new(bytes.to_vec());
        moov_before_mdat(&mut cursor, bytes.len() as u64)
            .await
            .expect("in-memory reads succeed")
    }

    #[tokio::test]
    async fn moov_first_is_faststart() {
        let file = [
            mp4_box(b"ftyp", 24),
            mp4_box(b"moov", 100),
            mp4_box(b"mdat", 1000),
        ]
        .concat();
        assert_eq!(check(&file).await, Some(true));
    }

    #[tokio::test]
    async fn mdat_first_is_not() {
        let file = [
            mp4_box(b"ftyp", 24),
            mp4_box(b"free", 0),
            mp4_box(b"mdat", 1000),
            mp4_box(b"moov", 100),
        ]
        .concat();
        assert_eq!(check(&file).await, Some(false));
    }

    #[tokio::test]
    async fn largesize_boxes_are_skipped_by_their_64_bit_size() {
        let file = [
            mp4_box(b"ftyp", 24),
            large_box(b"wide", 40),
            large_box(b"mdat", 5000),
            mp4_box(b"moov", 100),
        ]
        .concat();
        assert_eq!(check(&file).await, Some(false));

        let file = [
            mp4_box(b"ftyp", 24),
            large_box(b"uuid", 300),
            mp4_box(b"moov", 10),
        ]
        .concat();
        assert_eq!(check(&file).await, Some(true));
    }

    #[tokio::test]
    async fn size_zero_runs_to_the_end() {
        let mut mdat_to_end = 0u32.to_be_bytes().to_vec();
        mdat_to_end.extend_from_slice(b"mdat");
        mdat_to_end.extend_from_slice(&[0u8; 64]);
        let file = [mp4_box(b"ftyp", 24), mdat_to_end].concat();
        assert_eq!(check(&file).await, Some(false));

        // A `free` box to the end hides nothing after it.
        let mut free_to_end = 0u32.to_be_bytes().to_vec();
        free_to_end.extend_from_slice(b"free");
        let file = [mp4_box(b"ftyp", 24), free_to_end, mp4_box(b"moov", 8)].concat();
        assert_eq!(check(&file).await, None);
    }

    #[tokio::test]
    async fn broken_headers_give_no_answer() {
        assert_eq!(check(&[]).await, None);
        assert_eq!(check(&[0, 0, 0]).await, None);
        // A size smaller than the header itself.
        let mut tiny = 4u32.to_be_bytes().to_vec();
        tiny.extend_from_slice(b"ftyp");
        tiny.extend_from_slice(&[0u8; 32]);
        assert_eq!(check(&tiny).await, None);
        // A box larger than the file before either box of interest.
        let mut huge = mp4_box(b"ftyp", 8);
        huge[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(check(&huge).await, None);
        // A largesize that overflows when added to the position.
        let mut overflow = mp4_box(b"ftyp", 8);
        overflow.extend_from_slice(&1u32.to_be_bytes());
        overflow.extend_from_slice(b"skip");
        overflow.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(check(&overflow).await, None);
        // Only a header and no moov or mdat.
        assert_eq!(check(&mp4_box(b"ftyp", 16)).await, None);
    }

    #[tokio::test]
    async fn truncated_mdat_still_counts() {
        // An upload cut short: mdat claims more than is there.
        let mut mdat = mp4_box(b"mdat", 10);
        mdat[..4].copy_from_slice(&1_000_000u32.to_be_bytes());
        let file = [mp4_box(b"ftyp", 24), mdat].concat();
        assert_eq!(check(&file).await, Some(false));
    }

    #[tokio::test]
    async fn endless_tiny_boxes_are_bounded() {
        let file: Vec<u8> = (0..MAX_BOXES + 10)
            .flat_map(|_| mp4_box(b"free", 0))
            .chain(mp4_box(b"moov", 8))
            .collect();
        assert_eq!(check(&file).await, None);
    }

    #[tokio::test]
    async fn reads_a_real_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("x.mp4");
        let file = [mp4_box(b"ftyp", 24), mp4_box(b"moov", 50)].concat();
        tokio::fs::write(&path, &file).await.expect("write");
        assert_eq!(faststart(&path).await.expect("read"), Some(true));
        assert!(faststart(&dir.path().join("missing")).await.is_err());
    }
}
