//! Keeping passwords out of logs and errors, and long inputs short in them.

/// `url` with any password replaced by `***`: the userinfo of a URL
/// (`postgres://user:secret@host/db`), and `password=` in a query string or
/// a key/value connection string.
///
/// ```
/// use arx_migrate_core::redact::redact_url;
/// assert_eq!(
///     redact_url("postgres://app:s3cr%40t@db:5432/prod?sslmode=require"),
///     "postgres://app:***@db:5432/prod?sslmode=require"
/// );
/// assert_eq!(
///     redact_url("host=db user=app password='a b' dbname=prod"),
///     "host=db user=app password=*** dbname=prod"
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    let mut out = redact_userinfo(url);
    out = redact_key_values(&out);
    out
}

/// `text` cut to at most `max` characters for a message, saying how long it
/// was: an input of 100,000 characters must not become 100 KB of error.
///
/// ```
/// use arx_migrate_core::redact::shorten;
/// assert_eq!(shorten("head", 10), "head");
/// assert_eq!(shorten(&"a".repeat(1000), 10), "aaaaaaaaaa… (1000 characters)");
/// ```
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}… ({} characters)", &text[..cut], text.chars().count()),
    }
}

/// [`shorten`] for every word of `text` longer than `max`: for messages
/// written by others (clap's) that echo what was typed.
pub fn shorten_words(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len().min(4 * max));
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        out.push_str(&shorten(word, max));
        let spaces = tail.len() - tail.trim_start().len();
        out.push_str(&tail[..spaces]);
        rest = &tail[spaces..];
    }
    out
}

fn redact_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest_start = scheme_end + 3;
    let rest = &url[rest_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_string();
    };
    format!(
        "{}{}:***{}",
        &url[..rest_start],
        &userinfo[..colon],
        &rest[at..]
    )
}

fn redact_key_values(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while let Some(found) = lower[index..].find("password=") {
        let start = index + found;
        let boundary_ok = start == 0
            || matches!(
                text.as_bytes()[start - 1],
                b' ' | b'?' | b'&' | b';' | b'\t'
            );
        let value_start = start + "password=".len();
        out.push_str(&text[index..value_start]);
        if !boundary_ok {
            index = value_start;
            continue;
        }
        let value_end = value_end(text, value_start);
        out.push_str("***");
        index = value_end;
    }
    out.push_str(&text[index..]);
    out
}

/// The end of a value: a quoted value ends at its closing quote, a bare one
/// at white space, `&` or `;`.
fn value_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    if bytes.get(start) == Some(&b'\'') {
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'\'' => return i + 1,
                _ => i += 1,
            }
        }
        return bytes.len();
    }
    text[start..]
        .find([' ', '&', ';', '\t'])
        .map(|offset| start + offset)
        .unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_secrets_are_unchanged() {
        for url in [
            "sqlite://./data/arx.db",
            "postgres://app@db/prod",
            "postgresql://db:5432/prod",
            "host=db user=app",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn long_inputs_are_shortened_and_short_ones_kept() {
        let long = "x".repeat(100_000);
        let shown = shorten_words(
            &format!("error: invalid value '{long}' for '--format'\n"),
            60,
        );
        assert!(shown.len() < 200, "{shown}");
        assert!(shown.ends_with(" for '--format'\n"), "{shown}");
        assert!(shown.contains("(100002 characters)"), "{shown}");
        assert_eq!(shorten_words("a  b\tc", 60), "a  b\tc");
        assert_eq!(shorten("été", 2), "ét… (3 characters)");
    }

    #[test]
    fn every_form_of_password_is_hidden() {
        let cases = [
            ("postgresql://u:pw@h/d", "postgresql://u:***@h/d"),
            ("postgres://u:p@ss@h/d", "postgres://u:***@h/d"),
            (
                "postgres://h/d?user=u&password=pw&x=1",
                "postgres://h/d?user=u&password=***&x=1",
            ),
            ("host=h PASSWORD=pw", "host=h PASSWORD=***"),
            (r"password='p\'w x' host=h", "password=*** host=h"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_url(input), expected, "{input}");
        }
    }
}
