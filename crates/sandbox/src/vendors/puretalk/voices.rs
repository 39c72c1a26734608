//! The handlers of PureTalk's voices: text to speech, voice cloning
//! (multipart), and reading a voice.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chatbots_puretalk::types;
use serde_json::{Value, json};

use super::audio;
use super::errors::{Reply, fail, invalid, not_found_voice, refuse, success};
use super::input::{Auth, canonical_uuid};
use super::state::{App, Voice, new_id};
use crate::extract::SpecFields;
use crate::multipart;
use crate::support::{self, header_str};

pub(super) async fn text_to_speech(
    State(app): App,
    _auth: Auth,
    SpecFields(_, body): SpecFields<types::TextToSpeechRequest>,
) -> Reply {
    let voice_id = body
        .get("voice_id")
        .and_then(Value::as_str)
        .and_then(canonical_uuid)
        .unwrap_or_default();
    let known = app.lock().voices.iter().any(|v| {
        v.body
            .get("voice_id")
            .and_then(Value::as_str)
            .is_some_and(|id| id.eq_ignore_ascii_case(&voice_id))
    });
    if !known {
        return Err(not_found_voice());
    }
    let field = |name: &str, default: &'static str| {
        body.get(name)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_string()
    };
    let sample_rate = body
        .get("sample_rate")
        .and_then(Value::as_u64)
        .map_or(44_100, |r| u32::try_from(r).unwrap_or(u32::MAX));
    let text = field("text", "");
    let audio = audio::synthesize(
        &text,
        &field("output_format", "raw"),
        &field("encoding", "pcm_f32le"),
        sample_rate,
    )
    .map_err(|msg| fail(StatusCode::BAD_REQUEST, msg))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/octet-stream")],
        audio,
    )
        .into_response())
}

pub(super) async fn clone_voice(
    State(app): App,
    _auth: Auth,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    let content_type = header_str(&headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
    let boundary = multipart::boundary(content_type).ok_or_else(|| {
        if multipart::is_form(content_type) {
            fail(
                StatusCode::BAD_REQUEST,
                "Multipart form parse error - Invalid boundary in multipart: None".to_string(),
            )
        } else {
            fail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "Unsupported media type \"{}\" in request; expected multipart/form-data.",
                    if content_type.is_empty() {
                        "none"
                    } else {
                        content_type
                    }
                ),
            )
        }
    })?;
    let bytes = support::read_body(body, app.body_limit)
        .await
        .map_err(refuse)?;
    let parts = multipart::parse(&bytes, &boundary).ok_or_else(|| {
        fail(
            StatusCode::BAD_REQUEST,
            "Multipart form parse error - the body is not a complete form".to_string(),
        )
    })?;
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.file_name.is_none())
            .map(|p| String::from_utf8_lossy(p.data).trim().to_string())
    };
    let clip = parts.iter().find(|p| p.name == "audio_clip");
    match clip {
        None => return Err(invalid("audio_clip", "No file was submitted.")),
        Some(p) if p.file_name.is_none() => {
            return Err(invalid(
                "audio_clip",
                "The submitted data was not a file. Check the encoding type on the form.",
            ));
        }
        Some(_) => {}
    }
    let name = match text("name") {
        None => return Err(invalid("name", "This field is required.")),
        Some(n) => n,
    };
    // The form is multipart, so no JSON schema checks it: its two enums are
    // the spec's, through the generated types.
    let gender = match text("gender") {
        None => return Err(invalid("gender", "This field is required.")),
        Some(g) => match g.parse::<types::VoiceGender>() {
            Ok(_) => g,
            Err(_) => {
                return Err(invalid(
                    "gender",
                    format!("\"{g}\" is not a valid choice (see VoiceGender in the spec)"),
                ));
            }
        },
    };
    // Required by the page and the spec (its "default en" notwithstanding).
    let language = match text("language") {
        None => return Err(invalid("language", "This field is required.")),
        Some(l) => match l.parse::<types::VoiceLanguage>() {
            Ok(_) => l,
            Err(_) => {
                return Err(invalid(
                    "language",
                    format!("\"{l}\" is not a valid choice (see VoiceLanguage in the spec)"),
                ));
            }
        },
    };
    let description = text("description").unwrap_or_default();
    let voice_id = new_id();
    let mut store = app.lock();
    let id = store.next_voice_id;
    store.next_voice_id += 1;
    store.voices.push(Voice {
        id,
        body: json!({
            "voice_id": voice_id,
            "name": name,
            "avatar": "",
            "gender": gender,
            "demo_audio_url": format!(
                "https://puretalkstorageprod.blob.core.windows.net/puretalk-public/puretalk-{voice_id}-mp3"
            ),
            "is_cloned": true,
            "language": language,
            "description": description,
        }),
    });
    Ok(success(
        "Voice cloned successfully",
        json!({"voice_id": voice_id}),
    ))
}

pub(super) async fn get_voice(
    State(app): App,
    _auth: Auth,
    id: Result<Path<String>, PathRejection>,
) -> Reply {
    let Ok(Path(id)) = id else {
        return Err(not_found_voice());
    };
    let store = app.lock();
    let voice = match id.trim().parse::<i64>() {
        Ok(number) => store.voices.iter().find(|v| v.id == number),
        Err(_) => store.voices.iter().find(|v| {
            v.body
                .get("voice_id")
                .and_then(Value::as_str)
                .is_some_and(|voice_id| voice_id.eq_ignore_ascii_case(&id))
        }),
    };
    match voice {
        Some(voice) => Ok(success("Voice retrieved successfully", voice.body.clone())),
        None => Err(not_found_voice()),
    }
}
