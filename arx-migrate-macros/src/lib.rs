//! The attributes of arx-migrate: `#[migration]` and `#[arx_migrate::test]`.
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
//! `sql_migrations!("migrations")` embeds a folder of `.sql` migrations
//! and registers them the same way (see `arx_migrate::sql_migrations!`).
//!
//! The module's doc comment is the revision's message. Options:
//! `rev` (required), `down_rev` (absent for a base, a string, or a list for
//! a merge), `branch_labels = ["billing"]` (names for the branch, for
//! targets such as `billing@head`), `depends_on = ["b001"]` (revisions or
//! labels of other branches applied before this one, without a merge),
//! `transactional = false`, `allow = ["rule-id: reason", ...]`.
//! The attribute generates the `Migration` implementation and registers it
//! with `inventory`, so linking the crate is all it takes to find it.

#![warn(missing_docs)]

mod sql_migrations;
mod test_attribute;

use arx_migrate_ids::options::{self, Dialect, RawOption, Value};
use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Expr, ExprArray, ExprLit, FnArg, Item, ItemFn, ItemMod, Lit, Meta, MetaNameValue, ReturnType,
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

/// Embeds a folder of `.sql` migrations at compile time and registers
/// each as a revision, like `#[migration]` modules; see
/// `arx_migrate::sql_migrations!`.
#[proc_macro]
pub fn sql_migrations(input: TokenStream) -> TokenStream {
    match sql_migrations::expand(input.into()) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

struct Args {
    options: Punctuated<Meta, Token![,]>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(Args {
            options: Punctuated::parse_terminated(input)?,
        })
    }
}

/// The attribute's options, as the shared vocabulary reads them.
struct Options {
    rev: String,
    down_revs: Vec<String>,
    branch_labels: Vec<String>,
    depends_on: Vec<String>,
    transactional: bool,
    allow: Vec<(String, String)>,
}

fn path_text(path: &syn::Path) -> String {
    quote!(#path).to_string().replace(' ', "")
}

/// A value in the shared token model, positioned by its own tokens (so an
/// error spans them as `syn::Error::new_spanned` would).
fn value(expr: &Expr) -> Value<TokenStream2> {
    let span = expr.to_token_stream();
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Value::Str {
            text: lit.value(),
            span,
        },
        Expr::Lit(ExprLit {
            lit: Lit::Bool(flag),
            ..
        }) => Value::Bool {
            value: flag.value,
            span,
        },
        Expr::Array(ExprArray { elems, .. }) => Value::List {
            items: elems.iter().map(value).collect(),
            span,
        },
        _ => Value::Other { span },
    }
}

/// The attribute's `name = value` pairs in the shared token model; the
/// other forms of `Meta` are refused here.
fn raw_options(args: Args) -> syn::Result<Vec<RawOption<TokenStream2>>> {
    args.options
        .into_iter()
        .map(|option| match option {
            Meta::NameValue(option) => Ok(RawOption {
                name: path_text(&option.path),
                name_span: option.path.to_token_stream(),
                value: value(&option.value),
            }),
            Meta::Path(path) => Err(syn::Error::new_spanned(
                &path,
                options::needs_a_value(&path_text(&path)),
            )),
            Meta::List(list) => Err(syn::Error::new_spanned(
                &list,
                format!(
                    "options are written `name = value`, not `{}(...)`",
                    path_text(&list.path)
                ),
            )),
        })
        .collect()
}

/// Checked names as the strings the generated code holds.
fn texts<T: Into<String>>(names: Option<Vec<T>>) -> Vec<String> {
    names
        .unwrap_or_default()
        .into_iter()
        .map(Into::into)
        .collect()
}

fn parse_options(args: Args) -> syn::Result<Options> {
    let parsed =
        options::parse(raw_options(args)?, Dialect::Attribute).map_err(|error| {
            match error.span {
                Some(tokens) => syn::Error::new_spanned(tokens, error.message),
                None => syn::Error::new(Span::call_site(), error.message),
            }
        })?;
    Ok(Options {
        rev: parsed.rev.map(String::from).unwrap_or_default(),
        down_revs: texts(parsed.down_revs),
        branch_labels: texts(parsed.branch_labels),
        depends_on: parsed.depends_on.unwrap_or_default(),
        transactional: parsed.transactional.unwrap_or(true),
        allow: parsed
            .allow
            .unwrap_or_default()
            .into_iter()
            .map(|lint| (lint.rule, lint.reason))
            .collect(),
    })
}

