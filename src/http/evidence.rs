//! Evidence endpoints: the streamed multipart upload, the list, the content.

use actix_files::NamedFile;
use actix_multipart::{Field, Multipart};
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use utoipa::ToSchema;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::body::Body;
use super::idempotency;
use super::problem::ApiError;
use super::wire::DirectUploadBody;
use crate::app::evidence::{Content, DirectUpload, Evidence, NewEvidence, UploadKey};
use crate::app::idempotency::UploadClaim;
use crate::app::{App, AppError, Caller};
use crate::domain::{Action, EvidenceKind};

/// A file attached to a complaint.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: String,
    pub complaint_id: String,
    pub uploader_id: String,
    /// `buyer`, `seller` or `staff`.
    pub uploader_role: String,
    pub kind: EvidenceKind,
    /// Sniffed from the bytes.
    #[schema(value_type = super::wire::MediaType)]
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: Option<String>,
    /// As the uploader named it; metadata only.
    pub file_name: Option<String>,
    pub description: Option<String>,
    /// `pending` until a direct upload is completed, then `stored`.
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<Evidence> for EvidenceView {
    fn from(e: Evidence) -> Self {
        EvidenceView {
            kind: e.kind,
            created_at: e.created_at,
            id: e.id,
            complaint_id: e.complaint_id,
            uploader_id: e.uploader_id,
            uploader_role: e.uploader_role,
            media_type: e.media_type,
            size_bytes: e.size_bytes,
            sha256: e.sha256,
            file_name: e.file_name,
            description: e.description,
            status: e.status,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceList {
    pub data: Vec<EvidenceView>,
}

/// The multipart form of an upload: `kind`, `description` and `size_bytes` before `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    kind: EvidenceKind,
    /// Optional note about the file, shown in the timeline.
    #[schema(nullable = false, max_length = 2000)]
    description: Option<String>,
    /// The file's exact size, if known: a file over the cap is then refused before it is read, and on S3
    /// the file is stored with one streamed PUT instead of a multipart upload.
    #[schema(nullable = false, minimum = 0)]
    size_bytes: Option<i64>,
    /// The file; its Content-Type must match its bytes.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The upload's answer: the complaint (its timeline gained an entry) and the evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadAnswer {
    pub evidence: EvidenceView,
    pub complaint_version: i64,
}

async fn text_field(field: &mut Field, name: &str, limit: usize) -> Result<String, ApiError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| ApiError::App(AppError::invalid(name, e.to_string())))?;
        if out.len() + chunk.len() > limit {
            return Err(ApiError::App(AppError::invalid(name, format!("must be at most {limit} bytes"))));
        }
        out.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(out).map_err(|_| ApiError::App(AppError::invalid(name, "must be UTF-8 text")))?;
    without_nul(name, text)
}

/// `text`, unless it holds a NUL character (which PostgreSQL cannot store).
fn without_nul(name: &str, text: String) -> Result<String, ApiError> {
    match text.contains('\0') {
        true => Err(ApiError::App(AppError::invalid(name, super::body::NUL_MESSAGE))),
        false => Ok(text),
    }
}

/// Reads the form's `kind` and `description`, then hands the `file` field
/// to `on_file` without buffering it.
async fn with_file<T>(
    mut form: Multipart,
    on_file: impl AsyncFnOnce(NewEvidence, &mut Field) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut kind: Option<EvidenceKind> = None;
    let mut description: Option<String> = None;
    let mut size_bytes: Option<u64> = None;
    while let Some(mut field) =
        form.try_next().await.map_err(|e| ApiError::App(AppError::invalid("body", e.to_string())))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let given = match name.as_str() {
            "kind" => kind.is_some(),
            "description" => description.is_some(),
            "size_bytes" => size_bytes.is_some(),
            _ => false,
        };
        if given {
            return Err(ApiError::App(AppError::invalid(name, "is given twice")));
        }
        match name.as_str() {
            "kind" => {
                let text = text_field(&mut field, "kind", 64).await?;
                kind = Some(text.trim().parse().map_err(|m: String| ApiError::App(AppError::invalid("kind", m)))?);
            }
            "description" => description = Some(text_field(&mut field, "description", 2000).await?),
            "size_bytes" => {
                let text = text_field(&mut field, "size_bytes", 20).await?;
                let size = (text.trim().parse::<i64>().ok()).and_then(|n| u64::try_from(n).ok()).ok_or_else(|| {
                    ApiError::App(AppError::invalid("size_bytes", "must be the file's size in bytes"))
                })?;
                size_bytes = Some(size);
            }
            "file" => {
                let kind = kind.ok_or_else(|| {
                    ApiError::App(AppError::invalid(
                        "kind",
                        "send `kind` (and `description`, `size_bytes`) before `file`",
                    ))
                })?;
                let file_name = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_string);
                let input = NewEvidence {
                    kind,
                    declared_type: field.content_type().map(|m| m.essence_str().to_string()),
                    file_name: file_name.map(|n| without_nul("file", n)).transpose()?,
                    description,
                    size_bytes,
                };
                return on_file(input, &mut field).await;
            }
            other => return Err(ApiError::App(AppError::invalid(other.to_string(), "unknown form field"))),
        }
    }
    Err(ApiError::App(AppError::invalid("file", "is required")))
}

