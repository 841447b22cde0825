//! What evidence may be: the media types a file can have, which of them
//! each kind takes, and how large and how many files a party may attach.

use std::time::Duration;

use super::EvidenceKind;

/// Media types accepted, as sniffed from the bytes.
pub const MEDIA_TYPES: [&str; 7] =
    ["image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf", "video/mp4", "video/quicktime"];

const IMAGES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/heic"];
const VIDEOS: &[&str] = &["video/mp4", "video/quicktime"];
const PAPERS: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf"];

impl EvidenceKind {
    /// The media types a file of this kind can be: a kind is what the file
    /// shows, so a PDF is no video and a PNG no screen recording (and the
    /// video cap is only for videos).
    pub fn media_types(&self) -> &'static [&'static str] {
        match self {
            EvidenceKind::Photo | EvidenceKind::Packaging | EvidenceKind::Screenshot => IMAGES,
            EvidenceKind::Video | EvidenceKind::ScreenRecording => VIDEOS,
            EvidenceKind::Receipt | EvidenceKind::ShippingLabel | EvidenceKind::Document => PAPERS,
            // `other` takes any accepted file, under the small cap.
            EvidenceKind::Other => &MEDIA_TYPES,
        }
    }

    /// Refuses a file of `media_type` as this kind, naming `field`.
    pub fn check_media_type(&self, field: &'static str, media_type: &str) -> Result<(), super::DomainError> {
        if self.media_types().contains(&media_type) {
            Ok(())
        } else {
            Err(super::DomainError::invalid(
                field,
                format!("a {self} is one of {}, not {media_type}", self.media_types().join(", ")),
            ))
        }
    }
}

/// How large a file may be and how many each party may attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceLimits {
    /// Cap for photos, documents and every kind that is not a video.
    pub file_bytes: u64,
    /// Cap for `video` and `screen_recording`.
    pub video_bytes: u64,
    /// Files each party (and staff) may attach to one complaint.
    pub files_per_party: i64,
    /// How long a direct upload's presigned PUT stays valid.
    pub upload_ttl: Duration,
}

impl Default for EvidenceLimits {
    fn default() -> Self {
        EvidenceLimits {
            file_bytes: 10 * 1024 * 1024,
            video_bytes: 200 * 1024 * 1024,
            files_per_party: 30,
            upload_ttl: Duration::from_secs(15 * 60),
        }
    }
}

impl EvidenceLimits {
    /// The size cap of a file of `kind`.
    pub fn cap(&self, kind: EvidenceKind) -> u64 {
        if kind.is_video() {
            self.video_bytes
        } else {
            self.file_bytes
        }
    }

    /// The largest file any kind may be.
    pub fn largest(&self) -> u64 {
        self.file_bytes.max(self.video_bytes)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind's types are accepted types, and every accepted type is some kind's.
    #[test]
    fn kinds_take_only_accepted_types() {
        for kind in EvidenceKind::ALL {
            assert!(kind.media_types().iter().all(|t| MEDIA_TYPES.contains(t)), "{kind}");
        }
        for t in MEDIA_TYPES {
            assert!(EvidenceKind::ALL.iter().any(|k| k != &EvidenceKind::Other && k.media_types().contains(&t)), "{t}");
        }
    }
}
