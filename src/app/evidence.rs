//! Evidence use cases: a streamed upload that sniffs, caps and hashes the
//! bytes as they pass and records the file only once it is stored; a direct
//! upload to S3 that is verified when the client completes it; listing;
//! reading; and the sweep that removes what was never finished.

use std::time::Duration;

use chrono::{DateTime, Utc};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::complaints::{load_for, load_for_update, persist, Seen};
use super::ids::new_id;
use super::{now, App, AppError, Caller, Missing};
use crate::domain::{self, Action, Command, EvidenceFile, EvidenceKind, EvidenceLimits, MEDIA_TYPES};
use crate::evidence::{StoreError, Upload};
use crate::store::evidence::{self as rows, EvidenceRow};
use crate::store::idempotency as keys;
use crate::store::{from_db, to_db, DbConn};

pub use crate::evidence::Readable;

/// How a caller reads a file's bytes.
#[derive(Debug, Clone)]
pub enum Content {
    /// From the store itself, by a short-lived presigned GET.
    Redirect(String),
    /// Streamed from a local file.
    File(std::path::PathBuf),
}

impl From<crate::evidence::Content> for Content {
    fn from(c: crate::evidence::Content) -> Self {
        match c {
            crate::evidence::Content::Redirect(url) => Content::Redirect(url),
            crate::evidence::Content::File(path) => Content::File(path),
        }
    }
}

/// An evidence file as the callers of `app` see it.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub id: String,
    pub complaint_id: String,
    pub uploader_id: String,
    pub uploader_role: String,
    pub kind: EvidenceKind,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub description: Option<String>,
    /// `pending` until a direct upload is completed, then `stored`.
    pub status: String,
    /// When it was stored (or, while pending, when the upload began).
    pub created_at: DateTime<Utc>,
}

impl TryFrom<EvidenceRow> for Evidence {
    type Error = AppError;
    fn try_from(r: EvidenceRow) -> Result<Self, AppError> {
        Ok(Evidence {
            kind: r.kind.parse().map_err(|m: String| AppError::Internal(anyhow::anyhow!(m)))?,
            created_at: from_db(r.created_at),
            id: r.id,
            complaint_id: r.complaint_id,
            uploader_id: r.uploader_id,
            uploader_role: r.uploader_role,
            media_type: r.media_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            file_name: r.file_name,
            description: r.description,
            status: r.status,
        })
    }
}

/// Bytes read before deciding what a file is.
const SNIFF_BYTES: usize = 8 * 1024;

/// How long a presigned GET stays valid.
pub const READ_URL_TTL: Duration = Duration::from_secs(300);

/// A direct upload may be completed this long after its URL expired (a PUT
/// that began just before the expiry may still be finishing).
pub const COMPLETE_GRACE: chrono::Duration = chrono::Duration::minutes(5);

/// The sweep leaves pending uploads alone for this much longer than
/// `COMPLETE_GRACE`, so clocks of several instances may disagree by as much.
const SWEEP_MARGIN: chrono::Duration = chrono::Duration::minutes(5);

/// Streamed writes still open this long after they began were cut off.
const UNFINISHED_AFTER: chrono::Duration = chrono::Duration::hours(6);

/// What the uploader says about the file.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    pub kind: EvidenceKind,
    /// The part's declared Content-Type, if any.
    pub declared_type: Option<String>,
    pub file_name: Option<String>,
    /// Shown in the timeline with the file.
    pub description: Option<String>,
    /// The file's exact size, when the client says it up front: the upload
    /// is then one streamed PUT, and a file over the cap is refused unread.
    pub size_bytes: Option<u64>,
}

impl NewEvidence {
    /// What makes two uploads the same request: where they go (`target`, the
    /// request path), the form's fields and the file's SHA-256 (not the
    /// multipart boundary).
    pub fn fingerprint(&self, target: &str, file_sha256: &str) -> String {
        let mut hasher = Sha256::new();
        for part in [
            target,
            self.kind.as_str(),
            self.description.as_deref().unwrap_or_default(),
            self.declared_type.as_deref().unwrap_or_default(),
            self.file_name.as_deref().unwrap_or_default(),
            file_sha256,
        ] {
            hasher.update(part.len().to_be_bytes());
            hasher.update(part);
        }
        format!("upload:{}", hex::encode(hasher.finalize()))
    }
}

