//! `sql_migrations!("migrations")`: a folder of `.sql` migrations embedded
//! at compile time and registered like `#[migration]` modules.
//!
//! The folder is read here, at compile time, with the same reader the
//! command line uses at run time (`arx-migrate-sqlfiles`), so a file that
//! cannot be read or split is a compile error naming the file and line.
//! Each file's text is embedded with `include_str!`, which also makes cargo
//! rebuild the crate when one of them changes. Cargo cannot be told from a
//! macro to watch the folder for new files: a build script with
//! `println!("cargo:rerun-if-changed=migrations");` does that.

use std::path::{Path, PathBuf};

use arx_migrate_sqlfiles::{read_dir, BackendSql, Entry, SqlText};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::LitStr;

/// The folder used when the macro is given none, as sqlx and refinery do.
const DEFAULT_DIR: &str = "migrations";

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let (relative, span) = if input.is_empty() {
        (DEFAULT_DIR.to_string(), Span::call_site())
    } else {
        let literal: LitStr = syn::parse2(input).map_err(|error| {
            syn::Error::new(
                error.span(),
                "sql_migrations! takes the folder as a string literal, relative to the crate's Cargo.toml: `sql_migrations!(\"migrations\")`",
            )
        })?;
        (literal.value(), literal.span())
    };
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").map_err(|_| {
        syn::Error::new(
            span,
            "sql_migrations! needs CARGO_MANIFEST_DIR: build the crate with cargo",
        )
    })?;
    let dir = Path::new(&manifest_dir).join(&relative);
    if !dir.is_dir() {
        return Err(syn::Error::new(
            span,
            format!(
                "there is no folder {} (the path is relative to the crate's Cargo.toml); create it, and add migrations with `revision --sql -m \"...\"`",
                dir.display()
            ),
        ));
    }
    let entries = read_dir(&dir)
        .map_err(|error| syn::Error::new(span, format!("sql_migrations!: {error}")))?;
    let shown = |path: &Path| -> String {
        path.strip_prefix(&manifest_dir)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let mut items = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        items.push(registration(index, entry, span, &shown)?);
    }
    Ok(quote! {
        const _: () = {
            #(#items)*
        };
    })
}

/// The static of one entry and its registration.
fn registration(
    index: usize,
    entry: &Entry,
    span: Span,
    shown: &dyn Fn(&Path) -> String,
) -> syn::Result<TokenStream> {
    let name = format_ident!("__ARX_SQL_MIGRATION_{}", index);
    let revision = &entry.revision;
    let parents = &entry.down_revisions;
    let message = &entry.message;
    let transactional = entry.transactional;
    let allowed = entry
        .allow
        .iter()
        .map(|(rule, reason)| quote!((#rule, #reason)));
    let up = script(&entry.up, span)?;
    let down = match &entry.down {
        Some(down) => {
            let down = script(down, span)?;
            quote!(::std::option::Option::Some(#down))
        }
        None => quote!(::std::option::Option::None),
    };
    let source = shown(&entry.source);
    Ok(quote! {
        static #name: ::arx_migrate::__private::SqlMigration =
            ::arx_migrate::__private::SqlMigration::embedded(
                #revision,
                &[#(#parents),*],
                #message,
                #transactional,
                &[#(#allowed),*],
                #up,
                #down,
                #source,
            );
        ::arx_migrate::__private::inventory::submit! {
            ::arx_migrate::__private::Registered(&#name)
        }
    })
}

/// `SqlScript::embedded(...)` with each file's text included.
fn script(sql: &BackendSql, span: Span) -> syn::Result<TokenStream> {
    let [any, postgres, sqlite, mysql] =
        [&sql.any, &sql.postgres, &sql.sqlite, &sql.mysql].map(|file| {
            file.as_ref()
                .map(|file| include(file, span))
                .transpose()
                .map(|included| match included {
                    Some(included) => quote!(::std::option::Option::Some(#included)),
                    None => quote!(::std::option::Option::None),
                })
        });
    let (any, postgres, sqlite, mysql) = (any?, postgres?, sqlite?, mysql?);
    Ok(quote! {
        ::arx_migrate::__private::SqlScript::embedded(#any, #postgres, #sqlite, #mysql)
    })
}

/// `include_str!("/absolute/path")`: the text, and cargo's cue to rebuild
/// when the file changes.
fn include(file: &SqlText, span: Span) -> syn::Result<TokenStream> {
    let path: PathBuf = file
        .path
        .canonicalize()
        .unwrap_or_else(|_| file.path.clone());
    let Some(path) = path.to_str() else {
        return Err(syn::Error::new(
            span,
            format!("the path {} is not valid UTF-8; rename it", path.display()),
        ));
    };
    Ok(quote!(::std::include_str!(#path)))
}
