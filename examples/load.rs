//! Load tool (issue #17): drives the real release server with everything at
//! once for a fixed time (multipart and tus uploads of distinct media,
//! whole-file streams, random byte ranges, page renders and searches, and
//! open `/api/events` streams) and checks every answer.
//!
//! ```text
//! cargo leptos build --release --split   # the server and site it starts (as scripts/test.sh builds them)
//! cargo run --features ssr --example load -- --scale small            # CI: 20 s
//! cargo run --release --features ssr --example load -- --scale full   # by hand: 60 s
//! ```
//!
//! Clients per kind, small / full: multipart uploaders 10 / 100, tus
//! uploaders 10 / 100, whole-file streams 10 / 100, range readers 10 / 100,
//! page-and-search clients 4 / 20, event streams 5 / 50; each count has its
//! flag (`--multipart`, `--tus`, `--streams`, `--ranges`, `--pages`,
//! `--events`), as has the duration (`--seconds`).
//!
//! It starts `target/release/reel` (`--server PATH`) with the built site
//! (`--site-root`, default `target/site`) on port 0 over a temp data
//! directory, signs in as the admin, uploads a few seed files, opens the
//! event streams, then runs every other client at once until the time is
//! up. Each upload client sends one new file after another (WAVs written
//! here, each with its own frequency and length, and four MP4s made once by
//! ffmpeg); every upload must become an item whose original, fetched back
//! through `/files`, hashes as sent (and carries that hash as its ETag).
//! Every byte answer, whole or ranged, is compared with the file's bytes;
//! pages must be whole and searches must find exactly the item asked for.
//!
//! It fails (exit status 1, naming each failed check) when a request fails
//! or answers wrongly, a request takes over 10 s, an upload does not become
//! its item, an event stream ends before the server is told to stop, the
//! server's peak RSS (VmHWM) reaches the bound, or the server does not stop
//! cleanly on SIGTERM with the event streams still open. RSS bounds: 256 MiB
//! small, 512 MiB full (`--max-rss-mib`); measured peaks were 77-116 MiB
//! small and 180-210 MiB full on a 2-core machine (ffmpeg runs are separate
//! processes and not counted). It prints p50/p99/max latency per kind,
//! counts, errors, peak RSS, CPU use and the server's warnings as a table,
//! or JSON with `--json`.
//!
//! The debug build of this tool is enough for `small`; at `full` it limits
//! the reads (the release build drove 2-3 times as many whole-file and
//! range requests in the same 60 s on the same machine), so run `full` with
//! `--release`. At `full`, each upload client sends one file
//! (`--uploads-each 1`): the issue's 100 multipart and 100 tus uploads,
//! started at once. On 2 cores, with the readers taking the rest of the
//! CPU, the last of the 200 answers after about 14 s: each upload waits for
//! one ffprobe run, whose start-up alone (215 shared libraries) costs about
//! 46 ms of CPU. 100 uploads at once (`--multipart 50 --tus 50`) stay under
//! 10 s. RELIABILITY.md has the figures.

// A crate root looks for modules beside itself; these live in load/.
#[path = "load/client.rs"]
mod client;
#[path = "load/media.rs"]
mod media;
#[path = "load/readers.rs"]
mod readers;
#[path = "load/report.rs"]
mod report;
#[path = "load/run.rs"]
mod run;
#[path = "load/server.rs"]
mod server;
#[path = "load/stats.rs"]
mod stats;
#[path = "load/uploads.rs"]
mod uploads;
#[path = "load/verify.rs"]
mod verify;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use tokio::sync::{mpsc, watch};

use crate::media::Media;
use crate::run::{Run, Stored};
use crate::stats::Recorder;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Scale {
    /// For CI: ten clients of most kinds, 20 seconds.
    Small,
    /// By hand: a hundred of most kinds, 60 seconds.
    Full,
}

