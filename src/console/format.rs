//! Amounts, times and countdowns as an agent reads them, in the agent's
//! language and time zone.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::texts::Lang;
use crate::domain::{Complaint, Currency, Proposal};

/// An amount in minor units, for people: `IDR 150,000.00` in English,
/// `Rp 150.000` in Bahasa Indonesia (which writes no sen when there are
/// none), other currencies by their code with their own exponent.
pub fn money(minor: i64, currency: Currency, lang: Lang) -> String {
    let exp = u32::from(currency.exponent());
    let unit = 10i64.pow(exp);
    let (major, fraction) = (minor.abs() / unit, minor.abs() % unit);
    let (group, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::Id => ('.', ','),
    };
    let digits = major.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(d);
    }
    let sign = if minor < 0 { "-" } else { "" };
    let rupiah = lang == Lang::Id && currency.code() == "IDR";
    let prefix = if rupiah { "Rp".to_string() } else { currency.code().to_string() };
    if exp == 0 || (rupiah && fraction == 0) {
        format!("{prefix} {sign}{grouped}")
    } else {
        format!("{prefix} {sign}{grouped}{decimal}{fraction:0width$}", width = exp as usize)
    }
}

/// An amount typed by an agent in major units (`1500.50`, `1,500.50`;
/// in Indonesian `1.500,50` or `Rp 150.000`), in minor units.
pub fn parse_money(text: &str, currency: Currency, lang: Lang) -> Option<i64> {
    let (group, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::Id => ('.', ','),
    };
    let t = text.trim().trim_start_matches("Rp").trim_start_matches(currency.code()).trim();
    let t: String = t.chars().filter(|c| *c != group && !c.is_whitespace()).collect();
    let (whole, fraction) = t.split_once(decimal).unwrap_or((&t, ""));
    let exp = usize::from(currency.exponent());
    let digits = |s: &str| !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || fraction.len() > exp {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = if fraction.is_empty() { 0 } else { format!("{fraction:0<exp$}").parse().ok()? };
    whole.checked_mul(10i64.pow(exp as u32))?.checked_add(fraction)
}

/// A proposal in a line: "Partial refund: Rp 30.000".
pub fn offer_line(p: &Proposal, c: &Complaint, lang: Lang) -> String {
    let kind = lang.label(p.kind.as_str());
    if p.refund_amount > 0 {
        format!("{kind}: {}", money(p.refund_amount, c.currency, lang))
    } else {
        kind.to_string()
    }
}

/// Whom the case waits on, in words.
pub fn waits_on(c: &Complaint, lang: Lang) -> String {
    c.waiting_for().iter().map(|r| lang.label(r.as_str())).collect::<Vec<_>>().join(", ")
}

/// A moment in the agent's zone, with the zone's abbreviation (`WIB`).
pub fn time(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// Where a deadline stands against the decision target: breached once
/// passed, soon within 4 hours, ok before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sla {
    Ok,
    Soon,
    Breached,
}

impl Sla {
    pub fn of(due: DateTime<Utc>, now: DateTime<Utc>) -> Sla {
        let left = due - now;
        if left <= Duration::zero() {
            Sla::Breached
        } else if left <= Duration::hours(4) {
            Sla::Soon
        } else {
            Sla::Ok
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Sla::Ok => "ok",
            Sla::Soon => "soon",
            Sla::Breached => "breached",
        }
    }
}

/// How long until `due`, or since: "3 h 20 min left", "breached 2 h ago".
pub fn countdown(due: DateTime<Utc>, now: DateTime<Utc>, lang: Lang) -> String {
    let left = due - now;
    if left <= Duration::zero() {
        lang.overdue_by(&span(-left, lang))
    } else {
        lang.left(&span(left, lang))
    }
}

/// A length of time for people: "3 h 20 min", "45 min", "4 days".
pub fn span(d: Duration, lang: Lang) -> String {
    let (h, m) = (d.num_hours(), d.num_minutes() % 60);
    let (hours, minutes) = lang.units();
    match (d.num_days(), h) {
        (days, _) if days >= 2 => format!("{days} {}", lang.days()),
        (_, 0) => format!("{m} {minutes}"),
        _ => format!("{h} {hours} {m} {minutes}"),
    }
}

/// A file size for people.
pub fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / f64::from(1 << 10)),
        b => format!("{b} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        code.parse().unwrap()
    }

    #[test]
    fn amounts_are_for_people() {
        assert_eq!(money(15_000_000, c("IDR"), Lang::Id), "Rp 150.000");
        assert_eq!(money(15_000_050, c("IDR"), Lang::Id), "Rp 150.000,50");
        assert_eq!(money(150_000, c("IDR"), Lang::En), "IDR 1,500.00");
        assert_eq!(money(123_456_789, c("USD"), Lang::En), "USD 1,234,567.89");
        assert_eq!(money(150, c("JPY"), Lang::En), "JPY 150");
        assert_eq!(money(5, c("KWD"), Lang::En), "KWD 0.005");
    }

    #[test]
    fn typed_amounts_read_back() {
        assert_eq!(parse_money("1,500.50", c("IDR"), Lang::En), Some(150_050));
        assert_eq!(parse_money("Rp 150.000", c("IDR"), Lang::Id), Some(15_000_000));
        assert_eq!(parse_money("150.000,5", c("IDR"), Lang::Id), Some(15_000_050));
        assert_eq!(parse_money("150", c("JPY"), Lang::En), Some(150));
        for bad in ["", "1.2.3", "1.234", "-5", "abc", "1e5", "99999999999999999"] {
            assert_eq!(parse_money(bad, c("IDR"), Lang::En), None, "{bad}");
        }
    }

    #[test]
    fn times_are_in_the_agents_zone() {
        let at = "2026-12-01T07:30:00Z".parse().unwrap();
        assert_eq!(time(at, chrono_tz::Asia::Jakarta), "2026-12-01 14:30 WIB");
        assert_eq!(time(at, chrono_tz::UTC), "2026-12-01 07:30 UTC");
    }

    #[test]
    fn the_sla_turns_soon_at_four_hours_and_breached_when_passed() {
        let now = Utc::now();
        assert_eq!(Sla::of(now + Duration::hours(5), now), Sla::Ok);
        assert_eq!(Sla::of(now + Duration::hours(3), now), Sla::Soon);
        assert_eq!(Sla::of(now - Duration::minutes(1), now), Sla::Breached);
        assert_eq!(countdown(now + Duration::minutes(200), now, Lang::En), "3 h 20 min left");
        assert_eq!(countdown(now - Duration::minutes(90), now, Lang::Id), "lewat 1 jam 30 menit");
    }
}
