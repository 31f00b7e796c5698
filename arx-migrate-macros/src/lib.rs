//! The `#[migration]` attribute of arx-migrate.
//!
//! ```text
//! /// Add buildings and floors tables
//! #[migration(rev = "002", down_rev = "001")]
//! pub mod m002_buildings_floors {
//!     use arx_migrate::prelude::*;
//!     pub fn upgrade(op: &mut Ops) -> Result<()> { Ok(()) }
//!     pub fn downgrade(op: &mut Ops) -> Result<()> { Ok(()) }
//! }
//! ```
//!
//! The module's doc comment is the revision's message. Options:
//! `rev` (required), `down_rev` (absent for a base, a string, or a list for
//! a merge), `transactional = false`, `allow = ["rule-id: reason", ...]`.
//! The attribute generates the `Migration` implementation and registers it
//! with `inventory`, so linking the crate is all it takes to find it.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Expr, ExprArray, ExprLit, FnArg, Item, ItemFn, ItemMod, Lit, LitStr, MetaNameValue, ReturnType,
    Token, Type,
};

/// Marks an inline module as a migration; see the crate documentation.
#[proc_macro_attribute]
pub fn migration(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(args as Args);
    let item = syn::parse_macro_input!(item as Item);
    match expand(args, item) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

struct Args {
    options: Punctuated<MetaNameValue, Token![,]>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(Args {
            options: Punctuated::parse_terminated(input)?,
        })
    }
}

struct Options {
    rev: LitStr,
    down_revs: Vec<LitStr>,
    transactional: bool,
    allow: Vec<(String, String)>,
}

const MAX_REVISION_LEN: usize = 32;

fn check_revision_id(lit: &LitStr) -> syn::Result<()> {
    let id = lit.value();
    let problem = if id.is_empty() {
        Some("a revision id cannot be empty".to_string())
    } else if id.len() > MAX_REVISION_LEN {
        Some(format!(
            "a revision id has at most {MAX_REVISION_LEN} characters (the version table is varchar(32))"
        ))
    } else if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Some("a revision id may contain only ASCII letters, digits, '_' and '-'".to_string())
    } else if matches!(id.as_str(), "head" | "heads" | "base") {
        Some(format!("{id:?} is a reserved target name"))
    } else {
        None
    };
    match problem {
        Some(message) => Err(syn::Error::new(lit.span(), message)),
        None => Ok(()),
    }
}

fn string_literal(expr: &Expr, what: &str) -> syn::Result<LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(lit.clone()),
        other => Err(syn::Error::new(
            other.span(),
            format!("{what} must be a string literal"),
        )),
    }
}

fn string_list(expr: &Expr, what: &str) -> syn::Result<Vec<LitStr>> {
    match expr {
        Expr::Array(ExprArray { elems, .. }) => {
            elems.iter().map(|e| string_literal(e, what)).collect()
        }
        other => Ok(vec![string_literal(other, what)?]),
    }
}

fn parse_options(args: Args) -> syn::Result<Options> {
    let mut rev = None;
    let mut down_revs: Option<Vec<LitStr>> = None;
    let mut transactional = None;
    let mut allow = None;
    for option in args.options {
        let Some(name) = option.path.get_ident().map(|i| i.to_string()) else {
            return Err(syn::Error::new(option.path.span(), "unknown option"));
        };
        let repeated =
            |span: Span| syn::Error::new(span, format!("option `{name}` is given more than once"));
        match name.as_str() {
            "rev" => {
                if rev.is_some() {
                    return Err(repeated(option.path.span()));
                }
                let lit = string_literal(&option.value, "rev")?;
                check_revision_id(&lit)?;
                rev = Some(lit);
            }
            "down_rev" => {
                if down_revs.is_some() {
                    return Err(repeated(option.path.span()));
                }
                let list = string_list(&option.value, "down_rev")?;
                for lit in &list {
                    check_revision_id(lit)?;
                }
                for (i, lit) in list.iter().enumerate() {
                    if list[..i].iter().any(|other| other.value() == lit.value()) {
                        return Err(syn::Error::new(lit.span(), "this parent is listed twice"));
                    }
                }
                down_revs = Some(list);
            }
            "transactional" => {
                if transactional.is_some() {
                    return Err(repeated(option.path.span()));
                }
                transactional = Some(match &option.value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Bool(b), ..
                    }) => b.value,
                    other => {
                        return Err(syn::Error::new(
                            other.span(),
                            "transactional must be `true` or `false`",
                        ))
                    }
                });
            }
            "allow" => {
                if allow.is_some() {
                    return Err(repeated(option.path.span()));
                }
                let mut rules = Vec::new();
                for lit in string_list(&option.value, "allow")? {
                    let text = lit.value();
                    let (rule, reason) = match text.split_once(':') {
                        Some((rule, reason)) => (rule.trim(), reason.trim()),
                        None => (text.trim(), ""),
                    };
                    if rule.is_empty()
                        || !rule
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    {
                        return Err(syn::Error::new(
                            lit.span(),
                            "an allowed lint is written \"rule-id: reason\" (the rule id in lowercase, with '-')",
                        ));
                    }
                    if reason.is_empty() {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!("say why {rule} is allowed: \"{rule}: reason\""),
                        ));
                    }
                    rules.push((rule.to_string(), reason.to_string()));
                }
                allow = Some(rules);
            }
            _ => {
                return Err(syn::Error::new(
                    option.path.span(),
                    format!(
                        "unknown option `{name}`; expected rev, down_rev, transactional or allow"
                    ),
                ))
            }
        }
    }
    let rev = rev.ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            "missing `rev = \"...\"`: every migration needs a revision id",
        )
    })?;
    if let Some(parents) = &down_revs {
        if let Some(own) = parents.iter().find(|p| p.value() == rev.value()) {
            return Err(syn::Error::new(
                own.span(),
                "a revision cannot revise itself",
            ));
        }
    }
    Ok(Options {
        rev,
        down_revs: down_revs.unwrap_or_default(),
        transactional: transactional.unwrap_or(true),
        allow: allow.unwrap_or_default(),
    })
}

