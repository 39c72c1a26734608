//! Just enough `multipart/form-data` for the three upload operations
//! (Converza `uploadDocument`, OKChat `updateChatbotAvatar`, PureTalk
//! `cloneVoice`): the boundary from the content type, then each part's
//! name, file name, content type and bytes. Never panics on what a client
//! sends.

/// One part of a form.
#[derive(Debug)]
pub(crate) struct Part<'a> {
    pub(crate) name: String,
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) data: &'a [u8],
}

/// Whether `content_type` says `multipart/form-data` (with or without a
/// usable boundary).
pub(crate) fn is_form(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The `boundary` parameter of a `multipart/form-data` content type, or
/// `None` if the type is another one or has no usable boundary.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    if !is_form(content_type) {
        return None;
    }
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        (!value.is_empty() && value.len() <= 200).then(|| value.to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The parts of `body`, split at `--boundary`; `None` when the body does not
/// contain the boundary or lacks the closing one (truncated), or when a
/// part has no `Content-Disposition` with a `name` (RFC 7578, section 4.2:
/// every part of a form has one; without it the body is no form).
pub(crate) fn parse<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<Part<'a>>> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let first = find(body, delimiter)?;
    let mut rest = body.get(first + delimiter.len()..).unwrap_or_default();
    let mut parts = Vec::new();
    loop {
        // `--` right after a delimiter closes the form.
        if rest.starts_with(b"--") {
            break;
        }
        let next = find(rest, delimiter)?;
        let chunk = rest.get(..next).unwrap_or_default();
        rest = rest.get(next + delimiter.len()..).unwrap_or_default();
        let chunk = chunk.strip_prefix(b"\r\n").unwrap_or(chunk);
        let chunk = chunk.strip_suffix(b"\r\n").unwrap_or(chunk);
        let split = find(chunk, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(chunk.get(..split).unwrap_or_default());
        let data = chunk.get(split + 4..).unwrap_or_default();
        let header = |wanted: &str| {
            head.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(wanted)
                    .then(|| value.trim().to_string())
            })
        };
        let disposition = header("content-disposition")?;
        let parameter = |wanted: &str| {
            disposition.split(';').find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case(wanted)
                    .then(|| v.trim().trim_matches('"').to_string())
            })
        };
        let name = parameter("name")?;
        parts.push(Part {
            name,
            file_name: parameter("filename"),
            content_type: header("content-type"),
            data,
        });
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nOlivia\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ--\r\n";

    #[test]
    fn parts_carry_name_file_name_type_and_bytes() {
        let parts = parse(FORM, "XyZ").expect("a complete form");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "name");
        assert_eq!(parts[0].data, b"Olivia");
        assert_eq!(parts[1].file_name.as_deref(), Some("a.png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].data, b"\x89PNG");
    }

    #[test]
    fn truncated_or_foreign_bodies_are_refused_without_panicking() {
        assert!(parse(&FORM[..FORM.len() - 12], "XyZ").is_none());
        assert!(parse(b"no boundary here", "XyZ").is_none());
        assert!(parse(b"", "XyZ").is_none());
        for cut in 0..FORM.len() {
            let _ = parse(&FORM[..cut], "XyZ");
        }
    }

    #[test]
    fn a_part_without_a_name_is_no_form() {
        // What a client sends when it serialises something that is no form
        // (here a JSON array) between boundaries.
        assert!(parse(b"--XyZ\r\n[]--XyZ--\r\n", "XyZ").is_none());
        assert!(
            parse(
                b"--XyZ\r\nContent-Type: image/png\r\n\r\nx\r\n--XyZ--\r\n",
                "XyZ"
            )
            .is_none()
        );
        assert!(
            parse(
                b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--\r\n",
                "XyZ"
            )
            .is_none()
        );
        // A form without parts is a form.
        assert_eq!(parse(b"--XyZ--\r\n", "XyZ").map(|p| p.len()), Some(0));
    }

    #[test]
    fn boundary_comes_from_a_form_content_type_only() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc\"").as_deref(),
            Some("abc")
        );
        assert_eq!(boundary("multipart/form-data"), None);
        assert!(is_form("multipart/form-data"));
        assert_eq!(boundary("application/json; boundary=abc"), None);
    }
}
