//! `#[arx_migrate::test]`: a test function that receives a connection to a
//! fresh database at a revision.
//!
//! The expansion keeps the function as written, nested in a `#[test]`
//! function of the same name that asks `arx_migrate::testing::__macro` for
//! the fixture matching the argument's type and the strategy. Which types
//! a strategy accepts is decided there, by trait, so that a wrong argument
//! is reported at its type with what the strategy takes.

use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, ExprLit, ExprPath, FnArg, ItemFn, Lit, LitStr, Meta, ReturnType, Token, Type,
};

/// The environment variable naming the PostgreSQL test server (the same
/// as `arx_migrate::testing::TEST_PG_ENV`).
const TEST_PG_ENV: &str = "ARX_MIGRATE_TEST_PG";

/// The environment variable naming the MariaDB/MySQL test server (the
/// same as `arx_migrate::testing::TEST_MYSQL_ENV`).
const TEST_MYSQL_ENV: &str = "ARX_MIGRATE_TEST_MYSQL";

const EXPECTED_SIGNATURE: &str = "fn name(conn: &mut rusqlite::Connection) (or `&mut postgres::Client`, `&mut postgres::Transaction<'_>`, `&mut mysql::Conn`)";

/// The server a test needs, if any.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Server {
    Postgres,
    Mysql,
}

impl Server {
    /// The environment variable that names it.
    fn variable(self) -> &'static str {
        match self {
            Server::Postgres => TEST_PG_ENV,
            Server::Mysql => TEST_MYSQL_ENV,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Server::Postgres => "PostgreSQL",
            Server::Mysql => "MariaDB/MySQL",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Rollback,
    Schema,
    Database,
}

struct Options {
    migrator: Option<ExprPath>,
    at: Option<LitStr>,
    strategy: Option<Strategy>,
}

fn parse_options(args: TokenStream2) -> syn::Result<Options> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut options = Options {
        migrator: None,
        at: None,
        strategy: None,
    };
    for meta in metas {
        let option = match meta {
            Meta::NameValue(option) => option,
            other => {
                return Err(syn::Error::new_spanned(
                    &other,
                    "options are written `name = value`: `migrator = path::to::fn`, `at = \"REV\"`, `strategy = rollback`",
                ))
            }
        };
        let name = option
            .path
            .get_ident()
            .map(|ident| ident.to_string())
            .unwrap_or_default();
        let repeated = || {
            syn::Error::new_spanned(
                &option.path,
                format!("option `{name}` is given more than once"),
            )
        };
        match name.as_str() {
            "migrator" => {
                if options.migrator.is_some() {
                    return Err(repeated());
                }
                match option.value {
                    Expr::Path(path) => options.migrator = Some(path),
                    other => {
                        return Err(syn::Error::new_spanned(
                            other,
                            "migrator names a function returning the Migrator, as in `migrator = arx_schema::migrator` (no call, no quotes)",
                        ))
                    }
                }
            }
            "at" => {
                if options.at.is_some() {
                    return Err(repeated());
                }
                match &option.value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(lit), ..
                    }) if !lit.value().trim().is_empty() => options.at = Some(lit.clone()),
                    other => {
                        return Err(syn::Error::new_spanned(
                            other,
                            "at is the revision the database is at, a string: `at = \"002\"`, `at = \"head\"`, `at = \"-1\"`",
                        ))
                    }
                }
            }
            "strategy" => {
                if options.strategy.is_some() {
                    return Err(repeated());
                }
                let strategy = match &option.value {
                    Expr::Path(path) if path.path.is_ident("rollback") => Strategy::Rollback,
                    Expr::Path(path) if path.path.is_ident("schema") => Strategy::Schema,
                    Expr::Path(path) if path.path.is_ident("database") => Strategy::Database,
                    other => {
                        return Err(syn::Error::new_spanned(
                            other,
                            "strategy is one of `rollback` (a transaction rolled back at the end), `schema` (a schema of its own) or `database` (a database of its own), without quotes",
                        ))
                    }
                };
                options.strategy = Some(strategy);
            }
            _ => {
                let path = &option.path;
                return Err(syn::Error::new_spanned(
                    path,
                    format!(
                        "unknown option `{}`; expected migrator, at or strategy",
                        quote!(#path).to_string().replace(' ', "")
                    ),
                ));
            }
        }
    }
    Ok(options)
}

