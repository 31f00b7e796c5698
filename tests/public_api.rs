//! The facade's public items, one per line, against the reviewed list in
//! `tests/public-api.txt`: a change to what `arx_migrate` exports fails
//! here until the list is updated in the same commit, so that it shows in
//! review. Regenerate with
//! `ARX_MIGRATE_UPDATE_PUBLIC_API=1 cargo test -p arx-migrate --test public_api`,
//! then read the diff of the list.

use quote::ToTokens;
use syn::{Attribute, Item, UseTree, Visibility};

const LIST: &str = "tests/public-api.txt";

/// The `cfg` and `doc(hidden)` attributes of an item, as written.
fn gates(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg") || a.to_token_stream().to_string().contains("hidden"))
        .map(|a| format!("{} ", a.to_token_stream().to_string().replace(' ', "")))
        .collect()
}

/// The names a `use` tree makes public: `name = path`.
fn use_leaves(tree: &UseTree, prefix: &str, out: &mut Vec<(String, String)>) {
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}::{name}")
        }
    };
    match tree {
        UseTree::Path(path) => use_leaves(&path.tree, &join(&path.ident.to_string()), out),
        UseTree::Name(name) => out.push((name.ident.to_string(), join(&name.ident.to_string()))),
        UseTree::Rename(rename) => {
            out.push((rename.rename.to_string(), join(&rename.ident.to_string())))
        }
        UseTree::Glob(_) => out.push(("*".to_string(), join("*"))),
        UseTree::Group(group) => {
            for tree in &group.items {
                use_leaves(tree, prefix, out);
            }
        }
    }
}

fn public_items(items: &[Item], module: &str, out: &mut Vec<String>) {
    for item in items {
        let (vis, attrs, what) = match item {
            Item::Use(item) => {
                if matches!(item.vis, Visibility::Public(_)) {
                    let mut leaves = Vec::new();
                    use_leaves(&item.tree, "", &mut leaves);
                    for (name, path) in leaves {
                        out.push(format!("{}{module}::{name} = {path}", gates(&item.attrs)));
                    }
                }
                continue;
            }
            Item::Mod(item) => {
                if matches!(item.vis, Visibility::Public(_)) {
                    let path = format!("{module}::{}", item.ident);
                    out.push(format!("{}mod {path}", gates(&item.attrs)));
                    if let Some((_, items)) = &item.content {
                        public_items(items, &path, out);
                    }
                }
                continue;
            }
            Item::Macro(item) => {
                if item.attrs.iter().any(|a| a.path().is_ident("macro_export")) {
                    if let Some(ident) = &item.ident {
                        out.push(format!("{}macro {module}::{ident}!", gates(&item.attrs)));
                    }
                }
                continue;
            }
            Item::Fn(item) => (&item.vis, &item.attrs, format!("fn {}", item.sig.ident)),
            Item::Struct(item) => (&item.vis, &item.attrs, format!("struct {}", item.ident)),
            Item::Enum(item) => (&item.vis, &item.attrs, format!("enum {}", item.ident)),
            Item::Trait(item) => (&item.vis, &item.attrs, format!("trait {}", item.ident)),
            Item::Type(item) => (&item.vis, &item.attrs, format!("type {}", item.ident)),
            Item::Const(item) => (&item.vis, &item.attrs, format!("const {}", item.ident)),
            _ => continue,
        };
        if matches!(vis, Visibility::Public(_)) {
            out.push(format!("{}{what} in {module}", gates(attrs)));
        }
    }
}

#[test]
fn the_facades_public_items_are_the_reviewed_list() {
    let source = std::fs::read_to_string("src/lib.rs").unwrap();
    let file = syn::parse_file(&source).unwrap();
    let mut items = Vec::new();
    public_items(&file.items, "arx_migrate", &mut items);
    items.sort();
    let listed = items.join("\n") + "\n";
    assert!(
        !listed.contains("arx_migrate::* ="),
        "the facade re-exports with a glob: list the items instead"
    );
    if std::env::var_os("ARX_MIGRATE_UPDATE_PUBLIC_API").is_some() {
        std::fs::write(LIST, &listed).unwrap();
        return;
    }
    let reviewed = std::fs::read_to_string(LIST).unwrap_or_default();
    assert!(
        reviewed == listed,
        "the public API of arx_migrate changed; if that is meant, run \
         ARX_MIGRATE_UPDATE_PUBLIC_API=1 cargo test -p arx-migrate --test public_api \
         and commit {LIST}.\n--- reviewed\n{reviewed}--- now\n{listed}"
    );
}
