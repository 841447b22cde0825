//! Object storage for evidence files: one interface over a local directory
//! (the embedded default) and S3 (any S3-compatible endpoint). Writes are
//! streamed: a file is never held whole in memory or on disk.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// S3 parts are buffered to this size (S3's minimum for all but the last
/// part is 5 MiB); it bounds the memory an upload holds.
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// A streamed PUT sends its body in frames of this size: small chunks from
/// the client are gathered, so framing costs little.
const FRAME_SIZE: usize = 256 * 1024;

/// The store could not be reached or refused the operation.
#[derive(Debug, thiserror::Error)]
#[error("evidence store: {0}")]
pub struct StoreError(pub String);

fn s3_error<E: std::error::Error>(e: E) -> StoreError {
    StoreError(DisplayErrorContext(e).to_string())
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError(e.to_string())
}

/// Where evidence files live.
#[derive(Clone)]
pub enum EvidenceStore {
    Fs { root: PathBuf },
    S3 { client: aws_sdk_s3::Client, bucket: String, prefix: String },
}

/// A presigned PUT: the client sends the file to `url` with exactly these headers.
#[derive(Debug, Clone)]
pub struct PresignedPut {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// How a client reads a stored file.
pub enum Content {
    /// A short-lived presigned GET.
    Redirect(String),
    /// A local file to stream.
    File(PathBuf),
}

impl EvidenceStore {
    /// Parses `fs:PATH` or `s3://bucket[/prefix]`; S3 settings come from
    /// `endpoint`, `region`, `force_path_style` and the standard AWS
    /// credential chain.
    pub async fn from_url(
        url: &str,
        endpoint: Option<&str>,
        region: &str,
        force_path_style: bool,
    ) -> anyhow::Result<Self> {
        if let Some(path) = url.strip_prefix("fs:") {
            let root = PathBuf::from(path);
            tokio::fs::create_dir_all(&root).await?;
            return Ok(EvidenceStore::Fs { root });
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            anyhow::bail!("RC_EVIDENCE_STORE must be fs:PATH or s3://bucket[/prefix], not `{url}`");
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(!bucket.is_empty(), "RC_EVIDENCE_STORE names no bucket");
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .load()
            .await;
        let mut config = aws_sdk_s3::config::Builder::from(&shared).force_path_style(force_path_style);
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        let prefix = prefix.trim_matches('/');
        Ok(EvidenceStore::S3 {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            bucket: bucket.to_string(),
            prefix: if prefix.is_empty() { String::new() } else { format!("{prefix}/") },
        })
    }

    /// A short description for logs and the start banner.
    pub fn describe(&self) -> String {
        match self {
            EvidenceStore::Fs { root } => format!("directory {}", root.display()),
            EvidenceStore::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// Whether the store answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            EvidenceStore::Fs { root } => tokio::fs::metadata(root).await.map(drop).map_err(io_error),
            EvidenceStore::S3 { client, bucket, .. } => {
                client.head_bucket().bucket(bucket).send().await.map(drop).map_err(s3_error)
            }
        }
    }

    fn path(root: &Path, key: &str) -> PathBuf {
        root.join(key)
    }

    /// Whether clients can upload straight to the store (S3 only).
    pub fn takes_direct_uploads(&self) -> bool {
        matches!(self, EvidenceStore::S3 { .. })
    }

    /// A PUT of exactly `length` bytes of `content_type` to `key`, valid for
    /// `ttl`: both headers are part of the signature, so the store refuses
    /// another size or type.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        ttl: Duration,
    ) -> Result<PresignedPut, StoreError> {
        let EvidenceStore::S3 { client, bucket, prefix } = self else {
            return Err(StoreError("the local store takes uploads through the service only".into()));
        };
        let presigning = PresigningConfig::expires_in(ttl).map_err(|e| StoreError(e.to_string()))?;
        let length = i64::try_from(length).map_err(|e| StoreError(e.to_string()))?;
        let request = client
            .put_object()
            .bucket(bucket)
            .key(format!("{prefix}{key}"))
            .content_type(content_type)
            .content_length(length)
            // The key can be written once: a second PUT with the same URL is
            // refused by every store that knows conditional writes.
            .if_none_match("*")
            .presigned(presigning)
            .await
            .map_err(s3_error)?;
        let headers = request.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Ok(PresignedPut { url: request.uri().to_string(), headers })
    }