/// The Idempotency-Key of an upload and the path it was sent to.
#[derive(Debug, Clone)]
pub struct UploadKey {
    pub key: String,
    pub target: String,
}

/// What the client says about a file it will PUT to the store itself.
#[derive(Debug, Clone)]
pub struct DirectUpload {
    pub kind: EvidenceKind,
    pub media_type: String,
    pub size_bytes: u64,
    pub file_name: Option<String>,
    /// Hex SHA-256 the stored bytes must have.
    pub sha256: Option<String>,
    pub description: Option<String>,
}

/// Where and how the client sends the bytes of a direct upload.
#[derive(Debug, Clone)]
pub struct UploadTicket {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

/// What one sweep removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    /// Direct uploads never completed, with their objects.
    pub expired_uploads: usize,
    /// Streamed writes left open by a crash or a dropped connection.
    pub unfinished_writes: usize,
    /// Direct uploads' staged bytes, once completed or expired.
    pub staged_copies: usize,
}

/// The media type the bytes show, in the names of `MEDIA_TYPES`.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let found = infer::get(head)?.mime_type();
    let found = if found == "image/heif" { "image/heic" } else { found };
    MEDIA_TYPES.iter().copied().find(|t| *t == found)
}

fn unavailable(e: StoreError) -> AppError {
    AppError::StoreUnavailable(e.into())
}

/// `heif` and `heic` are one allowed type.
fn canonical(media_type: &str) -> &str {
    if media_type == "image/heif" {
        "image/heic"
    } else {
        media_type
    }
}

fn not_allowed() -> String {
    format!("must be one of {}", MEDIA_TYPES.join(", "))
}

fn object_key(complaint_id: &str, evidence_id: &str) -> String {
    format!("complaints/{complaint_id}/{evidence_id}")
}

/// Where the client PUTs a direct upload. Completion copies it to the
/// evidence's own key, which no client ever had a URL for, and checks the
/// copy: what was judged is what stays, whatever is PUT afterwards.
fn staging_key(object_key: &str) -> String {
    format!("uploads/{}", object_key.strip_prefix("complaints/").unwrap_or(object_key))
}

/// Attaches a stored file to the complaint in the caller's transaction: the
/// domain's rules, the timeline entry, and the row `write_row` writes.
fn attach(
    conn: &mut DbConn,
    complaint_id: &str,
    caller: &Caller,
    policy: &domain::Policy,
    file: EvidenceFile,
    write_row: impl FnOnce(&mut DbConn, &Seen, chrono::NaiveDateTime) -> Result<EvidenceRow, AppError>,
) -> Result<(Seen, EvidenceRow), AppError> {
    let seen = load_for_update(conn, complaint_id, caller)?;
    let at = now();
    let events = domain::decide(&seen.complaint, &seen.actor, Command::AddEvidence(file), at, policy)?;
    let row = write_row(conn, &seen, to_db(at))?;
    let mut after = seen.complaint.clone();
    for e in &events {
        after.apply(e, at);
    }
    persist(conn, Some(&seen.complaint), &mut after, &seen.actor, &events, at)?;
    Ok((Seen { complaint: after, actor: seen.actor }, row))
}

fn check_room(conn: &mut DbConn, seen: &Seen, limits: &EvidenceLimits) -> Result<(), AppError> {
    let role = seen.actor.role.to_string();
    if rows::count_by_role(conn, &seen.complaint.id, &role)? >= limits.files_per_party {
        return Err(AppError::Conflict {
            code: "evidence_limit_reached",
            message: format!("the {role} already attached {} files to this complaint", limits.files_per_party),
        });
    }
    Ok(())
}

