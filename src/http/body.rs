//! The JSON body extractor: refuses an outsized body before reading it,
//! names the offending field of a body that does not parse, and runs the
//! type's `validator` rules.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{dev::Payload, error::PayloadError, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::problem::ApiError;
use crate::app::{AppError, FieldError};

/// Largest JSON body accepted.
pub const JSON_LIMIT: usize = 64 * 1024;

/// A JSON request body of type `T`, parsed and validated.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + Serialize + Validate + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<actix_web::mime::Mime>().ok())
            .is_none_or(|m| m.subtype() == actix_web::mime::JSON || m.suffix() == Some(actix_web::mime::JSON));
        // Checks Content-Length against the limit before reading a byte.
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = bytes.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => ApiError::BodyTooLarge(JSON_LIMIT),
                _ => ApiError::InvalidJson(e.to_string()),
            })?;
            let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
            Ok(Body(parse(text)?))
        })
    }
}

/// Parses and validates a JSON document as `T`.
pub fn parse<T: DeserializeOwned + Serialize + Validate>(text: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(text);
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let well_formed = serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok();
        if (inner.is_syntax() || inner.is_eof()) && !well_formed {
            return ApiError::InvalidJson(inner.to_string());
        }
        // serde_json reports some type errors (a number for an enum) as syntax.
        let message =
            if inner.is_data() { strip_position(&inner.to_string()) } else { "has the wrong type".to_string() };
        // The path already ends with an unknown field's name; a type error at
        // the top level has no path.
        let field = match (path.as_str(), unknown_field(&message)) {
            (".", Some(name)) => name.to_string(),
            (".", None) => "body".to_string(),
            _ => path,
        };
        ApiError::App(AppError::invalid(field, message))
    })?;
    // serde also reads a struct from an array of its fields in order; the
    // spec says object, so an array where `T` has an object is refused.
    // Only a body with an array can hold one.
    let arrays = text.contains(&b'[');
    if let (true, Ok(input), Ok(read)) = (arrays, serde_json::from_slice::<Value>(text), serde_json::to_value(&value)) {
        if let Some(field) = array_for_object(&input, &read, "") {
            let field = if field.is_empty() { "body".to_string() } else { field };
            return Err(ApiError::App(AppError::invalid(field, "must be an object")));
        }
    }
    // PostgreSQL text cannot hold NUL, and no field means one: refused here
    // on both backends rather than failing at the insert. Only a body that
    // spells the escape can hold one (JSON forbids raw control characters).
    if text.windows(6).any(|w| w == b"\\u0000") {
        if let Some(field) = serde_json::from_slice::<Value>(text).ok().and_then(|v| nul_in(&v, "")) {
            let field = if field.is_empty() { "body".to_string() } else { field };
            return Err(ApiError::App(AppError::invalid(field, NUL_MESSAGE)));
        }
    }
    value.validate().map_err(|e| {
        let mut errors = Vec::new();
        flatten("", &e, &mut errors);
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::App(AppError::Invalid(errors))
    })?;
    Ok(value)
}

/// The path of `key` inside the object at `path`.
fn member(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// What a text with a NUL character is refused with.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// The path of the first string in `input` (value or key) holding a NUL.
fn nul_in(input: &Value, path: &str) -> Option<String> {
    let at = |key: &str| member(path, key);
    match input {
        Value::String(s) => s.contains('\0').then(|| path.to_string()),
        Value::Object(o) => o.iter().find_map(|(k, v)| if k.contains('\0') { Some(at(k)) } else { nul_in(v, &at(k)) }),
        Value::Array(a) => a.iter().enumerate().find_map(|(n, v)| nul_in(v, &format!("{path}[{n}]"))),
        _ => None,
    }
}

/// The path of the first array in `input` that `T` read as an object.
fn array_for_object(input: &Value, read: &Value, path: &str) -> Option<String> {
    let at = |key: &str| member(path, key);
    match (input, read) {
        (Value::Array(_), Value::Object(_)) => Some(path.to_string()),
        (Value::Object(i), Value::Object(r)) => {
            i.iter().find_map(|(k, v)| r.get(k).and_then(|rv| array_for_object(v, rv, &at(k))))
        }
        (Value::Array(i), Value::Array(r)) => {
            i.iter().zip(r).enumerate().find_map(|(n, (v, rv))| array_for_object(v, rv, &format!("{path}[{n}]")))
        }
        _ => None,
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

fn flatten(prefix: &str, errors: &ValidationErrors, out: &mut Vec<FieldError>) {
    for (name, kind) in errors.errors() {
        let path = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|e| FieldError { field: path.clone(), message: describe(e) }))
            }
            ValidationErrorsKind::Struct(inner) => flatten(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}

fn describe(e: &validator::ValidationError) -> String {
    if let Some(m) = &e.message {
        return m.to_string();
    }
    let param = |k: &str| e.params.get(k).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} long"),
            (None, Some(max)) => format!("must be at most {max} long"),
            (Some(min), None) => format!("must be at least {min} long"),
            _ => "has the wrong length".into(),
        },
        "email" => "must be an email address".into(),
        code => format!("is not valid ({code})"),
    }
}
