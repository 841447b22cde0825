//! The seller sanction ladder (seed 004): violations 1, 2, 3 suspend the seller
//! for 3, 6 and 9 days from the decision; the 4th closes the shop for good.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sanction {
    pub ordinal: i32,
    pub suspended_until: Option<DateTime<Utc>>,
    pub permanent: bool,
}

/// The sanction for the seller's `ordinal`-th violation (1-based), decided at `at`.
pub fn sanction_for(ordinal: i32, at: DateTime<Utc>) -> Sanction {
    match ordinal {
        1..=3 => {
            Sanction { ordinal, suspended_until: Some(at + Duration::days(3 * i64::from(ordinal))), permanent: false }
        }
        _ => Sanction { ordinal: ordinal.max(4), suspended_until: None, permanent: true },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_is_three_six_nine_days_then_closure() {
        let at = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let days = |n: i32| sanction_for(n, at).suspended_until.map(|u| (u - at).num_days());
        assert_eq!(days(1), Some(3));
        assert_eq!(days(2), Some(6));
        assert_eq!(days(3), Some(9));
        assert_eq!(sanction_for(4, at), Sanction { ordinal: 4, suspended_until: None, permanent: true });
        assert!(sanction_for(7, at).permanent);
    }
}