/// Writes `head` and the rest of the body; returns size and SHA-256. Never
/// writes past the cap or past the declared size.
async fn pump<S, E>(
    upload: &mut Upload,
    head: Bytes,
    body: &mut S,
    cap: u64,
    declared: Option<u64>,
) -> Result<(i64, String), AppError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut chunk = Some(Ok(head));
    while let Some(next) = chunk {
        let bytes = next.map_err(|e| AppError::invalid("file", format!("the upload broke off: {e}")))?;
        size += bytes.len() as u64;
        if size > cap {
            return Err(AppError::TooLarge { limit: cap });
        }
        if let Some(declared) = declared.filter(|d| size > *d) {
            return Err(AppError::invalid("size_bytes", format!("is {declared} but the file is longer")));
        }
        hasher.update(&bytes);
        upload.write(bytes).await.map_err(unavailable)?;
        chunk = body.next().await;
    }
    if let Some(declared) = declared.filter(|d| size != *d) {
        return Err(AppError::invalid("size_bytes", format!("is {declared} but the file has {size} bytes")));
    }
    Ok((size as i64, hex::encode(hasher.finalize())))
}

impl App {
    /// Streams a file into the evidence store and attaches it to the
    /// complaint. Nothing is recorded unless the object is stored; an object
    /// whose record fails is deleted.
    ///
    /// With an Idempotency-Key, the key is marked with the file in the
    /// transaction that attaches it; an upload that finds the key marked by
    /// another attaches nothing (409 `idempotency_key_in_flight`).
    #[tracing::instrument(skip(self, caller, input, body, idempotency_key), fields(complaint_id = %complaint_id))]
    pub async fn add_evidence<S, E>(
        &self,
        caller: &Caller,
        complaint_id: String,
        input: NewEvidence,
        body: S,
        idempotency_key: Option<UploadKey>,
    ) -> Result<(Seen, Evidence), AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        // Refuse early what would be refused at the end, before any byte moves.
        let cap = self.evidence_limits.cap(input.kind);
        match input.size_bytes {
            Some(n) if n > cap => return Err(AppError::TooLarge { limit: cap }),
            Some(0) => return Err(AppError::invalid("size_bytes", "must be at least 1")),
            _ => {}
        }
        self.may_upload(caller, &complaint_id).await?;

        // Some streams (multipart fields) must not be polled once they ended.
        let mut body = body.fuse();
        let mut head = BytesMut::new();
        while head.len() < SNIFF_BYTES {
            match body.next().await {
                Some(chunk) => head.extend_from_slice(
                    &chunk.map_err(|e| AppError::invalid("file", format!("the upload broke off: {e}")))?,
                ),
                None => break,
            }
        }
        if head.is_empty() {
            return Err(AppError::invalid("file", "is empty"));
        }
        let media_type = sniff(&head).ok_or_else(|| AppError::invalid("file", not_allowed()))?;
        input.kind.check_media_type("kind", media_type)?;
        if let Some(declared) = input.declared_type.as_deref().filter(|d| *d != "application/octet-stream") {
            let declared = canonical(declared);
            if declared != media_type {
                return Err(AppError::invalid(
                    "file",
                    format!("is declared as {declared} but its bytes are {media_type}"),
                ));
            }
        }

        let evidence_id = new_id("evd");
        let key = object_key(&complaint_id, &evidence_id);
        let upload = match input.size_bytes {
            Some(length) => self.evidence.begin_sized(&key, media_type, length).await,
            None => self.evidence.begin(&key, media_type).await,
        };
        let mut upload = upload.map_err(unavailable)?;
        let (size_bytes, sha256) = match pump(&mut upload, head.freeze(), &mut body, cap, input.size_bytes).await {
            Ok(done) => done,
            Err(e) => {
                if let Err(abort) = upload.abort().await {
                    tracing::warn!(error = %abort, "could not abort an evidence upload");
                }
                return Err(e);
            }
        };
        upload.finish().await.map_err(unavailable)?;

