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
use tokio::io::AsyncWriteExt;

/// S3 parts are buffered to this size (S3's minimum for all but the last
/// part is 5 MiB); it bounds the memory an upload holds.
pub const PART_SIZE: usize = 8 * 1024 * 1024;

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

    /// Starts writing the object `key`.
    pub async fn begin(&self, key: &str, content_type: &str) -> Result<Upload, StoreError> {
        match self {
            EvidenceStore::Fs { root } => {
                let path = Self::path(root, key);
                if let Some(dir) = path.parent() {
                    tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
                }
                let partial = path.with_extension("partial");
                let file = tokio::fs::File::create(&partial).await.map_err(io_error)?;
                Ok(Upload::Fs { file, partial, path })
            }
            EvidenceStore::S3 { client, bucket, prefix } => {
                let key = format!("{prefix}{key}");
                let created = client
                    .create_multipart_upload()
                    .bucket(bucket)
                    .key(&key)
                    .content_type(content_type)
                    .send()
                    .await
                    .map_err(s3_error)?;
                let upload_id = created.upload_id().ok_or_else(|| StoreError("no upload id".into()))?.to_string();
                Ok(Upload::S3 {
                    client: client.clone(),
                    bucket: bucket.clone(),
                    key,
                    upload_id,
                    buffer: BytesMut::with_capacity(PART_SIZE),
                    parts: Vec::new(),
                })
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

/// A file name safe in a Content-Disposition header: ASCII letters, digits
/// and `._-` only, at most 100 of them.
pub fn safe_file_name(file_name: &str) -> String {
    let safe: String = file_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
        .take(100)
        .collect();
    if safe.is_empty() {
        "evidence".into()
    } else {
        safe
    }
}

/// `attachment; filename="…"` with a safe name (RFC 6266).
fn attachment(file_name: &str) -> String {
    format!("attachment; filename=\"{}\"", safe_file_name(file_name))
}

/// An object being written.
pub enum Upload {
    Fs {
        file: tokio::fs::File,
        partial: PathBuf,
        path: PathBuf,
    },
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        key: String,
        upload_id: String,
        buffer: BytesMut,
        parts: Vec<CompletedPart>,
    },
}

impl Upload {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        match self {
            Upload::Fs { file, .. } => file.write_all(chunk).await.map_err(io_error),
            Upload::S3 { buffer, .. } => {
                buffer.extend_from_slice(chunk);
                if buffer.len() >= PART_SIZE {
                    self.flush_part().await?;
                }
                Ok(())
            }
        }
    }

    async fn flush_part(&mut self) -> Result<(), StoreError> {
        if let Upload::S3 { client, bucket, key, upload_id, buffer, parts } = self {
            let number = i32::try_from(parts.len() + 1).map_err(|_| StoreError("too many parts".into()))?;
            let body: Bytes = buffer.split().freeze();
            let sent = client
                .upload_part()
                .bucket(bucket.as_str())
                .key(key.as_str())
                .upload_id(upload_id.as_str())
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
        if let Upload::S3 { buffer, parts, .. } = &self {
            if !buffer.is_empty() || parts.is_empty() {
                self.flush_part().await?;
            }
        }
        match self {
            Upload::Fs { mut file, partial, path } => {
                file.flush().await.map_err(io_error)?;
                file.sync_all().await.map_err(io_error)?;
                tokio::fs::rename(&partial, &path).await.map_err(io_error)
            }
            Upload::S3 { client, bucket, key, upload_id, parts, .. } => client
                .complete_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                .send()
                .await
                .map(drop)
                .map_err(s3_error),
        }
    }

    /// Throws away what was written.
    pub async fn abort(self) -> Result<(), StoreError> {
        match self {
            Upload::Fs { file, partial, .. } => {
                drop(file);
                tokio::fs::remove_file(&partial).await.map_err(io_error)
            }
            Upload::S3 { client, bucket, key, upload_id, .. } => client
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .send()
                .await
                .map(drop)
                .map_err(s3_error),
        }
    }
}
