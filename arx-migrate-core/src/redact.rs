//! Keeping passwords out of logs and errors.

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
