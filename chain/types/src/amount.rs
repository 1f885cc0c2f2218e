//! [`Amount`]: a quantity of INF in base units, with checked arithmetic only.
//!
//! 1 INF = 10^9 base units. There is no wrapping or saturating arithmetic on amounts: every
//! operation returns a [`AmountError`] on overflow or underflow, which consensus turns into an
//! invalid transaction. JSON shows amounts as decimal strings of base units (so JavaScript
//! clients never lose precision).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::encoding::{Decode, DecodeError, Encode, Reader};

/// Base units per INF.
pub const BASE_UNITS_PER_INF: u64 = 1_000_000_000;

/// A quantity of INF in base units (1 INF = 10^9 base units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub u64);

/// An arithmetic or parsing failure on amounts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    /// The result would exceed `u64::MAX` base units.
    #[error("amount overflow: {left} {op} {right} exceeds the largest amount")]
    Overflow {
        /// Left operand (base units).
        left: u64,
        /// The operation (`+`, `×`).
        op: &'static str,
        /// Right operand (base units or factor).
        right: u64,
    },
    /// The result would be negative.
    #[error("amount underflow: {left} - {right} is negative")]
    Underflow {
        /// Left operand (base units).
        left: u64,
        /// Right operand (base units).
        right: u64,
    },
    /// Division by zero in a proportional split.
    #[error("amount division by zero")]
    DivisionByZero,
    /// A string is not a valid amount.
    #[error("invalid amount {input:?}: {reason}")]
    Parse {
        /// The text that failed to parse.
        input: String,
        /// Why it is not an amount.
        reason: &'static str,
    },
}

impl Amount {
    /// Zero base units.
    pub const ZERO: Amount = Amount(0);
    /// The largest representable amount.
    pub const MAX: Amount = Amount(u64::MAX);

    /// `n` whole INF, or an error if that exceeds the largest amount.
    pub fn from_inf(n: u64) -> Result<Amount, AmountError> {
        Amount(n).checked_mul(BASE_UNITS_PER_INF)
    }

    /// The amount in base units.
    #[must_use]
    pub const fn base_units(self) -> u64 {
        self.0
    }

    /// Whether this is zero.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + rhs`, or [`AmountError::Overflow`].
    pub fn checked_add(self, rhs: Amount) -> Result<Amount, AmountError> {
        self.0
            .checked_add(rhs.0)
            .map(Amount)
            .ok_or(AmountError::Overflow {
                left: self.0,
                op: "+",
                right: rhs.0,
            })
    }

    /// `self - rhs`, or [`AmountError::Underflow`].
    pub fn checked_sub(self, rhs: Amount) -> Result<Amount, AmountError> {
        self.0
            .checked_sub(rhs.0)
            .map(Amount)
            .ok_or(AmountError::Underflow {
                left: self.0,
                right: rhs.0,
            })
    }

    /// `self × factor`, or [`AmountError::Overflow`].
    pub fn checked_mul(self, factor: u64) -> Result<Amount, AmountError> {
        self.0
            .checked_mul(factor)
            .map(Amount)
            .ok_or(AmountError::Overflow {
                left: self.0,
                op: "×",
                right: factor,
            })
    }

    /// `floor(self × numerator / denominator)`, computed exactly in 128 bits.
    ///
    /// Used for royalty and share splits (`numerator` in basis points, `denominator` 10,000);
    /// the caller keeps the remainder `self − result` so nothing is created or lost.
    pub fn mul_div_floor(self, numerator: u64, denominator: u64) -> Result<Amount, AmountError> {
        if denominator == 0 {
            return Err(AmountError::DivisionByZero);
        }
        let wide = u128::from(self.0) * u128::from(numerator) / u128::from(denominator);
        u64::try_from(wide)
            .map(Amount)
            .map_err(|_| AmountError::Overflow {
                left: self.0,
                op: "×",
                right: numerator,
            })
    }

    /// Sums amounts with overflow checking.
    pub fn checked_sum<I: IntoIterator<Item = Amount>>(items: I) -> Result<Amount, AmountError> {
        items
            .into_iter()
            .try_fold(Amount::ZERO, |acc, a| acc.checked_add(a))
    }

    /// Formats as INF with up to nine decimals and no trailing zeros, e.g. `"1.5"`.
    #[must_use]
    pub fn to_inf_string(self) -> String {
        let whole = self.0 / BASE_UNITS_PER_INF;
        let frac = self.0 % BASE_UNITS_PER_INF;
        if frac == 0 {
            return whole.to_string();
        }
        let frac = format!("{frac:09}");
        format!("{whole}.{}", frac.trim_end_matches('0'))
    }

