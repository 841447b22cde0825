//! Ids: a type prefix and a ULID, so they sort by creation time.

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase())
}
