//! Staff accounts the service keeps itself, for a marketplace without single
//! sign-on: added, listed, disabled and given a new password from the
//! command line; the console signs agents in against them.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use chrono::{DateTime, Utc};

use super::{now, App, AppError, Missing};
use crate::store::staff::{self as rows, StaffRow};
use crate::store::{from_db, to_db};

/// The languages the console speaks.
pub const LOCALES: [&str; 2] = ["en", "id"];
/// A password shorter than this is refused; longer than the maximum too
/// (hashing it would cost the service, not an attacker).
pub const PASSWORD_LENGTH: std::ops::RangeInclusive<usize> = 12..=256;

/// An account as listed: never its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub locale: String,
    /// The zone the console shows the agent's times in.
    pub time_zone: chrono_tz::Tz,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<StaffRow> for StaffAccount {
    fn from(r: StaffRow) -> Self {
        StaffAccount {
            id: r.id,
            name: r.name,
            email: r.email,
            locale: r.locale,
            // The column takes only names that parsed when they were set.
            time_zone: r.time_zone.parse().unwrap_or(chrono_tz::UTC),
            disabled_at: r.disabled_at.map(from_db),
            created_at: from_db(r.created_at),
        }
    }
}

/// A new account's fields, as given.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub locale: String,
    /// An IANA zone name, e.g. `Asia/Jakarta`.
    pub time_zone: String,
}

impl NewStaff {
    fn check(&self) -> Result<(), AppError> {
        let id_ok = (1..=64).contains(&self.id.len())
            && self.id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
        if !id_ok {
            return Err(AppError::invalid("id", "1 to 64 letters, digits, '.', '_', '@' or '-'"));
        }
        if !(1..=100).contains(&self.name.trim().chars().count()) || self.name.chars().any(char::is_control) {
            return Err(AppError::invalid("name", "1 to 100 characters, no control characters"));
        }
        if let Some(e) = &self.email {
            let ok = e.len() <= 254
                && e.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
                && !e.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(AppError::invalid("email", "a mail address, like agent@example.com"));
            }
        }
        if !LOCALES.contains(&self.locale.as_str()) {
            return Err(AppError::invalid("locale", "en or id"));
        }
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(AppError::invalid("time_zone", "an IANA time zone, like Asia/Jakarta or UTC"));
        }
        Ok(())
    }
}

/// The argon2id hash (default parameters, a random salt) of an acceptable password.
fn hash(password: &str) -> Result<String, AppError> {
    if !PASSWORD_LENGTH.contains(&password.chars().count()) {
        return Err(AppError::invalid(
            "password",
            format!("{} to {} characters", PASSWORD_LENGTH.start(), PASSWORD_LENGTH.end()),
        ));
    }
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))?;
    Ok(hash.to_string())
}

