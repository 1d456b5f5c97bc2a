//! Limits and validators for every string and number that comes from outside: files,
//! command lines and (through the proto crate) the wire. One place, so the chair, the
//! delegations, the loaders and the CLI refuse the same things with the same words.
//!
//! | what | limit |
//! |---|---|
//! | ids (State, bloc, item, body, scenario, design, strategy, endpoint names) | 1..=[`MAX_ID_BYTES`] bytes of `A-Z a-z 0-9 - _ .`, starting with a letter or digit |
//! | names and titles | [`MAX_NAME_BYTES`] bytes, no control characters |
//! | descriptions, notes, sources | [`MAX_TEXT_BYTES`] bytes, no control characters but newline and tab |
//! | a scenario/design spec in a config (preset id or path) | [`MAX_SPEC_BYTES`] bytes, no control characters |
//! | endpoint URLs | [`parse_endpoint_url`]: `http(s)://host[:port][/]`, at most [`MAX_URL_BYTES`] |
//! | capabilities | [`MIN_CAPABILITY`]..=[`MAX_CAPABILITY`] |
//! | sizes | [`MAX_STATES`], [`MAX_BLOCS`], [`MAX_ITEMS`], [`MAX_LIST`] entries |
//!
//! Errors quote bad input with [`quote`]: at most [`QUOTE_CHARS`] characters, control
//! characters escaped, so a megabyte of garbage never comes back in a message.

use std::fmt;

/// Longest id, in bytes.
pub const MAX_ID_BYTES: usize = 64;
/// Longest name or title, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Longest free text (description, note, one source), in bytes.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// Longest scenario or design spec (a preset id or a path), in bytes.
pub const MAX_SPEC_BYTES: usize = 4096;
/// Longest endpoint URL, in bytes.
pub const MAX_URL_BYTES: usize = 2048;
/// Characters of bad input quoted in an error.
pub const QUOTE_CHARS: usize = 64;
/// Longest error message built from outside input, in bytes (a backstop behind
/// [`quote`] for messages written by parsers).
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// Most States in a scenario (the preference matrix is States x items).
pub const MAX_STATES: usize = 1000;
/// Most blocs in a scenario.
pub const MAX_BLOCS: usize = 100;
/// Most agenda items in a scenario.
pub const MAX_ITEMS: usize = 500;
/// Most entries of any other list in a file (sources, memberships, bodies, kind rules,
/// permanent members, tension pairs, explicit preferences use their own bound).
pub const MAX_LIST: usize = 1000;

/// Smallest capability weight: smaller ones vanish in products and make weighted means
/// divide by zero.
pub const MIN_CAPABILITY: f64 = 1e-6;
/// Largest capability weight: sums over a thousand States of capability x salience x
/// distance stay far from overflow (`capability = 1e307` made welfare NaN).
pub const MAX_CAPABILITY: f64 = 1e6;

/// Quotes outside input for an error message: at most [`QUOTE_CHARS`] characters in
/// backticks, control characters escaped, `…` and the full length when cut.
pub fn quote(s: &str) -> String {
    let mut out = String::from("`");
    let mut chars = s.chars();
    for c in chars.by_ref().take(QUOTE_CHARS) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    if chars.next().is_some() {
        out.push_str(&format!("… ({} bytes)", s.len()));
    }
    out
}

/// A number for an error message: as written when short, else in scientific notation
/// (`1e307` must not come back as 308 digits).
pub fn number(v: f64) -> String {
    let plain = format!("{v}");
    if plain.len() <= 24 {
        plain
    } else {
        format!("{v:e}")
    }
}

/// Shortens a message written by a parser that may echo input: every run of more than
/// [`QUOTE_CHARS`] characters between backticks or double quotes is cut to that many
/// plus `…`, control characters are escaped, and the whole is capped at
/// [`MAX_MESSAGE_BYTES`].
pub fn clip_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(MAX_MESSAGE_BYTES + 8));
    let mut open: Option<char> = None;
    let mut run = 0usize;
    for c in msg.chars() {
        if out.len() >= MAX_MESSAGE_BYTES {
            out.push('…');
            return out;
        }
        match open {
            Some(d) if c == d => {
                open = None;
                out.push(c);
            }
            Some(_) => {
                run += 1;
                if run <= QUOTE_CHARS {
                    push_escaped(&mut out, c);
                } else if run == QUOTE_CHARS + 1 {
                    out.push('…');
                }
            }
            None => {
                if c == '`' || c == '"' {
                    open = Some(c);
                    run = 0;
                }
                push_escaped(&mut out, c);
            }
        }
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    if c.is_control() && c != '\n' {
        out.extend(c.escape_debug());
    } else {
        out.push(c);
    }
}