    /// Parses INF with up to nine decimals (`"1.5"`, `"0.000000001"`, `"42"`).
    pub fn parse_inf(input: &str) -> Result<Amount, AmountError> {
        let err = |reason| AmountError::Parse {
            input: input.to_owned(),
            reason,
        };
        let (whole, frac) = match input.split_once('.') {
            Some((w, f)) => (w, f),
            None => (input, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("the whole part must be decimal digits"));
        }
        if input.contains('.') && frac.is_empty() {
            return Err(err("a decimal point must be followed by digits"));
        }
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("at most nine decimal digits after the point"));
        }
        let whole: u64 = whole.parse().map_err(|_| err("too large"))?;
        let frac_units: u64 = if frac.is_empty() {
            0
        } else {
            let padded = format!("{frac:0<9}");
            padded.parse().map_err(|_| err("bad decimals"))?
        };
        Amount::from_inf(whole)
            .and_then(|a| a.checked_add(Amount(frac_units)))
            .map_err(|_| err("too large"))
    }
}

impl fmt::Display for Amount {
    /// Base units as a decimal integer (use [`Amount::to_inf_string`] for INF).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    /// Parses base units as a decimal integer (no sign, no separators).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::Parse {
                input: s.to_owned(),
                reason: "base units must be decimal digits",
            });
        }
        s.parse::<u64>()
            .map(Amount)
            .map_err(|_| AmountError::Parse {
                input: s.to_owned(),
                reason: "larger than the largest amount",
            })
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Encode for Amount {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.0.encode_to(out);
    }
    fn encoded_len(&self) -> usize {
        8
    }
}

impl Decode for Amount {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u64("Amount").map(Amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_ops_report_overflow_and_underflow() {
        assert_eq!(Amount(2).checked_add(Amount(3)), Ok(Amount(5)));
        assert!(matches!(
            Amount::MAX.checked_add(Amount(1)),
            Err(AmountError::Overflow { op: "+", .. })
        ));
        assert_eq!(
            Amount(1).checked_sub(Amount(2)),
            Err(AmountError::Underflow { left: 1, right: 2 })
        );
        assert!(Amount(u64::MAX / 2 + 1).checked_mul(2).is_err());
        assert_eq!(Amount(7).checked_mul(3), Ok(Amount(21)));
        assert!(Amount::checked_sum([Amount::MAX, Amount(1)]).is_err());
    }

    #[test]
    fn mul_div_floor_is_exact() {
        assert_eq!(Amount(10_001).mul_div_floor(500, 10_000), Ok(Amount(500)));
        assert_eq!(Amount::MAX.mul_div_floor(10_000, 10_000), Ok(Amount::MAX));
        assert_eq!(
            Amount(1).mul_div_floor(1, 0),
            Err(AmountError::DivisionByZero)
        );
        assert!(Amount::MAX.mul_div_floor(2, 1).is_err());
    }

    #[test]
    fn inf_strings_round_trip() {
        assert_eq!(Amount(1_500_000_000).to_inf_string(), "1.5");
        assert_eq!(Amount(1).to_inf_string(), "0.000000001");
        assert_eq!(Amount(42 * BASE_UNITS_PER_INF).to_inf_string(), "42");
        assert_eq!(Amount::parse_inf("1.5"), Ok(Amount(1_500_000_000)));
        assert_eq!(Amount::parse_inf("0.000000001"), Ok(Amount(1)));
        for bad in [
            "",
            ".5",
            "1.",
            "1.0000000001",
            "-1",
            "1e9",
            "99999999999999999999",
        ] {
            assert!(Amount::parse_inf(bad).is_err(), "{bad:?} should not parse");
        }
    }

    proptest::proptest! {
        #[test]
        fn checked_ops_agree_with_wide_arithmetic(a in proptest::prelude::any::<u64>(), b in proptest::prelude::any::<u64>()) {
            let (wa, wb) = (u128::from(a), u128::from(b));
            proptest::prop_assert_eq!(Amount(a).checked_add(Amount(b)).ok().map(|x| u128::from(x.0)), Some(wa + wb).filter(|v| *v <= u128::from(u64::MAX)));
            proptest::prop_assert_eq!(Amount(a).checked_sub(Amount(b)).ok().map(|x| x.0), a.checked_sub(b));
            proptest::prop_assert_eq!(Amount(a).checked_mul(b).ok().map(|x| u128::from(x.0)), Some(wa * wb).filter(|v| *v <= u128::from(u64::MAX)));
            // A split never creates value: floor(a·n/d) + remainder == a for n ≤ d.
            let n = b % 10_001;
            let part = Amount(a).mul_div_floor(n, 10_000).unwrap();
            proptest::prop_assert!(part.0 <= a);
            proptest::prop_assert_eq!(part.0, u64::try_from(wa * u128::from(n) / 10_000).unwrap());
            proptest::prop_assert_eq!(Amount::parse_inf(&Amount(a).to_inf_string()).unwrap(), Amount(a));
        }
    }

    #[test]
    fn json_is_a_decimal_string() {
        let json = serde_json::to_string(&Amount(18_446_744_073_709_551_615)).unwrap();
        assert_eq!(json, "\"18446744073709551615\"");
        let back: Amount = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Amount::MAX);
        assert!(serde_json::from_str::<Amount>("12").is_err());
        assert!(serde_json::from_str::<Amount>("\"+12\"").is_err());
        assert!(serde_json::from_str::<Amount>("\"18446744073709551616\"").is_err());
    }
}
