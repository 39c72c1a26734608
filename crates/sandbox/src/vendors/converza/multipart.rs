//! Just enough `multipart/form-data` to read `uploadDocument`'s form: the
//! boundary from the content type, then each part's name, file name and
//! bytes. Never panics on what a client sends.

/// One part of a form.
#[derive(Debug)]
pub(super) struct Part<'a> {
    pub(super) name: String,
    pub(super) file_name: Option<String>,
    pub(super) data: &'a [u8],
}

/// The `boundary` parameter of a `multipart/form-data` content type, or
/// `None` if the type is another one or has no boundary.
pub(super) fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        (!value.is_empty() && value.len() <= 200).then(|| value.to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The parts of `body`, or `None` if it is not a form with this boundary
/// (no opening delimiter, or no closing one).
pub(super) fn parse<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<Part<'a>>> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut at = find(body, delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        // After a delimiter: `--` ends the form, CRLF starts a part.
        let rest = body.get(at..)?;
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        let start = at + if rest.starts_with(b"\r\n") { 2 } else { 0 };
        let end = find(body, delimiter, start)?;
        let part = body.get(start..end)?;
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let split = find(part, b"\r\n\r\n", 0)?;
        let head = String::from_utf8_lossy(part.get(..split)?);
        let data = part.get(split + 4..)?;
        let (name, file_name) = disposition(&head);
        parts.push(Part {
            name: name.unwrap_or_default(),
            file_name,
            data,
        });
        at = end + delimiter.len();
    }
}

/// `name` and `filename` of a part's `Content-Disposition` header.
fn disposition(head: &str) -> (Option<String>, Option<String>) {
    let Some(line) = head.lines().find(|line| {
        line.split_once(':')
            .is_some_and(|(key, _)| key.trim().eq_ignore_ascii_case("content-disposition"))
    }) else {
        return (None, None);
    };
    let mut name = None;
    let mut file_name = None;
    for param in line.split(';').skip(1) {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_string();
        match key.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(value),
            "filename" => file_name = Some(value),
            _ => {}
        }
    }
    (name, file_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_form() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"team_id\"\r\n\r\nabc\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].file_name.as_deref(), Some("a.pdf"));
        assert_eq!(parts[0].data, b"%PDF-1");
        assert_eq!(parts[1].data, b"abc");
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
        assert_eq!(boundary("application/json"), None);
    }

    #[test]
    fn refuses_broken_forms_without_panicking() {
        for body in [
            &b""[..],
            b"--XyZ",
            b"--XyZ\r\nno blank line--XyZ--",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nunterminated",
            b"garbage",
        ] {
            assert!(parse(body, "XyZ").is_none(), "{body:?}");
        }
    }
}