/// Whether `password` is the one `phc` was made from.
pub(crate) fn password_matches(phc: &str, password: &str) -> bool {
    argon2::password_hash::phc::PasswordHash::new(phc)
        .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

impl App {
    /// Adds an account with `password` (hashed here, never stored as given).
    pub async fn add_staff(&self, new: NewStaff, password: String) -> Result<StaffAccount, AppError> {
        new.check()?;
        self.write(move |conn| {
            let at = to_db(now());
            let row = StaffRow {
                id: new.id,
                name: new.name.trim().to_string(),
                email: new.email,
                locale: new.locale,
                time_zone: new.time_zone,
                password_hash: hash(&password)?,
                disabled_at: None,
                created_at: at,
                updated_at: at,
            };
            if !rows::insert_new(conn, &row)? {
                return Err(AppError::Conflict {
                    code: "staff_exists",
                    message: format!("there is already an account {}", row.id),
                });
            }
            Ok(row.into())
        })
        .await
    }

    /// Every account, in id order.
    pub async fn list_staff(&self) -> Result<Vec<StaffAccount>, AppError> {
        self.read(|conn| {
            let (mut all, mut after) = (Vec::new(), None::<String>);
            loop {
                let page = rows::list(conn, after.as_deref(), 500)?;
                after = page.last().map(|r| r.id.clone());
                let full = page.len() == 500;
                all.extend(page.into_iter().map(StaffAccount::from));
                if !full {
                    return Ok(all);
                }
            }
        })
        .await
    }

    /// Disables an account: it can no longer sign in, and its sessions end now.
    pub async fn disable_staff(&self, id: String) -> Result<StaffAccount, AppError> {
        self.write(move |conn| {
            if !rows::disable(conn, &id, to_db(now()))? {
                return Err(AppError::NotFound(Missing::Staff));
            }
            rows::delete_sessions_of(conn, &id)?;
            Ok(rows::find(conn, &id)?.ok_or(AppError::NotFound(Missing::Staff))?.into())
        })
        .await
    }

    /// Gives an account a new password.
    pub async fn reset_staff_password(&self, id: String, password: String) -> Result<StaffAccount, AppError> {
        self.write(move |conn| {
            if !rows::set_password(conn, &id, &hash(&password)?, to_db(now()))? {
                return Err(AppError::NotFound(Missing::Staff));
            }
            Ok(rows::find(conn, &id)?.ok_or(AppError::NotFound(Missing::Staff))?.into())
        })
        .await
    }

    /// The account `id` when it is enabled and `password` is its password.
    /// A wrong id costs as much as a wrong password, so timing tells nothing.
    pub async fn check_staff_password(&self, id: String, password: String) -> Result<Option<StaffAccount>, AppError> {
        self.read(move |conn| {
            let row = rows::find(conn, &id)?;
            let phc = row.as_ref().map_or(DUMMY_HASH, |r| r.password_hash.as_str());
            let matches = password_matches(phc, &password);
            Ok(row.filter(|r| matches && r.disabled_at.is_none()).map(StaffAccount::from))
        })
        .await
    }
}

/// A console session lasts this long without a request, and at most the lifetime.
pub const SESSION_IDLE: chrono::Duration = chrono::Duration::minutes(30);
pub const SESSION_LIFETIME: chrono::Duration = chrono::Duration::hours(12);
/// A session's last-seen time is written at most this often.
const SEEN_EVERY: chrono::Duration = chrono::Duration::minutes(1);
/// Failed sign-ins count for this long, per account and per address; past
/// the first few, each makes the next attempt wait twice as long.
const FAILURE_WINDOW: chrono::Duration = chrono::Duration::minutes(15);
const FREE_FAILURES: i64 = 3;
const LONGEST_WAIT: chrono::Duration = chrono::Duration::minutes(15);

/// A signed-in agent's session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The cookie's value; only its SHA-256 is stored.
    pub token: String,
    /// The token the session's forms carry.
    pub csrf_token: String,
    pub account: StaffAccount,
}

impl Session {
    /// The agent as the use cases take a caller.
    pub fn caller(&self) -> super::Caller {
        super::Caller { id: self.account.id.clone(), staff: true, service: false }
    }
}

/// What a sign-in attempt gets.
#[derive(Debug)]
pub enum SignIn {
    Welcome(Session),
    /// A wrong id or password, or a disabled account: which, it does not say.
    Refused,
    /// Too many recent failures for this account or address: try again after this long.
    TooSoon(chrono::Duration),
}

/// 32 random bytes as base64url.
pub(crate) fn random_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// How long the next attempt must wait after `failures` recent failures, the last at `last`.
fn wait_after(failures: i64, last: DateTime<Utc>, at: DateTime<Utc>) -> Option<chrono::Duration> {
    if failures < FREE_FAILURES {
        return None;
    }
    let wait = chrono::Duration::seconds(1i64 << (failures - FREE_FAILURES).min(20)).min(LONGEST_WAIT);
    let left = last + wait - at;
    (left > chrono::Duration::zero()).then_some(left)
}

