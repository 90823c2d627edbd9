//! Bytes that the API carries inside JSON as base64 strings (signatures, reply contents, certificates).

use ::base64::Engine as _;
use ::base64::alphabet;
use ::base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::raw::types::Base64Bytes;

/// Standard alphabet; padding is optional on input so a trimmed value still decodes.
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A [`Base64Bytes`] value that is not valid base64.
#[derive(Debug, thiserror::Error)]
#[error("invalid base64 in a bytes field: {0}")]
pub struct InvalidBase64(#[from] ::base64::DecodeError);

impl Base64Bytes {
    /// The bytes this value carries.
    pub fn decode(&self) -> Result<Vec<u8>, InvalidBase64> {
        Ok(ENGINE.decode(self.0.as_bytes())?)
    }

    /// The bytes this value carries, as [`bytes::Bytes`] like the content downloads give.
    pub fn to_bytes(&self) -> Result<bytes::Bytes, InvalidBase64> {
        self.decode().map(bytes::Bytes::from)
    }

    /// Wraps bytes for a request field.
    pub fn encode(bytes: impl AsRef<[u8]>) -> Self {
        Base64Bytes(::base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_padded_and_unpadded_values() {
        assert_eq!(Base64Bytes("SGVsbG8=".to_owned()).decode().unwrap(), b"Hello");
        assert_eq!(Base64Bytes("SGVsbG8".to_owned()).decode().unwrap(), b"Hello");
        assert_eq!(Base64Bytes(String::new()).decode().unwrap(), b"");
    }

    #[test]
    fn round_trips_binary_bytes() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(Base64Bytes::encode(&bytes).decode().unwrap(), bytes);
        assert_eq!(Base64Bytes::encode(&bytes).to_bytes().unwrap(), bytes);
    }

    #[test]
    fn rejects_text_that_is_not_base64() {
        let error = Base64Bytes("not base64!".to_owned()).decode().unwrap_err();
        assert!(error.to_string().starts_with("invalid base64"), "{error}");
    }
}