/// Upload a file, streamed: sniffed, capped and hashed as it arrives (parties, staff).
///
/// With an `Idempotency-Key`, a repeat of the same upload (same form fields and file bytes) replays the
/// first answer instead of attaching a second file.
#[utoipa::path(
    tag = "evidence",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::IdempotencyHeader),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored and attached", body = UploadAnswer),
        super::spec_parts::Refused,
        (status = 503, description = "The evidence store is unreachable; nothing was kept", body = super::wire::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/complaints/{id}/evidence")]
pub async fn upload(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    let limit = app.evidence_limits.largest() + 64 * 1024;
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::App(AppError::TooLarge { limit }));
    }
    let complaint_id = path.into_inner();
    let target = req.path().to_string();
    let key = idempotency::key_of(&req)?;
    let upload_key = key.clone().map(|key| UploadKey { key, target: target.clone() });
    let store = async |input: NewEvidence, field: &mut Field| {
        let kept = input.clone();
        let (seen, evidence) = app.add_evidence(&caller, complaint_id.clone(), input, field, upload_key).await?;
        let print = kept.fingerprint(&target, evidence.sha256.as_deref().unwrap_or_default());
        Ok::<_, ApiError>((upload_answer(&seen, evidence)?, print))
    };
    let Some(key) = key else {
        return with_file(form, store).await.map(|(res, _)| res);
    };
    // Reads a repeat through (hashing, keeping nothing) to tell a retry from
    // another upload under the same key.
    let repeat_of = async |form: Multipart| {
        with_file(form, async |input, field| {
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| ApiError::App(AppError::invalid("file", e.to_string())))?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(ApiError::App(AppError::TooLarge { limit }));
                }
                hasher.update(&chunk);
            }
            Ok(input.fingerprint(&target, &hex::encode(hasher.finalize())))
        })
        .await
    };
    match app.claim_upload_key(caller.id.clone(), key.clone()).await? {
        UploadClaim::InFlight => Err(ApiError::IdempotencyKeyInFlight),
        UploadClaim::Done { fingerprint: first, status, response } => {
            if repeat_of(form).await? != first {
                return Err(ApiError::IdempotencyKeyReused);
            }
            Ok(idempotency::replay(status, &response)?)
        }
        UploadClaim::Attached { fingerprint: first, complaint_id, evidence_id } => {
            if repeat_of(form).await? != first {
                return Err(ApiError::IdempotencyKeyReused);
            }
            let (seen, evidence) = app.attached_evidence(&caller, complaint_id, evidence_id).await?;
            let res = upload_answer(&seen, evidence)?;
            let (res, body) = res.into_parts();
            let bytes = actix_web::body::to_bytes(body)
                .await
                .map_err(|e| ApiError::App(AppError::Internal(anyhow::anyhow!(e.to_string()))))?;
            let stored = idempotency::stored_answer(res.headers(), &bytes);
            if let Err(e) = app.finish_upload_key(caller.id.clone(), key, first, 201, stored.clone()).await {
                tracing::warn!(error = %e, "could not store the answer of an idempotent upload");
            }
            Ok(idempotency::replay(201, &stored)?)
        }
        UploadClaim::Fresh => match with_file(form, store).await {
            Ok((res, print)) => {
                let (res, body) = res.into_parts();
                let bytes = actix_web::body::to_bytes(body)
                    .await
                    .map_err(|e| ApiError::App(AppError::Internal(anyhow::anyhow!(e.to_string()))))?;
                let stored = idempotency::stored_answer(res.headers(), &bytes);
                let status = res.status().as_u16();
                if let Err(e) = app.finish_upload_key(caller.id.clone(), key, print, status, stored).await {
                    tracing::warn!(error = %e, "could not store the answer of an idempotent upload");
                }
                Ok(res.set_body(bytes).map_into_boxed_body())
            }
            Err(e) => {
                // A refused or failed upload stored nothing: the key is free for a retry.
                idempotency::forget(&app, caller.id.clone(), key).await;
                Err(e)
            }
        },
    }
}

/// The answer to a stored upload: 201 with the evidence and the complaint's version as ETag.
fn upload_answer(seen: &crate::app::complaints::Seen, evidence: Evidence) -> Result<HttpResponse, ApiError> {
    let answer = UploadAnswer { evidence: evidence.into(), complaint_version: seen.complaint.version };
    Ok(HttpResponse::Created().insert_header((header::ETAG, format!("\"{}\"", seen.complaint.version))).json(answer))
}

/// Where to PUT the bytes of a direct upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadTarget {
    pub url: String,
    /// `PUT`.
    pub method: String,
    /// Send exactly these headers with the PUT: they are part of its signature.
    pub headers: BTreeMap<String, String>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A pending direct upload and where to send its bytes.
