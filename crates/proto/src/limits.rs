//! The size limits of the contract, in one place (the .proto files state the same
//! numbers to implementers in other languages).

/// Largest gRPC message either side accepts: a frame of the `Play` stream, a brief, the
/// results JSON of a long match.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Most envelopes in one `Batch` frame.
pub const MAX_BATCH: usize = 65_536;

/// Longest match or session id, in bytes (tournament match ids name their format,
/// scenario, design and replication).
pub const MAX_MATCH_ID_BYTES: usize = 256;

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

/// Checks a State id on the wire: the id rules of scenario files
/// ([`plenary_core::validate::check_id`]: 1..=64 bytes of `A-Z a-z 0-9 - _ .`). The
/// error names the field and quotes at most a short prefix of what was sent.
pub fn check_state(field: &str, value: &str) -> Result<(), String> {
    plenary_core::validate::check_id(value)
        .map_err(|e| format!("field `{field}` = {}: {e}", prefix(value)))
}

/// Checks a match or session id: 1..=[`MAX_MATCH_ID_BYTES`] bytes of printable ASCII
/// without spaces.
pub fn check_match_id(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("field `{field}` is empty"));
    }
    if value.len() > MAX_MATCH_ID_BYTES {
        return Err(format!(
            "field `{field}` is {} bytes long; at most {MAX_MATCH_ID_BYTES} (starts {})",
            value.len(),
            prefix(value)
        ));
    }
    if !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(format!(
            "field `{field}` = {} must be printable ASCII without spaces",
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

/// A short quotation of untrusted input for an error message
/// ([`plenary_core::validate::quote`]).
pub fn prefix(value: &str) -> String {
    plenary_core::validate::quote(value)
}

/// Checks a delegation endpoint URL ([`plenary_core::validate::parse_endpoint_url`]:
/// `http://` or `https://`, a host, a port in 1..=65535, no user info, no path). A URL
/// the chair could never call is refused when it is given, not minutes later.
pub fn check_endpoint(field: &str, url: &str) -> Result<(), String> {
    plenary_core::validate::parse_endpoint_url(url)
        .map(|_| ())
        .map_err(|e| format!("field `{field}`: {e}"))
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
        assert!(check_state("state", "RUS").is_ok());
        assert!(check_match_id("match_id", "rotation/osce-2021/osce-2021/r1").is_ok());
        assert_eq!(
            check_match_id("match_id", "").unwrap_err(),
            "field `match_id` is empty"
        );
        let long = "x".repeat(1_000_000);
        let e = check_match_id("match_id", &long).unwrap_err();
        assert!(e.len() < 300, "{e}");
        assert!(e.contains("1000000 bytes") && e.contains('…'), "{e}");
        let e = check_state("state", &long).unwrap_err();
        assert!(e.len() < 300, "{e}");
        assert!(check_match_id("match_id", "has space").is_err());
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
        for bad in [
            "http://127.0.0.1:99999",
            "http://user:pw@127.0.0.1:5",
            "notaurl",
            "ftp://h:1",
            "http://h:0",
            "http://h:1/path",
        ] {
            let e = check_endpoint("endpoint", bad).unwrap_err();
            assert!(e.starts_with("field `endpoint`"), "{bad}: {e}");
        }
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
