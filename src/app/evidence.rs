//! Evidence use cases: a streamed upload that sniffs, caps and hashes the
//! bytes as they pass and records the file only once it is stored; listing;
//! reading.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::complaints::{load_for, persist, Seen};
use super::ids::new_id;
use super::{now, App, AppError, Caller};
use crate::domain::{self, Action, Command, EvidenceFile, EvidenceKind};
use crate::evidence::{Content, StoreError, Upload};
use crate::store::evidence::{self as rows, EvidenceRow};
use crate::store::{dialect, to_db, DbConn};

pub use crate::store::evidence::EvidenceRow as Evidence;

/// Media types accepted, as sniffed from the bytes.
pub const ALLOWED_MEDIA_TYPES: [&str; 7] =
    ["image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf", "video/mp4", "video/quicktime"];

/// Bytes read before deciding what a file is.
const SNIFF_BYTES: usize = 8 * 1024;

/// How long a presigned GET stays valid.
pub const READ_URL_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct Limits {
    /// Cap for photos, documents and every kind that is not a video.
    pub file_bytes: u64,
    /// Cap for `video` and `screen_recording`.
    pub video_bytes: u64,
    /// Files each party (and staff) may attach to one complaint.
    pub files_per_party: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { file_bytes: 10 * 1024 * 1024, video_bytes: 200 * 1024 * 1024, files_per_party: 30 }
    }
}

impl Limits {
    pub fn cap(&self, kind: EvidenceKind) -> u64 {
        if kind.is_video() {
            self.video_bytes
        } else {
            self.file_bytes
        }
    }
}

/// What the uploader says about the file.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    pub kind: EvidenceKind,
    /// The part's declared Content-Type, if any.
    pub declared_type: Option<String>,
    pub file_name: Option<String>,
    /// Shown in the timeline with the file.
    pub description: Option<String>,
}

/// The media type the bytes show, in the names of `ALLOWED_MEDIA_TYPES`.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let found = infer::get(head)?.mime_type();
    let found = if found == "image/heif" { "image/heic" } else { found };
    ALLOWED_MEDIA_TYPES.iter().copied().find(|t| *t == found)
}

fn unavailable(e: StoreError) -> AppError {
    AppError::StoreUnavailable(e.into())
}

fn check_room(conn: &mut DbConn, seen: &Seen, limits: &Limits) -> Result<(), AppError> {
    let role = seen.actor.role.to_string();
    if rows::count_by_role(conn, &seen.complaint.id, &role)? >= limits.files_per_party {
        return Err(AppError::Conflict {
            code: "evidence_limit_reached",
            message: format!("the {role} already attached {} files to this complaint", limits.files_per_party),
        });
    }
    Ok(())
}

/// Writes the rest of the body after `head`; returns size and SHA-256.
async fn pump<S, E>(upload: &mut Upload, head: Bytes, body: &mut S, cap: u64) -> Result<(i64, String), AppError>
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
        hasher.update(&bytes);
        upload.write(&bytes).await.map_err(unavailable)?;
        chunk = body.next().await;
    }
    Ok((size as i64, hex::encode(hasher.finalize())))
}

impl App {
    /// Streams a file into the evidence store and attaches it to the
    /// complaint. Nothing is recorded unless the object is stored; an object
    /// whose record fails is deleted.
    #[tracing::instrument(skip(self, caller, input, body), fields(complaint_id = %complaint_id))]
    pub async fn add_evidence<S, E>(
        &self,
        caller: &Caller,
        complaint_id: String,
        input: NewEvidence,
        body: S,
    ) -> Result<(Seen, Evidence), AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        // Refuse early what would be refused at the end, before any byte moves.
        let (caller_for_check, id, limits) = (caller.clone(), complaint_id.clone(), self.evidence_limits.clone());
        self.read(move |conn| {
            let seen = load_for(conn, &id, &caller_for_check)?;
            domain::guard(&seen.complaint, &seen.actor, Action::UploadEvidence, now())?;
            check_room(conn, &seen, &limits)
        })
        .await?;

        let cap = self.evidence_limits.cap(input.kind);
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
        let media_type = sniff(&head)
            .ok_or_else(|| AppError::invalid("file", format!("must be one of {}", ALLOWED_MEDIA_TYPES.join(", "))))?;
        if let Some(declared) = input.declared_type.as_deref().filter(|d| *d != "application/octet-stream") {
            let declared = if declared == "image/heif" { "image/heic" } else { declared };
            if declared != media_type {
                return Err(AppError::invalid(
                    "file",
                    format!("is declared as {declared} but its bytes are {media_type}"),
                ));
            }
        }

        let evidence_id = new_id("evd");
        let key = format!("complaints/{complaint_id}/{evidence_id}");
        let mut upload = self.evidence.begin(&key, media_type).await.map_err(unavailable)?;
        let (size_bytes, sha256) = match pump(&mut upload, head.freeze(), &mut body, cap).await {
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
        let file_name = input.file_name.map(|n| n.chars().take(255).collect::<String>());
        let recorded = self
            .write(move |conn| {
                dialect::lock_complaint(conn, &complaint_id)?;
                let seen = load_for(conn, &complaint_id, &caller)?;
                check_room(conn, &seen, &limits)?;
                let at = now();
                let cmd = Command::AddEvidence(EvidenceFile {
                    evidence_id: evidence_id.clone(),
                    kind: input.kind,
                    media_type: media_type.to_string(),
                    size_bytes,
                    sha256: sha256.clone(),
                    file_name: file_name.clone(),
                    description: input.description,
                });
                let events = domain::decide(&seen.complaint, &seen.actor, cmd, at, &policy)?;
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
                    created_at: to_db(at),
                };
                let mut after = seen.complaint.clone();
                for e in &events {
                    after.apply(e, at);
                }
                persist(conn, Some(&seen.complaint), &mut after, &seen.actor, &events, at)?;
                rows::insert(conn, &row)?;
                Ok((Seen { complaint: after, actor: seen.actor }, row))
            })
            .await;
        if recorded.is_err() {
            if let Err(e) = self.evidence.delete(&key).await {
                tracing::warn!(error = %e, key, "could not delete the object of an evidence upload that was not recorded");
            }
        }
        recorded
    }

    /// The complaint's evidence (parties and staff).
    pub async fn evidence_of(&self, caller: &Caller, complaint_id: String) -> Result<Vec<Evidence>, AppError> {
        let caller = caller.clone();
        self.read(move |conn| {
            load_for(conn, &complaint_id, &caller)?;
            Ok(rows::of_complaint(conn, &complaint_id)?)
        })
        .await
    }

    /// One file's record and how to read its bytes.
    pub async fn evidence_content(
        &self,
        caller: &Caller,
        complaint_id: String,
        evidence_id: String,
    ) -> Result<(Evidence, Content), AppError> {
        let caller = caller.clone();
        let row = self
            .read(move |conn| {
                load_for(conn, &complaint_id, &caller)?;
                rows::find(conn, &complaint_id, &evidence_id)?.ok_or(AppError::NotFound("evidence"))
            })
            .await?;
        let name = row.file_name.clone().unwrap_or_else(|| row.id.clone());
        let content = self.evidence.content(&row.object_key, &name, READ_URL_TTL).await.map_err(unavailable)?;
        Ok((row, content))
    }
}