#[derive(Debug, Parser)]
#[command(
    about = "Drives a real Reel server with uploads, streams, ranges, pages and event streams at once"
)]
struct Args {
    #[arg(long, value_enum, default_value = "small")]
    scale: Scale,
    /// Clients uploading through `POST /api/uploads`.
    #[arg(long)]
    multipart: Option<usize>,
    /// Clients uploading through tus.
    #[arg(long)]
    tus: Option<usize>,
    /// Clients reading whole files.
    #[arg(long)]
    streams: Option<usize>,
    /// Clients reading random byte ranges.
    #[arg(long)]
    ranges: Option<usize>,
    /// Clients rendering pages and searching.
    #[arg(long)]
    pages: Option<usize>,
    /// `/api/events` streams held open for the whole run.
    #[arg(long)]
    events: Option<usize>,
    /// Files each upload client sends (0: new ones until the time is up)
    /// [small: 0; full: 1, the issue's 100 multipart and 100 tus uploads
    /// of distinct media, started at once].
    #[arg(long)]
    uploads_each: Option<u64>,
    /// How long the clients keep starting requests.
    #[arg(long)]
    seconds: Option<u64>,
    /// The server's peak resident memory (VmHWM) must stay under this.
    #[arg(long)]
    max_rss_mib: Option<u64>,
    /// The server binary [default: target/release/reel].
    #[arg(long)]
    server: Option<PathBuf>,
    /// The built site it serves [default: target/site].
    #[arg(long)]
    site_root: Option<PathBuf>,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// What one run does, once the scale and the overrides are applied.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) multipart: usize,
    pub(crate) tus: usize,
    pub(crate) streams: usize,
    pub(crate) ranges: usize,
    pub(crate) pages: usize,
    pub(crate) events: usize,
    /// Files per upload client; `None`: until the time is up.
    pub(crate) uploads_each: Option<u64>,
    pub(crate) run_for: Duration,
    pub(crate) max_rss_mib: u64,
}

impl Args {
    fn plan(&self) -> Plan {
        // RSS bounds: over twice the measured peaks (see the doc comment
        // above); a leak or an unbounded buffer breaks them.
        let (base, seconds, max_rss_mib, uploads_each) = match self.scale {
            Scale::Small => ([10, 10, 10, 10, 4, 5], 20, 256, 0),
            Scale::Full => ([100, 100, 100, 100, 20, 50], 60, 512, 1),
        };
        Plan {
            multipart: self.multipart.unwrap_or(base[0]),
            tus: self.tus.unwrap_or(base[1]),
            streams: self.streams.unwrap_or(base[2]),
            ranges: self.ranges.unwrap_or(base[3]),
            pages: self.pages.unwrap_or(base[4]),
            events: self.events.unwrap_or(base[5]),
            uploads_each: Some(self.uploads_each.unwrap_or(uploads_each)).filter(|n| *n > 0),
            run_for: Duration::from_secs(self.seconds.unwrap_or(seconds)),
            max_rss_mib: self.max_rss_mib.unwrap_or(max_rss_mib),
        }
    }
}

/// One worker's loop; its recorder when the deadline has passed.
type Work = std::pin::Pin<Box<dyn std::future::Future<Output = Recorder> + Send>>;
/// Starts a worker's loop, given the run and the seed of its dice.
type Worker = fn(Arc<Run>, u64) -> Work;

