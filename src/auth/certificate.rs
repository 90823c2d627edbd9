//! Login with the user's qualified certificate: the identity host encrypts a random key to the
//! certificate; whoever holds the private key decrypts it and so proves possession.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretSlice, SecretString};

use super::error::{AuthError, BoxError};
use super::identity::{Form, IdentityClient, TokenAnswer};

/// Opens the PKCS#7 envelope the identity host encrypted to the user's certificate.
/// Implement it over the user's crypto provider (CryptoPro CSP, an HSM, a cloud key store).
pub trait CertificateDecryptor: Send + Sync + fmt::Debug + 'static {
    /// Decrypts `envelope` (DER-encoded PKCS#7/CMS EnvelopedData) with the certificate's
    /// private key and returns the content.
    fn decrypt<'a>(
        &'a self,
        envelope: &'a [u8],
    ) -> BoxFuture<'a, Result<SecretSlice<u8>, BoxError>>;
}

/// What a certificate login needs: the certificate, its thumbprint and the decryptor of its key.
#[derive(Clone)]
pub struct CertificateLogin {
    certificate_der: Vec<u8>,
    thumbprint: String,
    skip_validity_check: bool,
    partial_factor_token: Option<SecretString>,
    decryptor: Arc<dyn CertificateDecryptor>,
}

impl CertificateLogin {
    /// `certificate_der` is the user's certificate (DER bytes); `thumbprint` its SHA-1 thumbprint in hex.
    pub fn new(
        certificate_der: impl Into<Vec<u8>>,
        thumbprint: impl Into<String>,
        decryptor: impl CertificateDecryptor,
    ) -> Self {
        Self {
            certificate_der: certificate_der.into(),
            thumbprint: thumbprint.into(),
            skip_validity_check: false,
            partial_factor_token: None,
            decryptor: Arc::new(decryptor),
        }
    }

    /// Asks the identity host not to check the certificate's validity (`free=true`).
    pub fn skip_validity_check(mut self, skip: bool) -> Self {
        self.skip_validity_check = skip;
        self
    }

    /// Completes a login whose first factor answered [`AuthError::SecondFactorRequired`].
    pub fn partial_factor_token(mut self, token: SecretString) -> Self {
        self.partial_factor_token = Some(token);
        self
    }

    /// Both steps: challenge, decryption, token.
    pub(crate) async fn obtain(&self, identity: &IdentityClient) -> Result<TokenAnswer, AuthError> {
        let challenge = identity
            .certificate_challenge(
                Form::default()
                    .field("public_key", BASE64.encode(&self.certificate_der))
                    .field(
                        "free",
                        if self.skip_validity_check {
                            "true"
                        } else {
                            "false"
                        },
                    )
                    .optional("partial_factor_token", self.partial_factor_token.as_ref()),
            )
            .await?;
        let envelope = BASE64.decode(challenge.encrypted_key.trim()).map_err(|_| {
            AuthError::UnexpectedAnswer {
                status: 200,
                excerpt: "encrypted_key is not base64".to_owned(),
                trace_id: None,
            }
        })?;
        let decrypted = self
            .decryptor
            .decrypt(&envelope)
            .await
            .map_err(|e| AuthError::Decryption(e.into()))?;
        let decrypted_key = SecretString::from(BASE64.encode(decrypted.expose_secret()));
        let answer = identity
            .token(
                "certificate",
                Form::default()
                    .field("decrypted_key", &decrypted_key)
                    .field("thumbprint", self.thumbprint.as_str()),
            )
            .await?;
        Ok(answer)
    }
}

impl fmt::Debug for CertificateLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateLogin")
            .field(
                "certificate_der",
                &format_args!("{} bytes", self.certificate_der.len()),
            )
            .field("thumbprint", &self.thumbprint)
            .field("skip_validity_check", &self.skip_validity_check)
            .field("partial_factor_token", &self.partial_factor_token)
            .field("decryptor", &self.decryptor)
            .finish()
    }
}
