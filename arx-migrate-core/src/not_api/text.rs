//! SQL quoting and the text helpers that messages and reports share.

/// Quotes an SQL identifier (both backends use double quotes).
///
/// ```
/// assert_eq!(arx_migrate_core::not_api::text::quote_ident(r#"odd"name"#), r#""odd""name""#);
/// ```
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
///
/// ```
/// assert_eq!(arx_migrate_core::not_api::text::quote_literal("it's"), "'it''s'");
/// ```
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `text` on one line: every run of white space (newlines included) becomes
/// one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` on one line, cut to at most `max` characters at a word boundary
/// (a single word longer than `max` is cut inside it), with `…` marking the
/// cut. Long inputs (a 200-column CREATE TABLE, a 100k-character argument)
/// stay readable in messages.
///
/// ```
/// use arx_migrate_core::not_api::text::abbreviate;
/// assert_eq!(abbreviate("CREATE  TABLE\nnotes (id int)", 100), "CREATE TABLE notes (id int)");
/// assert_eq!(abbreviate("CREATE TABLE notes (id int)", 15), "CREATE TABLE …");
/// ```
pub fn abbreviate(text: &str, max: usize) -> String {
    let line = one_line(text);
    if line.chars().count() <= max {
        return line;
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > 0 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{} …", cut.trim_end())
}

/// [`abbreviate`] for each word of `text` longer than `max`, keeping the
/// rest (line breaks included) as it is: for messages written by others
/// (clap's) that echo what was typed.
///
/// ```
/// use arx_migrate_core::not_api::text::abbreviate_words;
/// let typed = "x".repeat(100_000);
/// let said = abbreviate_words(&format!("invalid value '{typed}' for '--format'\n"), 20);
/// assert!(said.len() < 60 && said.ends_with(" for '--format'\n"), "{said}");
/// ```
pub fn abbreviate_words(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(4 * max));
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        if word.chars().count() > max {
            out.push_str(&abbreviate(word, max));
        } else {
            out.push_str(word);
        }
        let spaces = tail.len() - tail.trim_start().len();
        out.push_str(&tail[..spaces]);
        rest = &tail[spaces..];
    }
    out
}

/// `text` as a markdown table cell: on one line, at most 200 characters
/// (cut at a word boundary), with `|` escaped.
pub fn md_cell(text: &str) -> String {
    abbreviate(text, 200).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviate_never_cuts_a_word_that_fits() {
        let text = "alpha beta gamma delta";
        for max in 6..text.len() {
            let short = abbreviate(text, max);
            let kept = short.trim_end_matches(" …");
            assert!(text.starts_with(kept), "{short:?}");
            assert!(
                text[kept.len()..].is_empty() || text[kept.len()..].starts_with(' '),
                "cut inside a word at {max}: {short:?}"
            );
        }
    }

    #[test]
    fn abbreviate_cuts_one_long_word() {
        let word = "x".repeat(100_000);
        let short = abbreviate(&word, 40);
        assert!(short.chars().count() <= 42, "{}", short.len());
        assert!(short.ends_with('…'));
    }
}