/// Checks that `function` looks like `fn name(op: &mut Ops) -> Result<()>`.
fn check_signature(function: &ItemFn) -> syn::Result<()> {
    let signature = &function.sig;
    let name = &signature.ident;
    if let Some(asyncness) = &signature.asyncness {
        return Err(syn::Error::new(
            asyncness.span(),
            format!("`{name}` must not be async"),
        ));
    }
    if !signature.generics.params.is_empty() {
        return Err(syn::Error::new(
            signature.generics.span(),
            format!("`{name}` must not be generic"),
        ));
    }
    let inputs: Vec<&FnArg> = signature.inputs.iter().collect();
    let argument_ok = match inputs.as_slice() {
        [FnArg::Typed(argument)] => matches!(
            &*argument.ty,
            Type::Reference(reference) if reference.mutability.is_some()
        ),
        _ => false,
    };
    if !argument_ok {
        return Err(syn::Error::new(
            signature
                .inputs
                .span()
                .join(signature.ident.span())
                .unwrap_or(signature.ident.span()),
            format!("`{name}` must take one argument `op: &mut Ops` and return `Result<()>`"),
        ));
    }
    if matches!(signature.output, ReturnType::Default) {
        return Err(syn::Error::new(
            signature.ident.span(),
            format!("`{name}` must return `Result<()>`"),
        ));
    }
    Ok(())
}

fn doc_message(module: &ItemMod) -> String {
    let lines: Vec<String> = module
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(MetaNameValue {
                value:
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(lit), ..
                    }),
                ..
            }) => Some(lit.value().trim().to_string()),
            _ => None,
        })
        .collect();
    // The message is the first paragraph, on one line.
    lines
        .split(|line| line.is_empty())
        .find(|paragraph| !paragraph.is_empty())
        .map(|paragraph| paragraph.join(" "))
        .unwrap_or_default()
}

fn expand(args: Args, item: Item) -> syn::Result<TokenStream2> {
    let Item::Mod(mut module) = item else {
        return Err(syn::Error::new(
            item.span(),
            "#[migration] goes on an inline module: `pub mod m001_name { ... }`",
        ));
    };
    let options = parse_options(args)?;
    let message = doc_message(&module);
    let module_ident = module.ident.clone();
    let module_span = module.span();
    let Some((_, items)) = &mut module.content else {
        return Err(syn::Error::new(
            module_span,
            "#[migration] needs an inline module with a body, not `mod name;`",
        ));
    };
    let find = |name: &str| {
        items.iter().find_map(|item| match item {
            Item::Fn(function) if function.sig.ident == name => Some(function.clone()),
            _ => None,
        })
    };
    let mut functions = Vec::new();
    for name in ["upgrade", "downgrade"] {
        let function = find(name).ok_or_else(|| {
            syn::Error::new(
                module_ident.span(),
                format!("migration module `{module_ident}` has no `fn {name}(op: &mut Ops) -> Result<()>`"),
            )
        })?;
        check_signature(&function)?;
        functions.push(function);
    }
    let (upgrade_span, downgrade_span) = (functions[0].sig.span(), functions[1].sig.span());

    let rev = &options.rev;
    let down_revs = &options.down_revs;
    let transactional = options.transactional;
    let allow_rules = options
        .allow
        .iter()
        .map(|(rule, reason)| quote!((#rule, #reason)));
    let upgrade_call = quote_spanned!(upgrade_span=> upgrade(op));
    let downgrade_call = quote_spanned!(downgrade_span=> downgrade(op));

    let generated: TokenStream2 = quote! {
        #[doc(hidden)]
        pub struct __ArxMigration;

        impl ::arx_migrate::__private::Migration for __ArxMigration {
            fn revision(&self) -> &str {
                #rev
            }
            fn down_revisions(&self) -> ::std::vec::Vec<&str> {
                ::std::vec![#(#down_revs),*]
            }
            fn message(&self) -> &str {
                #message
            }
            fn transactional(&self) -> bool {
                #transactional
            }
            fn allowed_lints(&self) -> &[(&str, &str)] {
                &[#(#allow_rules),*]
            }
            fn upgrade(
                &self,
                op: &mut ::arx_migrate::__private::Ops<'_>,
            ) -> ::arx_migrate::__private::Result<()> {
                #upgrade_call
            }
            fn downgrade(
                &self,
                op: &mut ::arx_migrate::__private::Ops<'_>,
            ) -> ::arx_migrate::__private::Result<()> {
                #downgrade_call
            }
        }

        /// This revision, for hand-built migration sets
        /// (`MigrationSet::new().with_static(module::MIGRATION)`).
        pub static MIGRATION: &dyn ::arx_migrate::__private::Migration = &__ArxMigration;

        ::arx_migrate::__private::inventory::submit! {
            ::arx_migrate::__private::Registered(&__ArxMigration)
        }
    };
    let generated: syn::File = syn::parse2(generated)?;
    items.extend(generated.items);
    Ok(quote!(#module))
}
