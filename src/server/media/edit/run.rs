//! Running an edit: cut points, the recipe's ffmpeg runs with progress,
//! the time limit, and removal of the output on any failure.

use super::*;

impl Media {
    /// Where a fast (stream copy) cut can start in `input`: the first video
    /// stream's keyframes read from packet flags (no decoding), or, for
    /// audio whose every packet stands alone, anywhere.
    pub(crate) async fn cut_points(
        &self,
        input: &Path,
        demuxer: &str,
        kind: MediaKind,
    ) -> Result<CutPoints, MediaError> {
        match kind {
            MediaKind::Audio => {
                let facts = self.source_facts(input, demuxer).await?;
                let anywhere = facts
                    .audio_codec
                    .as_deref()
                    .is_some_and(|c| CUT_ANYWHERE_CODECS.contains(&c) || c.starts_with("pcm_"));
                Ok(CutPoints {
                    keyframes: Vec::new(),
                    anywhere,
                })
            }
            MediaKind::Video => {
                let mut parser = KeyframeParser::default();
                self.probes
                    .run_streaming(
                        Tool::Ffprobe,
                        args::keyframe_probe_args(input, demuxer),
                        CUT_POINTS_LIMIT,
                        |chunk| parser.feed(chunk),
                    )
                    .await?;
                Ok(CutPoints {
                    keyframes: parser.finish(),
                    anywhere: false,
                })
            }
        }
    }

    pub(super) async fn source_facts(
        &self,
        input: &Path,
        demuxer: &str,
    ) -> Result<SourceFacts, MediaError> {
        let output = self
            .probes
            .run(
                Tool::Ffprobe,
                args::facts_probe_args(input, demuxer),
                crate::server::media::PROBE_LIMIT,
            )
            .await?;
        SourceFacts::parse(&output.stdout).ok_or_else(|| {
            MediaError::BadEdit("ffprobe's answer about the source is not readable".into())
        })
    }

