//! Just enough `multipart/form-data` for `POST /v1/tts/clone-voice`: the
//! boundary from the content type, and each part's name, file name and bytes.
//! Never panics on what a client sends.

/// One part of a form.
#[derive(Debug)]
pub(crate) struct Part<'a> {
    pub(crate) name: String,
    pub(crate) file_name: Option<String>,
    pub(crate) data: &'a [u8],
}

/// The `boundary` parameter of a `multipart/form-data` content type, or why
/// there is none.
pub(crate) fn boundary(content_type: &str) -> Result<String, String> {
    let mut pieces = content_type.split(';');
    let essence = pieces.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return Err(format!(
            "Unsupported media type \"{}\" in request; expected multipart/form-data.",
            if content_type.is_empty() {
                "none"
            } else {
                content_type
            }
        ));
    }
    pieces
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or_else(|| {
            "Multipart form parse error - Invalid boundary in multipart: None".to_string()
        })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The parts of `body`, split at `--boundary`. A body without any delimiter
/// is an error; parts without a `Content-Disposition` name are skipped.
pub(crate) fn parse<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let Some(first) = find(body, delimiter) else {
        return Err("Multipart form parse error - the body does not contain the boundary".into());
    };
    let mut rest = body.get(first + delimiter.len()..).unwrap_or_default();
    let mut parts = Vec::new();
    loop {
        // `--` right after a delimiter closes the form.
        if rest.starts_with(b"--") {
            break;
        }
        let Some(next) = find(rest, delimiter) else {
            // No closing delimiter: a truncated body.
            return Err("Multipart form parse error - the closing boundary is missing".into());
        };
        let chunk = rest.get(..next).unwrap_or_default();
        rest = rest.get(next + delimiter.len()..).unwrap_or_default();
        let chunk = chunk.strip_prefix(b"\r\n").unwrap_or(chunk);
        let chunk = chunk.strip_suffix(b"\r\n").unwrap_or(chunk);
        let Some(split) = find(chunk, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(chunk.get(..split).unwrap_or_default());
        let data = chunk.get(split + 4..).unwrap_or_default();
        let Some(disposition) = head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case("content-disposition")
                .then(|| value.to_string())
        }) else {
            continue;
        };
        let parameter = |wanted: &str| {
            disposition.split(';').find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case(wanted)
                    .then(|| v.trim().trim_matches('"').to_string())
            })
        };
        let Some(name) = parameter("name") else {
            continue;
        };
        parts.push(Part {
            name,
            file_name: parameter("filename"),
            data,
        });
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"audio_clip\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nMy voice\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "audio_clip");
        assert_eq!(parts[0].file_name.as_deref(), Some("a.wav"));
        assert_eq!(parts[0].data, b"RIFF");
        assert_eq!(parts[1].name, "name");
        assert_eq!(parts[1].data, b"My voice");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse(b"", "b").is_err());
        assert!(parse(b"--b", "b").is_err());
        assert!(parse(b"--b\r\nno end", "b").is_err());
        assert!(boundary("multipart/form-data").is_err());
        assert!(boundary("application/json").is_err());
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc\"").unwrap(),
            "abc"
        );
    }
}
