//! Stored files as objects in an S3-compatible store (`--storage
//! s3://BUCKET/PREFIX`): `PREFIX/media/{id}/{file}`, every key built here from
//! a server-made `MediaId` and a fixed `Variant`, as on disk.
//!
//! - Files go in whole from a finished scratch file: one `PUT` when small,
//!   a multipart upload when large (aborted on failure), so readers never
//!   see half an object.
//! - ffmpeg inputs are copied to a scratch file, removed when the guard drops.
//! - Serving reads byte ranges with ranged `GET`s; the router streams them.
//!
//! What one node cannot promise here: a job cancelled while its `PUT` is in
//! flight may still land the object after a delete (the request already
//! left). The start-up orphan sweep, which lists objects against rows,
//! removes such leftovers.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::Method;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::signer::Signer;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, GetResult, ObjectStore, PutPayload,
    RetryConfig, WriteMultipart,
};
use tokio::io::AsyncReadExt;

use super::source::{Materialised, RangeReader, RemoteObject, Source};
use super::{Store, StoreError, TempFile, Variant, file_name};
use crate::model::MediaId;
use crate::server::config::{S3Bucket, S3Settings};

/// Files up to this size go up in one `PUT`; larger ones in parts of it.
const PART: usize = 16 << 20;
/// Parts in flight at once per upload (memory: this many `PART`s).
const PARTS_IN_FLIGHT: usize = 2;
/// How long connecting to the store may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the start-up check may wait for the store to answer.
const REACH_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub(super) struct S3Objects {
    store: Arc<AmazonS3>,
    /// `PREFIX/media`: every key of the store lives under it.
    media: Key,
    /// For messages: `s3://bucket/prefix` at the endpoint (no credentials).
    name: Arc<str>,
}

/// Never the credentials: only where the objects are.
impl fmt::Debug for S3Objects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Objects").field("at", &self.name).finish()
    }
}

