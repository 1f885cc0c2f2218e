//! The unsigned 256-bit integer of targets and chain work.
//!
//! The arithmetic is the `ruint` crate's (`Uint<256, 4>`); this newtype only fixes the
//! conventions consensus relies on: big-endian bytes (the wire order of hashes, targets and
//! the `cumulative_work` of the p2p status), checked or saturating results where a rule
//! needs them, and a 64-digit lowercase hex `Display`, as the spec's worked examples print.

use std::fmt;

/// An unsigned 256-bit integer (a `ruint` value behind the conventions of this module).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct U256(pub(crate) ruint::aliases::U256);

impl U256 {
    /// Zero.
    pub const ZERO: U256 = U256(ruint::aliases::U256::ZERO);
    /// One.
    pub const ONE: U256 = U256(ruint::aliases::U256::ONE);
    /// 2^256 − 1, the largest value.
    pub const MAX: U256 = U256(ruint::aliases::U256::MAX);

    /// Builds a value from a `u64`.
    pub const fn from_u64(v: u64) -> U256 {
        U256(ruint::aliases::U256::from_limbs([v, 0, 0, 0]))
    }

    /// Builds a value from a `u128`.
    pub const fn from_u128(v: u128) -> U256 {
        U256(ruint::aliases::U256::from_limbs([
            v as u64,
            (v >> 64) as u64,
            0,
            0,
        ]))
    }

    /// Reads 32 big-endian bytes (the byte order of hashes and targets on the wire).
    pub fn from_be_bytes(bytes: [u8; 32]) -> U256 {
        U256(ruint::aliases::U256::from_be_bytes(bytes))
    }

    /// Writes 32 big-endian bytes.
    pub fn to_be_bytes(self) -> [u8; 32] {
        self.0.to_be_bytes::<32>()
    }

    /// Whether the value is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// The number of significant bits (0 for zero).
    pub fn bits(self) -> u32 {
        // At most 256, so the cast is lossless.
        self.0.bit_len() as u32
    }

    /// The value as `u128` if it fits.
    pub fn to_u128(self) -> Option<u128> {
        u128::try_from(self.0).ok()
    }

    /// Addition, `None` on overflow.
    pub fn checked_add(self, rhs: U256) -> Option<U256> {
        self.0.checked_add(rhs.0).map(U256)
    }

    /// Addition that stops at [`U256::MAX`].
    pub fn saturating_add(self, rhs: U256) -> U256 {
        U256(self.0.saturating_add(rhs.0))
    }

    /// Subtraction, `None` if `rhs > self`.
    pub fn checked_sub(self, rhs: U256) -> Option<U256> {
        self.0.checked_sub(rhs.0).map(U256)
    }

    /// Multiplication by a `u64`, `None` on overflow.
    pub fn checked_mul_u64(self, rhs: u64) -> Option<U256> {
        self.0.checked_mul(U256::from_u64(rhs).0).map(U256)
    }

    /// Left shift; bits shifted past bit 255 are lost.
    pub fn shift_left(self, shift: u32) -> U256 {
        if shift >= 256 {
            return U256::ZERO;
        }
        U256(self.0 << shift as usize)
    }

    /// Right shift.
    pub fn shift_right(self, shift: u32) -> U256 {
        if shift >= 256 {
            return U256::ZERO;
        }
        U256(self.0 >> shift as usize)
    }

    /// Bitwise complement.
    pub fn complement(self) -> U256 {
        U256(!self.0)
    }

    /// Integer division, `None` when dividing by zero.
    pub fn checked_div(self, rhs: U256) -> Option<U256> {
        self.0.checked_div(rhs.0).map(U256)
    }
}

impl fmt::Debug for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U256(0x{self})")
    }
}

impl fmt::Display for U256 {
    /// Lower-case hexadecimal, 64 digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.to_be_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ruint::aliases::U256 as Uint;

    fn arb() -> impl Strategy<Value = U256> {
        any::<[u64; 4]>().prop_map(|limbs| U256(Uint::from_limbs(limbs)))
    }

    #[test]
    fn bytes_roundtrip_and_order() {
        let mut b = [0u8; 32];
        b[31] = 1;
        assert_eq!(U256::from_be_bytes(b), U256::ONE);
        b[0] = 0x80;
        let v = U256::from_be_bytes(b);
        assert_eq!(v.bits(), 256);
        assert_eq!(v.to_be_bytes(), b);
        assert!(v > U256::from_u128(u128::MAX));
    }

    #[test]
    fn shifts_and_div() {
        let one = U256::ONE;
        assert_eq!(one.shift_left(255).shift_right(255), one);
        assert_eq!(one.shift_left(256), U256::ZERO);
        assert_eq!(U256::MAX.checked_div(U256::from_u64(1)), Some(U256::MAX));
        assert_eq!(
            U256::from_u64(100).checked_div(U256::from_u64(7)),
            Some(U256::from_u64(14))
        );
        assert_eq!(U256::ONE.checked_div(U256::ZERO), None);
        assert_eq!(U256::MAX.checked_add(U256::ONE), None);
        assert_eq!(U256::ZERO.checked_sub(U256::ONE), None);
        assert_eq!(U256::MAX.checked_mul_u64(2), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn div_matches_u128(a in any::<u128>(), b in 1u128..) {
            let q = U256::from_u128(a).checked_div(U256::from_u128(b)).unwrap();
            prop_assert_eq!(q.to_u128(), Some(a / b));
        }

        #[test]
        fn add_sub_inverse(a in arb(), b in arb()) {
            if let Some(s) = a.checked_add(b) {
                prop_assert_eq!(s.checked_sub(b), Some(a));
            }
        }

        #[test]
        fn div_mul_bounds(a in arb(), d in 1u64..) {
            let q = a.checked_div(U256::from_u64(d)).unwrap();
            let back = q.checked_mul_u64(d).unwrap();
            prop_assert!(back <= a);
            prop_assert!(a.checked_sub(back).unwrap() < U256::from_u64(d));
        }
    }
}
