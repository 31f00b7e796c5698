//! The generated migration as a Rust module: the calls [`Call::apply`]
//! makes, written out, laid out as rustfmt lays them out.

use std::collections::BTreeSet;

use super::call::{Call, NewColumn, NewForeignKey};
use super::generated::{Generated, GENERATED_LOCK_TIMEOUT};
use arx_migrate_core::Backend;

const WIDTH: usize = 100;
const BODY: &str = "        ";

/// A Rust string literal for `text`.
fn lit(text: &str) -> String {
    format!("{text:?}")
}

fn array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| lit(i)).collect();
    format!("&[{}]", items.join(", "))
}

/// A string literal (as [`lit`] writes it) that starts at column `column`
/// and ends before a `,`, broken with `\` line continuations between
/// words so that no line passes [`WIDTH`]: each next line starts under the
/// opening quote's first character. A break only comes before a word, as
/// a continuation skips the whitespace that starts the next line.
fn wrapped_literal(literal: &str, column: usize) -> String {
    let indent = " ".repeat(column + 1);
    // Room on each line for the quote or indent before, and the `\` (or
    // the last line's `",`) after.
    let room = WIDTH.saturating_sub(column + 3);
    let inner = &literal[1..literal.len() - 1];
    let mut lines: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut last_break = None;
    for (i, c) in inner.char_indices() {
        let breakable = c == ' ' && inner[i + 1..].starts_with(|n: char| n != ' ');
        if breakable {
            if i + 1 - start > room {
                if let Some(at) = last_break {
                    lines.push(&inner[start..at]);
                    start = at;
                }
            }
            last_break = Some(i + 1);
        }
    }
    if inner.len() - start > room {
        if let Some(at) = last_break.filter(|at| *at > start) {
            lines.push(&inner[start..at]);
            start = at;
        }
    }
    lines.push(&inner[start..]);
    let mut text = String::from("\"");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            text.push_str("\\\n");
            text.push_str(&indent);
        }
        text.push_str(line);
    }
    text.push('"');
    text
}

/// `receiver.method(args)?;` (or without `?` when `try_` is false) on one
/// line when it fits, else with one argument a line, as rustfmt does; a
/// lone string literal too long for its own line is wrapped.
fn statement(out: &mut String, call: &str, args: &[String], question: bool) {
    let tail = if question { "?;" } else { ";" };
    let line = format!("{BODY}{call}({}){tail}", args.join(", "));
    let lone_literal = args.len() == 1 && args[0].starts_with('"');
    if lone_literal && line.len() > WIDTH && BODY.len() + 4 + args[0].len() + 1 > WIDTH {
        let column = BODY.len() + 4;
        out.push_str(&format!("{BODY}{call}(\n"));
        out.push_str(&format!(
            "{BODY}    {},\n",
            wrapped_literal(&args[0], column)
        ));
        out.push_str(&format!("{BODY}){tail}\n"));
        return;
    }
    // rustfmt leaves a lone argument that would overflow its own line too.
    let lone_overflows = args.len() == 1 && BODY.len() + 4 + args[0].len() + 1 > WIDTH;
    if args.is_empty() || line.len() <= WIDTH || lone_overflows {
        out.push_str(&line);
        out.push('\n');
        return;
    }
    out.push_str(&format!("{BODY}{call}(\n"));
    for arg in args {
        out.push_str(&format!("{BODY}    {arg},\n"));
    }
    out.push_str(&format!("{BODY}){tail}\n"));
}

fn column(out: &mut String, table: &str, column: &NewColumn) {
    statement(
        out,
        "let mut column = ColumnDef::new",
        &[lit(&column.name)],
        false,
    );
    statement(out, "column.custom", &[lit(&column.data_type)], false);
    if column.not_null {
        statement(out, "column.not_null", &[], false);
    }
    if let Some(default) = &column.default {
        statement(
            out,
            "column.default",
            &[format!("raw({})", lit(default))],
            false,
        );
    }
    statement(
        out,
        "op.add_column",
        &[lit(table), "&column".to_string()],
        true,
    );
}

