//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer).
//!
//! The parsers are `pub(crate)` and stay so: each function here takes the
//! raw bytes a client or a file could send, calls the parser the server
//! calls on them, and asserts what must hold for any input. A panic, here or
//! in a parser, is a finding; the fuzzer saves the input that caused it.
//! Inputs are text where the wire is text, so seeds stay readable and
//! editable by hand.

mod direct;

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

pub use direct::direct_request;

use crate::api::ListLibrary;
use crate::error::ApiError;
use crate::library::{LibraryQuery, MAX_SEARCH_CHARS};
use crate::server::db::search_expression;
use crate::server::filename;
use crate::server::http::conditional::{Conditions, Validators};
use crate::server::http::plan::Plan;
use crate::server::http::range::{self, ByteRange, RangeRequest};
use crate::server::http::representation::content_disposition;
use crate::server::http::tus::headers as tus;
use crate::server::media::{decide, edit, loudness, mp4_index, probe, scrub};
use crate::vtt;

/// One runtime for the targets that must drive async code: making one per
/// input would cost more than most inputs take to parse.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime starts")
    })
}

/// `name: value` lines, as a request head carries them (no validation:
/// each target decides what its edge would have refused).
fn fields(text: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    text.split(|&b| b == b'\n').filter_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        Some((&line[..colon], line[colon + 1..].trim_ascii()))
    })
}

/// The fields hyper would have let through to the router as a `HeaderMap`.
fn header_map(text: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in fields(text) {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    headers
}

/// Range and conditional headers: the first line is `<file length> <etag>
/// <mtime seconds>`, the rest are header lines. Both ways the server reads
/// headers (`from_fields` on the direct path, `from_headers` in the router)
/// must agree, and the plan's ranges lie inside the file, sorted, disjoint,
/// never more bytes than the file.
pub fn ranges(data: &[u8]) {
    let (first, rest) = data
        .iter()
        .position(|&b| b == b'\n')
        .map_or((data, &[][..]), |i| (&data[..i], &data[i + 1..]));
    let first = String::from_utf8_lossy(first);
    let mut words = first.split_whitespace();
    let len = words.next().and_then(|w| w.parse().ok()).unwrap_or(100u64);
    let etag = words.next().unwrap_or("abc").trim_matches('"').to_string();
    let mtime = words.next().and_then(|w| w.parse().ok()).unwrap_or(0u64);
    let modified = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(mtime));
    let validators = Validators::new(etag, modified);

    // The router only ever sees what hyper could make a HeaderMap of.
    let headers = header_map(rest);
    let conditions = Conditions::from_headers(&headers);
    let valid = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()));
    assert_eq!(Conditions::from_fields(valid), conditions);
    // The direct path reads names it has only checked as tokens.
    let raw: Vec<(String, &[u8])> = fields(rest)
        .map(|(name, value)| (String::from_utf8_lossy(name).into_owned(), value))
        .collect();
    let _ = Conditions::from_fields(raw.iter().map(|(n, v)| (n.as_str(), *v)));

    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    let inside = |r: &ByteRange| assert!(r.start <= r.end && r.end < len, "{r:?} of {len}");
    match Plan::decide(&conditions, &validators, len, now) {
        Plan::Part(r) => inside(&r),
        Plan::Parts(list) => {
            assert!(list.len() >= 2);
            list.iter().for_each(inside);
            assert!(list.windows(2).all(|w| w[0].end + 1 < w[1].start));
            let total: u64 = list.iter().map(ByteRange::length).sum();
            assert!(total <= len);
        }
        Plan::Unsatisfiable => assert!(conditions.range.is_some()),
        Plan::Whole | Plan::NotModified | Plan::PreconditionFailed => {}
    }
    // Merging loses no byte asked for and adds none.
    let header = conditions.range.as_deref();
    if let (RangeRequest::Ranges(asked), RangeRequest::Ranges(merged)) =
        (range::parse(header, len), range::select(header, len))
    {
        asked.iter().for_each(inside);
        for a in &asked {
            assert!(merged.iter().any(|m| m.start <= a.start && a.end <= m.end));
        }
        for m in &merged {
            assert!(asked.iter().any(|a| a.start <= m.start && m.start <= a.end));
            assert!(asked.iter().any(|a| a.start <= m.end && m.end <= a.end));
        }
    }
}

