//! EBU R128 loudness with ffmpeg's `loudnorm` filter: the filter strings for
//! its two passes and a parser for the JSON report it prints on stderr.

use serde::Deserialize;

/// Highest true peak a normalised file may reach, in dBTP.
pub(crate) const TRUE_PEAK: f64 = -1.5;
/// Loudness range target, in LU (loudnorm's default).
pub(crate) const LOUDNESS_RANGE: f64 = 11.0;

/// What one `loudnorm` analysis measured: the input side of its report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Loudness {
    /// Integrated loudness, LUFS.
    pub integrated: f64,
    /// True peak, dBTP.
    pub true_peak: f64,
    /// Loudness range, LU.
    pub range: f64,
    /// Gating threshold, LUFS.
    pub threshold: f64,
    /// Gain loudnorm would add after normalising, LU.
    pub target_offset: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LoudnessError {
    #[error("ffmpeg printed no loudness report")]
    NoReport,
    #[error("the loudness report is not readable: {0}")]
    Unreadable(String),
    /// `-inf`: nothing above the gate, nothing to normalise.
    #[error("the sound is silent")]
    Silent,
}

/// The report's fields are all strings ("-27.61", "-inf").
#[derive(Deserialize)]
struct Report {
    input_i: String,
    input_tp: String,
    input_lra: String,
    input_thresh: String,
    target_offset: String,
}

/// The first pass: measure only (`-f null`).
pub(crate) fn analysis_filter(target_lufs: f64) -> String {
    format!(
        "loudnorm=I={target_lufs:.1}:TP={TRUE_PEAK:.1}:LRA={LOUDNESS_RANGE:.1}:print_format=json"
    )
}

/// The second pass: apply the gain the first pass measured, linearly (one
/// gain for the whole file) when loudnorm can keep within the true peak.
pub(crate) fn apply_filter(target_lufs: f64, measured: &Loudness) -> String {
    format!(
        "loudnorm=I={target_lufs:.1}:TP={TRUE_PEAK:.1}:LRA={LOUDNESS_RANGE:.1}\
         :measured_I={:.2}:measured_TP={:.2}:measured_LRA={:.2}\
         :measured_thresh={:.2}:offset={:.2}:linear=true:print_format=summary",
        measured.integrated,
        measured.true_peak,
        measured.range,
        measured.threshold,
        measured.target_offset,
    )
}

/// Reads the last JSON object in ffmpeg's stderr (loudnorm prints it last,
/// after a `[Parsed_loudnorm_0 @ …]` line).
pub(crate) fn parse_report(stderr: &str) -> Result<Loudness, LoudnessError> {
    let end = stderr.rfind('}').ok_or(LoudnessError::NoReport)?;
    let start = stderr[..end].rfind('{').ok_or(LoudnessError::NoReport)?;
    let report: Report = serde_json::from_str(&stderr[start..=end])
        .map_err(|e| LoudnessError::Unreadable(e.to_string()))?;
    let number = |name: &str, text: &str| -> Result<f64, LoudnessError> {
        match text.trim() {
            "-inf" => Ok(f64::NEG_INFINITY),
            "inf" | "+inf" => Ok(f64::INFINITY),
            other => other
                .parse::<f64>()
                .map_err(|_| LoudnessError::Unreadable(format!("{name} = {other:?}"))),
        }
    };
    let loudness = Loudness {
        integrated: number("input_i", &report.input_i)?,
        true_peak: number("input_tp", &report.input_tp)?,
        range: number("input_lra", &report.input_lra)?,
        threshold: number("input_thresh", &report.input_thresh)?,
        target_offset: number("target_offset", &report.target_offset)?,
    };
    if !loudness.integrated.is_finite() || !loudness.threshold.is_finite() {
        return Err(LoudnessError::Silent);
    }
    for value in [loudness.true_peak, loudness.range, loudness.target_offset] {
        if value.is_nan() {
            return Err(LoudnessError::Unreadable("NaN".into()));
        }
    }
    // A silent-but-for-a-click file can report an infinite offset or peak:
    // loudnorm's own limits apply, so clamp to what its options accept.
    Ok(Loudness {
        true_peak: loudness.true_peak.clamp(-99.0, 99.0),
        range: loudness.range.clamp(0.0, 99.0),
        target_offset: loudness.target_offset.clamp(-99.0, 99.0),
        ..loudness
    })
}

/// The ingest measure: ffmpeg's `ebur128` filter (ITU-R BS.1770 integrated
/// loudness, the number level matching needs), its per-frame log kept below
/// ffmpeg's log level. About 15x faster than a `loudnorm` analysis pass,
/// which also resamples to 192 kHz to find the true peak that matching does
/// not use: 0.8 s against 10.6 s for a 4-minute MP3, 4.8 s for a 1-hour talk.
pub(crate) const INGEST_FILTER: &str = "ebur128=framelog=verbose";

/// At or below this, `ebur128` found nothing above its absolute gate.
const SILENT_LUFS: f64 = -70.0;

