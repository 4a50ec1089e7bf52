//! Edits refused with reasons, a cancelled edit, and the timing benchmark.

use super::*;

#[tokio::test]
async fn invalid_edits_are_refused_with_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sound = tone(dir.path(), "tone.wav", 3, -10);
    let clip = video(dir.path(), "clip.mp4", 2, "160x120", 25);
    let silent = silent_video(dir.path());
    let (ps, pc, pq) = (
        probe(&sound).await,
        probe(&clip).await,
        probe(&silent).await,
    );
    let (audio, video, mute) = (
        source(&sound, &ps),
        source(&clip, &pc),
        source(&silent, &pq),
    );
    let cases: Vec<(&EditSource<'_>, EditRequest, &str)> = vec![
        (&audio, trim(2.0, 1.0, CutMode::Exact), "before the start"),
        (&audio, trim(1.0, 1.0, CutMode::Exact), "the same"),
        (&audio, trim(1.0, 1.05, CutMode::Exact), "too short"),
        (&audio, trim(1.0, 9.0, CutMode::Exact), "past the end"),
        (
            &audio,
            trim(-1.0, 1.0, CutMode::Exact),
            "before the beginning",
        ),
        (
            &audio,
            trim(f64::NAN, 1.0, CutMode::Fast),
            "times in the recording",
        ),
        (
            &audio,
            EditRequest::Export {
                format: ExportFormat::Mp4,
                height: None,
            },
            "video format",
        ),
        (
            &audio,
            EditRequest::Export {
                format: ExportFormat::Mp3,
                height: Some(ExportHeight::P480),
            },
            "Only a video",
        ),
        (
            &video,
            EditRequest::Export {
                format: ExportFormat::Mp3,
                height: None,
            },
            "extract its audio",
        ),
        (
            &video,
            EditRequest::Normalize {
                target: LoudnessTarget::Podcast,
            },
            "for audio items",
        ),
        (
            &mute,
            EditRequest::ExtractAudio {
                format: ExportFormat::Mp3,
            },
            "no sound",
        ),
        (
            &audio,
            EditRequest::ExtractAudio {
                format: ExportFormat::Mp3,
            },
            "already audio",
        ),
        (
            &video,
            EditRequest::ExtractAudio {
                format: ExportFormat::Webm,
            },
            "audio format",
        ),
        (&video, trim(0.0, 1.0, CutMode::Fast), "keyframes"),
    ];
    for (src, request, expected) in cases {
        let refusal = plan_edit(src, &request, None).expect_err("refused");
        let text = refusal.to_string();
        assert!(text.contains(expected), "{request:?}: {text}");
    }
    // The end may overshoot the probed duration by a hair (players round).
    let plan = plan_edit(&audio, &trim(1.0, 3.01, CutMode::Exact), None).expect("ok");
    match plan.request {
        EditRequest::Trim { end_secs, .. } => assert!(end_secs <= audio.duration_secs),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_cancelled_edit_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = video(dir.path(), "long.mp4", 30, "1280x720", 50);
    let media = media();
    let p = media.probe(&input).await.expect("probe");
    let src = source(&input, &p);
    let plan = plan_edit(
        &src,
        &EditRequest::Export {
            format: ExportFormat::Webm,
            height: None,
        },
        None,
    )
    .expect("valid");
    let output = dir.path().join("cancelled.webm");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = media.run_edit(&plan, &src, &output, move |share| {
        let _ = tx.send(share);
    });
    let started = async {
        while let Some(share) = rx.recv().await {
            if share > 0.0 {
                return share;
            }
        }
        panic!("progress stopped before starting");
    };
    tokio::select! {
        result = run => panic!("the edit finished first: {result:?}"),
        share = started => assert!(share > 0.0 && share < 1.0, "{share}"),
    }
    // The run future is dropped here: ffmpeg is killed, the guard removes
    // what it wrote.
    assert!(!output.exists(), "no half-written output is left");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!output.exists(), "nothing writes it afterwards");
}

/// Timing (run by `bench/edit.py`): a fast and an exact 60 s cut of a
/// 10-minute 720p H.264 video with a keyframe every 2 s, through `run_edit`
/// and by hand with the identical ffmpeg arguments.
#[tokio::test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn bench_edit_timings() {
    let dir = std::env::var_os("REEL_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("reel-edit-bench"));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let input = dir.join("ten-minutes-720p.mp4");
    if !input.exists() {
        let started = Instant::now();
        let partial = dir.join("partial.mp4");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30:duration=600",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:duration=600",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "60",
            "-keyint_min",
            "60",
            "-sc_threshold",
            "0",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            partial.to_str().expect("utf-8"),
        ]);
        std::fs::rename(&partial, &input).expect("rename");
        println!(
            "generated the input in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let media = Media::new(1, Duration::from_secs(1800));
    let p = media.probe(&input).await.expect("probe");
    let src = source(&input, &p);
    let started = Instant::now();
    let points = media
        .cut_points(&input, &p.facts.container, p.facts.kind)
        .await
        .expect("cut points");
    println!(
        "cut_points: {} keyframes in {:.2} s",
        points.keyframes.len(),
        started.elapsed().as_secs_f64()
    );
    for (label, request) in [
        ("fast cut 60 s from 4:00", trim(240.0, 300.0, CutMode::Fast)),
        (
            "exact cut 60 s from 4:00.5",
            trim(240.5, 300.5, CutMode::Exact),
        ),
    ] {
        let plan = plan_edit(&src, &request, Some(&points)).expect("valid");
        let output = dir.join(format!("reel.{}", plan.extension));
        let started = Instant::now();
        media
            .run_edit(&plan, &src, &output, |_| {})
            .await
            .expect("edit runs");
        let reel = started.elapsed().as_secs_f64();
        let d = media
            .probe(&output)
            .await
            .expect("probe")
            .facts
            .duration_secs
            .unwrap_or(0.0);

        let by_hand_out = dir.join(format!("by-hand.{}", plan.extension));
        let args = edit_args(&media, &plan, &src, &by_hand_out)
            .await
            .expect("args");
        let started = Instant::now();
        let status = Command::new("ffmpeg")
            .args(&args)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("ffmpeg runs");
        let by_hand = started.elapsed().as_secs_f64();
        assert!(status.success());
        println!(
            "{label}: run_edit {reel:.2} s (output {d:.3} s long), ffmpeg by hand {by_hand:.2} s"
        );
        println!(
            "  ffmpeg {}",
            args.iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let _ = std::fs::remove_file(&output);
        let _ = std::fs::remove_file(&by_hand_out);
    }
}