/// tus request headers as lines: every header the tus handlers parse.
/// Numbers are plain decimals; metadata round-trips through what HEAD
/// answers; a kept file name is safe to store, show and put in a header.
pub fn tus_headers(data: &[u8]) {
    let headers = header_map(data);
    for header in [&tus::UPLOAD_LENGTH, &tus::UPLOAD_OFFSET] {
        if let Ok(n) = tus::required_u64(&headers, header, "fuzz") {
            let text = headers[header].to_str().expect("digits are text");
            assert_eq!(text.trim_start_matches('0').parse::<u64>().unwrap_or(0), n);
        }
    }
    let _ = tus::content_length(&headers);
    let _ = tus::is_offset_octet_stream(&headers);
    if let Ok(Some(checksum)) = tus::parse_checksum(&headers) {
        assert!(matches!(checksum.digest.len(), 20 | 32));
    }
    let Ok(metadata) = tus::parse_metadata(&headers) else {
        return;
    };
    if let Some(filetype) = &metadata.filetype {
        assert!(filetype.len() <= 100 && filetype.contains('/'));
    }
    let Some(name) = metadata.filename else {
        return;
    };
    let answered = tus::format_metadata(&name, metadata.filetype.as_deref());
    let value = HeaderValue::from_str(&answered).expect("base64 is header text");
    let mut again = HeaderMap::new();
    again.insert(tus::UPLOAD_METADATA, value);
    let reread = tus::parse_metadata(&again).expect("our own metadata parses");
    assert_eq!(reread.filename.as_deref(), Some(name.as_str()));
    assert_eq!(reread.filetype, metadata.filetype);

    let kept = filename::sanitize(&name);
    assert!(!kept.is_empty() && kept.chars().count() <= 200);
    assert!(!kept.contains(['/', '\\']) && kept != "." && kept != "..");
    assert!(!kept.chars().any(char::is_control));
    assert!(!filename::title_from(&kept).is_empty());
    for attachment in [false, true] {
        HeaderValue::from_str(&content_disposition(&kept, attachment))
            .expect("a disposition is header text");
    }
}

/// ffprobe's JSON for an upload (the file chooses much of it: codec names,
/// tags, rates, sizes). An accepted file is within every limit, and the
/// playable-copy decision takes any accepted summary.
pub fn probe_json(data: &[u8]) {
    let Ok(output) = probe::ProbeOutput::parse(data) else {
        return;
    };
    let Ok(mut summary) = output.summarize() else {
        return;
    };
    let facts = &summary.facts;
    let duration = facts.duration_secs.unwrap_or(0.0);
    assert!((0.0..=probe::MAX_DURATION_SECS).contains(&duration));
    if let Some(fps) = summary.frame_rate {
        assert!(fps > 0.0 && fps <= probe::MAX_FRAME_RATE);
    }
    let pixels = u64::from(facts.width.unwrap_or(0)) * u64::from(facts.height.unwrap_or(0));
    assert!(pixels <= probe::MAX_PIXELS);
    if let Some(codec) = &facts.video_codec {
        assert!(probe::ALLOWED_VIDEO_CODECS.contains(&codec.as_str()));
    }
    for faststart in [None, Some(false), Some(true)] {
        summary.faststart = faststart;
        let _ = decide::decide(&summary);
    }
}

/// What ffprobe and ffmpeg print about a file, which the file's bytes
/// steer: an edit source's facts (JSON), its keyframe times (packet lines,
/// read in chunks as they stream in) and a loudness report. The first byte
/// picks the parser (and the chunk size). Whatever they read must be a
/// number ffmpeg's next run can take.
pub fn ffmpeg_reports(data: &[u8]) {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    match pick % 3 {
        0 => {
            if let Some(secs) = edit::fuzzing::frame_secs(text) {
                assert!(secs.is_finite() && secs > 0.0, "one frame lasts {secs} s");
            }
        }
        1 => {
            let times = edit::fuzzing::keyframes(text, usize::from(pick / 3) + 1);
            assert!(times.iter().all(|t| t.is_finite() && *t >= 0.0));
            assert!(times.windows(2).all(|w| w[0] < w[1]), "sorted, once each");
            let whole = edit::fuzzing::keyframes(text, text.len());
            assert_eq!(times, whole, "chunks read as the whole output does");
        }
        _ => {
            let Ok(text) = std::str::from_utf8(text) else {
                return;
            };
            if let Ok(measured) = loudness::parse_report(text) {
                let filter = loudness::apply_filter(-16.0, &measured);
                assert!(
                    !filter.contains("inf") && !filter.contains("NaN"),
                    "{filter}"
                );
            }
        }
    }
}

