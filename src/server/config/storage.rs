//! Where stored files live (`--storage`) and how an S3-compatible store is
//! reached (the usual `AWS_*` variables).

use std::fmt;

/// The backend for originals and derived files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Storage {
    /// `files/` in the data directory (the default).
    #[default]
    Local,
    /// A bucket (and key prefix) of an S3-compatible object store.
    S3(S3Bucket),
}

/// `s3://BUCKET/PREFIX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Bucket {
    pub bucket: String,
    /// Key segments every object's key starts with (may be none).
    pub prefix: Vec<String>,
}

impl fmt::Display for S3Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}", self.bucket)?;
        for segment in &self.prefix {
            write!(f, "/{segment}")?;
        }
        Ok(())
    }
}

/// `local` or `s3://BUCKET[/PREFIX]`; bucket names as S3 allows them
/// (3–63 of `a-z 0-9 . -`), prefix segments of plain characters only.
pub fn parse_storage(text: &str) -> Result<Storage, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("local") {
        return Ok(Storage::Local);
    }
    let rest = text
        .strip_prefix("s3://")
        .ok_or_else(|| format!("`{text}` is not a storage: use `local` or s3://BUCKET/PREFIX"))?;
    let mut parts = rest.split('/').filter(|s| !s.is_empty());
    let bucket = parts.next().unwrap_or_default();
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if !bucket_ok {
        return Err(format!(
            "`{bucket}` is not a bucket name: 3 to 63 of a-z, 0-9, `.` and `-`"
        ));
    }
    let prefix: Vec<String> = parts.map(str::to_string).collect();
    let plain = |s: &String| {
        s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    if let Some(bad) = prefix.iter().find(|s| !plain(s)) {
        return Err(format!(
            "`{bad}` cannot be part of the key prefix: use letters, digits, `-`, `_` and `.`"
        ));
    }
    Ok(Storage::S3(S3Bucket {
        bucket: bucket.to_string(),
        prefix,
    }))
}

/// How bytes in an object store reach clients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ServeMode {
    /// Through Reel, with every rule of its byte routes (the default).
    #[default]
    Proxy,
    /// Large media (originals and playable copies from 1 MiB) by a
    /// redirect to a short-lived presigned address at the store itself,
    /// after Reel has checked who asks; everything else through Reel.
    Redirect,
}

/// How the object store is reached; read only with `--storage s3://…`.
#[derive(Clone, Debug, clap::Args)]
pub struct S3Settings {
    /// The object store's address, for any store but AWS's own, e.g.
    /// http://127.0.0.1:9000 (objects are then addressed by path).
    #[arg(long = "s3-endpoint", env = "AWS_ENDPOINT_URL")]
    pub endpoint: Option<String>,

    /// The store's region.
    #[arg(long = "s3-region", env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,

    /// The access key id (without it, the machine's role is used).
    #[arg(
        long = "s3-access-key-id",
        env = "AWS_ACCESS_KEY_ID",
        hide_env_values = true
    )]
    pub access_key_id: Option<String>,

    /// The secret access key: from the environment only, never a flag (a
    /// command line is visible to every user of the machine).
    #[arg(skip = Secret::from_env("AWS_SECRET_ACCESS_KEY"))]
    pub secret_access_key: Option<Secret>,
}

impl Default for S3Settings {
    fn default() -> Self {
        S3Settings {
            endpoint: None,
            region: "us-east-1".into(),
            access_key_id: None,
            secret_access_key: None,
        }
    }
}

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    fn from_env(name: &str) -> Option<Self> {
        std::env::var(name)
            .ok()
            .filter(|s| !s.is_empty())
            .map(Secret)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storages_parse() {
        assert_eq!(parse_storage("local"), Ok(Storage::Local));
        assert_eq!(
            parse_storage("s3://media-bucket/reel/prod/"),
            Ok(Storage::S3(S3Bucket {
                bucket: "media-bucket".into(),
                prefix: vec!["reel".into(), "prod".into()],
            }))
        );
        let plain = parse_storage("s3://media").expect("bucket only");
        assert_eq!(plain.to_string_lossy(), "s3://media");
    }

    #[test]
    fn bad_storages_say_why() {
        assert!(
            parse_storage("/srv/media")
                .unwrap_err()
                .contains("s3://BUCKET")
        );
        assert!(parse_storage("s3://").unwrap_err().contains("bucket name"));
        assert!(
            parse_storage("s3://Big_Bucket")
                .unwrap_err()
                .contains("bucket name")
        );
        assert!(
            parse_storage("s3://media/../x")
                .unwrap_err()
                .contains("key prefix")
        );
        assert!(
            parse_storage("s3://media/a%2fb")
                .unwrap_err()
                .contains("key prefix")
        );
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2-very-secret");
        assert!(!format!("{secret:?}").contains("hunter2"));
        let settings = S3Settings {
            secret_access_key: Some(secret),
            ..S3Settings::default()
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    impl Storage {
        fn to_string_lossy(&self) -> String {
            match self {
                Storage::Local => "local".into(),
                Storage::S3(bucket) => bucket.to_string(),
            }
        }
    }
}
