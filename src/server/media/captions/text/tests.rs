use super::*;

const SRT: &str = "1\n00:00:01,000 --> 00:00:02,500\nHello <i>there</i>\n\n2\n00:00:03,000 --> 00:00:04,000\nTwo\nlines\n";

#[test]
fn subrip_becomes_webvtt_with_the_same_cues() {
    let captions = parse(SRT).expect("srt");
    assert_eq!(
        captions.cues,
        vec![
            Cue {
                start_ms: 1000,
                end_ms: 2500,
                text: "Hello <i>there</i>".into()
            },
            Cue {
                start_ms: 3000,
                end_ms: 4000,
                text: "Two\nlines".into()
            },
        ]
    );
    assert_eq!(
        captions.vtt,
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello <i>there</i>\n\n00:00:03.000 --> 00:00:04.000\nTwo\nlines\n"
    );
    // What Reel writes reads back the same.
    assert_eq!(parse(&captions.vtt).expect("vtt").cues, captions.cues);
}

#[test]
fn a_broken_subrip_is_refused_with_its_line() {
    let broken =
        "1\n00:00:01,000 --> 00:00:02,500\nFine\n\n2\n00:00:03,000 -> 00:00:04,000\nBad arrow\n";
    assert_eq!(
        parse(broken).unwrap_err().to_string(),
        "line 6: expected a `start --> end` time line"
    );
    let bad_time = "1\n00:00:01,000 --> 00:00:02,5\nx\n";
    assert!(matches!(
        parse(bad_time),
        Err(CaptionError::Line { line: 2, .. })
    ));
    let backwards = "1\n00:00:05,000 --> 00:00:02,000\nx\n";
    assert_eq!(
        parse(backwards).unwrap_err().to_string(),
        "line 2: the cue ends before it starts"
    );
    assert_eq!(
        parse("hello\nworld\n").unwrap_err().to_string().get(..7),
        Some("line 1:")
    );
}

#[test]
fn webvtt_keeps_settings_out_and_skips_notes() {
    let vtt = "WEBVTT - a title\n\nNOTE made by hand\n\nintro\n00:01.000 --> 00:02.000 line:0 align:start\nHi\n\n01:00:00.000 --> 01:00:01.000\nLate\n";
    let captions = parse(vtt).expect("vtt");
    assert_eq!(captions.cues.len(), 2);
    assert_eq!(captions.cues[0].start_ms, 1000);
    assert_eq!(captions.cues[1].start_ms, 3_600_000);
    assert_eq!(parse("WEBVTT\n\n").unwrap_err(), CaptionError::NoCues);
    assert!(matches!(
        parse("WEBVTT\n\n00:01.000 --> nope\nx\n"),
        Err(CaptionError::Line { line: 3, .. })
    ));
}

#[test]
fn encodings_are_detected() {
    assert_eq!(
        decode(b"\xEF\xBB\xBFcaf\xC3\xA9").expect("utf8 bom"),
        "café"
    );
    assert_eq!(decode("café\r\n".as_bytes()).expect("utf8"), "café\n");
    // Windows-1252: é is 0xE9 and the curly quote 0x92.
    assert_eq!(decode(b"caf\xE9 it\x92s").expect("1252"), "café it’s");
    let utf16le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("hé".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert_eq!(decode(&utf16le).expect("utf16le"), "hé");
    let utf16be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain("hé".encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    assert_eq!(decode(&utf16be).expect("utf16be"), "hé");
    assert_eq!(decode(b"\x00\x01binary"), Err(CaptionError::Binary));
    assert_eq!(decode(b"  \n"), Err(CaptionError::Empty));
    assert_eq!(
        decode(&vec![b'a'; MAX_CAPTION_BYTES + 1]),
        Err(CaptionError::TooLarge)
    );
}

#[test]
fn timestamps_and_plain_text() {
    assert_eq!(timestamp("00:00:01,000"), Some(1000));
    assert_eq!(timestamp("01:02.345"), Some(62_345));
    assert_eq!(timestamp("100:00:00.000"), Some(360_000_000));
    assert_eq!(timestamp("00:60:00,000"), None);
    assert_eq!(timestamp("1:2"), None);
    assert_eq!(
        plain("{\\an8}<i>Hello</i>\nthere &amp; back"),
        "Hello there & back"
    );
}