/// Writes `key`, added by `method` (`op.add_foreign_key`, or its `NOT
/// VALID` form).
fn foreign_key(out: &mut String, key: &NewForeignKey, method: &str) {
    out.push_str(&format!("{BODY}let mut key = ForeignKey::create();\n"));
    statement(out, "key.name", &[lit(&key.name)], false);
    statement(out, "key.from_tbl", &[lit(&key.table)], false);
    for c in &key.columns {
        statement(out, "key.from_col", &[lit(c)], false);
    }
    statement(out, "key.to_tbl", &[lit(&key.ref_table)], false);
    for c in &key.ref_columns {
        statement(out, "key.to_col", &[lit(c)], false);
    }
    if let Some(action) = key.on_delete {
        statement(out, "key.on_delete", &[action.rust().to_string()], false);
    }
    if let Some(action) = key.on_update {
        statement(out, "key.on_update", &[action.rust().to_string()], false);
    }
    statement(out, method, &["&key".to_string()], true);
}

/// Writes one call.
fn call(out: &mut String, call: &Call) {
    match call {
        Call::Sql { backend, sql } => {
            let method = match backend {
                Backend::Postgres => "op.postgres",
                Backend::Sqlite => "op.sqlite",
                Backend::Mysql => "op.mysql",
            };
            statement(out, method, &[lit(sql)], true);
        }
        Call::RequireExtension(name) => statement(out, "op.require_extension", &[lit(name)], true),
        Call::DropTable(table) => statement(
            out,
            "op.exec",
            &[format!("Table::drop().table({})", lit(table))],
            true,
        ),
        Call::RenameTable { from, to } => {
            statement(out, "op.rename_table", &[lit(from), lit(to)], true)
        }
        Call::AddColumn { table, column: c } => column(out, table, c),
        Call::DropColumn { table, column } => {
            statement(out, "op.drop_column", &[lit(table), lit(column)], true)
        }
        Call::RenameColumn { table, from, to } => statement(
            out,
            "op.rename_column",
            &[lit(table), lit(from), lit(to)],
            true,
        ),
        Call::AlterColumn {
            table,
            column,
            data_type,
            not_null,
            default,
        } => {
            out.push_str(&format!("{BODY}let mut change = AlterColumn::new();\n"));
            if let Some(data_type) = data_type {
                statement(
                    out,
                    "change = change.set_type",
                    &[format!("ColumnType::custom({})", lit(data_type))],
                    false,
                );
            }
            match not_null {
                Some(true) => statement(out, "change = change.set_not_null", &[], false),
                Some(false) => statement(out, "change = change.drop_not_null", &[], false),
                None => {}
            }
            match default {
                Some(Some(value)) => statement(
                    out,
                    "change = change.set_default",
                    &[format!("raw({})", lit(value))],
                    false,
                ),
                Some(None) => statement(out, "change = change.drop_default", &[], false),
                None => {}
            }
            statement(
                out,
                "op.alter_column",
                &[lit(table), lit(column), "change".to_string()],
                true,
            );
        }
        Call::CreateIndex {
            name,
            table,
            columns,
            unique,
        } => {
            out.push_str(&format!("{BODY}let mut index = Index::create();\n"));
            statement(out, "index.name", &[lit(name)], false);
            statement(out, "index.table", &[lit(table)], false);
            for c in columns {
                statement(out, "index.col", &[lit(c)], false);
            }
            if *unique {
                statement(out, "index.unique", &[], false);
            }
            statement(out, "op.create_index", &["&index".to_string()], true);
        }
        Call::DropIndex(name) => statement(out, "op.drop_index", &[lit(name)], true),
        Call::AddForeignKey(key) => foreign_key(out, key, "op.add_foreign_key"),
        Call::AddForeignKeyNotValid(key) => foreign_key(out, key, "op.add_foreign_key_not_valid"),
        Call::AddCheckNotValid {
            table,
            name,
            expression,
        } => statement(
            out,
            "op.add_check_not_valid",
            &[lit(table), lit(name), format!("raw({})", lit(expression))],
            true,
        ),
        Call::ValidateConstraint { table, name } => statement(
            out,
            "op.validate_constraint",
            &[lit(table), lit(name)],
            true,
        ),
        Call::SetNotNull { table, column } => {
            statement(out, "op.set_not_null", &[lit(table), lit(column)], true)
        }
        Call::DropForeignKey { table, name } => {
            statement(out, "op.drop_foreign_key", &[lit(table), lit(name)], true)
        }
        Call::AddCheck {
            table,
            name,
            expression,
        } => statement(
            out,
            "op.add_check",
            &[lit(table), lit(name), format!("raw({})", lit(expression))],
            true,
        ),
        Call::DropCheck { table, name } => {
            statement(out, "op.drop_check", &[lit(table), lit(name)], true)
        }
        Call::AddUnique {
            table,
            name,
            columns,
        } => statement(
            out,
            "op.add_unique",
            &[lit(table), lit(name), array(columns)],
            true,
        ),
        Call::DropUnique { table, name } => {
            statement(out, "op.drop_unique", &[lit(table), lit(name)], true)
        }
        Call::SetPrimaryKey { table, columns } => statement(
            out,
            "op.set_primary_key",
            &[lit(table), array(columns)],
            true,
        ),
    }
}