/// Reads the integrated loudness from `ebur128`'s summary (`I: -31.5 LUFS`
/// after `Integrated loudness:`, printed last); `None` for silence.
pub(crate) fn parse_ebur128_summary(stderr: &str) -> Result<Option<f64>, LoudnessError> {
    let summary = stderr
        .rfind("Integrated loudness:")
        .map(|at| &stderr[at..])
        .ok_or(LoudnessError::NoReport)?;
    let value = summary
        .lines()
        .skip(1)
        .find_map(|line| line.trim().strip_prefix("I:"))
        .ok_or(LoudnessError::NoReport)?;
    let number = value.trim().trim_end_matches("LUFS").trim();
    let lufs: f64 = number
        .parse()
        .map_err(|_| LoudnessError::Unreadable(format!("I = {number:?}")))?;
    if lufs.is_nan() {
        return Err(LoudnessError::Unreadable("NaN".into()));
    }
    Ok((lufs.is_finite() && lufs > SILENT_LUFS).then_some(lufs))
}

/// "−23.4 LUFS" with a real minus sign, for people.
pub(crate) fn lufs_label(lufs: f64) -> String {
    let text = format!("{lufs:.1}");
    match text.strip_prefix('-') {
        Some(rest) if rest != "0.0" => format!("\u{2212}{rest} LUFS"),
        Some(rest) => format!("{rest} LUFS"),
        None => format!("{text} LUFS"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ebur128_summary_gives_the_integrated_loudness() {
        let stderr = "[Parsed_ebur128_0 @ 0x5] Summary:\n\n  Integrated loudness:\n    I:         -31.5 LUFS\n    Threshold: -41.5 LUFS\n\n  Loudness range:\n    LRA:         0.0 LU\n";
        assert_eq!(parse_ebur128_summary(stderr).unwrap(), Some(-31.5));
        let silent = stderr.replace("-31.5 LUFS", "-70.0 LUFS");
        assert_eq!(parse_ebur128_summary(&silent).unwrap(), None);
        assert!(matches!(
            parse_ebur128_summary("Conversion failed!"),
            Err(LoudnessError::NoReport)
        ));
        assert!(matches!(
            parse_ebur128_summary(&stderr.replace("-31.5", "loud")),
            Err(LoudnessError::Unreadable(_))
        ));
    }

    /// The tail of a real ffmpeg 5.1 run (`-v info -hide_banner -nostats`).
    const REPORT: &str = r#"size=N/A time=00:00:05.00 bitrate=N/A speed=67.8x
video:0kB audio:1875kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown
[Parsed_loudnorm_0 @ 0x55b7d2974780] 
{
	"input_i" : "-51.75",
	"input_tp" : "-48.07",
	"input_lra" : "0.00",
	"input_thresh" : "-61.75",
	"output_i" : "-16.03",
	"output_tp" : "-12.28",
	"output_lra" : "0.00",
	"output_thresh" : "-26.03",
	"normalization_type" : "dynamic",
	"target_offset" : "0.03"
}"#;

    #[test]
    fn a_real_report_parses() {
        assert_eq!(
            parse_report(REPORT),
            Ok(Loudness {
                integrated: -51.75,
                true_peak: -48.07,
                range: 0.0,
                threshold: -61.75,
                target_offset: 0.03,
            })
        );
        // Trailing lines and a cut-off start do not matter.
        let cut = format!("{}\n[out#0] done\n", &REPORT[40..]);
        assert!(parse_report(&cut).is_ok());
    }

    #[test]
    fn silence_missing_and_broken_reports_are_errors() {
        let silent = REPORT
            .replace("\"-51.75\"", "\"-inf\"")
            .replace("\"-61.75\"", "\"-inf\"");
        assert_eq!(parse_report(&silent), Err(LoudnessError::Silent));
        assert_eq!(
            parse_report("Error while filtering"),
            Err(LoudnessError::NoReport)
        );
        assert!(matches!(
            parse_report(&REPORT.replace("\"-48.07\"", "\"loud\"")),
            Err(LoudnessError::Unreadable(_))
        ));
        assert!(matches!(
            parse_report("{\"input_i\" : \"-1\"}"),
            Err(LoudnessError::Unreadable(_))
        ));
        assert!(matches!(
            parse_report("{ not json }"),
            Err(LoudnessError::Unreadable(_))
        ));
    }

    #[test]
    fn filters_carry_the_target_and_measurements() {
        assert_eq!(
            analysis_filter(-16.0),
            "loudnorm=I=-16.0:TP=-1.5:LRA=11.0:print_format=json"
        );
        let measured = parse_report(REPORT).expect("parses");
        let filter = apply_filter(-23.0, &measured);
        assert!(filter.starts_with("loudnorm=I=-23.0:TP=-1.5:LRA=11.0:"));
        assert!(filter.contains(":measured_I=-51.75:measured_TP=-48.07:measured_LRA=0.00"));
        assert!(filter.contains(":measured_thresh=-61.75:offset=0.03:linear=true"));
    }

    #[test]
    fn labels_use_a_real_minus() {
        assert_eq!(lufs_label(-23.44), "\u{2212}23.4 LUFS");
        assert_eq!(lufs_label(-16.0), "\u{2212}16.0 LUFS");
        assert_eq!(lufs_label(-0.01), "0.0 LUFS");
        assert_eq!(lufs_label(1.0), "1.0 LUFS");
    }
}