    /// Runs `plan` on `source`, writing `output`, reporting progress 0..=1;
    /// checks the result by probing it. The whole edit stops after the job
    /// limit; on any error, timeout or cancellation `output` is removed.
    pub(crate) async fn run_edit<F>(
        &self,
        plan: &EditPlan,
        source: &EditSource<'_>,
        output: &Path,
        mut on_progress: F,
    ) -> Result<EditResult, MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let mut guard = crate::server::media::safety::RemoveOnDrop::new(output);
        let limit = self.job_limit;
        let result = tokio::time::timeout(limit, self.edit(plan, source, output, &mut on_progress))
            .await
            .map_err(|_| ProcessError::Timeout {
                tool: Tool::Ffmpeg,
                limit,
            })??;
        guard.disarm();
        Ok(result)
    }

    pub(super) async fn edit<F>(
        &self,
        plan: &EditPlan,
        source: &EditSource<'_>,
        output: &Path,
        on_progress: &mut F,
    ) -> Result<EditResult, MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let facts = self.source_facts(source.input, source.demuxer).await?;
        let mut recipe = recipe(plan, source, &facts).map_err(MediaError::BadEdit)?;
        let mut before = None;
        // Shares of the progress bar: measuring, writing, measuring again.
        let (write_from, write_to) = match recipe.loudness_target {
            Some(target) => {
                let measured = self
                    .measure(
                        source.input,
                        source.demuxer,
                        target,
                        source.duration_secs,
                        (0.0, 0.45),
                        on_progress,
                    )
                    .await?;
                if let Some(audio) = &mut recipe.encode.audio {
                    audio.filter = Some(loudness::apply_filter(target, &measured));
                }
                before = Some(measured.integrated);
                (0.45, 0.9)
            }
            None => (0.0, 1.0),
        };
        self.run_with_progress(
            recipe.encode.args(source.input, source.demuxer, output),
            recipe.output_secs,
            (write_from, write_to),
            on_progress,
        )
        .await?;
        let written = match self.probe(output).await {
            Ok(probe) => probe,
            Err(MediaError::Rejected(why)) => {
                return Err(MediaError::BadEdit(format!("ffprobe refuses it: {why}")));
            }
            Err(e) => return Err(e),
        };
        check_output(&recipe.expected, &written).map_err(MediaError::BadEdit)?;
        let mut note = String::new();
        if let (Some(target), Some(before)) = (recipe.loudness_target, before) {
            let after = self
                .measure(
                    output,
                    &written.facts.container,
                    target,
                    written.facts.duration_secs.unwrap_or(recipe.output_secs),
                    (0.9, 1.0),
                    on_progress,
                )
                .await?;
            note = format!(
                "Loudness {} → {}",
                loudness::lufs_label(before),
                loudness::lufs_label(after.integrated)
            );
        }
        on_progress(1.0);
        Ok(EditResult { note })
    }

    /// The integrated loudness (LUFS) of `input`'s first sound stream, for
    /// playback level matching; `None` when it is silent.
    pub(crate) async fn integrated_loudness(
        &self,
        input: &Path,
        demuxer: &str,
        duration_secs: f64,
    ) -> Result<Option<f64>, MediaError> {
        let args = args::analysis_args(input, demuxer, loudness::INGEST_FILTER);
        match self
            .run_with_progress(args, duration_secs, (0.0, 1.0), &mut |_| {})
            .await
        {
            Ok(output) => match loudness::parse_ebur128_summary(&output.stderr) {
                Ok(lufs) => return Ok(lufs),
                Err(e) => {
                    tracing::warn!(error = %e, "ebur128 gave no loudness; measuring with loudnorm")
                }
            },
            // ebur128 cannot follow a stream whose format changes midway
            // (filter re-initialisation); loudnorm's pass can.
            Err(MediaError::Process(ProcessError::Status { stderr, .. })) => {
                tracing::warn!(%stderr, "ebur128 failed; measuring with loudnorm");
            }
            Err(e) => return Err(e),
        }
        // The target only shapes loudnorm's plan, not what it measures.
        let measured = self
            .measure(
                input,
                demuxer,
                -23.0,
                duration_secs,
                (0.0, 1.0),
                &mut |_| {},
            )
            .await;
        match measured {
            Ok(l) => Ok(Some(l.integrated).filter(|i| i.is_finite())),
            Err(MediaError::BadEdit(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A `loudnorm` analysis pass over `input`'s first sound stream.
    pub(super) async fn measure<F>(
        &self,
        input: &Path,
        demuxer: &str,
        target: f64,
        duration_secs: f64,
        share: (f64, f64),
        on_progress: &mut F,
    ) -> Result<Loudness, MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let filter = loudness::analysis_filter(target);
        let output = self
            .run_with_progress(
                args::analysis_args(input, demuxer, &filter),
                duration_secs,
                share,
                on_progress,
            )
            .await?;
        loudness::parse_report(&output.stderr)
            .map_err(|e| MediaError::BadEdit(format!("cannot measure the loudness: {e}")))
    }

    /// One ffmpeg run with `-progress pipe:1`, mapped into `share` of the bar.
    pub(super) async fn run_with_progress<F>(
        &self,
        args: Vec<std::ffi::OsString>,
        output_secs: f64,
        (from, to): (f64, f64),
        on_progress: &mut F,
    ) -> Result<crate::server::media::process::Output, MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let mut progress = ProgressParser::new(Some(output_secs));
        let output = self
            .runner
            .run_streaming(Tool::Ffmpeg, args, self.job_limit, |chunk| {
                if let Some(done) = progress.feed(chunk) {
                    on_progress(from + (to - from) * done);
                }
            })
            .await?;
        Ok(output)
    }
}

/// Public for the timing test: the ffmpeg arguments `run_edit` uses for
/// `plan` (the writing pass), given the source's facts as `run_edit` reads
/// them. Normalising adds measuring passes around this one.
#[cfg(test)]
pub(crate) async fn edit_args(
    media: &Media,
    plan: &EditPlan,
    source: &EditSource<'_>,
    output: &Path,
) -> Result<Vec<std::ffi::OsString>, MediaError> {
    let facts = media.source_facts(source.input, source.demuxer).await?;
    let recipe = recipe(plan, source, &facts).map_err(MediaError::BadEdit)?;
    Ok(recipe.encode.args(source.input, source.demuxer, output))
}
