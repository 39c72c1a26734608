//! Synthetic audio for `POST /v1/tts` and call tokens for
//! `POST /calls/web/register`.

/// At most this many bytes of audio per request, whatever the sample rate.
const MAX_AUDIO_BYTES: u64 = 512 * 1024;
/// Milliseconds of (silent) audio per character of text.
const MS_PER_CHAR: u64 = 60;

/// Silence as long as `text` would take to say, in `output_format`
/// (`raw`, `wav`, `mp3`) and `encoding`. The docs forbid no combination:
/// `mp3` either way is an MP3 stream, whatever the other says.
pub(crate) fn synthesize(
    text: &str,
    output_format: &str,
    encoding: &str,
    sample_rate: u32,
) -> Result<Vec<u8>, String> {
    let millis = (text.chars().count() as u64).saturating_mul(MS_PER_CHAR);
    if output_format == "mp3" || encoding == "mp3" {
        return Ok(mp3(millis));
    }
    let (width, silence, wav_format): (u64, &[u8], u16) = match encoding {
        "pcm_f32le" => (4, &[0, 0, 0, 0], 3),
        "pcm_s16le" => (2, &[0, 0], 1),
        "mulaw" => (1, &[0xFF], 7),
        "alaw" => (1, &[0xD5], 6),
        _ => {
            return Err(format!(
                "encoding: `{encoding}` cannot be used with output_format `{output_format}`"
            ));
        }
    };
    let samples = u64::from(sample_rate).saturating_mul(millis) / 1000;
    let bytes = samples.saturating_mul(width).min(MAX_AUDIO_BYTES) / width * width;
    let mut out = Vec::with_capacity(bytes as usize + 44);
    if output_format == "wav" {
        let data_len = bytes as u32;
        let byte_rate = sample_rate.saturating_mul(width as u32);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&wav_format.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // mono
        out.extend_from_slice(&sample_rate.to_le_bytes());
        out.extend_from_slice(&byte_rate.to_le_bytes());
        out.extend_from_slice(&(width as u16).to_le_bytes());
        out.extend_from_slice(&((width * 8) as u16).to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
    }
    for _ in 0..bytes / width {
        out.extend_from_slice(silence);
    }
    Ok(out)
}

/// An ID3v2 tag and silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz,
/// 417 bytes and about 26 ms each).
fn mp3(millis: u64) -> Vec<u8> {
    let frames = (millis / 26).clamp(1, MAX_AUDIO_BYTES / 417);
    let mut out = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    for _ in 0..frames {
        out.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        out.extend(std::iter::repeat_n(0u8, 413));
    }
    out
}

/// A JWT-shaped call token (HS256 header; the signature is random, the
/// sandbox never checks it).
pub(crate) fn call_token(call_id: &str, assistant_id: &str, issued_at: i64) -> String {
    let claims = serde_json::json!({
        "call_id": call_id,
        "assistant_id": assistant_id,
        "iat": issued_at,
        "exp": issued_at + 3600,
    });
    crate::support::jwt_shaped(&claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_bounded_and_well_formed() {
        let wav = synthesize("Hi there", "wav", "pcm_s16le", 16_000).unwrap();
        assert!(wav.starts_with(b"RIFF"));
        // 8 chars * 60 ms * 16 kHz * 2 bytes + header
        assert_eq!(wav.len(), 44 + 15_360);
        let huge = synthesize(&"x".repeat(10_000), "raw", "pcm_f32le", u32::MAX).unwrap();
        assert!(huge.len() as u64 <= MAX_AUDIO_BYTES);
        assert!(
            synthesize("x", "mp3", "pcm_f32le", 8000)
                .unwrap()
                .starts_with(b"ID3")
        );
        // The docs forbid no combination (issue 11): `mp3` wins.
        assert!(
            synthesize("x", "wav", "mp3", 8000)
                .unwrap()
                .starts_with(b"ID3")
        );
    }
}