        let (caller, policy, limits, object_key) =
            (caller.clone(), self.policy.clone(), self.evidence_limits.clone(), key.clone());
        let marking = idempotency_key.map(|k| (input.fingerprint(&k.target, &sha256), k.key));
        let file_name = input.file_name.map(|n| n.chars().take(255).collect::<String>());
        let file = EvidenceFile {
            evidence_id: evidence_id.clone(),
            kind: input.kind,
            media_type: media_type.to_string(),
            size_bytes,
            sha256: Some(sha256.clone()),
            file_name: file_name.clone(),
            description: input.description.clone(),
            uploader_role: domain::Role::System, // `decide` sets the actor's role
        };
        let recorded = self
            .write(move |conn| {
                attach(conn, &complaint_id, &caller, &policy, file, |conn, seen, at| {
                    check_room(conn, seen, &limits)?;
                    if let Some((fingerprint, key)) = &marking {
                        if !keys::mark_upload(conn, &caller.id, key, fingerprint, &complaint_id, &evidence_id)? {
                            return Err(AppError::Conflict {
                                code: "idempotency_key_in_flight",
                                message: "another upload under this Idempotency-Key attached its file first; \
                                          retry to get its answer"
                                    .into(),
                            });
                        }
                    }
                    let row = EvidenceRow {
                        id: evidence_id,
                        complaint_id: complaint_id.clone(),
                        uploader_id: seen.actor.id.clone(),
                        uploader_role: seen.actor.role.to_string(),
                        kind: input.kind.to_string(),
                        media_type: media_type.to_string(),
                        size_bytes,
                        sha256: Some(sha256),
                        file_name,
                        object_key,
                        status: "stored".into(),
                        created_at: at,
                        description: input.description,
                        upload_expires_at: None,
                    };
                    rows::insert(conn, &row)?;
                    Ok(row)
                })
            })
            .await;
        if recorded.is_err() {
            if let Err(e) = self.evidence.delete(&key).await {
                tracing::warn!(error = %e, key, "could not delete the object of an evidence upload that was not recorded");
            }
        }
        recorded.and_then(|(seen, row)| Ok((seen, row.try_into()?)))
    }

    /// Reserves a place for a file the client PUTs straight to S3, and signs
    /// that PUT for exactly the declared size and type. The file counts
    /// against the party's cap from now; it joins the complaint when
    /// `complete_direct_upload` has checked the stored object.
    #[tracing::instrument(skip(self, caller, input), fields(complaint_id = %complaint_id))]
    pub async fn start_direct_upload(
        &self,
        caller: &Caller,
        complaint_id: String,
        input: DirectUpload,
    ) -> Result<(Evidence, UploadTicket), AppError> {
        let media_type = canonical(&input.media_type).to_string();
        if !MEDIA_TYPES.contains(&media_type.as_str()) {
            return Err(AppError::invalid("media_type", not_allowed()));
        }
        input.kind.check_media_type("kind", &media_type)?;
        let cap = self.evidence_limits.cap(input.kind);
        if input.size_bytes == 0 || input.size_bytes > cap {
            return Err(AppError::invalid("size_bytes", format!("must be between 1 and {cap} for {}", input.kind)));
        }
        let size_bytes = input.size_bytes as i64;
        let evidence_id = new_id("evd");
        let key = object_key(&complaint_id, &evidence_id);
        let ttl = self.evidence_limits.upload_ttl;
        // Signing is local (no request to the store); only S3 takes direct uploads.
        let put = match self.evidence.takes_direct_uploads() {
            true => {
                let staging = staging_key(&key);
                Some(
                    self.evidence
                        .presign_put(&staging, &media_type, input.size_bytes, ttl)
                        .await
                        .map_err(unavailable)?,
                )
            }
            false => None,
        };
        let expires_at = now() + chrono::Duration::from_std(ttl).map_err(|e| AppError::Internal(e.into()))?;

        let (caller, limits) = (caller.clone(), self.evidence_limits.clone());
        let (row, put) = self
            .write(move |conn| {
                let seen = load_for_update(conn, &complaint_id, &caller)?;
                domain::guard(&seen.complaint, &seen.actor, Action::UploadEvidence, now())?;
                check_room(conn, &seen, &limits)?;
                let Some(put) = put else {
                    return Err(AppError::Conflict {
                        code: "direct_upload_unavailable",
                        message: "this service keeps evidence in a local directory: upload through POST …/evidence"
                            .into(),
                    });
                };
                let row = EvidenceRow {
                    id: evidence_id,
                    complaint_id,
                    uploader_id: seen.actor.id.clone(),
                    uploader_role: seen.actor.role.to_string(),
                    kind: input.kind.to_string(),
                    media_type,
                    size_bytes,
                    sha256: input.sha256.map(|h| h.to_ascii_lowercase()),
                    file_name: input.file_name.map(|n| n.chars().take(255).collect()),
                    object_key: key,
                    status: "pending".into(),
                    created_at: to_db(now()),
                    description: input.description,
                    upload_expires_at: Some(to_db(expires_at)),
                };
                rows::insert(conn, &row)?;
                Ok((row, put))
            })
            .await?;
        Ok((row.try_into()?, UploadTicket { url: put.url, headers: put.headers, expires_at }))
    }

    /// Checks the object a client uploaded directly: its size (HEAD), its
    /// type (the first bytes) and, when the client gave one, its SHA-256. A
    /// file that does not match is refused and deleted; one that matches
    /// joins the complaint and its timeline. Completing twice answers the
    /// stored file again.
    #[tracing::instrument(skip(self, caller), fields(complaint_id = %complaint_id, evidence_id = %evidence_id))]
    pub async fn complete_direct_upload(
        &self,
        caller: &Caller,
        complaint_id: String,
        evidence_id: String,
    ) -> Result<(Seen, Evidence), AppError> {
        let (who, cid, eid) = (caller.clone(), complaint_id.clone(), evidence_id.clone());
        let (seen, row) = self
            .read(move |conn| {
                let seen = load_for(conn, &cid, &who)?;
                let row = rows::find_any(conn, &cid, &eid)?.ok_or(AppError::NotFound(Missing::Evidence))?;
                Ok((seen, row))
            })
            .await?;
        if row.uploader_id != caller.id {
            return Err(AppError::Forbidden("only the uploader completes an upload".into()));
        }
        if row.status == "stored" {
            return Ok((seen, row.try_into()?));
        }
        let expires_at = row.upload_expires_at.map(from_db).unwrap_or_else(now);
        if now() > expires_at + COMPLETE_GRACE {
            return Err(AppError::Conflict {
                code: "upload_expired",
                message: "the upload URL expired; start a new upload".into(),
            });
        }
        let key = row.object_key.clone();
        let staging = staging_key(&key);
        if self.evidence.size_of(&staging).await.map_err(unavailable)?.is_none() {
            return Err(AppError::Conflict {
                code: "upload_not_found",
                message: "nothing was uploaded yet: PUT the file to the upload URL, then complete".into(),
            });
        }
        // Everything below is checked on a copy only this service ever
        // writes, under a key of this attempt's own: a concurrent completion
        // cannot overwrite what this one checks, and only one of them is kept.
        let key = format!("{key}.{}", new_id("try"));
        let checked = self.check_copy(&staging, &key, &row).await;
        let sha256 = match checked {
            Ok(sha256) => sha256,
            Err(e) => {
                // Nothing of a failed attempt stays; a refused upload goes altogether.
                if let Err(gone) = self.evidence.delete(&key).await {
                    tracing::warn!(error = %gone, key, "could not delete a checked copy");
                }
                if matches!(e, AppError::Invalid(_)) {
                    self.discard(&row).await?;
                }
                return Err(e);
            }
        };

        let file = EvidenceFile {
            evidence_id: row.id.clone(),
            kind: row.kind.parse().map_err(|m: String| AppError::Internal(anyhow::anyhow!(m)))?,
            media_type: row.media_type.clone(),
            size_bytes: row.size_bytes,
            sha256: Some(sha256.clone()),
            file_name: row.file_name.clone(),
            description: row.description.clone(),
            uploader_role: domain::Role::System, // `decide` sets the actor's role
        };
        let (caller_again, policy, latest_expiry) =
            (caller.clone(), self.policy.clone(), to_db(now() - COMPLETE_GRACE));
        let (caller, key_kept, pending) = (caller.clone(), key.clone(), row.clone());
        let attached = self
            .write(move |conn| {
                attach(conn, &complaint_id, &caller, &policy, file, |conn, _, at| {
                    if !rows::mark_stored(conn, &row.id, &key_kept, &sha256, latest_expiry, at)? {
                        return Err(AppError::Conflict {
                            code: "upload_expired",
                            message: "the upload URL expired; start a new upload".into(),
                        });
                    }
                    let sha256 = Some(sha256);
                    let (status, object_key) = ("stored".into(), key_kept);
                    Ok(EvidenceRow { status, sha256, object_key, created_at: at, upload_expires_at: None, ..row })
                })
            })
            .await;
        if attached.is_err() {
            self.evidence.delete(&key).await.map_err(unavailable)?;
        }
        match &attached {
            // The complaint closed meanwhile: the file can never join it.
            Err(AppError::Domain(_)) => self.discard(&pending).await?,
            // A concurrent completion of the same upload kept its copy: answer that.
            Err(AppError::Conflict { code: "upload_expired", .. }) => {
                let (who, cid, eid) = (caller_again.clone(), pending.complaint_id.clone(), pending.id.clone());
                let stored = self
                    .read(move |conn| {
                        let seen = load_for(conn, &cid, &who)?;
                        Ok(rows::find(conn, &cid, &eid)?.map(|row| (seen, row)))
                    })
                    .await?;
                if let Some(done) = stored {
                    return done.1.try_into().map(|e| (done.0, e));
                }
            }
            _ => {}
        }
        attached.and_then(|(seen, row)| Ok((seen, row.try_into()?)))
    }

    /// Copies a direct upload's staged bytes to `key` and checks the copy
    /// against what was declared: its size, its type (first bytes) and, when
    /// given, its SHA-256. Returns the copy's SHA-256; 422 on a mismatch.
    async fn check_copy(&self, staging: &str, key: &str, row: &EvidenceRow) -> Result<String, AppError> {
        self.evidence.copy(staging, key).await.map_err(unavailable)?;
        let size = self.evidence.size_of(key).await.map_err(unavailable)?.unwrap_or(0);
        if size != row.size_bytes as u64 {
            return Err(AppError::invalid(
                "size_bytes",
                format!("{} bytes were declared but {size} were stored", row.size_bytes),
            ));
        }
        let head = self.evidence.head_bytes(key, SNIFF_BYTES).await.map_err(unavailable)?;
        match sniff(&head) {
            Some(found) if found == row.media_type => {}
            Some(found) => {
                return Err(AppError::invalid(
                    "media_type",
                    format!("{} was declared but the stored bytes are {found}", row.media_type),
                ))
            }
            None => return Err(AppError::invalid("media_type", format!("the stored bytes {}", not_allowed()))),
        }
        let actual = self.evidence.sha256_of(key).await.map_err(unavailable)?;
        match &row.sha256 {
            Some(expected) if *expected != actual => {
                Err(AppError::invalid("sha256", format!("the stored bytes hash to {actual}, not {expected}")))
            }
            _ => Ok(actual),
        }
    }

    /// Whether the caller may add a file to the complaint now: checked before
    /// any byte moves, and again when the file is recorded.
    async fn may_upload(&self, caller: &Caller, complaint_id: &str) -> Result<(), AppError> {
        let (caller, id, limits) = (caller.clone(), complaint_id.to_string(), self.evidence_limits.clone());
        self.read(move |conn| {
            let seen = load_for(conn, &id, &caller)?;
            domain::guard(&seen.complaint, &seen.actor, Action::UploadEvidence, now())?;
            check_room(conn, &seen, &limits)
        })
        .await
    }

    /// Deletes a pending upload's objects (its copy and what the client
    /// PUT), then its row.
    async fn discard(&self, row: &EvidenceRow) -> Result<(), AppError> {
        self.evidence.delete(&row.object_key).await.map_err(unavailable)?;
        self.evidence.delete(&staging_key(&row.object_key)).await.map_err(unavailable)?;
        let id = row.id.clone();
        self.write(move |conn| Ok(rows::delete_pending(conn, &id)?)).await?;
        Ok(())
    }

    /// Removes direct uploads never completed (object and row) and streamed
    /// writes a crash left open. Safe to run on several instances at once.
    pub async fn sweep_uploads(&self, at: DateTime<Utc>) -> Result<Swept, AppError> {
        let mut swept = Swept::default();
        let before = to_db(at - COMPLETE_GRACE - SWEEP_MARGIN);
        loop {
            let expired = self.read(move |conn| Ok(rows::expired_pending(conn, before, 100)?)).await?;
            let n = expired.len();
            for row in &expired {
                self.discard(row).await?;
                swept.expired_uploads += 1;
            }
            if n < 100 {
                break;
            }
        }
        swept.unfinished_writes = self.evidence.sweep_unfinished(at - UNFINISHED_AFTER).await.map_err(unavailable)?;
        // What clients PUT is kept while its URL is valid, so that a second
        // PUT finds the key taken; once no completion can come, it goes.
        let ttl = chrono::Duration::from_std(self.evidence_limits.upload_ttl).unwrap_or(chrono::Duration::hours(1));
        let staged_before = at - ttl - COMPLETE_GRACE - SWEEP_MARGIN;
        swept.staged_copies = self.evidence.delete_older("uploads/", staged_before).await.map_err(unavailable)?;
        Ok(swept)
    }

    /// The complaint's evidence (parties and staff).
    pub async fn evidence_of(&self, caller: &Caller, complaint_id: String) -> Result<Vec<Evidence>, AppError> {
        let caller = caller.clone();
        self.read(move |conn| {
            load_for(conn, &complaint_id, &caller)?;
            rows::of_complaint(conn, &complaint_id)?.into_iter().map(Evidence::try_from).collect()
        })
        .await
    }

    /// One stored file of the complaint and the complaint's version, as the
    /// caller sees them (the answer a lost upload is replayed with).
    pub async fn attached_evidence(
        &self,
        caller: &Caller,
        complaint_id: String,
        evidence_id: String,
    ) -> Result<(Seen, Evidence), AppError> {
        let caller = caller.clone();
        self.read(move |conn| {
            let seen = load_for(conn, &complaint_id, &caller)?;
            let row = rows::find(conn, &complaint_id, &evidence_id)?.ok_or(AppError::NotFound(Missing::Evidence))?;
            Ok((seen, row.try_into()?))
        })
        .await
    }

    /// One file's row, for a caller who may read the complaint.
    async fn evidence_row(
        &self,
        caller: &Caller,
        complaint_id: String,
        evidence_id: String,
    ) -> Result<(domain::Role, EvidenceRow), AppError> {
        let caller = caller.clone();
        self.read(move |conn| {
            let seen = load_for(conn, &complaint_id, &caller)?;
            let row = rows::find(conn, &complaint_id, &evidence_id)?.ok_or(AppError::NotFound(Missing::Evidence))?;
            Ok((seen.actor.role, row))
        })
        .await
    }

    /// One stored file's record and its bytes, read through the service, for
    /// staff arbitrating the complaint (an agent who is a party, or anyone
    /// else, finds nothing: parties read evidence through the marketplace).
    pub async fn evidence_bytes(
        &self,
        caller: &Caller,
        complaint_id: String,
        evidence_id: String,
    ) -> Result<(Evidence, crate::evidence::Readable), AppError> {
        let (role, row) = self.evidence_row(caller, complaint_id, evidence_id).await?;
        if role != domain::Role::Staff || row.status != "stored" {
            return Err(AppError::NotFound(Missing::Evidence));
        }
        let readable = self.evidence.open(&row.object_key).await.map_err(unavailable)?;
        Ok((row.try_into()?, readable))
    }

    /// One file's record and how to read its bytes.
    pub async fn evidence_content(
        &self,
        caller: &Caller,
        complaint_id: String,
        evidence_id: String,
    ) -> Result<(Evidence, Content), AppError> {
        let (_, row) = self.evidence_row(caller, complaint_id, evidence_id).await?;
        let name = row.file_name.clone().unwrap_or_else(|| row.id.clone());
        let content = self.evidence.content(&row.object_key, &name, READ_URL_TTL).await.map_err(unavailable)?;
        Ok((row.try_into()?, content.into()))
    }
}
