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

impl FromStr for Currency {
    type Err = String;
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        iso_currency::Currency::from_code(code)
            .map(Currency)
            .ok_or_else(|| format!("`{code}` is not an ISO 4217 currency code"))
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
    pub amount: i64,
    /// ISO 4217 code.
    #[schema(value_type = String, example = "IDR", pattern = "^[A-Z]{3}$")]
    pub currency: CurrencyCode,
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
}
