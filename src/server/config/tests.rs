use super::*;

#[test]
fn the_database_url_is_a_setting_that_hides_its_password() {
    let config = Config::try_parse_from([
        "reel",
        "--database-url",
        "postgres://reel:hunter2@db:5432/reel",
    ])
    .expect("parses");
    assert!(matches!(config.database_url, Database::Postgres(_)));
    assert!(!format!("{config:?}").contains("hunter2"));
    let plain = Config::try_parse_from(["reel"]).expect("parses");
    assert_eq!(plain.database_url, Database::Sqlite(None));
    let help = <Config as clap::CommandFactory>::command()
        .render_long_help()
        .to_string();
    assert!(help.contains("--database-url") && help.contains("REEL_DATABASE_URL"));
}

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
fn durations_parse_with_units() {
    assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
    assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1_800)));
    assert_eq!(parse_duration("3600s"), Ok(Duration::from_secs(3_600)));
    assert_eq!(parse_duration(" 2 D "), Ok(Duration::from_secs(172_800)));
    assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
    assert!(
        parse_duration("soon")
            .unwrap_err()
            .contains("not a duration")
    );
    assert!(
        parse_duration("3 weeks")
            .unwrap_err()
            .contains("unknown duration unit")
    );
    assert!(parse_duration("0h").unwrap_err().contains("more than 0"));
    assert!(
        parse_duration("99999999999999999d")
            .unwrap_err()
            .contains("too long")
    );
}

#[test]
fn upload_expiry_defaults_to_a_day_and_has_a_flag() {
    let config = Config::try_parse_from(["reel"]).expect("defaults");
    assert_eq!(config.upload_expiry, Duration::from_secs(86_400));
    assert_eq!(
        Config::with_data_dir("/tmp/x").upload_expiry,
        config.upload_expiry
    );
    assert_eq!(config.upload_chunk_size, 8 << 20);
    assert_eq!(
        Config::with_data_dir("/tmp/x").upload_chunk_size,
        config.upload_chunk_size
    );
    let config = Config::try_parse_from(["reel", "--upload-expiry", "30m"]).expect("valid flag");
    assert_eq!(config.upload_expiry, Duration::from_secs(1_800));
    assert!(Config::try_parse_from(["reel", "--upload-expiry", "0s"]).is_err());
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

#[test]
fn the_job_lease_defaults_to_two_minutes_and_refuses_what_would_take_live_jobs() {
    let config = Config::try_parse_from(["reel"]).expect("defaults");
    assert_eq!(config.job_lease, Duration::from_secs(120));
    assert_eq!(Config::with_data_dir("/tmp/x").job_lease, config.job_lease);
    let config = Config::try_parse_from(["reel", "--job-lease", "5s"]).expect("valid");
    assert_eq!(config.job_lease, Duration::from_secs(5));
    let error = Config::try_parse_from(["reel", "--job-lease", "1s"])
        .expect_err("too short")
        .to_string();
    assert!(error.contains("at least 2s"), "{error}");
}
