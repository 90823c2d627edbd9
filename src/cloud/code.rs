//! The code a user reads from the SMS: a secret from the moment it enters the crate.

use std::fmt;

use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};

/// The code from the SMS that confirms one cloud signing or decryption.
///
/// It is a secret: `Debug` prints `ConfirmationCode(***)`, there is no `Display` and no
/// `Serialize`, and [`crate::cloud`] never writes it to an error, a span or a log line.
/// Spaces around the code (as typed or pasted) are dropped.
pub struct ConfirmationCode(SecretString);

impl ConfirmationCode {
    /// Wraps the code the user typed.
    pub fn new(code: impl Into<String>) -> Self {
        let mut code = code.into();
        let trimmed = code.trim();
        if trimmed.len() == code.len() {
            return Self(SecretString::from(code));
        }
        let secret = SecretString::from(trimmed.to_owned());
        code.zeroize();
        Self(secret)
    }

    /// True when nothing was typed.
    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }

    /// The code itself, for the one query parameter that carries it.
    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<String> for ConfirmationCode {
    fn from(code: String) -> Self {
        Self::new(code)
    }
}

impl From<&str> for ConfirmationCode {
    fn from(code: &str) -> Self {
        Self::new(code)
    }
}

impl From<SecretString> for ConfirmationCode {
    fn from(code: SecretString) -> Self {
        Self::new(code.expose_secret())
    }
}

impl fmt::Debug for ConfirmationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfirmationCode(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_code() {
        let code = ConfirmationCode::new("482915");
        assert_eq!(format!("{code:?}"), "ConfirmationCode(***)");
        assert!(!format!("{code:#?}").contains("482915"));
    }

    #[test]
    fn spaces_around_the_code_are_dropped() {
        assert_eq!(ConfirmationCode::new(" 482915\n").expose(), "482915");
        assert_eq!(ConfirmationCode::from("482915").expose(), "482915");
        assert!(ConfirmationCode::new("  ").is_empty());
    }
}