/// The top-level MP4 box headers of an uploaded file (where `moov` is).
/// Reading from memory never fails, whatever the sizes claim.
pub fn mp4_boxes(data: &[u8]) {
    let mut file = std::io::Cursor::new(data);
    let len = data.len() as u64;
    runtime()
        .block_on(mp4_index::moov_before_mdat(&mut file, len))
        .expect("in-memory reads cannot fail");
}

/// A WebVTT thumbnails track. Cues have ordered, finite times and tiles
/// with an area; what the scrub job would write for them reads back the same.
pub fn thumbnails_vtt(data: &[u8]) {
    // The service refuses a track that is not UTF-8 before parsing it.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cues) = vtt::parse_thumbnails(text) else {
        return;
    };
    let mut written = String::from("WEBVTT\n");
    for cue in &cues {
        assert!(cue.start.is_finite() && 0.0 <= cue.start && cue.start <= cue.end);
        assert!(cue.tile.is_none_or(|t| t.w > 0 && t.h > 0));
        assert!(!cue.image.contains('#'));
        let _ = vtt::cue_at(&cues, cue.start);
        let _ = vtt::resolve("/files/a/thumbnails", &cue.image);
        // Past about 280 years, f64 seconds no longer hold whole
        // milliseconds; the scrub job writes media lengths, not those.
        if cue.end >= 1e10 {
            return;
        }
        let ms = |secs: f64| (secs * 1000.0).round() as u64;
        written.push_str(&format!(
            "\n{} --> {}\nx",
            scrub::vtt_time(ms(cue.start)),
            scrub::vtt_time(ms(cue.end)),
        ));
        if let Some(t) = cue.tile {
            written.push_str(&format!("#xywh={},{},{},{}", t.x, t.y, t.w, t.h));
        }
        written.push('\n');
    }
    let reread = vtt::parse_thumbnails(&written).expect("what we write is WebVTT");
    assert_eq!(reread.len(), cues.len());
    for (a, b) in cues.iter().zip(&reread) {
        assert!((a.start - b.start).abs() < 0.001 && (a.end - b.end).abs() < 0.001);
        assert_eq!(a.tile, b.tile);
    }
}

/// The library's query: as a link (`from_query_string`, what the page
/// reads) and as `list_library`'s form body (what the server function
/// decodes). A link always shows a page the server accepts and survives
/// being shared; a query the server accepts searches with quoted words only.
pub fn library_query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let query = LibraryQuery::from_query_string(&text);
    assert!(query.validate().is_ok(), "{query:?}");
    assert_eq!(
        LibraryQuery::from_query_string(&query.to_query_string()),
        query
    );

    let Some(query) = runtime().block_on(list_library_args(data)) else {
        return;
    };
    if query.validate().is_err() {
        return;
    }
    assert!(query.q.chars().count() <= MAX_SEARCH_CHARS);
    if let Some(expression) = search_expression(&query.q) {
        for term in expression.split(' ') {
            let word = term
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix("\"*"))
                .expect("each term is a quoted prefix");
            assert!(!word.is_empty() && word.chars().all(char::is_alphanumeric));
        }
    }
}

/// `list_library`'s arguments decoded as the server function decodes its
/// form body (server_fn's `PostUrl`); `None` when it refuses them.
async fn list_library_args(body: &[u8]) -> Option<LibraryQuery> {
    use server_fn::codec::{FromReq, PostUrl};
    let request = axum::http::Request::post("/api/list_library")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body.to_vec()))
        .expect("a valid request");
    let args = <ListLibrary as FromReq<PostUrl, _, ApiError>>::from_req(request).await;
    args.ok().map(|args| args.query)
}

#[cfg(test)]
mod tests {
    /// Every committed seed passes its target's checks, so the seeds and the
    /// fuzz functions stay in step without running the fuzzer.
    #[test]
    fn the_seeds_hold_every_invariant() {
        type Check = fn(&[u8]);
        let targets: [(&str, Check); 7] = [
            ("ranges", super::ranges),
            ("tus_headers", super::tus_headers),
            ("direct_request", super::direct_request),
            ("probe_json", super::probe_json),
            ("mp4_boxes", super::mp4_boxes),
            ("thumbnails_vtt", super::thumbnails_vtt),
            ("library_query", super::library_query),
        ];
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
        for (target, check) in targets {
            let dir = std::fs::read_dir(seeds.join(target)).expect("a seed directory");
            for seed in dir {
                let path = seed.expect("an entry").path();
                check(&std::fs::read(&path).expect("a readable seed"));
            }
        }
    }
}