/// The `sea_query` names the calls use.
fn imports(calls: &[&Call]) -> Vec<&'static str> {
    let mut names = BTreeSet::new();
    for c in calls {
        match c {
            Call::DropTable(_) => {
                names.insert("Table");
            }
            Call::AddColumn { column, .. } => {
                names.insert("ColumnDef");
                if column.default.is_some() {
                    names.extend(["Expr", "IntoIden", "Keyword"]);
                }
            }
            Call::AlterColumn {
                data_type, default, ..
            } => {
                if data_type.is_some() {
                    names.insert("ColumnType");
                }
                if matches!(default, Some(Some(_))) {
                    names.extend(["Expr", "IntoIden", "Keyword"]);
                }
            }
            Call::CreateIndex { .. } => {
                names.insert("Index");
            }
            Call::AddForeignKey(key) | Call::AddForeignKeyNotValid(key) => {
                names.insert("ForeignKey");
                if key.on_delete.is_some() || key.on_update.is_some() {
                    names.insert("ForeignKeyAction");
                }
            }
            Call::AddCheck { .. } | Call::AddCheckNotValid { .. } => {
                names.extend(["Expr", "IntoIden", "Keyword"]);
            }
            _ => {}
        }
    }
    names.into_iter().collect()
}

impl Generated {
    /// The migration as a module file for the migrations folder, as
    /// `revision` writes one; `program` names the tool in its comment.
    /// The same input gives the same bytes; the text is rustfmt-clean.
    pub fn to_rust(&self, program: &str) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "//! Revision {}: {}\n",
            self.revision, self.message
        ));
        out.push_str("//!\n");
        out.push_str(&format!(
            "//! Written by `{program} revision --autogenerate` from the {} schema wanted;\n",
            self.backend
        ));
        out.push_str(
            "//! listed in this folder's module file. Raw SQL runs on that backend only.\n",
        );
        if self.needs_review() {
            out.push_str("//! Steps marked DESTRUCTIVE lose data: read them, then replace each\n");
            out.push_str("//! \"FILL IN\" reason in `allow` below (lint blocks until then).\n");
        }
        out.push('\n');
        out.push_str(&format!("/// {}\n", self.message));
        let mut attribute = format!("rev = {}", lit(&self.revision));
        match self.down_revisions.as_slice() {
            [] => {}
            [one] => attribute.push_str(&format!(", down_rev = {}", lit(one))),
            many => attribute.push_str(&format!(
                ", down_rev = {}",
                array(many).trim_start_matches('&')
            )),
        }
        if !self.transactional {
            attribute.push_str(", transactional = false");
        }
        if !self.allow.is_empty() {
            let entries: Vec<String> = self
                .allow
                .iter()
                .map(|(rule, reason)| lit(&format!("{rule}: {reason}")))
                .collect();
            attribute.push_str(&format!(", allow = [{}]", entries.join(", ")));
        }
        let line = format!("#[arx_migrate::migration({attribute})]");
        if line.len() <= WIDTH {
            out.push_str(&line);
            out.push('\n');
        } else {
            self.long_attribute(&mut out);
        }
        out.push_str("pub mod migration {\n");
        out.push_str("    use arx_migrate::prelude::*;\n");
        let calls: Vec<&Call> = self
            .steps
            .iter()
            .flat_map(|s| s.up.iter().chain(&s.down))
            .collect();
        let names = imports(&calls);
        match names.as_slice() {
            [] => {}
            [one] => out.push_str(&format!("    use arx_migrate::sea_query::{one};\n")),
            many => {
                let line = format!("    use arx_migrate::sea_query::{{{}}};", many.join(", "));
                if line.len() <= WIDTH {
                    out.push_str(&line);
                    out.push('\n');
                } else {
                    out.push_str("    use arx_migrate::sea_query::{\n");
                    let mut row = String::from("       ");
                    for name in many {
                        if row.len() + name.len() + 2 > WIDTH {
                            out.push_str(row.trim_end());
                            out.push('\n');
                            row = String::from("       ");
                        }
                        row.push_str(&format!(" {name},"));
                    }
                    out.push_str(row.trim_end());
                    out.push_str("\n    };\n");
                }
            }
        }
        let needs_raw = names.contains(&"Keyword");
        out.push('\n');
        out.push_str("    pub fn upgrade(op: &mut Ops) -> Result<()> {\n");
        if let Some(setting) = self.lock_timeout_setting() {
            out.push_str(&format!(
                "{BODY}// Each statement waits at most {GENERATED_LOCK_TIMEOUT} for its lock.\n"
            ));
            call(&mut out, &setting);
        }
        for (i, step) in self.steps.iter().enumerate() {
            self.step_comment(&mut out, i, step, "");
            for c in &step.up {
                call(&mut out, c);
            }
        }
        out.push_str(&format!("{BODY}Ok(())\n    }}\n\n"));
        out.push_str("    pub fn downgrade(op: &mut Ops) -> Result<()> {\n");
        if let Some(setting) = self.lock_timeout_setting() {
            out.push_str(&format!(
                "{BODY}// Each statement waits at most {GENERATED_LOCK_TIMEOUT} for its lock.\n"
            ));
            call(&mut out, &setting);
        }
        for (i, step) in self.steps.iter().enumerate().rev() {
            self.step_comment(&mut out, i, step, "Undo: ");
            for c in &step.down {
                call(&mut out, c);
            }
        }
        out.push_str(&format!("{BODY}Ok(())\n    }}\n"));
        if needs_raw {
            out.push_str("\n    /// An expression written as the database prints it.\n");
            out.push_str("    fn raw(sql: &str) -> Expr {\n");
            out.push_str(&format!(
                "{BODY}Expr::Keyword(Keyword::Custom(sql.to_string().into_iden()))\n"
            ));
            out.push_str("    }\n");
        }
        out.push_str("}\n");
        out
    }

    /// The `#[migration]` attribute with one option a line and one allow
    /// entry a line (each wrapped to the width): rustfmt leaves an
    /// attribute's arguments as written.
    fn long_attribute(&self, out: &mut String) {
        out.push_str("#[arx_migrate::migration(\n");
        out.push_str(&format!("    rev = {},\n", lit(&self.revision)));
        match self.down_revisions.as_slice() {
            [] => {}
            [one] => out.push_str(&format!("    down_rev = {},\n", lit(one))),
            many => out.push_str(&format!(
                "    down_rev = {},\n",
                array(many).trim_start_matches('&')
            )),
        }
        if !self.transactional {
            out.push_str("    transactional = false,\n");
        }
        if !self.allow.is_empty() {
            out.push_str("    allow = [\n");
            for (rule, reason) in &self.allow {
                let entry = lit(&format!("{rule}: {reason}"));
                out.push_str(&format!("        {},\n", wrapped_literal(&entry, 8)));
            }
            out.push_str("    ],\n");
        }
        out.push_str(")]\n");
    }

    fn step_comment(&self, out: &mut String, index: usize, step: &super::Step, prefix: &str) {
        if index > 0 || !prefix.is_empty() {
            // A blank line between steps.
            if !out.ends_with("{\n") {
                out.push('\n');
            }
        }
        let mut text = format!("{prefix}{}", step.comment);
        if let (Some(rule), "") = (step.destructive, prefix) {
            text = format!("DESTRUCTIVE ({rule}). {text}");
        }
        for line in wrap(&text, WIDTH - BODY.len() - 3) {
            out.push_str(&format!("{BODY}// {line}\n"));
        }
    }
}

/// `text` in lines of at most `width` characters, broken between words.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