/// Checks that `function` looks like `fn name(op: &mut Ops) -> Result<()>`,
/// pointing at the part that does not. The argument's and the return
/// value's types are left to the compiler, which checks them at the call
/// the generated code makes (spanned to the user's types).
fn check_signature(function: &ItemFn) -> syn::Result<()> {
    let signature = &function.sig;
    let name = &signature.ident;
    let expected = "fn {name}(op: &mut Ops) -> Result<()>";
    let expected = expected.replace("{name}", &name.to_string());
    if let Some(asyncness) = &signature.asyncness {
        return Err(syn::Error::new(
            asyncness.span(),
            format!("`{name}` must not be async: migrations run synchronously, as `{expected}`"),
        ));
    }
    if !signature.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &signature.generics,
            format!("`{name}` must not be generic: `{expected}`"),
        ));
    }
    if let Some(variadic) = &signature.variadic {
        return Err(syn::Error::new_spanned(
            variadic,
            format!("`{name}` must take exactly one argument: `{expected}`"),
        ));
    }
    let mut inputs = signature.inputs.iter();
    match inputs.next() {
        None => {
            return Err(syn::Error::new(
                signature.paren_token.span.join(),
                format!("`{name}` takes no argument; it must take one: `{expected}`"),
            ))
        }
        Some(FnArg::Receiver(receiver)) => {
            return Err(syn::Error::new_spanned(
                receiver,
                format!("`{name}` is a free function in the module, without `self`: `{expected}`"),
            ))
        }
        Some(FnArg::Typed(argument)) => match &*argument.ty {
            Type::Reference(reference) if reference.mutability.is_some() => {}
            Type::Reference(reference) => {
                return Err(syn::Error::new_spanned(
                    reference,
                    format!("the argument of `{name}` must be a mutable reference: `op: &mut Ops`"),
                ))
            }
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    format!("the argument of `{name}` must be `&mut Ops`: `{expected}`"),
                ))
            }
        },
    }
    let extra: Vec<&FnArg> = inputs.collect();
    if let (Some(first), Some(last)) = (extra.first(), extra.last()) {
        return Err(syn::Error::new_spanned(
            quote!(#first #last),
            format!(
                "`{name}` takes {} arguments; it must take exactly one: `{expected}`",
                extra.len() + 1
            ),
        ));
    }
    if matches!(signature.output, ReturnType::Default) {
        return Err(syn::Error::new(
            signature.paren_token.span.close(),
            format!("`{name}` must return `Result<()>`: `{expected}`"),
        ));
    }
    Ok(())
}