impl App {
    /// Signs an agent in from `address` (the client's IP): a new session
    /// when the password is right and no recent failures hold the attempt off.
    pub async fn sign_in(&self, id: String, password: String, address: String) -> Result<SignIn, AppError> {
        let keys = vec![format!("account:{id}"), format!("address:{address}")];
        let at = now();
        let held = keys.clone();
        let wait = self
            .read(move |conn| {
                let mut longest = None;
                for key in &held {
                    let (n, last) = rows::failures_since(conn, key, to_db(at - FAILURE_WINDOW))?;
                    if let Some(w) = last.and_then(|last| wait_after(n, from_db(last), at)) {
                        longest = Some(longest.map_or(w, |l: chrono::Duration| l.max(w)));
                    }
                }
                Ok(longest)
            })
            .await?;
        if let Some(wait) = wait {
            return Ok(SignIn::TooSoon(wait));
        }
        let Some(account) = self.check_staff_password(id, password).await? else {
            self.write(move |conn| Ok(rows::record_failure(conn, &keys, to_db(at))?)).await?;
            return Ok(SignIn::Refused);
        };
        let (token, csrf_token) = (random_token(), random_token());
        let row = rows::SessionRow {
            token_hash: token_hash(&token),
            staff_id: account.id.clone(),
            csrf_token: csrf_token.clone(),
            created_at: to_db(at),
            last_seen_at: to_db(at),
            expires_at: to_db(at + SESSION_LIFETIME),
        };
        self.write(move |conn| {
            rows::insert_session(conn, &row)?;
            rows::clear_failures(conn, &keys[0])?;
            Ok(())
        })
        .await?;
        Ok(SignIn::Welcome(Session { token, csrf_token, account }))
    }

    /// The running session the cookie `token` names, if any: not idle for
    /// longer than SESSION_IDLE, not past its lifetime, its account enabled.
    pub async fn staff_session(&self, token: String) -> Result<Option<Session>, AppError> {
        let at = now();
        self.read(move |conn| {
            let hash = token_hash(&token);
            let Some((session, account)) = rows::live_session(conn, &hash, to_db(at), to_db(at - SESSION_IDLE))? else {
                return Ok(None);
            };
            if from_db(session.last_seen_at) < at - SEEN_EVERY {
                rows::touch_session(conn, &hash, to_db(at))?;
            }
            Ok(Some(Session { token, csrf_token: session.csrf_token, account: account.into() }))
        })
        .await
    }

    /// Ends the session the cookie `token` names.
    pub async fn sign_out(&self, token: String) -> Result<(), AppError> {
        self.write(move |conn| Ok(rows::delete_session(conn, &token_hash(&token))?)).await
    }

    /// Deletes ended sessions and day-old sign-in failures, in batches;
    /// how many rows went.
    pub async fn purge_staff_sessions(&self, at: DateTime<Utc>) -> Result<usize, AppError> {
        let mut gone = 0;
        loop {
            let n = self
                .write(move |conn| {
                    let s = rows::purge_sessions(conn, to_db(at), to_db(at - SESSION_IDLE), 500)?;
                    let f = rows::purge_failures(conn, to_db(at - chrono::Duration::days(1)), 500)?;
                    Ok(s + f)
                })
                .await?;
            gone += n;
            if n == 0 {
                return Ok(gone);
            }
        }
    }
}

/// The hash checked against when there is no such account (of a random
/// password nobody knows), so that answer takes as long as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$YxXV7wEhn1GqYkmbW5cptQ1dA4iTvqKzUqYq4jz4nDg";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_only_its_own_hash() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(password_matches(&phc, "correct horse battery"));
        assert!(!password_matches(&phc, "correct horse batterY"));
        assert!(!password_matches(DUMMY_HASH, "correct horse battery"));
        // The stand-in is a real hash, so checking against it costs a hash.
        assert!(argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!password_matches("not a hash", "correct horse battery"));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(hash("short").is_err());
        assert!(hash(&"x".repeat(257)).is_err());
        assert!(hash(&"x".repeat(12)).is_ok());
    }

    #[test]
    fn account_fields_are_checked() {
        let ok = NewStaff {
            id: "agent.1".into(),
            name: "Dewi".into(),
            email: Some("dewi@example.com".into()),
            locale: "id".into(),
            time_zone: "Asia/Jakarta".into(),
        };
        assert!(ok.check().is_ok());
        for bad in [
            NewStaff { id: "has space".into(), ..ok.clone() },
            NewStaff { id: String::new(), ..ok.clone() },
            NewStaff { name: " ".into(), ..ok.clone() },
            NewStaff { email: Some("nobody".into()), ..ok.clone() },
            NewStaff { locale: "fr".into(), ..ok.clone() },
            NewStaff { time_zone: "Mars/Olympus".into(), ..ok.clone() },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
