//! Parameters every list or command reads the same way: page sizes,
//! cursors, marketplace ids and `If-Match`.

use actix_web::http::header;
use actix_web::HttpRequest;

use super::problem::ApiError;

/// The version in `If-Match: "7"` (`*` or no header: any version).
pub(crate) fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || ApiError::bad_parameter("If-Match", "must be the complaint's ETag, e.g. \"3\"");
    let text = value.to_str().map_err(|_| bad())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    // A bare version is taken too: clients that drop the quotes mean the same.
    let digits = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag);
    if !(1..=18).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits.parse().map(Some).map_err(|_| bad())
}

/// Page size: 1 to 100, 20 by default.
pub(crate) fn limit_of(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit.unwrap_or(20) {
        n @ 1..=100 => Ok(n),
        _ => Err(ApiError::bad_parameter("limit", "must be between 1 and 100")),
    }
}

/// The `cursor` parameter of a list, as that list's cursor.
pub(crate) fn cursor<C: crate::app::page::Cursor>(opaque: &str) -> Result<C, ApiError> {
    C::decode(opaque).ok_or_else(|| ApiError::bad_parameter("cursor", "not a cursor of this list"))
}

/// An id chosen by the marketplace: 1 to 100 of `A-Z a-z 0-9 . _ : -`.
pub(crate) fn checked_id(field: &str, id: String) -> Result<String, ApiError> {
    let ok = (1..=100).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
    if ok {
        Ok(id)
    } else {
        Err(ApiError::bad_parameter(field, "must be 1 to 100 of A-Z a-z 0-9 . _ : -"))
    }
}
