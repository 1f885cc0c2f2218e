//! A minimal unsigned 256-bit integer for targets and chain work.
//!
//! Consensus needs only a handful of operations on 256-bit numbers (compare, add, shift,
//! multiply by a small factor, divide for the work formula), so the crate carries its own
//! small, fully deterministic implementation instead of a general big-integer dependency.

use std::cmp::Ordering;
use std::fmt;

/// An unsigned 256-bit integer, stored as four 64-bit limbs, least significant first.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct U256([u64; 4]);

impl U256 {
    /// Zero.
    pub const ZERO: U256 = U256([0; 4]);
    /// One.
    pub const ONE: U256 = U256([1, 0, 0, 0]);
    /// 2^256 − 1, the largest value.
    pub const MAX: U256 = U256([u64::MAX; 4]);

    /// Builds a value from a `u64`.
    pub const fn from_u64(v: u64) -> U256 {
        U256([v, 0, 0, 0])
    }

    /// Builds a value from a `u128`.
    pub const fn from_u128(v: u128) -> U256 {
        U256([v as u64, (v >> 64) as u64, 0, 0])
    }

    /// Reads 32 big-endian bytes (the byte order of hashes and targets on the wire).
    pub fn from_be_bytes(bytes: [u8; 32]) -> U256 {
        let mut limbs = [0u64; 4];
        for (i, limb) in limbs.iter_mut().enumerate() {
            let start = 32 - 8 * (i + 1);
            let mut chunk = [0u8; 8];
            chunk.copy_from_slice(&bytes[start..start + 8]);
            *limb = u64::from_be_bytes(chunk);
        }
        U256(limbs)
    }

    /// Writes 32 big-endian bytes.
    pub fn to_be_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in self.0.iter().enumerate() {
            let start = 32 - 8 * (i + 1);
            out[start..start + 8].copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    /// Whether the value is zero.
    pub fn is_zero(self) -> bool {
        self.0 == [0; 4]
    }

    /// The number of significant bits (0 for zero).
    pub fn bits(self) -> u32 {
        for i in (0..4).rev() {
            if self.0[i] != 0 {
                return 64 * i as u32 + (64 - self.0[i].leading_zeros());
            }
        }
        0
    }

    /// The value as `u128` if it fits.
    pub fn to_u128(self) -> Option<u128> {
        if self.0[2] == 0 && self.0[3] == 0 {
            Some(u128::from(self.0[0]) | (u128::from(self.0[1]) << 64))
        } else {
            None
        }
    }

    /// Addition, `None` on overflow.
    pub fn checked_add(self, rhs: U256) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry = false;
        for (i, slot) in out.iter_mut().enumerate() {
            let (s1, c1) = self.0[i].overflowing_add(rhs.0[i]);
            let (s2, c2) = s1.overflowing_add(u64::from(carry));
            *slot = s2;
            carry = c1 || c2;
        }
        if carry { None } else { Some(U256(out)) }
    }

    /// Addition that stops at [`U256::MAX`].
    pub fn saturating_add(self, rhs: U256) -> U256 {
        self.checked_add(rhs).unwrap_or(U256::MAX)
    }

    /// Subtraction, `None` if `rhs > self`.
    pub fn checked_sub(self, rhs: U256) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut borrow = false;
        for (i, slot) in out.iter_mut().enumerate() {
            let (d1, b1) = self.0[i].overflowing_sub(rhs.0[i]);
            let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
            *slot = d2;
            borrow = b1 || b2;
        }
        if borrow { None } else { Some(U256(out)) }
    }

    /// Multiplication by a `u64`, `None` on overflow.
    pub fn checked_mul_u64(self, rhs: u64) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry: u128 = 0;
        for (i, slot) in out.iter_mut().enumerate() {
            let prod = u128::from(self.0[i]) * u128::from(rhs) + carry;
            *slot = prod as u64;
            carry = prod >> 64;
        }
        if carry != 0 { None } else { Some(U256(out)) }
    }

    /// Left shift; bits shifted past bit 255 are lost.
    pub fn shift_left(self, shift: u32) -> U256 {
        if shift >= 256 {
            return U256::ZERO;
        }
        let limbs = (shift / 64) as usize;
        let bits = shift % 64;
        let mut out = [0u64; 4];
        for i in (limbs..4).rev() {
            let src = i - limbs;
            let mut v = self.0[src] << bits;
            if bits > 0 && src > 0 {
                v |= self.0[src - 1] >> (64 - bits);
            }
            out[i] = v;
        }
        U256(out)
    }

    /// Right shift.
    pub fn shift_right(self, shift: u32) -> U256 {
        if shift >= 256 {
            return U256::ZERO;
        }
        let limbs = (shift / 64) as usize;
        let bits = shift % 64;
        let mut out = [0u64; 4];
        for (i, slot) in out.iter_mut().enumerate().take(4 - limbs) {
            let src = i + limbs;
            let mut v = self.0[src] >> bits;
            if bits > 0 && src + 1 < 4 {
                v |= self.0[src + 1] << (64 - bits);
            }
            *slot = v;
        }
        U256(out)
    }

    /// Bitwise complement.
    pub fn complement(self) -> U256 {
        U256([!self.0[0], !self.0[1], !self.0[2], !self.0[3]])
    }

    fn bit(self, i: u32) -> bool {
        (self.0[(i / 64) as usize] >> (i % 64)) & 1 == 1
    }

    /// Integer division, `None` when dividing by zero.
    pub fn checked_div(self, rhs: U256) -> Option<U256> {
        if rhs.is_zero() {
            return None;
        }
        if self < rhs {
            return Some(U256::ZERO);
        }
        let mut quotient = U256::ZERO;
        let mut remainder = U256::ZERO;
        for i in (0..self.bits()).rev() {
            remainder = remainder.shift_left(1);
            if self.bit(i) {
                remainder.0[0] |= 1;
            }
            if remainder >= rhs {
                // `remainder >= rhs`, so the subtraction cannot underflow.
                remainder = remainder.checked_sub(rhs).unwrap_or(U256::ZERO);
                quotient.0[(i / 64) as usize] |= 1 << (i % 64);
            }
        }
        Some(quotient)
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in (0..4).rev() {
            match self.0[i].cmp(&other.0[i]) {
                Ordering::Equal => continue,
                ord => return ord,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
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

    fn arb() -> impl Strategy<Value = U256> {
        any::<[u64; 4]>().prop_map(U256)
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
