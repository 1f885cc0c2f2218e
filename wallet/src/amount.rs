//! Amounts typed by people and shown to them.
//!
//! Input accepts INF with up to nine decimals (`1.5`, `1.5inf`, `1.5 INF`) or base units with
//! an explicit suffix (`1500000000base`); 1 INF = 10^9 base units. Output shows INF.

use infernet_types::Amount;

use crate::WalletError;

/// Parses an amount: INF by default or with an `inf` suffix, base units with a `base` suffix.
pub fn parse_amount(input: &str) -> Result<Amount, WalletError> {
    let bad = |reason: &str| WalletError::BadAmount {
        input: input.to_owned(),
        reason: reason.to_owned(),
    };
    let s = input.trim();
    let lower = s.to_ascii_lowercase();
    if let Some(base) = lower.strip_suffix("base") {
        let base = base.trim();
        if base.is_empty() || !base.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("base units must be a whole number"));
        }
        return base
            .parse::<u64>()
            .map(Amount)
            .map_err(|_| bad("larger than the largest amount"));
    }
    let inf = lower.strip_suffix("inf").unwrap_or(&lower).trim();
    if inf.is_empty() {
        return Err(bad("no number"));
    }
    Amount::parse_inf(inf).map_err(|e| bad(&e.to_string()))
}

/// `"1.5 INF"`.
#[must_use]
pub fn format_inf(amount: Amount) -> String {
    format!("{} INF", amount.to_inf_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_inf_and_base_units() {
        assert_eq!(parse_amount("1.5").unwrap(), Amount(1_500_000_000));
        assert_eq!(parse_amount("1.5inf").unwrap(), Amount(1_500_000_000));
        assert_eq!(parse_amount(" 2 INF ").unwrap(), Amount(2_000_000_000));
        assert_eq!(parse_amount("0.000000001").unwrap(), Amount(1));
        assert_eq!(
            parse_amount("1500000000base").unwrap(),
            Amount(1_500_000_000)
        );
        assert_eq!(parse_amount("7 base").unwrap(), Amount(7));
    }

    #[test]
    fn rejects_nonsense_with_guidance() {
        for bad in [
            "",
            "abc",
            "1.2.3",
            "-1",
            "1.0000000001",
            "1.5base",
            "base",
            "99999999999999999999base",
        ] {
            let err = parse_amount(bad).unwrap_err();
            assert!(matches!(err, WalletError::BadAmount { .. }), "{bad}");
            assert!(err.to_string().contains("1500000000base"));
        }
    }

    #[test]
    fn formats_inf() {
        assert_eq!(format_inf(Amount(1_500_000_000)), "1.5 INF");
        assert_eq!(format_inf(Amount(0)), "0 INF");
    }
}
