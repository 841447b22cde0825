//! Listing notices (seed 004): a violation filed against a seller outside
//! any complaint, because a listing does not match its title, image or
//! description. The seller explains within a window; staff confirm or
//! dismiss; an unanswered notice is confirmed when the window passes.

use chrono::{DateTime, Utc};

use super::complaint::Role;
use super::error::DomainError;
use super::wire_enum::wire_enum;

wire_enum!(
    NoticeStatus {
        /// Waiting for the seller's explanation.
        Open = "open",
        /// The seller explained; staff decide.
        Explained = "explained",
        /// A violation: it climbed the seller's ladder.
        Confirmed = "confirmed",
        Dismissed = "dismissed",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingNotice {
    pub id: String,
    pub seller_id: String,
    pub listing_id: String,
    pub description: String,
    pub filed_by: String,
    /// `staff`, or `service` for the marketplace.
    pub filed_by_role: String,
    pub status: NoticeStatus,
    pub explanation: Option<String>,
    /// When the seller's window to explain ends.
    pub due_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeCommand {
    Explain {
        explanation: String,
    },
    Confirm,
    Dismiss,
    /// The window passed without an explanation (the timer's command).
    Expire,
}

/// The notice after `cmd` by `who` (`role` in it), or why not.
pub fn decide_notice(
    n: &ListingNotice,
    who: &str,
    role: Role,
    cmd: NoticeCommand,
    now: DateTime<Utc>,
) -> Result<ListingNotice, DomainError> {
    let mut after = n.clone();
    match cmd {
        NoticeCommand::Explain { explanation } => {
            if role != Role::Seller || who != n.seller_id {
                return Err(DomainError::Forbidden("only the seller explains a notice against them".into()));
            }
            if n.status != NoticeStatus::Open {
                return Err(DomainError::InvalidState(format!("the notice is {}", n.status)));
            }
            if now >= n.due_at {
                return Err(DomainError::InvalidState("the window to explain has passed".into()));
            }
            let explanation = explanation.trim().to_string();
            if !(1..=2000).contains(&explanation.chars().count()) {
                return Err(DomainError::invalid("explanation", "1 to 2000 characters"));
            }
            after.status = NoticeStatus::Explained;
            after.explanation = Some(explanation);
        }
        NoticeCommand::Confirm | NoticeCommand::Dismiss => {
            if role != Role::Staff {
                return Err(DomainError::Forbidden("only staff confirm or dismiss a notice".into()));
            }
            if !matches!(n.status, NoticeStatus::Open | NoticeStatus::Explained) {
                return Err(DomainError::InvalidState(format!("the notice is already {}", n.status)));
            }
            after.status =
                if cmd == NoticeCommand::Confirm { NoticeStatus::Confirmed } else { NoticeStatus::Dismissed };
            after.decided_by = Some(who.to_string());
            after.decided_at = Some(now);
        }
        NoticeCommand::Expire => {
            if n.status != NoticeStatus::Open || now < n.due_at {
                return Err(DomainError::InvalidState("the notice is not waiting past its window".into()));
            }
            after.status = NoticeStatus::Confirmed;
            after.decided_by = Some("system".into());
            after.decided_at = Some(now);
        }
    }
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(now: DateTime<Utc>) -> ListingNotice {
        ListingNotice {
            id: "lnt_1".into(),
            seller_id: "s".into(),
            listing_id: "l".into(),
            description: "d".into(),
            filed_by: "m".into(),
            filed_by_role: "staff".into(),
            status: NoticeStatus::Open,
            explanation: None,
            due_at: now + chrono::Duration::hours(24),
            decided_by: None,
            decided_at: None,
            created_at: now,
        }
    }

    #[test]
    fn only_the_seller_explains_and_only_in_time() {
        let now = Utc::now();
        let n = open(now);
        let explain = || NoticeCommand::Explain { explanation: "the photo is of the same model".into() };
        assert!(decide_notice(&n, "other", Role::Seller, explain(), now).is_err());
        assert!(decide_notice(&n, "s", Role::Seller, explain(), now + chrono::Duration::hours(25)).is_err());
        let explained = decide_notice(&n, "s", Role::Seller, explain(), now).unwrap();
        assert_eq!(explained.status, NoticeStatus::Explained);
        assert!(
            decide_notice(&explained, "system", Role::System, NoticeCommand::Expire, now + chrono::Duration::days(2))
                .is_err(),
            "an explained notice waits for staff"
        );
    }

    #[test]
    fn an_unanswered_notice_is_confirmed_when_its_window_passes() {
        let now = Utc::now();
        let n = open(now);
        assert!(decide_notice(&n, "system", Role::System, NoticeCommand::Expire, now).is_err());
        let late = now + chrono::Duration::hours(24);
        assert_eq!(
            decide_notice(&n, "system", Role::System, NoticeCommand::Expire, late).unwrap().status,
            NoticeStatus::Confirmed
        );
        let dismissed = decide_notice(&n, "agent", Role::Staff, NoticeCommand::Dismiss, now).unwrap();
        assert!(decide_notice(&dismissed, "agent", Role::Staff, NoticeCommand::Confirm, now).is_err(), "decided once");
    }
}