/// Long tones read from the start, before any upload of the run is stored.
const SEEDS: u64 = 4;
/// MP4s made once by ffmpeg, uploaded by the first uploads of the run.
const CLIPS: u64 = 4;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match drive(&args).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Sets up, runs and reports; whether every check passed.
async fn drive(args: &Args) -> Result<bool, String> {
    let plan = args.plan();
    let binary = args.server.clone().unwrap_or_else(server::default_binary);
    let site_root = args
        .site_root
        .clone()
        .unwrap_or_else(server::default_site_root);
    if !binary.is_file() {
        return Err(format!(
            "no server at {}: build it with `cargo leptos build --release --split`",
            binary.display()
        ));
    }
    eprintln!("load: {plan:?}");
    let scratch = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let clips = Media::clips(scratch.path(), SEEDS, CLIPS).map_err(|e| format!("clips: {e}"))?;

    let server = server::Server::start(&binary, &site_root).await?;
    eprintln!("load: {} serves at {}", binary.display(), server.origin);
    let cookie = client::sign_in(&server.origin, server::ADMIN, server::ADMIN_PASSWORD).await?;
    let reel = client::Reel::new(&server.origin, &cookie)?;
    let seeds = seed(&reel).await?;
    let memory_before = server
        .memory()
        .ok_or("cannot read the server's /proc status")?;

    // The event streams open first and stay open while everything else runs.
    let (stop_events, stopped) = watch::channel(false);
    let (opened_tx, mut opened) = mpsc::channel(plan.events.max(1));
    let event_streams: Vec<_> = (0..plan.events)
        .map(|_| {
            tokio::spawn(readers::events(
                reel.clone(),
                opened_tx.clone(),
                stopped.clone(),
            ))
        })
        .collect();
    drop(opened_tx);
    while opened.recv().await.is_some() {}

    let cpu_before = [server.cpu(), server.children_cpu(), server::own_cpu()];
    let started = Instant::now();
    let run = Arc::new(Run::new(
        reel,
        started + plan.run_for,
        seeds,
        clips,
        SEEDS + CLIPS,
        plan.uploads_each,
    ));
    eprintln!("load: running for {:?}", plan.run_for);
    let kinds: [(usize, Worker); 5] = [
        (plan.multipart, |run, seed| {
            Box::pin(uploads::multipart(run, seed))
        }),
        (plan.tus, |run, seed| Box::pin(uploads::tus(run, seed))),
        (plan.streams, |run, seed| {
            Box::pin(readers::streams(run, seed))
        }),
        (plan.ranges, |run, seed| {
            Box::pin(readers::ranges(run, seed))
        }),
        (plan.pages, |run, seed| Box::pin(readers::pages(run, seed))),
    ];
    let mut workers = Vec::new();
    for (count, work) in kinds {
        for _ in 0..count {
            // Each worker rolls its own dice, seeded by its number.
            let seed = workers.len() as u64 + 1;
            workers.push(tokio::spawn(work(run.clone(), seed)));
        }
    }

    let mut recorder = Recorder::default();
    for worker in workers {
        recorder.merge(
            worker
                .await
                .map_err(|e| format!("a worker panicked: {e}"))?,
        );
    }
    let elapsed = started.elapsed();
    let cpu_after = [server.cpu(), server.children_cpu(), server::own_cpu()];
    let cpu = report::Cpu::between(cpu_before, cpu_after, elapsed);
    let memory_after = server
        .memory()
        .ok_or("cannot read the server's /proc status")?;
    // The event streams are still open: the server must end them itself
    // when told to stop, and still stop in time.
    let log = server.log.clone();
    let told_to_stop = Instant::now();
    let stopped_cleanly = server.stop().await;
    let _ = stop_events.send(true);
    let mut heard = Vec::new();
    for stream in event_streams {
        let (events_recorder, events_heard) = stream
            .await
            .map_err(|e| format!("an event stream panicked: {e}"))?;
        recorder.merge(events_recorder);
        heard.push(events_heard);
    }

    let outcome = report::Outcome {
        plan: &plan,
        elapsed,
        summaries: recorder.summaries(),
        run: &run,
        heard,
        told_to_stop,
        memory_before,
        memory_after,
        cpu,
        log: &log,
        stopped_cleanly,
    };
    Ok(outcome.print(args.json))
}

/// Uploads the long tones the readers start with, and checks them.
async fn seed(reel: &client::Reel) -> Result<Vec<Stored>, String> {
    let mut seeds = Vec::new();
    for number in 0..SEEDS {
        let media = Media::long_tone(number, 10);
        let created = reel
            .upload(&media)
            .await
            .map_err(|e| format!("seed upload: {e}"))?;
        let (status, headers, body) = reel.bytes(&created.urls.original, None).await?;
        verify::whole(&media.bytes, status, &headers, &body)
            .map_err(|e| format!("seed {}: {e}", media.name))?;
        seeds.push(Stored {
            id: created.id.as_str().to_string(),
            word: media.word,
            url: created.urls.original,
            bytes: media.bytes,
        });
    }
    Ok(seeds)
}
