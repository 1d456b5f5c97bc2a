//! A YAML writer for manifests built as JSON values.
//!
//! Manifests are built as `serde_json::Value`s (so the generator cannot produce a
//! document that does not parse) and written as block-style YAML, which people read and
//! patch. Only a safe subset is written: every string is double-quoted with JSON's
//! escapes (all valid in YAML's double-quoted style) except multi-line text of printable
//! characters, written as a literal block; keys are plain only when they cannot be read
//! as anything but a string.

use serde_json::Value;

/// Writes `docs` as a multi-document YAML stream (`---` before each document).
pub fn documents(docs: &[Value]) -> String {
    let mut out = String::new();
    for doc in docs {
        out.push_str("---\n");
        out.push_str(&document(doc));
    }
    out
}

/// Writes one document (a mapping or a sequence at the top level).
pub fn document(doc: &Value) -> String {
    let mut out = String::new();
    match doc {
        Value::Object(map) if !map.is_empty() => mapping(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => sequence(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn mapping(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (key, value) in map {
        pad(out, indent);
        out.push_str(&key_text(key));
        out.push(':');
        value_after_key(out, value, indent);
    }
}

fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push('-');
        match item {
            // `- key: value` with the rest of the mapping aligned under the first key.
            Value::Object(map) if !map.is_empty() => {
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        pad(out, indent + 2);
                    }
                    out.push_str(&key_text(key));
                    out.push(':');
                    value_after_key(out, value, indent + 2);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                sequence(out, inner, indent + 2);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

/// The value of `key:` at `indent`: nested collections on the next lines, scalars after
/// one space.
fn value_after_key(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(out, map, indent + 2);
        }
        // Sequences under a key sit at the key's indentation (a common YAML style).
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, items, indent);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other, indent + 2));
            out.push('\n');
        }
    }
}

/// A scalar (or an empty collection) as it follows `key: ` or `- `.
fn scalar(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match literal_block(s, indent) {
            Some(block) => block,
            None => quoted(s),
        },
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// JSON's string syntax: a valid YAML double-quoted scalar.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// `|` block for multi-line text of printable characters (tokens files, scenarios in
/// ConfigMaps), or `None` when the text needs quoting.
fn literal_block(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n')
        || s.starts_with([' ', '\n', '\t'])
        || s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return None;
    }
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let mut out = String::from(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(line);
        }
    }
    // The writer ends the value with one newline; "|+" keeps the others.
    out.extend(std::iter::repeat_n('\n', trailing.saturating_sub(1)));
    Some(out)
}

/// A key, plain when it is unmistakably a string (`apiVersion`, `app.kubernetes.io/name`,
/// `stringData`), quoted otherwise (`"on"`, `"1"`, `"a: b"`).
fn key_text(key: &str) -> String {
    let plain = !key.is_empty()
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain { key.to_string() } else { quoted(key) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mappings_sequences_and_scalars_in_block_style() {
        let doc = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": { "name": "x", "labels": { "app.kubernetes.io/name": "plenary" } },
            "spec": {
                "containers": [{ "name": "c", "args": ["a", "$(I)/4"], "ports": [{ "containerPort": 50050 }] }],
                "volumes": [],
                "empty": {},
                "flag": true,
                "nothing": null
            }
        });
        let text = document(&doc);
        assert_eq!(
            text,
            r#"apiVersion: "v1"
kind: "Pod"
metadata:
  labels:
    app.kubernetes.io/name: "plenary"
  name: "x"
spec:
  containers:
  - args:
    - "a"
    - "$(I)/4"
    name: "c"
    ports:
    - containerPort: 50050
  empty: {}
  flag: true
  nothing: null
  volumes: []
"#
        );
    }

    #[test]
    fn awkward_keys_and_strings_are_quoted() {
        assert_eq!(key_text("on"), "\"on\"");
        assert_eq!(key_text("1"), "\"1\"");
        assert_eq!(key_text("a: b"), "\"a: b\"");
        assert_eq!(key_text("batch.kubernetes.io/x"), "batch.kubernetes.io/x");
        assert_eq!(scalar(&json!("yes"), 0), "\"yes\"");
        assert_eq!(scalar(&json!("a\u{7}b\nc"), 0), "\"a\\u0007b\\nc\"");
        assert_eq!(scalar(&json!(" lead\nx"), 0), "\" lead\\nx\"");
    }

    #[test]
    fn multi_line_text_is_a_literal_block_with_the_right_chomping() {
        let doc = json!({ "a": "x = 1\n[t]\nRUS = \"q\"\n", "b": "one\ntwo", "c": "k\n\n" });
        assert_eq!(
            document(&doc),
            "a: |\n  x = 1\n  [t]\n  RUS = \"q\"\nb: |-\n  one\n  two\nc: |+\n  k\n\n"
        );
        let blank = json!({ "d": "p\n\nq\n" });
        assert_eq!(document(&blank), "d: |\n  p\n\n  q\n");
    }

    #[test]
    fn documents_are_separated() {
        let text = documents(&[json!({"a": 1}), json!({"b": [1, 2]})]);
        assert_eq!(text, "---\na: 1\n---\nb:\n- 1\n- 2\n");
    }
}