    /// The object's size, or `None` when there is no such object.
    pub async fn size_of(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self {
            EvidenceStore::Fs { root } => match tokio::fs::metadata(Self::path(root, key)).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io_error(e)),
            },
            EvidenceStore::S3 { client, bucket, prefix } => {
                match client.head_object().bucket(bucket).key(format!("{prefix}{key}")).send().await {
                    Ok(head) => Ok(Some(head.content_length().unwrap_or(0).max(0) as u64)),
                    Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
                    Err(e) => Err(s3_error(e)),
                }
            }
        }
    }

    /// Up to the first `n` bytes of the object.
    pub async fn head_bytes(&self, key: &str, n: usize) -> Result<Bytes, StoreError> {
        match self {
            EvidenceStore::Fs { root } => {
                let file = tokio::fs::File::open(Self::path(root, key)).await.map_err(io_error)?;
                let mut out = Vec::with_capacity(n);
                file.take(n as u64).read_to_end(&mut out).await.map_err(io_error)?;
                Ok(out.into())
            }
            EvidenceStore::S3 { client, bucket, prefix } => {
                let object = client
                    .get_object()
                    .bucket(bucket)
                    .key(format!("{prefix}{key}"))
                    .range(format!("bytes=0-{}", n.saturating_sub(1)))
                    .send()
                    .await
                    .map_err(s3_error)?;
                let bytes = object.body.collect().await.map_err(|e| StoreError(e.to_string()))?.into_bytes();
                Ok(bytes.slice(..bytes.len().min(n)))
            }
        }
    }

    /// The SHA-256 of the object, hex, read as a stream.
    pub async fn sha256_of(&self, key: &str) -> Result<String, StoreError> {
        let mut hasher = Sha256::new();
        match self {
            EvidenceStore::Fs { root } => {
                let mut file = tokio::fs::File::open(Self::path(root, key)).await.map_err(io_error)?;
                let mut buffer = vec![0u8; 64 * 1024];
                loop {
                    let n = file.read(&mut buffer).await.map_err(io_error)?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buffer[..n]);
                }
            }
            EvidenceStore::S3 { client, bucket, prefix } => {
                let mut object =
                    client.get_object().bucket(bucket).key(format!("{prefix}{key}")).send().await.map_err(s3_error)?;
                while let Some(chunk) = object.body.try_next().await.map_err(|e| StoreError(e.to_string()))? {
                    hasher.update(&chunk);
                }
            }
        }
        Ok(hex::encode(hasher.finalize()))
    }

    /// Throws away writes a crash or a dropped connection left unfinished
    /// (open multipart uploads, `.partial` files) begun before `before`.
    /// Returns how many it removed.
    pub async fn sweep_unfinished(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        match self {
            EvidenceStore::Fs { root } => {
                let cutoff = std::time::SystemTime::from(before);
                let mut removed = 0;
                let mut dirs = vec![root.clone()];
                while let Some(dir) = dirs.pop() {
                    let mut entries = match tokio::fs::read_dir(&dir).await {
                        Ok(entries) => entries,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(io_error(e)),
                    };
                    while let Some(entry) = entries.next_entry().await.map_err(io_error)? {
                        let meta = entry.metadata().await.map_err(io_error)?;
                        let path = entry.path();
                        if meta.is_dir() {
                            dirs.push(path);
                        } else if path.extension().is_some_and(|x| x == "partial")
                            && meta.modified().map_err(io_error)? < cutoff
                        {
                            tokio::fs::remove_file(&path).await.map_err(io_error)?;
                            removed += 1;
                        }
                    }
                }
                Ok(removed)
            }
            EvidenceStore::S3 { client, bucket, prefix } => {
                let mut removed = 0;
                let (mut key_marker, mut id_marker) = (None::<String>, None::<String>);
                loop {
                    let page = match client
                        .list_multipart_uploads()
                        .bucket(bucket)
                        .prefix(format!("{prefix}complaints/"))
                        .set_key_marker(key_marker.take())
                        .set_upload_id_marker(id_marker.take())
                        .send()
                        .await
                    {
                        Ok(page) => page,
                        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 501) => {
                            tracing::debug!(
                                "the S3 server cannot list multipart uploads; \
                                 a bucket lifecycle rule (AbortIncompleteMultipartUpload) has to clean them"
                            );
                            return Ok(removed);
                        }
                        Err(e) => return Err(s3_error(e)),
                    };
                    for upload in page.uploads() {
                        let started = upload.initiated().and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), 0));
                        if let (Some(key), Some(id), Some(started)) = (upload.key(), upload.upload_id(), started) {
                            if started < before {
                                client
                                    .abort_multipart_upload()
                                    .bucket(bucket)
                                    .key(key)
                                    .upload_id(id)
                                    .send()
                                    .await
                                    .map_err(s3_error)?;
                                removed += 1;
                            }
                        }
                    }
                    if !page.is_truncated().unwrap_or(false) {
                        return Ok(removed);
                    }
                    key_marker = page.next_key_marker().map(str::to_string);
                    id_marker = page.next_upload_id_marker().map(str::to_string);
                    if key_marker.is_none() {
                        return Ok(removed);
                    }
                }
            }
        }
    }

    /// Starts writing the object `key`, of unknown length: on S3 a single
    /// PUT if it turns out to fit in one part, a multipart upload otherwise.
    pub async fn begin(&self, key: &str, content_type: &str) -> Result<Upload, StoreError> {
        match self {
            EvidenceStore::Fs { .. } => self.begin_file(key).await,
            EvidenceStore::S3 { client, bucket, prefix } => Ok(Upload::S3 {
                client: client.clone(),
                bucket: bucket.clone(),
                key: format!("{prefix}{key}"),
                content_type: content_type.to_string(),
                upload_id: None,
                buffer: BytesMut::new(),
                parts: Vec::new(),
            }),
        }
    }

    /// Starts writing the object `key` of exactly `length` bytes: on S3 one
    /// streamed PUT, which the store creates only if all the bytes arrive.
    pub async fn begin_sized(&self, key: &str, content_type: &str, length: u64) -> Result<Upload, StoreError> {
        let EvidenceStore::S3 { client, bucket, prefix } = self else {
            return self.begin_file(key).await;
        };
        let (sender, receiver) = tokio::sync::mpsc::channel(8);
        let put = client
            .put_object()
            .bucket(bucket)
            .key(format!("{prefix}{key}"))
            .content_type(content_type)
            .content_length(i64::try_from(length).map_err(|e| StoreError(e.to_string()))?)
            .body(ByteStream::from_body_1_x(ChannelBody { receiver, length }))
            // The service hashes every byte itself (the SHA-256 it records);
            // the SDK's default CRC32 would frame the body as aws-chunked and
            // cost the store a second pass, for ~40% of the throughput.
            .customize()
            .config_override(
                aws_sdk_s3::config::Builder::new()
                    .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired),
            );
        let task = tokio::spawn(async move { put.send().await.map(drop).map_err(s3_error) });
        Ok(Upload::S3Put { sender: Some(sender), task: Some(task), pending: BytesMut::new() })
    }

    async fn begin_file(&self, key: &str) -> Result<Upload, StoreError> {
        let EvidenceStore::Fs { root } = self else {
            return Err(StoreError("not a local store".into()));
        };
        let path = Self::path(root, key);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
        }
        let partial = path.with_extension("partial");
        let file = tokio::fs::File::create(&partial).await.map_err(io_error)?;
        Ok(Upload::Fs { file, partial, path })
    }

    /// Copies an object within the store (S3 only: direct uploads are
    /// copied from the key a client could write to one no client ever could).
    pub async fn copy(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let EvidenceStore::S3 { client, bucket, prefix } = self else {
            return Err(StoreError("the local store takes uploads through the service only".into()));
        };
        client
            .copy_object()
            .bucket(bucket)
            .copy_source(format!("{bucket}/{prefix}{from}"))
            .key(format!("{prefix}{to}"))
            .send()
            .await
            .map(drop)
            .map_err(s3_error)
    }

    /// Deletes the objects under `under` last written before `before`; returns how many.
    pub async fn delete_older(&self, under: &str, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let EvidenceStore::S3 { client, bucket, prefix } = self else { return Ok(0) };
        let mut removed = 0;
        let mut token = None::<String>;
        loop {
            let page = client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(format!("{prefix}{under}"))
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(s3_error)?;
            for object in page.contents() {
                let written = object.last_modified().and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), 0));
                if let (Some(key), Some(written)) = (object.key(), written) {
                    if written < before {
                        client.delete_object().bucket(bucket).key(key).send().await.map_err(s3_error)?;
                        removed += 1;
                    }
                }
            }
            token = page.next_continuation_token().map(str::to_string);
            if token.is_none() || !page.is_truncated().unwrap_or(false) {
                return Ok(removed);
            }
        }
    }

    /// Removes an object; a missing one is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            EvidenceStore::Fs { root } => match tokio::fs::remove_file(Self::path(root, key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(e)),
                _ => Ok(()),
            },
            EvidenceStore::S3 { client, bucket, prefix } => client
                .delete_object()
                .bucket(bucket)
                .key(format!("{prefix}{key}"))
                .send()
                .await
                .map(drop)
                .map_err(s3_error),
        }
    }

    /// How to read the object: a presigned GET valid for `ttl` on S3, the
    /// file itself on the local store.
    pub async fn content(&self, key: &str, file_name: &str, ttl: Duration) -> Result<Content, StoreError> {
        match self {
            EvidenceStore::Fs { root } => Ok(Content::File(Self::path(root, key))),
            EvidenceStore::S3 { client, bucket, prefix } => {
                let presigning = PresigningConfig::expires_in(ttl).map_err(|e| StoreError(e.to_string()))?;
                let request = client
                    .get_object()
                    .bucket(bucket)
                    .key(format!("{prefix}{key}"))
                    .response_content_disposition(attachment(file_name))
                    .presigned(presigning)
                    .await
                    .map_err(s3_error)?;
                Ok(Content::Redirect(request.uri().to_string()))
            }
        }
    }
}

