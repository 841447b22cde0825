//! Pages of a list and their cursors. Each list has a cursor type of its
//! own; its text is written and read here and nowhere else, and clients get
//! it opaque (base64url), to hand back as it is.

use base64::Engine;
use chrono::{DateTime, Utc};

/// A page of results and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The opaque cursor of the next page, when there may be one.
    pub next_cursor: Option<String>,
}

/// A position in one list, written as opaque text.
pub trait Cursor: Sized {
    fn write(&self) -> String;
    fn read(text: &str) -> Option<Self>;

    /// The text a client gets.
    fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.write())
    }

    /// The cursor a client handed back; `None` when it is not one of this list.
    fn decode(opaque: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(opaque).ok()?;
        let text = String::from_utf8(bytes).ok().filter(|t| !t.is_empty())?;
        Self::read(&text)
    }
}

/// The cursor of the next page when this one is full.
pub(crate) fn next_of<T, C: Cursor>(items: &[T], limit: i64, cursor: impl Fn(&T) -> Option<C>) -> Option<String> {
    if items.len() as i64 != limit {
        return None;
    }
    items.last().and_then(cursor).map(|c| c.encode())
}

/// The complaint list, newest first: ids below the last one seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintCursor {
    pub before_id: String,
}

impl Cursor for ComplaintCursor {
    fn write(&self) -> String {
        self.before_id.clone()
    }
    fn read(text: &str) -> Option<Self> {
        Some(ComplaintCursor { before_id: text.to_string() })
    }
}

/// A complaint's timeline, oldest first: entries after the last seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimelineCursor {
    pub after_seq: i64,
}

impl Cursor for TimelineCursor {
    fn write(&self) -> String {
        self.after_seq.to_string()
    }
    fn read(text: &str) -> Option<Self> {
        text.parse().ok().map(|after_seq| TimelineCursor { after_seq })
    }
}

/// A staff list in time order (the arbitration queue by deadline, payment
/// problems by resolution), ties broken by complaint id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeCursor {
    pub at: DateTime<Utc>,
    pub id: String,
}

impl Cursor for TimeCursor {
    fn write(&self) -> String {
        format!("{}|{}", self.at.to_rfc3339(), self.id)
    }
    fn read(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('|')?;
        let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
        Some(TimeCursor { at, id: id.to_string() })
    }
}

/// The event feed: events after the last one read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedCursor {
    pub txid: i64,
    pub seq: i64,
}

impl Cursor for FeedCursor {
    fn write(&self) -> String {
        format!("{}.{}", self.txid, self.seq)
    }
    fn read(text: &str) -> Option<Self> {
        let (txid, seq) = text.split_once('.')?;
        Some(FeedCursor { txid: txid.parse().ok()?, seq: seq.parse().ok()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<C: Cursor + PartialEq + std::fmt::Debug>(c: C) {
        let opaque = c.encode();
        assert!(opaque.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{opaque}");
        assert_eq!(C::decode(&opaque), Some(c));
    }

    #[test]
    fn each_cursor_reads_back_what_it_wrote() {
        round_trip(ComplaintCursor { before_id: "cmp_01".into() });
        round_trip(TimelineCursor { after_seq: 7 });
        round_trip(TimeCursor { at: "2026-12-01T10:00:00.123456Z".parse().unwrap(), id: "cmp_1".into() });
        round_trip(FeedCursor { txid: 12, seq: 3 });
    }

    #[test]
    fn a_cursor_of_another_list_or_no_cursor_is_refused() {
        let feed = FeedCursor { txid: 1, seq: 2 }.encode();
        assert_eq!(TimelineCursor::decode(&feed), None);
        assert_eq!(TimeCursor::decode(&feed), None);
        assert_eq!(ComplaintCursor::decode(""), None);
        assert_eq!(FeedCursor::decode("not base64!"), None);
    }
}
