//! Reading workers: whole-file streams, random byte ranges, page renders and
//! searches until the deadline, and event streams held open until told to
//! stop. Every answer is checked, not only timed.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, watch};

use crate::client::Reel;
use crate::run::{Run, Stored};
use crate::stats::{Kind, Recorder};
use crate::verify::{self, Span};
use reel::testing::media::Dice;

/// The longest single range asked for (players ask for windows, not files).
const MAX_RANGE: u64 = 256 * 1024;

/// Whole files, each checked byte for byte.
pub(crate) async fn streams(run: Arc<Run>, seed: u64) -> Recorder {
    let mut rec = Recorder::default();
    let mut dice = Dice::seeded(seed);
    while run.running() {
        let Some(file) = run.pick(dice.roll()) else {
            break;
        };
        let started = Instant::now();
        let outcome = run
            .reel
            .bytes(&file.url, None)
            .await
            .and_then(|(status, headers, body)| {
                verify::whole(&file.bytes, status, &headers, &body)
            });
        rec.note(
            Kind::Stream,
            started.elapsed(),
            outcome.map_err(|e| format!("{}: {e}", file.id)),
        );
    }
    rec
}

/// Random ranges: mostly `a-b`, some open (`a-`), some suffixes (`-n`)
/// and some two-range requests answered as multipart/byteranges.
pub(crate) async fn ranges(run: Arc<Run>, seed: u64) -> Recorder {
    let mut rec = Recorder::default();
    let mut dice = Dice::seeded(seed);
    while run.running() {
        let Some(file) = run.pick(dice.roll()) else {
            break;
        };
        let (header, spans) = random_ranges(&mut dice, file.bytes.len() as u64);
        let started = Instant::now();
        let outcome =
            run.reel
                .bytes(&file.url, Some(&header))
                .await
                .and_then(|(status, headers, body)| match spans.as_slice() {
                    [one] => verify::single(&file.bytes, *one, status, &headers, &body),
                    several => verify::multiple(&file.bytes, several, status, &headers, &body),
                });
        let outcome = outcome.map_err(|e| format!("{} Range: {header}: {e}", file.id));
        rec.note(Kind::Range, started.elapsed(), outcome);
    }
    rec
}

/// A `Range` header for a file of `len` bytes (at least a few KB) and the
/// spans the answer must carry.
fn random_ranges(dice: &mut Dice, len: u64) -> (String, Vec<Span>) {
    let span = |start: u64, end: u64| Span {
        start: start as usize,
        end: end as usize,
    };
    match dice.below(10) {
        0..=6 => {
            let start = dice.below(len);
            let end = start + dice.below((len - start).min(MAX_RANGE));
            (format!("bytes={start}-{end}"), vec![span(start, end)])
        }
        7 => {
            let start = len - 1 - dice.below(len.min(MAX_RANGE));
            (format!("bytes={start}-"), vec![span(start, len - 1)])
        }
        8 => {
            let count = 1 + dice.below(len.min(MAX_RANGE));
            (format!("bytes=-{count}"), vec![span(len - count, len - 1)])
        }
        _ => {
            // Two ranges with a gap between them (adjacent ones are merged).
            let third = len / 3;
            let first_start = dice.below(third);
            let first_end = first_start + dice.below(third - first_start);
            let second_start = third + 1 + dice.below(third);
            let second_end = second_start + dice.below((len - second_start).min(MAX_RANGE));
            (
                format!("bytes={first_start}-{first_end}, {second_start}-{second_end}"),
                vec![span(first_start, first_end), span(second_start, second_end)],
            )
        }
    }
}

/// Server-rendered pages and the library's search, in turn.
pub(crate) async fn pages(run: Arc<Run>, seed: u64) -> Recorder {
    let mut rec = Recorder::default();
    let mut dice = Dice::seeded(seed);
    let mut turn = dice.below(5);
    while run.running() {
        let Some(file) = run.pick(dice.roll()) else {
            break;
        };
        turn += 1;
        let started = Instant::now();
        let (kind, outcome) = match turn % 5 {
            0 => (Kind::Page, run.reel.page("/").await.map(drop)),
            1 => (
                Kind::Page,
                run.reel
                    .page("/?q=load+tone&sort=title&page=2")
                    .await
                    .map(drop),
            ),
            2 => (Kind::Page, item_page(&run, &file).await),
            3 => (Kind::Search, find_only(&run, &file).await),
            _ => (Kind::Search, run.reel.search("tone", 100).await.map(drop)),
        };
        rec.note(kind, started.elapsed(), outcome);
    }
    rec
}

/// An item's page names the item.
async fn item_page(run: &Run, file: &Stored) -> Result<(), String> {
    let html = run.reel.page(&format!("/media/{}", file.id)).await?;
    if html.contains(&file.word) {
        Ok(())
    } else {
        Err(format!(
            "the page of {} does not show {:?}",
            file.id, file.word
        ))
    }
}

/// A search for the word only one file's name holds finds that file alone.
async fn find_only(run: &Run, file: &Stored) -> Result<(), String> {
    let page = run.reel.search(&file.word, 10).await?;
    let found: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
    if page.total == 1 && found == [file.id.as_str()] {
        Ok(())
    } else {
        Err(format!(
            "searching {:?} found {found:?} (total {}), wanted only {}",
            file.word, page.total, file.id
        ))
    }
}

/// What one event stream heard while it was held open.
#[derive(Default)]
pub(crate) struct Heard {
    pub(crate) media_events: u64,
    pub(crate) resyncs: u64,
    /// When and why the stream ended, if it did before it was let go (the
    /// server ends every stream when it stops; before that, none may end).
    pub(crate) ended: Option<(Instant, String)>,
}

/// Opens `GET /api/events`, says so on `opened` (by dropping it), and
/// reads it until `stop`.
pub(crate) async fn events(
    reel: Reel,
    opened: mpsc::Sender<()>,
    mut stop: watch::Receiver<bool>,
) -> (Recorder, Heard) {
    let mut rec = Recorder::default();
    let mut heard = Heard::default();
    let started = Instant::now();
    let answer = reel.events().await;
    let Some(mut answer) = rec.note(Kind::EventsOpen, started.elapsed(), answer) else {
        heard.ended = Some((Instant::now(), "it did not open".into()));
        return (rec, heard);
    };
    drop(opened);
    let mut unfinished_line = Vec::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            chunk = answer.chunk() => match chunk {
                Ok(Some(bytes)) => {
                    unfinished_line.extend_from_slice(&bytes);
                    while let Some(end) = unfinished_line.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = unfinished_line.drain(..=end).collect();
                        match line.as_slice() {
                            b"event: media\n" | b"event:media\n" => heard.media_events += 1,
                            b"event: resync\n" | b"event:resync\n" => heard.resyncs += 1,
                            _ => {}
                        }
                    }
                }
                Ok(None) => {
                    heard.ended = Some((Instant::now(), "the server ended it".into()));
                    break;
                }
                Err(e) => {
                    heard.ended = Some((Instant::now(), format!("reading it failed: {e}")));
                    break;
                }
            },
        }
    }
    (rec, heard)
}