/// An object's bytes, for the service to pass on itself.
pub enum Readable {
    /// A local file to stream.
    File(PathBuf),
    /// The object's body as the store sends it.
    Stream(std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, StoreError>> + Send>>),
}

impl EvidenceStore {
    /// The object's bytes through the service (where a page may not load
    /// them from the store's own origin).
    pub async fn open(&self, key: &str) -> Result<Readable, StoreError> {
        match self {
            EvidenceStore::Fs { root } => Ok(Readable::File(Self::path(root, key))),
            EvidenceStore::S3 { client, bucket, prefix } => {
                let object =
                    client.get_object().bucket(bucket).key(format!("{prefix}{key}")).send().await.map_err(s3_error)?;
                let stream = futures_util::stream::unfold(object.body, |mut body| async move {
                    body.next().await.map(|chunk| (chunk.map_err(|e| StoreError(e.to_string())), body))
                });
                Ok(Readable::Stream(Box::pin(stream)))
            }
        }
    }
}

/// `attachment; filename="…"` with a safe name (RFC 6266).
fn attachment(file_name: &str) -> String {
    format!("attachment; filename=\"{}\"", crate::domain::safe_file_name(file_name))
}

/// A request body fed from a channel, of a length known in advance.
struct ChannelBody {
    receiver: tokio::sync::mpsc::Receiver<Bytes>,
    length: u64,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.receiver.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(http_body::Frame::data(b))))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.length)
    }
}