/// Why a string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty (or only whitespace) where a value is required.
    #[error("must not be empty")]
    Empty,
    /// Longer than allowed.
    #[error("is {len} bytes long, more than the limit of {max}")]
    TooLong {
        /// Length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character not allowed in this kind of string.
    #[error("{quoted} has {what} {ch:?} at byte {at}{hint}")]
    BadChar {
        /// The value, quoted.
        quoted: String,
        /// The character.
        ch: char,
        /// Its byte offset.
        at: usize,
        /// `"a control character"` or `"the character"`.
        what: &'static str,
        /// What is allowed.
        hint: &'static str,
    },
}

/// Checks an id: 1..=[`MAX_ID_BYTES`] bytes of ASCII letters, digits, `-`, `_` and
/// `.`, starting with a letter or digit. Ids end up in match ids, CSV files, DNS names
/// of containers and log lines, so they carry no spaces, quotes or separators.
pub fn check_id(value: &str) -> Result<(), TextError> {
    if value.is_empty() {
        return Err(TextError::Empty);
    }
    if value.len() > MAX_ID_BYTES {
        return Err(TextError::TooLong {
            len: value.len(),
            max: MAX_ID_BYTES,
        });
    }
    const HINT: &str =
        " (ids use letters, digits, `-`, `_` and `.`, and start with a letter or digit)";
    for (at, ch) in value.char_indices() {
        let ok = ch.is_ascii_alphanumeric() || (at > 0 && matches!(ch, '-' | '_' | '.'));
        if !ok {
            return Err(TextError::BadChar {
                quoted: quote(value),
                ch,
                at,
                what: if ch.is_control() {
                    "a control character"
                } else {
                    "the character"
                },
                hint: HINT,
            });
        }
    }
    Ok(())
}

/// Checks a name or title: non-empty, at most [`MAX_NAME_BYTES`] bytes, no control
/// characters.
pub fn check_name(value: &str) -> Result<(), TextError> {
    if value.trim().is_empty() {
        return Err(TextError::Empty);
    }
    check_plain(value, MAX_NAME_BYTES, false)
}

/// Checks free text (may be empty): at most [`MAX_TEXT_BYTES`] bytes, no control
/// characters but newline and tab.
pub fn check_text(value: &str) -> Result<(), TextError> {
    check_plain(value, MAX_TEXT_BYTES, true)
}

/// Checks a scenario or design spec (preset id or path): non-empty, at most
/// [`MAX_SPEC_BYTES`] bytes, no control characters.
pub fn check_spec(value: &str) -> Result<(), TextError> {
    if value.trim().is_empty() {
        return Err(TextError::Empty);
    }
    check_plain(value, MAX_SPEC_BYTES, false)
}

fn check_plain(value: &str, max: usize, multiline: bool) -> Result<(), TextError> {
    if value.len() > max {
        return Err(TextError::TooLong {
            len: value.len(),
            max,
        });
    }
    for (at, ch) in value.char_indices() {
        if ch.is_control() && !(multiline && (ch == '\n' || ch == '\t' || ch == '\r')) {
            return Err(TextError::BadChar {
                quoted: quote(value),
                ch,
                at,
                what: "a control character",
                hint: "",
            });
        }
    }
    Ok(())
}

/// A checked endpoint URL: `http` or `https`, a host, a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl {
    /// `https` (else `http`).
    pub tls: bool,
    /// Host name, IPv4 address or bracketed IPv6 address (brackets kept).
    pub host: String,
    /// Port (the scheme's default, 80 or 443, when the URL gives none).
    pub port: u16,
}

impl fmt::Display for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// Why an endpoint URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{quoted} is not an endpoint URL: {problem} (expected http://HOST:PORT or https://HOST:PORT)"
)]
pub struct UrlError {
    /// The URL, quoted.
    pub quoted: String,
    /// What is wrong.
    pub problem: String,
}

