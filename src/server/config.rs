//! Typed configuration from flags and environment, validated at start-up.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// Reel: a self-hosted media library.
#[derive(Clone, Debug, Parser)]
#[command(name = "reel", version, about)]
pub struct Config {
    /// Directory for the database, uploads and derived files.
    #[arg(long, env = "REEL_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Address to listen on (defaults to the site address in Cargo.toml,
    /// or LEPTOS_SITE_ADDR when set).
    #[arg(long, env = "REEL_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// Largest accepted upload, e.g. 8GiB, 500MB, 1048576.
    #[arg(long, env = "REEL_MAX_UPLOAD_SIZE", default_value = "8GiB", value_parser = parse_size)]
    pub max_upload_size: u64,

    /// Media processing workers (default: cores - 1, at least 1).
    #[arg(long, env = "REEL_WORKERS", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: Option<u16>,
}

impl Config {
    pub fn worker_count(&self) -> usize {
        match self.workers {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism()
                .map(|n| n.get().saturating_sub(1))
                .unwrap_or(1)
                .max(1),
        }
    }

    /// A configuration for tests and embedding: defaults plus this data dir.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            listen: None,
            max_upload_size: 8 << 30,
            workers: Some(1),
        }
    }
}

/// Parses `8GiB`, `500MB`, `64k`, `1048576` into bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size: expected a number such as 8GiB or 500MB"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit `{other}`: use B, KB, KiB, MB, MiB, GB, GiB, TB or TiB"
            ));
        }
    };
    let bytes = number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes == 0 {
        return Err("the maximum upload size must be more than 0".to_string());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("64 kib"), Ok(65_536));
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
    }

    #[test]
    fn bad_sizes_say_why() {
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(
            parse_size("5 parsecs")
                .unwrap_err()
                .contains("unknown size unit")
        );
        assert!(parse_size("0").unwrap_err().contains("more than 0"));
        assert!(
            parse_size("99999999999TiB")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn flags_override_defaults() {
        let config = Config::try_parse_from([
            "reel",
            "--data-dir",
            "/tmp/x",
            "--listen",
            "0.0.0.0:8080",
            "--max-upload-size",
            "1GB",
            "--workers",
            "3",
        ])
        .expect("valid flags");
        assert_eq!(config.max_upload_size, 1_000_000_000);
        assert_eq!(config.worker_count(), 3);
        assert_eq!(config.listen.map(|a| a.port()), Some(8080));
        assert!(Config::try_parse_from(["reel", "--workers", "0"]).is_err());
        assert!(Config::try_parse_from(["reel", "--listen", "nowhere"]).is_err());
    }
}
