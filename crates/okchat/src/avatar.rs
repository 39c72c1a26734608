//! `updateChatbotAvatar`, written by hand: progenitor does not generate
//! `multipart/form-data` bodies (the spec marks the operation
//! `x-chatbots-manual`).

use futures::TryStreamExt;
use progenitor_client::encode_path;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::multipart::{Form, Part};

use crate::{Client, Error, ResponseValue, types};

/// Name of the multipart form field that carries the avatar image.
///
/// INFERRED: the OKChat docs do not show the field's name (see the spec's
/// `updateChatbotAvatar` description), so `file`, the usual name for a
/// single upload, is used.
pub const AVATAR_FORM_FIELD: &str = "file";

impl Client {
    /// Chatbot Avatar: uploads `bytes` (an image of type `mime`, e.g.
    /// `image/png`, named `file_name`) as the chatbot's avatar.
    ///
    /// Sends `PATCH /api/external/chatbot/{chatbotId}/update-avatar` with a
    /// `multipart/form-data` body holding one part, [`AVATAR_FORM_FIELD`], and
    /// returns `{chatbot}` with `settings.avatar` set to the stored image's
    /// URL. The request goes through the same hooks as generated calls
    /// (auth, retries, tracing). The form is encoded in memory before sending
    /// so that a retry can send it again.
    ///
    /// `chatbot_id` is a UUID (or a string holding one); a bad UUID or MIME
    /// type gives [`Error::InvalidRequest`] before anything is sent.
    pub async fn update_chatbot_avatar<V>(
        &self,
        chatbot_id: V,
        file_name: impl Into<String>,
        bytes: impl Into<Vec<u8>>,
        mime: &str,
    ) -> Result<ResponseValue<types::ChatbotResponse>, Error<types::ErrorResponse>>
    where
        V: TryInto<uuid::Uuid>,
    {
        let chatbot_id: uuid::Uuid = chatbot_id.try_into().map_err(|_| {
            Error::InvalidRequest("conversion to `uuid::Uuid` for chatbot_id failed".into())
        })?;
        let part = Part::bytes(bytes.into())
            .file_name(file_name.into())
            .mime_str(mime)
            .map_err(|_| Error::InvalidRequest(format!("`{mime}` is not a valid MIME type")))?;
        let form = Form::new().part(AVATAR_FORM_FIELD, part);
        let content_type = HeaderValue::from_str(&format!(
            "multipart/form-data; boundary={}",
            form.boundary()
        ))?;
        // A streamed body cannot be cloned, and a request that cannot be
        // cloned is never retried: buffer the (small) form instead.
        let body = form
            .into_stream()
            .try_fold(Vec::new(), |mut body, chunk| async move {
                body.extend_from_slice(&chunk);
                Ok(body)
            })
            .await?;
        let url = format!(
            "{}/api/external/chatbot/{}/update-avatar",
            self.baseurl,
            encode_path(&chatbot_id.to_string()),
        );
        let request = self
            .client
            .patch(url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .build()?;
        self.send_manual(request, &crate::operations::UPDATE_CHATBOT_AVATAR)
            .await
    }
}
