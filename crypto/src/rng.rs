//! The operating system's random source, the only source of randomness in this crate.

/// The operating system's random source failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RngError(String);

/// Fills `buf` with random bytes from the operating system.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), RngError> {
    getrandom::fill(buf).map_err(|e| RngError(e.to_string()))
}

/// Returns 32 random bytes, panicking if the operating system cannot provide them.
///
/// Used only by constructors whose signature is infallible (`Seed::generate`,
/// `RecordKey::generate`, `record::encrypt`), as the dalek crates' own `generate` do: a
/// machine without a working random source cannot make keys at all.
pub(crate) fn array_or_panic<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if let Err(e) = fill(&mut out) {
        panic!("{e}");
    }
    out
}
