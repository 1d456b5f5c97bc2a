//! The size limits of the contract, in one place (the .proto files state the same
//! numbers to implementers in other languages).

/// Largest gRPC message either side accepts: a frame of the `Play` stream, a brief, the
/// results JSON of a long match.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Most envelopes in one `Batch` frame.
pub const MAX_BATCH: usize = 65_536;

/// Longest State, match or session id, in bytes.
pub const MAX_ID_BYTES: usize = 64;

/// Longest endpoint URL, in bytes.
pub const MAX_URL_BYTES: usize = 256;

/// Longest token, in bytes (printable ASCII only).
pub const MAX_TOKEN_BYTES: usize = 256;

/// Longest strategy name a seat may announce, in bytes.
pub const MAX_STRATEGY_BYTES: usize = 64;

/// Longest `agent` text of a hello, in bytes.
pub const MAX_AGENT_BYTES: usize = 128;

/// Longest refusal message, in bytes.
pub const MAX_REFUSAL_BYTES: usize = 1024;

/// Largest inline scenario or design TOML in `StartSession`, in bytes.
pub const MAX_INLINE_TOML_BYTES: usize = 1024 * 1024;

/// Checks an id field: 1..=[`MAX_ID_BYTES`] bytes. The error names the field and quotes
/// at most a short prefix of what was sent.
pub fn check_id(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("field `{field}` is empty"));
    }
    if value.len() > MAX_ID_BYTES {
        return Err(format!(
            "field `{field}` is {} bytes long; at most {MAX_ID_BYTES} (starts {})",
            value.len(),
            prefix(value)
        ));
    }
    Ok(())
}

/// Checks a token: at most [`MAX_TOKEN_BYTES`] printable ASCII bytes (it travels as gRPC
/// metadata).
pub fn check_token(field: &str, value: &str) -> Result<(), String> {
    if value.len() > MAX_TOKEN_BYTES {
        return Err(format!(
            "field `{field}` is {} bytes long; at most {MAX_TOKEN_BYTES}",
            value.len()
        ));
    }
    if !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(format!(
            "field `{field}` must be printable ASCII without spaces"
        ));
    }
    Ok(())
}

/// A short quotation of untrusted input for an error message: at most 32 characters,
/// with control characters escaped, and an ellipsis when cut.
pub fn prefix(value: &str) -> String {
    let mut out = String::from("`");
    for (i, c) in value.chars().enumerate() {
        if i == 32 {
            out.push_str("`…");
            return out;
        }
        out.extend(c.escape_debug());
    }
    out.push('`');
    out
}

/// Checks a delegation endpoint URL: at most [`MAX_URL_BYTES`], `http://` or
/// `https://`, a host, a port in 1..=65535, no user info, no path beyond `/`. A URL the
/// chair could never call is refused when it is given, not minutes later.
pub fn check_endpoint(field: &str, url: &str) -> Result<(), String> {
    if url.len() > MAX_URL_BYTES {
        return Err(format!(
            "field `{field}` is {} bytes long; at most {MAX_URL_BYTES}",
            url.len()
        ));
    }
    let bad = |why: &str| {
        Err(format!(
            "field `{field}` = {} is not a delegation URL: {why} (expected http://HOST:PORT)",
            prefix(url)
        ))
    };
    let uri: tonic::codegen::http::Uri = match url.parse() {
        Ok(u) => u,
        Err(e) => return bad(&e.to_string()),
    };
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return bad("the scheme must be http or https");
    }
    let Some(auth) = uri.authority() else {
        return bad("no host");
    };
    if auth.as_str().contains('@') {
        return bad("user info (user:password@) is not allowed");
    }
    if auth.host().is_empty() {
        return bad("no host");
    }
    match auth.port_u16() {
        Some(p) if p > 0 => {}
        Some(_) => return bad("port 0 cannot be called"),
        None => return bad("no port (or a port outside 1..=65535)"),
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return bad("a path or query is not allowed");
    }
    Ok(())
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bounded_and_errors_quote_a_prefix() {
        assert!(check_id("state", "RUS").is_ok());
        assert_eq!(check_id("state", "").unwrap_err(), "field `state` is empty");
        let long = "x".repeat(1_000_000);
        let e = check_id("match_id", &long).unwrap_err();
        assert!(e.len() < 200, "{e}");
        assert!(e.contains("1000000 bytes") && e.contains("…"), "{e}");
    }

    #[test]
    fn tokens_are_printable_ascii() {
        assert!(check_token("token", "a1B2-_").is_ok());
        assert!(check_token("token", "has space").is_err());
        assert!(check_token("token", "é").is_err());
        assert!(check_token("token", &"t".repeat(300)).is_err());
    }

    #[test]
    fn endpoints_are_checked_when_given() {
        assert!(check_endpoint("endpoint", "http://127.0.0.1:50051").is_ok());
        assert!(check_endpoint("endpoint", "https://delegation.example:443/").is_ok());
        for bad in [
            "http://127.0.0.1:99999",
            "http://user:pw@127.0.0.1:5",
            "notaurl",
            "ftp://h:1",
            "http://h",
            "http://h:0",
            "http://h:1/path",
        ] {
            let e = check_endpoint("endpoint", bad).unwrap_err();
            assert!(e.starts_with("field `endpoint` = `"), "{bad}: {e}");
        }
        assert!(check_endpoint("endpoint", &format!("http://{}:1", "h".repeat(300))).is_err());
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
        assert_eq!(prefix("a\nb"), "`a\\nb`");
    }
}
