//! Names the scaffold gives what it writes: slugs, module names, Rust
//! identifiers; and its I/O errors.

use std::path::Path;

use super::super::error::CliError;

/// The message's first words, lowercase, joined with `_` (at most about
/// 40 characters).
pub(super) fn slug(message: &str) -> String {
    let mut slug = String::new();
    for word in message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if slug.len() + word.len() > 40 {
            break;
        }
        if !slug.is_empty() {
            slug.push('_');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    slug
}

/// `m<id>_<words of the message>`, a valid module name.
pub(super) fn module_name(id: &str, message: &str) -> String {
    let id: String = id.to_ascii_lowercase().replace('-', "_");
    let slug = slug(message);
    if slug.is_empty() {
        format!("m{id}")
    } else {
        format!("m{id}_{slug}")
    }
}

/// A Rust identifier for a file or folder name: what is not a letter,
/// digit or `_` becomes `_`, and a name that starts with a digit or is a
/// keyword gets an `m` in front (as [`module_name`] does for ids).
pub(super) fn rust_identifier(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
        "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
        "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
    ];
    let ident: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let needs_prefix = ident.is_empty()
        || ident == "_"
        || ident.starts_with(|c: char| c.is_ascii_digit())
        || KEYWORDS.contains(&ident.as_str());
    if needs_prefix {
        format!("m{ident}")
    } else {
        ident
    }
}

pub(super) fn io_error(action: &str, path: &Path, error: std::io::Error) -> CliError {
    CliError::new("io", format!("cannot {action} {}: {error}", path.display()))
        .hint("check the migrations folder (--migrations-dir) and its permissions")
}
