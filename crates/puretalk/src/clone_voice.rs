//! `POST /v1/tts/clone-voice` (`cloneVoice`), written by hand because
//! progenitor cannot generate a `multipart/form-data` body. It is sent through
//! the same [`ClientHooks`] as the generated operations, so auth, tracing and
//! `api-version` stripping apply alike (a POST is never retried).

use std::fmt;

use progenitor_client::{Error, ResponseValue};
use reqwest::multipart::{Form, Part};

use crate::{Client, types};

/// The multipart form of `POST /v1/tts/clone-voice`; field names as in the
/// spec.
#[derive(Clone, Debug)]
pub struct CloneVoiceForm {
    /// `audio_clip`: the voice sample to clone (WAV, MP3 or M4A; at least 30
    /// seconds of clear speech).
    pub audio_clip: AudioClip,
    /// `name`: a descriptive name for the cloned voice.
    pub name: String,
    /// `description`: additional details about the voice characteristics.
    pub description: Option<String>,
    /// `language`: language of the voice (the API's default is `en`).
    pub language: types::VoiceLanguage,
    /// `gender`: gender of the voice.
    pub gender: types::VoiceGender,
}

impl CloneVoiceForm {
    /// A form with the required fields, language `en` and no description.
    pub fn new(name: impl Into<String>, gender: types::VoiceGender, audio_clip: AudioClip) -> Self {
        Self {
            audio_clip,
            name: name.into(),
            description: None,
            language: types::VoiceLanguage::En,
            gender,
        }
    }

    fn into_multipart(self) -> Result<Form, String> {
        let AudioClip {
            file_name,
            content_type,
            data,
        } = self.audio_clip;
        let mut clip = Part::bytes(data).file_name(file_name);
        if let Some(mime) = content_type {
            clip = clip
                .mime_str(&mime)
                .map_err(|_| format!("`{mime}` is not a valid content type for audio_clip"))?;
        }
        let mut form = Form::new().part("audio_clip", clip).text("name", self.name);
        if let Some(description) = self.description {
            form = form.text("description", description);
        }
        Ok(form
            .text("language", self.language.to_string())
            .text("gender", self.gender.to_string()))
    }
}

/// An audio file sent as the `audio_clip` part.
#[derive(Clone)]
pub struct AudioClip {
    /// The file name sent with the part (e.g. `sample.wav`).
    pub file_name: String,
    /// The part's `Content-Type`; `None` sends none.
    pub content_type: Option<String>,
    /// The file's contents.
    pub data: Vec<u8>,
}

impl AudioClip {
    /// A clip whose content type follows the file name's extension for the
    /// formats PureTalk accepts (`.wav`, `.mp3`, `.m4a`), and is left out
    /// otherwise.
    pub fn new(file_name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        let file_name = file_name.into();
        let extension = file_name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase());
        let content_type = match extension.as_deref() {
            Some("wav") => Some("audio/wav"),
            Some("mp3") => Some("audio/mpeg"),
            Some("m4a") => Some("audio/mp4"),
            _ => None,
        };
        Self {
            file_name,
            content_type: content_type.map(str::to_string),
            data: data.into(),
        }
    }
}

impl fmt::Debug for AudioClip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioClip")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.data.len())
            .finish()
    }
}

impl Client {
    /// Clones a voice from an uploaded audio sample (`cloneVoice`,
    /// `POST /v1/tts/clone-voice`, `multipart/form-data`).
    ///
    /// Errors as for the generated operations: a 4xx/5xx with the documented
    /// body is [`Error::ErrorResponse`]; a body that does not decode is
    /// [`Error::InvalidResponsePayload`].
    pub async fn clone_voice(
        &self,
        form: CloneVoiceForm,
    ) -> Result<ResponseValue<types::CloneVoiceResponse>, Error<types::Error>> {
        let form = form.into_multipart().map_err(Error::InvalidRequest)?;
        let url = format!("{}/v1/tts/clone-voice", self.baseurl);
        let request = self
            .client
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(form)
            .build()?;
        self.send_manual(request, &crate::operations::CLONE_VOICE)
            .await
    }
}