/// The first tokens of an item, without its attributes: what an error about
/// the item as a whole points at.
fn item_head(item: &Item) -> (TokenStream2, &'static str) {
    match item {
        Item::Fn(f) => {
            let (fn_token, ident) = (&f.sig.fn_token, &f.sig.ident);
            (quote!(#fn_token #ident), "a function")
        }
        Item::Struct(s) => {
            let (token, ident) = (&s.struct_token, &s.ident);
            (quote!(#token #ident), "a struct")
        }
        Item::Enum(e) => {
            let (token, ident) = (&e.enum_token, &e.ident);
            (quote!(#token #ident), "an enum")
        }
        Item::Impl(i) => {
            let token = &i.impl_token;
            (quote!(#token), "an impl block")
        }
        Item::Trait(t) => {
            let (token, ident) = (&t.trait_token, &t.ident);
            (quote!(#token #ident), "a trait")
        }
        Item::Const(c) => {
            let (token, ident) = (&c.const_token, &c.ident);
            (quote!(#token #ident), "a constant")
        }
        Item::Static(s) => {
            let (token, ident) = (&s.static_token, &s.ident);
            (quote!(#token #ident), "a static")
        }
        Item::Use(u) => {
            let token = &u.use_token;
            (quote!(#token), "a use declaration")
        }
        other => {
            let first = quote!(#other).into_iter().next();
            (quote!(#first), "this item")
        }
    }
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
            }) => Some(lit.value()),
            _ => None,
        })
        // A `/** ... */` comment is one attribute of several lines.
        .flat_map(|text| {
            // `split`, not `lines`: an empty `///` line must stay a line.
            text.split('\n')
                .map(|line| line.trim().trim_start_matches('*').trim().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    // The message is the first paragraph, on one line.
    lines
        .split(|line| line.is_empty())
        .find(|paragraph| !paragraph.is_empty())
        .map(|paragraph| paragraph.join(" "))
        .unwrap_or_default()
}

/// The generated call of the user's `upgrade`/`downgrade`, spanned so that
/// a wrong argument type is reported at the user's argument type and a wrong
/// return type at the user's return type.
fn call(function: &ItemFn) -> TokenStream2 {
    let ident = &function.sig.ident;
    let at = |span: Span| Span::call_site().located_at(span);
    let argument_span = match function.sig.inputs.first() {
        Some(FnArg::Typed(argument)) => at(argument.ty.span()),
        _ => ident.span(),
    };
    let return_span = match &function.sig.output {
        ReturnType::Type(_, ty) => at(ty.span()),
        ReturnType::Default => ident.span(),
    };
    let op = quote_spanned!(argument_span=> op);
    let result = quote_spanned!(return_span=> __arx_result);
    quote! {
        let __arx_result = #ident(#op);
        #result
    }
}

fn expand(args: Args, item: Item) -> syn::Result<TokenStream2> {
    let mut module = match item {
        Item::Mod(module) => module,
        other => {
            let (head, what) = item_head(&other);
            return Err(syn::Error::new_spanned(
                head,
                format!("#[migration] goes on an inline module, `pub mod m002_name {{ ... }}`, not on {what}"),
            ));
        }
    };
    let options = parse_options(args)?;
    let message = doc_message(&module);
    let module_ident = module.ident.clone();
    let (mod_token, semi) = (module.mod_token, module.semi);
    let Some((_, items)) = &mut module.content else {
        return Err(syn::Error::new_spanned(
            quote!(#mod_token #module_ident #semi),
            format!("#[migration] needs the module's body here, `mod {module_ident} {{ ... }}`, not in another file"),
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
    let [upgrade_call, downgrade_call] = [&functions[0], &functions[1]].map(call);

    let rev = &options.rev;
    let down_revs = &options.down_revs;
    let branch_labels = &options.branch_labels;
    let depends_on = &options.depends_on;
    let transactional = options.transactional;
    let allow_rules = options
        .allow
        .iter()
        .map(|(rule, reason)| quote!((#rule, #reason)));

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
            fn branch_labels(&self) -> ::std::vec::Vec<&str> {
                ::std::vec![#(#branch_labels),*]
            }
            fn depends_on(&self) -> ::std::vec::Vec<&str> {
                ::std::vec![#(#depends_on),*]
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

/// Makes a function that takes a connection a test with a fresh database
/// at a revision, as `#[sqlx::test]` does; re-exported as
/// `arx_migrate::test` (feature `testing`).
///
/// ```text
/// #[arx_migrate::test(migrator = arx_schema::migrator)]
/// fn signs_up(tx: &mut postgres::Transaction<'_>) {
///     tx.execute("INSERT INTO users (email) VALUES ('ada@example.com')", &[]).unwrap();
/// }
/// ```
///
/// The argument is `&mut rusqlite::Connection` (an in-memory copy),
/// `&mut postgres::Transaction<'_>` (default: a transaction on a shared
/// database at the revision, rolled back at the end; nested transactions
/// are savepoints) or `&mut postgres::Client` (default: a schema of its
/// own, prepared ahead). The function returns `()` or `Result<(), E>`.
///
/// Options: `migrator = path::to::fn` (a function returning a `Migrator`
/// or a `Result` of one; default: every `#[migration]` linked in),
/// `at = "REV"` (default `"head"`), `strategy = rollback | schema |
/// database` (PostgreSQL only).
///
/// A PostgreSQL test needs `ARX_MIGRATE_TEST_PG`. Built without it, the
/// test is marked ignored with the reason (cargo rebuilds the tests when
/// the variable changes); run without it, it says it was skipped and
/// passes, except under `CI`, where it fails. The guide:
/// `docs/testing.md`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    match test_attribute::expand(args.into(), item.into()) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}
