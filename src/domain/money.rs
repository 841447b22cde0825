//! Money: integer minor units and an ISO 4217 currency. Never floats.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Largest amount accepted, in minor units (10^15: far above any escrow, far
/// below `i64::MAX`, so sums of two amounts never overflow).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// An ISO 4217 currency code known to the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub fn code(&self) -> &'static str {
        self.0.code()
    }
    /// Digits after the decimal point per ISO 4217 (JPY 0, IDR and USD 2, BHD 3).
    pub fn exponent(&self) -> u16 {
        self.0.exponent().unwrap_or(0)
    }
}

/// ISO 4217 codes that are no money an escrow can hold: funds and units of
/// account (`CLF`, `USN`…), precious metals, and the testing and "no
/// currency" codes (`XAU`, `XTS`, `XXX`…). Of the `X` codes only the regional
/// currencies (`XAF`, `XCD`, `XCG`, `XOF`, `XPF`) are legal tender.
const NOT_TENDER: &[&str] = &["BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW"];
const X_TENDER: &[&str] = &["XAF", "XCD", "XCG", "XOF", "XPF"];

impl FromStr for Currency {
    type Err = String;
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        let known = iso_currency::Currency::from_code(code)
            .ok_or_else(|| format!("`{code}` is not an ISO 4217 currency code"))?;
        if NOT_TENDER.contains(&code) || (code.starts_with('X') && !X_TENDER.contains(&code)) {
            return Err(format!("`{code}` is an ISO 4217 code but not a currency an escrow can hold"));
        }
        Ok(Currency(known))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money as it appears on the wire: `{"amount": 150000, "currency": "IDR"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Integer count of the currency's minor units.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64, example = 150000)]
    #[serde(deserialize_with = "whole_number")]
    pub amount: i64,
    pub currency: CurrencyCode,
}

/// An integer as JSON Schema counts them: `150000` and `150000.0` alike, never
/// `150000.5`. Above 2^53 only the integer form is exact, so only it is taken.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Integer(i64),
        Float(f64),
    }
    const EXACT: f64 = (1u64 << 53) as f64;
    match Number::deserialize(d)? {
        Number::Integer(n) => Ok(n),
        Number::Float(f) if f.fract() == 0.0 && f.abs() <= EXACT => Ok(f as i64),
        Number::Float(_) => Err(serde::de::Error::custom("must be a whole number of minor units")),
    }
}

/// A currency code as sent by a client, checked when it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CurrencyCode(pub Currency);

impl TryFrom<String> for CurrencyCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse().map(CurrencyCode)
    }
}

impl utoipa::PartialSchema for CurrencyCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use iso_currency::IntoEnumIterator;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let mut codes: Vec<&str> =
            iso_currency::Currency::iter().map(|c| c.code()).filter(|c| c.parse::<Currency>().is_ok()).collect();
        codes.sort_unstable();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("ISO 4217 code of a currency (not a fund, metal or testing code)."))
            .enum_values(Some(codes))
            .examples(["IDR"])
            .into()
    }
}

impl utoipa::ToSchema for CurrencyCode {
    fn name() -> std::borrow::Cow<'static, str> {
        "Currency".into()
    }
}

impl From<CurrencyCode> for String {
    fn from(c: CurrencyCode) -> String {
        c.0.code().to_string()
    }
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Self {
        Money { amount, currency: CurrencyCode(currency) }
    }

    pub fn currency(&self) -> Currency {
        self.currency.0
    }

    /// The amount in `currency`, checked to be a sane non-negative amount.
    pub fn amount_in(&self, currency: Currency, field: &'static str) -> Result<i64, super::DomainError> {
        use super::DomainError;
        if self.currency() != currency {
            return Err(DomainError::invalid(
                field,
                format!("currency must be {currency}, the order's currency, not {}", self.currency()),
            ));
        }
        if self.amount < 0 {
            return Err(DomainError::invalid(field, "amount must not be negative"));
        }
        if self.amount > MAX_AMOUNT {
            return Err(DomainError::invalid(field, format!("amount must be at most {MAX_AMOUNT}")));
        }
        Ok(self.amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_parse_by_iso_code_only() {
        assert_eq!("IDR".parse::<Currency>().unwrap().exponent(), 2);
        assert_eq!("JPY".parse::<Currency>().unwrap().exponent(), 0);
        assert_eq!("USD".parse::<Currency>().unwrap().exponent(), 2);
        assert!("XYZ".parse::<Currency>().is_err());
        assert!("idr".parse::<Currency>().is_err());
        for code in ["XXX", "XTS", "XAU", "XDR", "USN", "CLF", "BOV"] {
            assert!(code.parse::<Currency>().is_err(), "{code} holds no escrow");
        }
        for code in ["XAF", "XOF", "XCD", "XPF", "CHF", "BHD"] {
            assert!(code.parse::<Currency>().is_ok(), "{code} is money");
        }
    }

    #[test]
    fn amounts_in_another_currency_or_out_of_range_are_refused() {
        let idr: Currency = "IDR".parse().unwrap();
        let usd: Currency = "USD".parse().unwrap();
        assert_eq!(Money::new(5, idr).amount_in(idr, "x"), Ok(5));
        assert!(Money::new(5, usd).amount_in(idr, "x").is_err());
        assert!(Money::new(-1, idr).amount_in(idr, "x").is_err());
        assert!(Money::new(MAX_AMOUNT + 1, idr).amount_in(idr, "x").is_err());
    }

    #[test]
    fn an_amount_is_any_whole_json_number() {
        let parse = |amount: &str| serde_json::from_str::<Money>(&format!(r#"{{"amount":{amount},"currency":"IDR"}}"#));
        assert_eq!(parse("9889").unwrap().amount, 9889);
        assert_eq!(parse("9889.0").unwrap().amount, 9889);
        assert_eq!(parse("1e3").unwrap().amount, 1000);
        assert!(parse("9889.5").is_err());
        assert!(parse("\"9889\"").is_err());
        assert!(parse("1e300").is_err());
    }
}