/// Validates an endpoint URL at parse time, so a typo fails at once instead of after a
/// connect timeout: scheme `http` or `https`, a host (name, IPv4 or `[IPv6]`), an
/// optional port in 1..=65535, no user info (credentials never go in URLs), no path
/// beyond `/`, no query or fragment, at most [`MAX_URL_BYTES`] bytes.
pub fn parse_endpoint_url(url: &str) -> Result<EndpointUrl, UrlError> {
    let fail = |problem: &str| UrlError {
        quoted: quote(url),
        problem: problem.to_string(),
    };
    if url.len() > MAX_URL_BYTES {
        return Err(fail(&format!(
            "{} bytes long, more than the limit of {MAX_URL_BYTES}",
            url.len()
        )));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(fail("it contains whitespace or a control character"));
    }
    let (tls, rest) = if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else {
        return Err(fail("the scheme must be http:// or https://"));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !(tail.is_empty() || tail == "/") {
        return Err(fail("a path, query or fragment is not allowed"));
    }
    if authority.contains('@') {
        return Err(fail(
            "user info (`user:password@`) is not allowed: credentials never go in URLs",
        ));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let close = v6
            .find(']')
            .ok_or_else(|| fail("an IPv6 address needs a closing `]`"))?;
        let addr = &v6[..close];
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(fail("the IPv6 address is not valid"));
        }
        let after = &v6[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(fail("unexpected text after the IPv6 address")),
        };
        (&authority[..close + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(fail("the host is missing"));
    }
    if !host.starts_with('[') {
        if host.len() > 253 {
            return Err(fail("the host name is longer than 253 bytes"));
        }
        for label in host.split('.') {
            if label.is_empty() || label.len() > 63 {
                return Err(fail(
                    "the host name has an empty label or one longer than 63 bytes",
                ));
            }
            if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                || label.starts_with('-')
                || label.ends_with('-')
            {
                return Err(fail(
                    "the host may contain only letters, digits, `-` and `.`",
                ));
            }
        }
    }
    let port = match port {
        None => {
            if tls {
                443
            } else {
                80
            }
        }
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.chars().all(|c| c.is_ascii_digit()) {
                return Err(fail("the port must be a number in 1..=65535"));
            }
            match p.parse::<u32>() {
                Ok(n @ 1..=65535) => n as u16,
                _ => return Err(fail("the port must be a number in 1..=65535")),
            }
        }
    };
    Ok(EndpointUrl {
        tls,
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_short_and_escaped() {
        assert_eq!(quote("RUS"), "`RUS`");
        assert_eq!(quote("a\u{1b}[2J"), "`a\\u{1b}[2J`");
        let long = "x".repeat(1_000_000);
        let q = quote(&long);
        assert_eq!(q, format!("`{}`… (1000000 bytes)", "x".repeat(64)));
        assert_eq!(number(1e307), "1e307");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(f64::NAN), "NaN");
    }

    #[test]
    fn clip_message_cuts_echoed_input() {
        let msg = format!("invalid type: string \"{}\", expected f64", "y".repeat(500));
        assert_eq!(
            clip_message(&msg),
            format!("invalid type: string \"{}…\", expected f64", "y".repeat(64))
        );
        let long = "z".repeat(5000);
        assert!(clip_message(&long).len() <= MAX_MESSAGE_BYTES + 3);
    }

    #[test]
    fn ids_are_short_plain_words() {
        for ok in ["RUS", "non-aligned", "osce-2021", "a.b_c", "S00001"] {
            check_id(ok).unwrap();
        }
        assert_eq!(check_id(""), Err(TextError::Empty));
        assert_eq!(
            check_id(&"A".repeat(65)).unwrap_err().to_string(),
            "is 65 bytes long, more than the limit of 64"
        );
        assert_eq!(
            check_id("/etc/passwd").unwrap_err().to_string(),
            "`/etc/passwd` has the character '/' at byte 0 (ids use letters, digits, `-`, `_` and `.`, and start with a letter or digit)"
        );
        assert!(check_id("-x").is_err());
        assert!(check_id("a b").is_err());
        assert!(check_id("a\u{0}").is_err());
        check_name("Holy See").unwrap();
        assert!(check_name(" ").is_err());
        assert!(check_name("a\nb").is_err());
        check_text("line one\nline two\ttab").unwrap();
        assert!(check_text(&"d".repeat(MAX_TEXT_BYTES + 1)).is_err());
    }

    #[test]
    fn endpoint_urls_are_checked_at_parse_time() {
        let u = parse_endpoint_url("http://127.0.0.1:50061").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port),
            (false, "127.0.0.1", 50061)
        );
        assert_eq!(u.to_string(), "http://127.0.0.1:50061");
        assert_eq!(parse_endpoint_url("https://chair/").unwrap().port, 443);
        assert_eq!(parse_endpoint_url("http://[::1]:5").unwrap().host, "[::1]");
        parse_endpoint_url("http://delegation-rus.lab.svc:50061").unwrap();
        for (bad, why) in [
            ("notaurl", "the scheme must be http:// or https://"),
            ("127.0.0.1:5", "the scheme must be http:// or https://"),
            (
                "http://127.0.0.1:99999",
                "the port must be a number in 1..=65535",
            ),
            (
                "http://127.0.0.1:0",
                "the port must be a number in 1..=65535",
            ),
            (
                "http://127.0.0.1:",
                "the port must be a number in 1..=65535",
            ),
            ("http://user:pw@127.0.0.1:5", "user info"),
            ("http://:5", "the host is missing"),
            (
                "http://h:5/path",
                "a path, query or fragment is not allowed",
            ),
            ("http://h_x:5", "the host may contain only"),
            ("http://[::1", "closing `]`"),
            ("http://[zz]:1", "IPv6 address is not valid"),
            ("http://h :5", "whitespace"),
        ] {
            let e = parse_endpoint_url(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(e.starts_with(&format!("`{bad}`")), "{e}");
        }
        let long = format!("http://{}:1", "a".repeat(3000));
        let e = parse_endpoint_url(&long).unwrap_err().to_string();
        assert!(e.len() < 300 && e.contains("limit of 2048"), "{e}");
    }
}