/// An object being written.
pub enum Upload {
    Fs {
        file: tokio::fs::File,
        partial: PathBuf,
        path: PathBuf,
    },
    /// Buffered into parts; the multipart upload starts with the first full part.
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        key: String,
        content_type: String,
        upload_id: Option<String>,
        buffer: BytesMut,
        parts: Vec<CompletedPart>,
    },
    /// One PUT whose body streams from `sender`; `None`s once it ended.
    S3Put {
        sender: Option<tokio::sync::mpsc::Sender<Bytes>>,
        task: Option<tokio::task::JoinHandle<Result<(), StoreError>>>,
        /// Small chunks gathered into frames of `FRAME_SIZE`.
        pending: BytesMut,
    },
}

impl Upload {
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        match self {
            Upload::Fs { file, .. } => file.write_all(&chunk).await.map_err(io_error),
            Upload::S3 { buffer, .. } => {
                buffer.extend_from_slice(&chunk);
                if buffer.len() >= PART_SIZE {
                    self.flush_part().await?;
                }
                Ok(())
            }
            Upload::S3Put { pending, .. } => {
                pending.extend_from_slice(&chunk);
                if pending.len() >= FRAME_SIZE {
                    let frame = pending.split().freeze();
                    self.send_frame(frame).await?;
                }
                Ok(())
            }
        }
    }

    async fn send_frame(&mut self, frame: Bytes) -> Result<(), StoreError> {
        match self {
            Upload::S3Put { sender, task, .. } => {
                let Some(tx) = sender.as_ref() else { return Err(StoreError("the upload is closed".into())) };
                if tx.send(frame).await.is_err() {
                    // The PUT ended early: its error says why.
                    sender.take();
                    return Err(match task.take() {
                        Some(task) => match task.await {
                            Ok(Err(e)) => e,
                            _ => StoreError("the PUT ended before its body".into()),
                        },
                        None => StoreError("the upload is closed".into()),
                    });
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn flush_part(&mut self) -> Result<(), StoreError> {
        if let Upload::S3 { client, bucket, key, content_type, upload_id, buffer, parts } = self {
            let id = match upload_id {
                Some(id) => id.clone(),
                None => {
                    let created = client
                        .create_multipart_upload()
                        .bucket(bucket.as_str())
                        .key(key.as_str())
                        .content_type(content_type.as_str())
                        .send()
                        .await
                        .map_err(s3_error)?;
                    let id = created.upload_id().ok_or_else(|| StoreError("no upload id".into()))?.to_string();
                    upload_id.insert(id).clone()
                }
            };
            let number = i32::try_from(parts.len() + 1).map_err(|_| StoreError("too many parts".into()))?;
            let body: Bytes = buffer.split().freeze();
            let sent = client
                .upload_part()
                .bucket(bucket.as_str())
                .key(key.as_str())
                .upload_id(id)
                .part_number(number)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(s3_error)?;
            parts
                .push(CompletedPart::builder().part_number(number).set_e_tag(sent.e_tag().map(str::to_string)).build());
        }
        Ok(())
    }

    /// Makes the object visible under its key.
    pub async fn finish(mut self) -> Result<(), StoreError> {
        if let Upload::S3 { buffer, upload_id: Some(_), .. } = &self {
            if !buffer.is_empty() {
                self.flush_part().await?;
            }
        }
        if let Upload::S3Put { pending, .. } = &mut self {
            if !pending.is_empty() {
                let frame = pending.split().freeze();
                self.send_frame(frame).await?;
            }
        }
        match self {
            Upload::Fs { mut file, partial, path } => {
                file.flush().await.map_err(io_error)?;
                file.sync_all().await.map_err(io_error)?;
                tokio::fs::rename(&partial, &path).await.map_err(io_error)
            }
            // It fits in one part: a single PUT.
            Upload::S3 { client, bucket, key, content_type, upload_id: None, buffer, .. } => client
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type(content_type)
                .body(ByteStream::from(buffer.freeze()))
                .send()
                .await
                .map(drop)
                .map_err(s3_error),
            Upload::S3 { client, bucket, key, upload_id: Some(upload_id), parts, .. } => client
                .complete_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                .send()
                .await
                .map(drop)
                .map_err(s3_error),
            Upload::S3Put { sender, task, .. } => {
                drop(sender);
                let task = task.ok_or_else(|| StoreError("the upload is closed".into()))?;
                task.await.map_err(|e| StoreError(e.to_string()))?
            }
        }
    }

    /// Throws away what was written.
    pub async fn abort(self) -> Result<(), StoreError> {
        match self {
            Upload::Fs { file, partial, .. } => {
                drop(file);
                tokio::fs::remove_file(&partial).await.map_err(io_error)
            }
            Upload::S3 { upload_id: None, .. } => Ok(()),
            Upload::S3 { client, bucket, key, upload_id: Some(upload_id), .. } => client
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .send()
                .await
                .map(drop)
                .map_err(s3_error),
            // Cut off before its last byte, the PUT never creates the object.
            Upload::S3Put { sender, task, .. } => {
                if let Some(task) = task {
                    task.abort();
                    let _ = task.await;
                }
                drop(sender);
                Ok(())
            }
        }
    }
}