impl S3Objects {
    /// Connects and checks, by listing, that the bucket answers to these
    /// credentials; a store that does not answer stops start-up.
    pub(super) async fn connect(
        bucket: &S3Bucket,
        settings: &S3Settings,
    ) -> Result<Self, StoreError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&bucket.bucket)
            .with_region(&settings.region)
            // Any other store than AWS's own is reached by path
            // (`endpoint/bucket/key`): MinIO, Garage, Ceph and most others
            // have no per-bucket host names.
            .with_virtual_hosted_style_request(settings.endpoint.is_none())
            // A long stream (a film watched whole) must never be cut by a
            // request timeout; only connecting is bounded.
            .with_client_options(
                ClientOptions::new()
                    .with_timeout_disabled()
                    .with_connect_timeout(CONNECT_TIMEOUT),
            )
            .with_retry(RetryConfig {
                max_retries: 4,
                retry_timeout: Duration::from_secs(30),
                backoff: BackoffConfig::default(),
            });
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret.expose());
        }
        let at = settings.endpoint.as_deref().unwrap_or("AWS");
        let name: Arc<str> = format!("{bucket} at {at}").into();
        let store = builder.build().map_err(|e| unreachable(&name, &e))?;
        let media = Key::from_iter(bucket.prefix.iter().map(String::as_str).chain(["media"]));
        let objects = S3Objects {
            store: Arc::new(store),
            media,
            name,
        };
        let listed = tokio::time::timeout(
            REACH_TIMEOUT,
            objects.store.list_with_delimiter(Some(&objects.media)),
        )
        .await;
        match listed {
            Ok(Ok(_)) => Ok(objects),
            Ok(Err(e)) => Err(unreachable(&objects.name, &e)),
            Err(_) => Err(StoreError::Unreachable {
                store: objects.name.to_string(),
                reason: format!("no answer in {} s", REACH_TIMEOUT.as_secs()),
            }),
        }
    }

    fn dir(&self, id: &MediaId) -> Key {
        self.media.child(id.as_str())
    }

    pub(super) fn client(&self) -> &AmazonS3 {
        &self.store
    }

    pub(super) fn key(&self, id: &MediaId, variant: Variant) -> Key {
        // One child per segment: `child` would escape a `/` in a name.
        file_name(variant)
            .split('/')
            .fold(self.dir(id), |key, part| key.child(part))
    }

    pub(super) fn failed(&self, key: &Key, source: object_store::Error) -> StoreError {
        StoreError::Remote {
            key: format!("{}: {key}", self.name),
            source,
        }
    }

    /// Uploads a finished scratch file as `variant` of `id`; the scratch
    /// file goes when `temp` drops.
    pub(super) async fn persist(
        &self,
        temp: TempFile,
        id: &MediaId,
        variant: Variant,
    ) -> Result<(), StoreError> {
        self.persist_path(temp.path(), id, variant).await
    }

    /// Uploads a local file (a complete resumable upload) as `variant` of `id`.
    pub(super) async fn persist_path(
        &self,
        path: &std::path::Path,
        id: &MediaId,
        variant: Variant,
    ) -> Result<(), StoreError> {
        self.upload(path, &self.key(id, variant)).await
    }

    /// One `PUT` for a small file, a multipart upload for a large one.
    async fn upload(&self, path: &std::path::Path, key: &Key) -> Result<(), StoreError> {
        let io = super::io_at(path);
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(super::io_at(path))?;
        let len = file.metadata().await.map_err(super::io_at(path))?.len();
        if len <= PART as u64 {
            let mut bytes = Vec::with_capacity(len as usize);
            file.read_to_end(&mut bytes).await.map_err(io)?;
            self.store
                .put(key, PutPayload::from(bytes))
                .await
                .map_err(|e| self.failed(key, e))?;
            return Ok(());
        }
        let upload = self
            .store
            .put_multipart(key)
            .await
            .map_err(|e| self.failed(key, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let read = match file.read(&mut buffer).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(io(e));
                }
            };
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(self.failed(key, e));
            }
            writer.write(&buffer[..read]);
        }
        writer.finish().await.map_err(|e| self.failed(key, e))?;
        Ok(())
    }

    /// The object, or `None` when there is none.
    async fn get(&self, key: &Key) -> Result<Option<GetResult>, StoreError> {
        match self.store.get(key).await {
            Ok(got) => Ok(Some(got)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.failed(key, e)),
        }
    }

    pub(super) async fn read_small(
        &self,
        id: &MediaId,
        variant: Variant,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let key = self.key(id, variant);
        let Some(got) = self.get(&key).await? else {
            return Ok(None);
        };
        if got.meta.size > limit as u64 {
            return Err(StoreError::TooBig {
                id: id.clone(),
                variant,
                limit,
            });
        }
        let bytes = got.bytes().await.map_err(|e| self.failed(&key, e))?;
        Ok(Some(bytes.to_vec()))
    }

    /// A scratch copy for ffmpeg, removed when the guard drops.
    pub(super) async fn materialise(
        &self,
        store: &Store,
        id: &MediaId,
        variant: Variant,
    ) -> Result<Option<Materialised>, StoreError> {
        let key = self.key(id, variant);
        let Some(got) = self.get(&key).await? else {
            return Ok(None);
        };
        let mut writer = store.create_temp().await?.into_writer().await?;
        let mut chunks = got.into_stream();
        while let Some(chunk) = chunks.next().await {
            writer
                .write(&chunk.map_err(|e| self.failed(&key, e))?)
                .await?;
        }
        Ok(Some(Materialised::copy(writer.finish().await?)))
    }

    /// What to serve: the object's length and date from a `HEAD`, its bytes
    /// from ranged `GET`s when they are sent.
    pub(super) async fn source(
        &self,
        id: &MediaId,
        variant: Variant,
    ) -> Result<Option<Source>, StoreError> {
        let key = self.key(id, variant);
        let meta = match self.store.head(&key).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.failed(&key, e)),
        };
        Ok(Some(Source::Remote(RemoteObject {
            len: meta.size,
            modified: Some(SystemTime::from(meta.last_modified)),
            reader: Arc::new(Ranges {
                store: Arc::clone(&self.store),
                key,
            }),
        })))
    }

    pub(super) async fn delete_all(&self, id: &MediaId) -> Result<(), StoreError> {
        let dir = self.dir(id);
        let keys = self
            .store
            .list(Some(&dir))
            .map_ok(|meta| meta.location)
            .boxed();
        let mut deleted = self.store.delete_stream(keys);
        while let Some(done) = deleted.next().await {
            match done {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.failed(&dir, e)),
            }
        }
        Ok(())
    }

    pub(super) async fn media_ids(&self) -> Result<Vec<MediaId>, StoreError> {
        let listed = self
            .store
            .list_with_delimiter(Some(&self.media))
            .await
            .map_err(|e| self.failed(&self.media, e))?;
        Ok(listed
            .common_prefixes
            .iter()
            .filter_map(|dir| dir.filename().and_then(MediaId::parse))
            .collect())
    }
}

/// Ranges of one object, each read with its own `GET`, so a seek costs one
/// request and no bytes before it.
struct Ranges {
    store: Arc<AmazonS3>,
    key: Key,
}

impl RangeReader for Ranges {
    fn read(&self, start: u64, len: u64) -> BoxStream<'static, std::io::Result<Bytes>> {
        let store = Arc::clone(&self.store);
        let key = self.key.clone();
        let range: Range<u64> = start..start + len;
        futures_util::stream::once(async move {
            let options = GetOptions {
                range: Some(GetRange::Bounded(range)),
                ..GetOptions::default()
            };
            store.get_opts(&key, options).await
        })
        .map_ok(|got| got.into_stream())
        .try_flatten()
        .map_err(std::io::Error::other)
        .boxed()
    }

    fn presign(&self, expires_in: Duration) -> BoxFuture<'static, Option<String>> {
        let store = Arc::clone(&self.store);
        let key = self.key.clone();
        Box::pin(async move {
            match store.signed_url(Method::GET, &key, expires_in).await {
                Ok(url) => Some(url.to_string()),
                Err(e) => {
                    tracing::error!("cannot presign {key}: {e}");
                    None
                }
            }
        })
    }
}

fn unreachable(name: &str, error: &object_store::Error) -> StoreError {
    StoreError::Unreachable {
        store: name.to_string(),
        reason: error.to_string(),
    }
}
