//! Unit tests of the ladder decision and its command line.

use super::*;
use crate::server::domain::MediaFacts;
use crate::server::media::decide::{self, AudioAction, OutputFormat};

fn video(codec: &str, width: u32, height: u32) -> ProbeSummary {
    ProbeSummary {
        facts: MediaFacts {
            kind: MediaKind::Video,
            container: "matroska".into(),
            content_type: "video/x-matroska".into(),
            duration_secs: Some(60.0),
            width: Some(width),
            height: Some(height),
            video_codec: Some(codec.into()),
            audio_codec: Some("aac".into()),
            cover_stream: None,
        },
        pixel_format: Some("yuv420p".into()),
        frame_rate: Some(30.0),
        bit_depth: Some(8),
        audio_channels: Some(2),
        faststart: None,
        video_bit_rate: None,
        described: Default::default(),
    }
}

fn transcode() -> PlayablePlan {
    PlayablePlan::Convert(Conversion {
        remux_only: false,
        output: OutputFormat::Mp4,
        video: Some(VideoAction::H264 { max_fps: None }),
        audio: Some(AudioAction::Copy),
        reasons: Vec::new(),
    })
}

fn sides(plan: &LadderPlan) -> Vec<u32> {
    plan.rungs.iter().map(|r| r.short_side).collect()
}

#[test]
fn a_video_browsers_cannot_play_gets_every_rung_up_to_its_size_and_never_above() {
    let hevc = video("hevc", 1920, 1080);
    let plan = plan(&hevc, &decide::decide(&hevc)).expect("a ladder");
    assert_eq!(sides(&plan), [1080, 720, 480, 360]);
    assert!(plan.audio);
    assert_eq!(plan.streams(), 5);

    let small = video("hevc", 1280, 720);
    assert_eq!(sides(&plan_for(&small)), [720, 480, 360]);
    // Never upscaled: a 240p source gets one rung, its own size.
    let tiny = video("hevc", 320, 240);
    assert_eq!(sides(&plan_for(&tiny)), [240]);
    // 4K is capped at 1080p.
    let uhd = video("hevc", 3840, 2160);
    assert_eq!(sides(&plan_for(&uhd)), [1080, 720, 480, 360]);
    // A rung barely smaller than the top one is left out.
    let odd = video("hevc", 1360, 760);
    assert_eq!(sides(&plan_for(&odd)), [760, 480, 360]);
}

fn plan_for(probe: &ProbeSummary) -> LadderPlan {
    plan(probe, &transcode()).expect("a ladder")
}

#[test]
fn portrait_and_odd_sizes_use_the_short_side() {
    let portrait = video("hevc", 1080, 1920);
    assert_eq!(sides(&plan_for(&portrait)), [1080, 720, 480, 360]);
    let odd = video("hevc", 641, 361);
    assert_eq!(sides(&plan_for(&odd)), [360]);
}

#[test]
fn browser_ready_originals_get_a_ladder_only_when_large() {
    let small = video("h264", 1280, 720);
    assert_eq!(plan(&small, &PlayablePlan::Original), None);
    let large = video("h264", 1920, 1080);
    assert_eq!(
        sides(&plan(&large, &PlayablePlan::Original).expect("a ladder")),
        [1080, 720, 480, 360]
    );
    let fast = ProbeSummary {
        video_bit_rate: Some(12_000_000),
        ..small.clone()
    };
    assert!(plan(&fast, &PlayablePlan::Original).is_some());
    let mut audio = video("h264", 1, 1);
    audio.facts.kind = MediaKind::Audio;
    assert_eq!(plan(&audio, &transcode()), None);
}

#[test]
fn rates_follow_size_and_frame_rate_and_never_exceed_the_source() {
    let hd = plan_for(&video("hevc", 1920, 1080));
    let kbps: Vec<u32> = hd.rungs.iter().map(|r| r.kbps).collect();
    assert!(kbps.windows(2).all(|w| w[0] > w[1]), "{kbps:?}");
    assert!((4500..5500).contains(&kbps[0]), "{kbps:?}");
    let fast = plan_for(&ProbeSummary {
        frame_rate: Some(60.0),
        ..video("hevc", 1920, 1080)
    });
    assert!(fast.rungs[0].kbps > kbps[0]);
    assert!(fast.rungs[0].kbps < 2 * kbps[0]);
    // A 1 Mb/s source gets no rung faster than itself.
    let thin = plan_for(&ProbeSummary {
        video_bit_rate: Some(1_000_000),
        ..video("hevc", 1920, 1080)
    });
    assert!(thin.rungs.iter().all(|r| r.kbps <= 1000), "{thin:?}");
    assert!(thin.rungs.iter().all(|r| r.kbps >= MIN_KBPS));
    // Above 60 fps the rungs are capped at 60.
    let faster = plan_for(&ProbeSummary {
        frame_rate: Some(120.0),
        ..video("hevc", 1280, 720)
    });
    assert_eq!(faster.max_fps, Some(60));
    assert_eq!(hd.max_fps, None);
}

fn words(args: &[OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_command_maps_every_rung_and_the_shared_sound() {
    let plan = plan_for(&video("hevc", 1280, 720));
    let job = LadderJob {
        input: Path::new("/in/original"),
        demuxer: "matroska",
        plan: &plan,
        duration_secs: Some(60.0),
    };
    let args = words(&job.args(Path::new("/out")));
    let joined = args.join(" ");
    assert!(joined.contains("split=3[s0][s1][s2]"), "{joined}");
    assert!(joined.contains("h='if(gte(iw,ih),480,-2)'"), "{joined}");
    assert_eq!(args.iter().filter(|a| *a == "-map").count(), 4);
    assert!(joined.contains("-force_key_frames expr:gte(t,n_forced*4) -sc_threshold 0"));
    let map = args
        .iter()
        .position(|a| a == "-var_stream_map")
        .map(|i| args[i + 1].clone());
    assert_eq!(
        map.as_deref(),
        Some("v:0,agroup:aud v:1,agroup:aud v:2,agroup:aud a:0,agroup:aud,default:yes")
    );
    assert!(args.ends_with(&[
        "-hls_segment_filename".to_string(),
        "file:/out/v%v.mp4".to_string(),
        "file:/out/v%v.m3u8".to_string(),
    ]));
    // Typed values only: the input is forced as a file with its demuxer.
    assert!(joined.contains("-f matroska -i file:/in/original"));

    let silent = LadderPlan {
        audio: false,
        ..plan.clone()
    };
    let args = words(
        &LadderJob {
            plan: &silent,
            ..job
        }
        .args(Path::new("/out")),
    );
    assert!(!args.iter().any(|a| a == "0:a:0" || a == "aac"));
    assert!(args.iter().any(|a| a == "v:0 v:1 v:2"));
}
