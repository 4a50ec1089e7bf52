//! A minimal tus 1.0 client for the upload benchmark (bench/tus.sh): creates
//! an upload and PATCHes the file in fixed chunks, sequentially, as
//! tus-js-client does, but with almost no CPU of its own, so the benchmark
//! measures the servers. The file is read into memory before the clock starts.
//! Prints one JSON line like client.mjs: url, bytes, chunks, elapsedMs.
//! Sends `REEL_TOKEN`, when set, as `Authorization: Bearer` (Reel's uploads
//! need an account; other servers ignore it).
//! Usage: cargo run --release --features ssr --example tus_upload -- <endpoint> <file> <chunk>

use std::time::Instant;

use base64::Engine;
use bytes::Bytes;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, file, chunk] = args.as_slice() else {
        return Err("usage: tus_upload <endpoint> <file> <chunk-size>".into());
    };
    let chunk: usize = chunk.parse()?;
    let data = Bytes::from(std::fs::read(file)?);
    let name = std::path::Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let encoded = base64::engine::general_purpose::STANDARD.encode(name);
    let mut headers = reqwest::header::HeaderMap::new();
    if let Ok(token) = std::env::var("REEL_TOKEN")
        && !token.is_empty()
    {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse()?,
        );
    }
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;

    let started = Instant::now();
    let created = client
        .post(endpoint)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", data.len().to_string())
        .header("Upload-Metadata", format!("filename {encoded}"))
        .send()
        .await?;
    if created.status() != reqwest::StatusCode::CREATED {
        return Err(format!("creation answered {}", created.status()).into());
    }
    let location = created
        .headers()
        .get("location")
        .ok_or("no Location")?
        .to_str()?
        .to_string();
    let url = reqwest::Url::parse(endpoint)?.join(&location)?;
    let mut offset = 0;
    let mut chunks = 0;
    while offset < data.len() {
        let end = (offset + chunk).min(data.len());
        let answer = client
            .patch(url.clone())
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(data.slice(offset..end))
            .send()
            .await?;
        if answer.status() != reqwest::StatusCode::NO_CONTENT {
            return Err(format!("PATCH at {offset} answered {}", answer.status()).into());
        }
        offset = end;
        chunks += 1;
    }
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{{\"url\":\"{url}\",\"bytes\":{},\"chunks\":{chunks},\"elapsedMs\":{elapsed_ms:.1}}}",
        data.len()
    );
    Ok(())
}