/// The type `T` of the argument `&mut T`, checked against what the
/// attribute can call.
fn argument_type(function: &ItemFn) -> syn::Result<&Type> {
    let signature = &function.sig;
    let name = &signature.ident;
    if let Some(asyncness) = &signature.asyncness {
        return Err(syn::Error::new(
            asyncness.span(),
            format!(
                "`{name}` must not be async: the database clients block, `{EXPECTED_SIGNATURE}`"
            ),
        ));
    }
    if !signature.generics.params.is_empty() || signature.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &signature.generics,
            format!("`{name}` must not be generic: `{EXPECTED_SIGNATURE}`"),
        ));
    }
    let mut inputs = signature.inputs.iter();
    let argument = match (inputs.next(), inputs.next()) {
        (Some(FnArg::Typed(argument)), None) => argument,
        (None, _) => {
            return Err(syn::Error::new(
                signature.paren_token.span.join(),
                format!(
                    "`{name}` takes the connection as its one argument: `{EXPECTED_SIGNATURE}`"
                ),
            ))
        }
        (Some(FnArg::Receiver(receiver)), _) => {
            return Err(syn::Error::new_spanned(
                receiver,
                format!("`{name}` is a free function, without `self`: `{EXPECTED_SIGNATURE}`"),
            ))
        }
        (Some(_), Some(extra)) => {
            return Err(syn::Error::new_spanned(
                extra,
                format!(
                    "`{name}` takes exactly one argument, the connection: `{EXPECTED_SIGNATURE}`"
                ),
            ))
        }
    };
    match &*argument.ty {
        Type::Reference(reference) if reference.mutability.is_some() => Ok(&reference.elem),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "the connection is passed as a mutable reference, `&mut T`: `{EXPECTED_SIGNATURE}`"
            ),
        )),
    }
}

/// Which server the test needs, as far as the tokens tell: MariaDB/MySQL
/// when the argument's type is named `Conn`, PostgreSQL when it is named
/// `Client` or `Transaction` or a strategy is given. (The traits decide
/// what runs; this decides only whether a build without a server marks
/// the test ignored.)
fn needs_server(ty: &Type, options: &Options) -> Option<Server> {
    let last = match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    match last.as_deref() {
        Some("Conn") => Some(Server::Mysql),
        Some("Client" | "Transaction") => Some(Server::Postgres),
        _ if options.strategy.is_some() => Some(Server::Postgres),
        _ => None,
    }
}

