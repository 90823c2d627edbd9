//! On the test stand the SMS code of a request can be read through the test tools, so scripts
//! confirm without a phone.

use futures::TryStreamExt;

use super::code::ConfirmationCode;
use super::error::ConfirmError;
use super::outcome::CloudOutcome;
use super::pending::AwaitingCode;
use crate::Error;
use crate::error::TransportFailure;
use crate::raw_test_tools;
use crate::transport::SendExt;

const OPERATION: &str = "get_cloud_sign_confirmation_code";

/// Reads the code the test stand sent for `request_id` (`get-cloud-sign-confirmation-code`).
pub async fn test_stand_code(tools: &raw_test_tools::Client, request_id: &str) -> Result<ConfirmationCode, Error> {
    let answer = tools.get_cloud_sign_confirmation_code().request_id(request_id).send().checked().await?;
    let body = answer
        .into_inner()
        .into_inner()
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await
        .map_err(|source| Error::Transport(Box::new(TransportFailure::new(Some(OPERATION), 0, true, source))))?;
    let text = String::from_utf8(body).map_err(|_| Error::InvalidRequest {
        operation: Some(OPERATION),
        message: "the test stand's code is not UTF-8 text".to_owned(),
    })?;
    // Plain text, or the same as a JSON string.
    let trimmed = text.trim();
    if trimmed.starts_with('"')
        && let Ok(code) = serde_json::from_str::<String>(trimmed)
    {
        return Ok(ConfirmationCode::new(code));
    }
    Ok(ConfirmationCode::new(trimmed))
}

impl<O: CloudOutcome> AwaitingCode<O> {
    /// Confirms with the code the test stand sent (test stand only). When the code cannot be
    /// read, the pending value comes back in [`ConfirmError::Interrupted`].
    pub async fn confirm_with_test_stand_code(self, tools: &raw_test_tools::Client) -> Result<O, ConfirmError<O>> {
        match test_stand_code(tools, self.request_id()).await {
            Ok(code) => self.confirm(code).await,
            Err(source) => Err(ConfirmError::Interrupted { pending: self, source }),
        }
    }
}
