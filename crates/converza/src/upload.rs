//! `POST /api/openapi/v1/documents` (`uploadDocument`), written by hand
//! because progenitor cannot generate a `multipart/form-data` body. It goes
//! through the same [`ClientHooks`] as the generated operations, so the
//! bearer token, tracing and `api-version` stripping apply alike (a POST is
//! never retried).

use std::fmt;

use progenitor_client::{Error, ResponseValue};
use reqwest::multipart::{Form, Part};

use crate::{Client, types};

/// The multipart form of `uploadDocument`; field names as in the spec's
/// `UploadDocumentRequest`. `Debug` shows the file's size, not its bytes.
#[derive(Clone)]
pub struct UploadDocument {
    /// `team_id`: the team whose knowledge base receives the file.
    pub team_id: uuid::Uuid,
    /// The file name sent with the `file` part (e.g. `contrato.pdf`).
    pub file_name: String,
    /// The `file` part's `Content-Type`; `None` sends none.
    pub content_type: Option<String>,
    /// `file`: the file's contents (pdf, txt, docx or doc).
    pub data: Vec<u8>,
    /// `chars`: the character count; `None` leaves it out (the API's default
    /// is 0).
    pub chars: Option<i64>,
}

impl UploadDocument {
    /// An upload whose content type follows the file name's extension for
    /// the formats Converza accepts (`.pdf`, `.txt`, `.docx`, `.doc`), and is
    /// left out otherwise.
    pub fn new(
        team_id: uuid::Uuid,
        file_name: impl Into<String>,
        data: impl Into<Vec<u8>>,
    ) -> Self {
        let file_name = file_name.into();
        let extension = file_name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase());
        let content_type = match extension.as_deref() {
            Some("pdf") => Some("application/pdf"),
            Some("txt") => Some("text/plain"),
            Some("docx") => {
                Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            }
            Some("doc") => Some("application/msword"),
            _ => None,
        };
        Self {
            team_id,
            file_name,
            content_type: content_type.map(str::to_owned),
            data: data.into(),
            chars: None,
        }
    }

    fn into_multipart(self) -> Result<Form, String> {
        let mut file = Part::bytes(self.data).file_name(self.file_name);
        if let Some(mime) = self.content_type {
            file = file
                .mime_str(&mime)
                .map_err(|_| format!("`{mime}` is not a valid content type for file"))?;
        }
        let mut form = Form::new()
            .part("file", file)
            .text("team_id", self.team_id.to_string());
        if let Some(chars) = self.chars {
            form = form.text("chars", chars.to_string());
        }
        Ok(form)
    }
}

impl fmt::Debug for UploadDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadDocument")
            .field("team_id", &self.team_id)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.data.len())
            .field("chars", &self.chars)
            .finish()
    }
}

impl Client {
    /// Uploads a file into a team's knowledge base (`uploadDocument`,
    /// `POST /api/openapi/v1/documents`, `multipart/form-data`).
    ///
    /// Errors as for the generated operations: a 4xx/5xx with a JSON body is
    /// [`Error::ErrorResponse`]; a body that does not decode is
    /// [`Error::InvalidResponsePayload`].
    pub async fn upload_document(
        &self,
        input: UploadDocument,
    ) -> Result<ResponseValue<types::DocumentResponse>, Error<types::ErrorResponse>> {
        let form = input.into_multipart().map_err(Error::InvalidRequest)?;
        let url = format!("{}/api/openapi/v1/documents", self.baseurl);
        let request = self
            .client
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(form)
            .build()?;
        self.send_manual(request, &crate::operations::UPLOAD_DOCUMENT)
            .await
    }
}
