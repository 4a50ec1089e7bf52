//! Human-readable figures for the pages (sizes, durations, speeds).

/// `1536` → `"1.5 KB"`; decimal units, as file managers show sizes.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Seconds → `"m:ss"` or `"h:mm:ss"`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "–".to_string();
    }
    let total = secs.round() as u64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// RFC 3339 UTC (`2026-11-24T20:21:51.88Z`) → `"2026-11-24 20:21 UTC"`.
pub fn timestamp(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_string(),
    }
}

/// Unix milliseconds → `"2026-11-24 20:21 UTC"`.
pub fn timestamp_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Bytes per second → `"12.3 MB/s"`.
pub fn speed(bytes_per_sec: f64) -> String {
    if !bytes_per_sec.is_finite() || bytes_per_sec <= 0.0 {
        return String::new();
    }
    format!("{}/s", bytes(bytes_per_sec as u64))
}

/// Like `duration`, but to the millisecond when the time has a fraction
/// ("1:05.25"), so a time read back and saved again does not move.
pub fn duration_precise(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "–".to_string();
    }
    let millis = (secs * 1000.0).round() as u64;
    let whole = duration((millis / 1000) as f64);
    match millis % 1000 {
        0 => whole,
        fraction => {
            let digits = format!("{fraction:03}");
            format!("{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_milliseconds_read_as_utc_dates() {
        assert_eq!(timestamp_ms(0), "1970-01-01 00:00 UTC");
        assert_eq!(timestamp_ms(1_795_292_511_880), "2026-11-21 20:21 UTC");
        assert_eq!(timestamp_ms(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn sizes_use_decimal_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500), "1.5 KB");
        assert_eq!(bytes(8_000_000_000), "8.0 GB");
        assert_eq!(bytes(999_999), "1.0 MB");
    }

    #[test]
    fn durations_round_to_seconds() {
        assert_eq!(duration(0.0), "0:00");
        assert_eq!(duration(9.6), "0:10");
        assert_eq!(duration(3_725.0), "1:02:05");
        assert_eq!(duration(f64::NAN), "–");
        assert_eq!(duration_precise(65.25), "1:05.25");
        assert_eq!(duration_precise(3_725.0), "1:02:05");
    }

    #[test]
    fn timestamps_show_minutes() {
        assert_eq!(
            timestamp("2026-11-24T20:21:51.881135047Z"),
            "2026-11-24 20:21 UTC"
        );
        assert_eq!(timestamp("garbage"), "garbage");
    }

    #[test]
    fn speed_is_empty_until_measured() {
        assert_eq!(speed(0.0), "");
        assert_eq!(speed(2_500_000.0), "2.5 MB/s");
    }
}