/// `#[ignore = …]` for a PostgreSQL or MariaDB test built without a server
/// to run it on (and not under CI, where it must run and fail instead).
fn ignore_without_server(function: &ItemFn, server: Option<Server>) -> TokenStream2 {
    let reason = ignore_reason(
        server,
        server.is_some_and(|server| {
            std::env::var(server.variable()).is_ok_and(|url| !url.trim().is_empty())
        }),
        std::env::var_os("CI").is_some(),
        function.attrs.iter().any(|a| a.path().is_ident("ignore")),
    );
    match reason {
        Some(reason) => quote!(#[ignore = #reason]),
        None => TokenStream2::new(),
    }
}

/// Why a test is marked ignored at build time, if it is: a PostgreSQL or
/// MariaDB test built without a server, outside CI, not ignored by its
/// author.
fn ignore_reason(
    server: Option<Server>,
    server_configured: bool,
    under_ci: bool,
    ignored_already: bool,
) -> Option<String> {
    let server = server?;
    (!server_configured && !under_ci && !ignored_already).then(|| {
        format!(
            "needs {}: set {} to a server URL (cargo then rebuilds the tests)",
            server.name(),
            server.variable()
        )
    })
}

pub(crate) fn expand(args: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let options = parse_options(args)?;
    let function: ItemFn = syn::parse2(item).map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("#[arx_migrate::test] goes on a function, `{EXPECTED_SIGNATURE}`"),
        )
    })?;
    if let Some(test) = function.attrs.iter().find(|a| a.path().is_ident("test")) {
        return Err(syn::Error::new_spanned(
            test,
            "remove #[test]: #[arx_migrate::test] makes the function a test",
        ));
    }
    let ty = argument_type(&function)?;
    let ignore = ignore_without_server(&function, needs_server(ty, &options));

    let name = &function.sig.ident;
    let visibility = &function.vis;
    let output = match &function.sig.output {
        ReturnType::Default => quote!(),
        ReturnType::Type(arrow, ty) => quote!(#arrow #ty),
    };
    // `should_panic` and `ignore` belong to the test; the rest (`cfg`,
    // lint levels, docs) to both functions.
    let (test_only, shared): (Vec<&Attribute>, Vec<&Attribute>) = function
        .attrs
        .iter()
        .partition(|a| a.path().is_ident("should_panic") || a.path().is_ident("ignore"));
    let mut inner = function.clone();
    inner.attrs.clear();
    inner.vis = syn::Visibility::Inherited;
    let body = format_ident!("__arx_migrate_test_{}", name);

    let private = quote!(::arx_migrate::testing::__macro);
    let target = options
        .at
        .as_ref()
        .map(|lit| quote!(#lit))
        .unwrap_or_else(|| quote!("head"));
    let migrator = match &options.migrator {
        None => quote!(#private::MigratorSource::Registry),
        Some(path) => {
            let call = quote_spanned!(path.span()=> #private::IntoMigrator::into_migrator(#path()));
            quote! {
                #private::MigratorSource::Function {
                    key: ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#path)),
                    make: || #call,
                }
            }
        }
    };
    let strategy = match options.strategy {
        None => quote!(DefaultStrategy),
        Some(Strategy::Rollback) => quote!(RollbackStrategy),
        Some(Strategy::Schema) => quote!(SchemaStrategy),
        Some(Strategy::Database) => quote!(DatabaseStrategy),
    };
    // Every token of the call at the argument's type, so that a type the
    // strategy cannot hand out is reported there.
    let spec = format_ident!("__arx_migrate_spec");
    let run = quote_spanned!(ty.span()=>
        <#ty as ::arx_migrate::testing::__macro::#strategy>::run(&#spec, #name)
    );
    // And the outcome's at the return type.
    let outcome_span = match &function.sig.output {
        ReturnType::Type(_, returned) => returned.span(),
        ReturnType::Default => ty.span(),
    };
    let ran = format_ident!("__arx_migrate_ran", span = outcome_span);
    let outcome = quote_spanned!(outcome_span=> ::arx_migrate::testing::__macro::outcome(#ran));
    let run = quote! {
        let #ran = #run;
        #outcome
    };
    Ok(quote! {
        #(#shared)*
        #(#test_only)*
        #[test]
        #ignore
        #visibility fn #name() #output {
            // Read so that cargo rebuilds the test (and re-decides whether
            // it is ignored) when these change.
            const _: ::core::option::Option<&str> = ::core::option_env!("ARX_MIGRATE_TEST_PG");
            const _: ::core::option::Option<&str> = ::core::option_env!("ARX_MIGRATE_TEST_MYSQL");
            const _: ::core::option::Option<&str> = ::core::option_env!("CI");
            #body()
        }

        // Apart from the #[test] function, which exists only in test
        // builds: the body is type-checked in every build.
        #(#shared)*
        #[doc(hidden)]
        #[allow(dead_code, non_snake_case)]
        fn #body() #output {
            #inner
            let #spec = #private::TestSpec {
                name: ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                target: #target,
                migrator: #migrator,
            };
            #run
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_server_tests_built_without_a_server_outside_ci_are_ignored() {
        let pg = Some(Server::Postgres);
        assert!(ignore_reason(pg, false, false, false)
            .is_some_and(|reason| reason.contains(TEST_PG_ENV)));
        assert!(ignore_reason(Some(Server::Mysql), false, false, false)
            .is_some_and(|reason| reason.contains(TEST_MYSQL_ENV)));
        assert_eq!(ignore_reason(None, false, false, false), None, "SQLite");
        assert_eq!(ignore_reason(pg, true, false, false), None, "server");
        assert_eq!(
            ignore_reason(pg, false, true, false),
            None,
            "CI fails instead"
        );
        assert_eq!(
            ignore_reason(pg, false, false, true),
            None,
            "ignored already"
        );
    }

    fn needs(ty: &str, args: &str) -> Option<Server> {
        let ty: Type = syn::parse_str(ty).unwrap();
        let options = parse_options(args.parse().unwrap()).unwrap();
        needs_server(&ty, &options)
    }

    #[test]
    fn the_argument_type_or_a_strategy_says_which_server() {
        assert_eq!(needs("postgres::Client", ""), Some(Server::Postgres));
        assert_eq!(needs("Transaction<'_>", ""), Some(Server::Postgres));
        assert_eq!(needs("rusqlite::Connection", ""), None);
        assert_eq!(
            needs("MyAlias", "strategy = schema"),
            Some(Server::Postgres)
        );
        assert_eq!(needs("mysql::Conn", ""), Some(Server::Mysql));
        assert_eq!(needs("Conn", "strategy = rollback"), Some(Server::Mysql));
    }
}