#[derive(Debug, Serialize, ToSchema)]
pub struct DirectUploadAnswer {
    /// Status `pending` until completed.
    pub evidence: EvidenceView,
    pub upload: UploadTarget,
}

/// Start a direct upload: a presigned PUT bound to the declared size and type (parties, staff; S3 store only).
#[utoipa::path(
    tag = "evidence",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::IdempotencyHeader),
    request_body = DirectUploadBody,
    responses(
        (status = 201, description = "PUT the file to `upload.url` with `upload.headers` before `upload.expires_at`, then complete it", body = DirectUploadAnswer),
        super::spec_parts::Refused,
        (status = 503, description = "The evidence store is unreachable", body = super::wire::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/complaints/{id}/evidence/uploads")]
pub async fn start_upload(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
    body: Result<Body<DirectUploadBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let b = super::command::authorized(&app, &caller, &path, &[Action::UploadEvidence], body).await?;
    let input = DirectUpload {
        kind: b.kind,
        media_type: b.media_type,
        size_bytes: b.size_bytes,
        file_name: b.file_name,
        sha256: b.sha256,
        description: b.description,
    };
    let (evidence, ticket) = app.start_direct_upload(&caller, path.into_inner(), input).await?;
    Ok(HttpResponse::Created().json(DirectUploadAnswer {
        evidence: evidence.into(),
        upload: UploadTarget {
            url: ticket.url,
            method: "PUT".into(),
            headers: ticket.headers.into_iter().collect(),
            expires_at: ticket.expires_at,
        },
    }))
}

/// Complete a direct upload: the stored object is checked (size, type, SHA-256 when given) and attached,
/// or refused and deleted (the uploader).
#[utoipa::path(
    tag = "evidence",
    params(("id" = String, Path, description = "Complaint id"), ("eid" = String, Path, description = "Evidence id"), super::spec_parts::IdempotencyHeader),
    responses(
        (status = 200, description = "Stored and attached (again the same answer when already completed)", body = UploadAnswer),
        super::spec_parts::Refused,
        (status = 503, description = "The evidence store is unreachable; the upload stays pending", body = super::wire::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/complaints/{id}/evidence/{eid}/complete")]
pub async fn complete_upload(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (complaint_id, evidence_id) = path.into_inner();
    let (seen, evidence) = app.complete_direct_upload(&caller, complaint_id, evidence_id).await?;
    let answer = UploadAnswer { evidence: evidence.into(), complaint_version: seen.complaint.version };
    Ok(HttpResponse::Ok().insert_header((header::ETAG, format!("\"{}\"", seen.complaint.version))).json(answer))
}

/// The complaint's evidence, oldest first (parties, staff).
#[utoipa::path(
    tag = "evidence",
    params(("id" = String, Path, description = "Complaint id")),
    responses((status = 200, description = "The evidence", body = EvidenceList), super::spec_parts::Refused)
)]
#[get("/v1/complaints/{id}/evidence")]
pub async fn list(app: web::Data<App>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let rows = app.evidence_of(&caller, path.into_inner()).await?;
    let data = rows.into_iter().map(EvidenceView::from).collect();
    Ok(HttpResponse::Ok().json(EvidenceList { data }))
}

/// The file: a redirect to a short-lived presigned GET (S3), or the bytes (local store).
#[utoipa::path(
    tag = "evidence",
    params(("id" = String, Path, description = "Complaint id"), ("eid" = String, Path, description = "Evidence id")),
    responses(
        (status = 200, description = "The bytes (local store), served as the type sniffed at upload", content(
            (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"), (Vec<u8> = "image/heic"),
            (Vec<u8> = "application/pdf"), (Vec<u8> = "video/mp4"), (Vec<u8> = "video/quicktime"),
        )),
        (status = 307, description = "Redirect to a presigned GET valid for 5 minutes (S3)"),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/complaints/{id}/evidence/{eid}/content")]
pub async fn content(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (complaint_id, evidence_id) = path.into_inner();
    let (row, content) = app.evidence_content(&caller, complaint_id, evidence_id).await?;
    match content {
        Content::Redirect(url) => Ok(HttpResponse::TemporaryRedirect().insert_header((header::LOCATION, url)).finish()),
        Content::File(path) => {
            let file =
                NamedFile::open_async(&path).await.map_err(|e| ApiError::App(AppError::StoreUnavailable(e.into())))?;
            let file_name = crate::domain::safe_file_name(row.file_name.as_deref().unwrap_or(&row.id));
            let media_type = row
                .media_type
                .parse()
                .map_err(|_| ApiError::App(AppError::Internal(anyhow::anyhow!("bad media type"))))?;
            let disposition = ContentDisposition {
                disposition: DispositionType::Attachment,
                parameters: vec![DispositionParam::Filename(file_name)],
            };
            let mut res = file.set_content_type(media_type).set_content_disposition(disposition).into_response(&req);
            res.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
            Ok(res)
        }
    }
}
