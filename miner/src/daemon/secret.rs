//! [`Plaintext`]: the in-memory holder of a user's prompt or answer.
//!
//! Plaintexts live only in memory for the duration of a job: this type zeroizes its bytes on
//! drop and prints `<redacted>` through both `Debug` and `Display`, so a stray `{:?}` in a log
//! line or an error message cannot leak it. It has no serde implementation on purpose.

use std::fmt;

use zeroize::Zeroizing;

/// A prompt or an answer in clear text: zeroized on drop, never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Plaintext(Zeroizing<String>);

impl Plaintext {
    /// Wraps `text`.
    #[must_use]
    pub fn new(text: String) -> Self {
        Plaintext(Zeroizing::new(text))
    }

    /// Takes UTF-8 bytes, or gives them back (still zeroizing) if they are not UTF-8.
    pub fn from_utf8(bytes: Zeroizing<Vec<u8>>) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        // Validated above, so the conversion cannot fail; the copy is zeroized with `bytes`.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Plaintext::new(text))
    }

    /// The text; the caller must not log it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its length in bytes (safe to log).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plaintext(<redacted, {} bytes>)", self.0.len())
    }
}

impl fmt::Display for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_text() {
        let p = Plaintext::new("canary-7f3a".into());
        assert!(!format!("{p:?}").contains("canary"));
        assert!(!format!("{p}").contains("canary"));
        assert_eq!(p.expose(), "canary-7f3a");
        assert_eq!(p.len(), 11);
    }

    #[test]
    fn from_utf8_rejects_invalid_bytes() {
        assert!(Plaintext::from_utf8(Zeroizing::new(vec![0xff, 0xfe])).is_err());
        let ok = Plaintext::from_utf8(Zeroizing::new(b"hi".to_vec())).unwrap();
        assert_eq!(ok.expose(), "hi");
    }
}
