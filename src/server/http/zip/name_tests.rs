//! The ZIP writer's pure parts: member names, DOS times, the CRC.

use std::time::Duration;

use super::tests::{FEB_29, at, noise};
use super::*;

#[test]
fn numbered_names() {
    assert_eq!(
        numbered_name(3, 12, "Song title", "mp3"),
        "03 - Song title.mp3"
    );
    assert_eq!(numbered_name(1, 1, "One", "flac"), "01 - One.flac");
    assert_eq!(numbered_name(7, 150, "Seven", "ogg"), "007 - Seven.ogg");
    assert_eq!(
        numbered_name(12, 1000, "Twelve", "opus"),
        "0012 - Twelve.opus"
    );
    assert_eq!(
        numbered_name(1, 2, "AC/DC: Back? <\"Live\"> | *", "MP3"),
        "01 - AC_DC_ Back_ __Live__ _ _.mp3"
    );
    assert_eq!(
        numbered_name(1, 2, "back\\slash\ttab\nnewline\u{7f}", "mp3"),
        "01 - back_slash_tab_newline_.mp3"
    );
    assert_eq!(
        numbered_name(1, 2, "  ..Hidden.. ", "mp3"),
        "01 - Hidden.mp3"
    );
    assert_eq!(numbered_name(1, 2, "", "mp3"), "01 - Untitled.mp3");
    assert_eq!(numbered_name(1, 2, " . .. ", "mp3"), "01 - Untitled.mp3");
    assert_eq!(numbered_name(1, 2, "Café ♫", ".M4A"), "01 - Café ♫.m4a");
    assert_eq!(numbered_name(1, 2, "No extension", ""), "01 - No extension");
    assert_eq!(
        numbered_name(1, 2, "Junk extension", ".!?"),
        "01 - Junk extension"
    );
    assert_eq!(numbered_name(1, 2, "x", "tar.gz"), "01 - x.targz");
    let a120 = "a".repeat(120);
    assert_eq!(
        numbered_name(1, 2, &"a".repeat(300), "mp3"),
        format!("01 - {a120}.mp3")
    );
    // A cut that ends on a space is trimmed again.
    let title = format!("{} b", "a".repeat(119));
    assert_eq!(
        numbered_name(1, 2, &title, "mp3"),
        format!("01 - {}.mp3", "a".repeat(119))
    );
    // Wide characters: cut on a character boundary, within the byte cap.
    let name = numbered_name(1, 2, &"曲".repeat(300), "mp3");
    let title = name.trim_start_matches("01 - ").trim_end_matches(".mp3");
    assert_eq!(title, "曲".repeat(MAX_TITLE_BYTES / 3));
    assert!(name.len() < 255);
}

#[test]
fn dos_times_are_utc_and_clamped() {
    let leap = Modified::from(at(FEB_29));
    assert_eq!(leap.dos_date, 44 << 9 | 2 << 5 | 29);
    assert_eq!(leap.dos_time, 13 << 11 | 45 << 5 | 15);
    assert_eq!(leap.unix, Some(FEB_29 as u32));
    let early = Modified::from(at(100));
    assert_eq!(
        (early.dos_date, early.dos_time, early.unix),
        (1 << 5 | 1, 0, Some(100))
    );
    let before_1970 = Modified::from(UNIX_EPOCH - Duration::from_secs(100));
    assert_eq!((before_1970.dos_date, before_1970.unix), (1 << 5 | 1, None));
    let far = Modified::from(at(10_000_000_000));
    assert_eq!(far.dos_date, 127 << 9 | 12 << 5 | 31);
    assert_eq!(far.dos_time, 23 << 11 | 59 << 5 | 29);
    assert_eq!(far.unix, None, "past 2038");
}

#[test]
fn crc32_matches_the_reference() {
    assert_eq!(crc32(0, b""), 0);
    assert_eq!(crc32(0, b"123456789"), 0xCBF4_3926);
    // Bit by bit, as the spec defines it, over lengths around the 16-byte
    // blocks and split at every point.
    let bitwise = |data: &[u8]| {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    };
    let data = noise(100, 4);
    for len in 0..data.len() {
        assert_eq!(
            crc32(0, &data[..len]),
            bitwise(&data[..len]),
            "length {len}"
        );
    }
    for split in 0..data.len() {
        assert_eq!(
            crc32(crc32(0, &data[..split]), &data[split..]),
            bitwise(&data),
            "split {split}"
        );
    }
}
