//! Reading and editing SQLite `CREATE TABLE` text, for the table rebuild.
//!
//! SQLite keeps a table's definition only as the text of its `CREATE TABLE`
//! statement, and reports declared types and defaults back exactly as that
//! text spells them. So the rebuild edits the text: a tokenizer splits it
//! into column definitions and table constraints, each split into its
//! constraints, and everything the alteration does not touch is written
//! back byte for byte. (A general SQL parser would print it back in its own
//! spelling, `VARCHAR(255)` for `varchar(255)`, which SQLite would then
//! report as a different declared type, and it does not read every SQLite
//! form: `IS 'Polygon'`, `ON CONFLICT`, `AUTOINCREMENT`, `WITHOUT ROWID`.)
//!
//! The grammar followed is SQLite's `column-def`, `column-constraint` and
//! `table-constraint` (<https://www.sqlite.org/lang_createtable.html>).

use super::sqlite_tokens::{Kind, Tokens};
use crate::not_api::text::quote_ident as quote;

/// What a column constraint is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ColumnConstraintKind {
    /// `PRIMARY KEY [ASC|DESC] [conflict] [AUTOINCREMENT]`.
    PrimaryKey {
        /// `DESC` (which keeps an INTEGER column from aliasing the rowid).
        descending: bool,
    },
    /// `NOT NULL`.
    NotNull,
    /// `NULL`.
    Null,
    /// `UNIQUE`.
    Unique,
    /// `CHECK (expr)`.
    Check,
    /// `DEFAULT value`.
    Default,
    /// `COLLATE name`.
    Collate,
    /// `REFERENCES table [(columns)] …`.
    References {
        /// The referenced table.
        table: String,
        /// The referenced columns (empty: its primary key).
        columns: Vec<String>,
    },
    /// `[GENERATED ALWAYS] AS (expr) [STORED|VIRTUAL]`.
    Generated,
}

/// One constraint of a column definition.
#[derive(Debug, Clone)]
pub(crate) struct ColumnConstraint {
    /// Its `CONSTRAINT name`, if any.
    pub name: Option<String>,
    pub kind: ColumnConstraintKind,
    /// Its text, `CONSTRAINT name` included.
    pub text: String,
    /// The identifiers in it (lowercase), its name excluded.
    pub idents: Vec<String>,
}

/// A column definition.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// The name, unquoted.
    pub name: String,
    /// The name as written.
    name_text: String,
    /// The declared type as written (may be empty).
    pub type_text: String,
    pub constraints: Vec<ColumnConstraint>,
    /// The original text, while nothing has changed it.
    original: Option<String>,
}

impl Column {
    /// Parses one column definition (`name type constraints…`).
    pub(crate) fn parse(text: &str) -> Result<Column, String> {
        let tokens = Tokens::new(text)?;
        parse_column(&tokens, 0, tokens.tokens.len())
    }

    fn touched(&mut self) {
        self.original = None;
    }

    /// The definition's text.
    pub(crate) fn text(&self) -> String {
        if let Some(original) = &self.original {
            return original.clone();
        }
        let mut out = self.name_text.clone();
        if !self.type_text.is_empty() {
            out.push(' ');
            out.push_str(&self.type_text);
        }
        for constraint in &self.constraints {
            out.push(' ');
            out.push_str(&constraint.text);
        }
        out
    }

    pub(crate) fn has(&self, test: impl Fn(&ColumnConstraintKind) -> bool) -> bool {
        self.constraints.iter().any(|c| test(&c.kind))
    }

    /// Whether the column is `NOT NULL`.
    pub(crate) fn not_null(&self) -> bool {
        self.has(|k| *k == ColumnConstraintKind::NotNull)
    }

    /// Whether it is a generated column (which takes no inserted value).
    pub(crate) fn generated(&self) -> bool {
        self.has(|k| *k == ColumnConstraintKind::Generated)
    }

    /// The `DEFAULT …` constraint's text, if any.
    pub(crate) fn default_text(&self) -> Option<&str> {
        self.constraints
            .iter()
            .find(|c| c.kind == ColumnConstraintKind::Default)
            .map(|c| c.text.as_str())
    }

    pub(crate) fn set_type(&mut self, type_text: &str) {
        self.touched();
        self.type_text = type_text.to_string();
    }

    pub(crate) fn set_not_null(&mut self, not_null: bool) {
        self.touched();
        self.constraints.retain(|c| {
            !matches!(
                c.kind,
                ColumnConstraintKind::NotNull | ColumnConstraintKind::Null
            )
        });
        if not_null {
            self.constraints
                .push(simple_constraint(ColumnConstraintKind::NotNull, "NOT NULL"));
        }
    }

    /// Sets the default to `DEFAULT <value>` text, or removes it.
    pub(crate) fn set_default(&mut self, default: Option<&str>) {
        self.touched();
        self.constraints
            .retain(|c| c.kind != ColumnConstraintKind::Default);
        if let Some(value) = default {
            self.constraints.push(ColumnConstraint {
                name: None,
                kind: ColumnConstraintKind::Default,
                text: format!("DEFAULT {value}"),
                idents: Vec::new(),
            });
        }
    }

    /// Removes the constraints `drop` selects; true if any was removed.
    pub(crate) fn remove_constraints(
        &mut self,
        mut drop: impl FnMut(&ColumnConstraint) -> bool,
    ) -> bool {
        let before = self.constraints.len();
        self.constraints.retain(|c| !drop(c));
        let removed = self.constraints.len() != before;
        if removed {
            self.touched();
        }
        removed
    }
}

fn simple_constraint(kind: ColumnConstraintKind, text: &str) -> ColumnConstraint {
    ColumnConstraint {
        name: None,
        kind,
        text: text.to_string(),
        idents: Vec::new(),
    }
}

const COLUMN_CONSTRAINT_WORDS: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

fn parse_column(tokens: &Tokens<'_>, from: usize, to: usize) -> Result<Column, String> {
    let name = tokens
        .ident(from)
        .ok_or_else(|| format!("expected a column name at {:?}", tokens.snippet(from)))?;
    let mut i = from + 1;
    let type_start = i;
    while i < to {
        if tokens.tokens[i].kind == Kind::Word
            && COLUMN_CONSTRAINT_WORDS
                .iter()
                .any(|w| tokens.text(i).eq_ignore_ascii_case(w))
        {
            break;
        }
        if tokens.is_punct(i, '(') {
            i = tokens.skip_group(i)?;
        } else {
            i += 1;
        }
    }
    let type_text = if i > type_start {
        tokens.slice(type_start, i).to_string()
    } else {
        String::new()
    };
    let mut constraints = Vec::new();
    while i < to {
        let start = i;
        let mut name = None;
        if tokens.is_word(i, "CONSTRAINT") {
            name = tokens.ident(i + 1);
            i += 2;
        }
        let body = i;
        let kind = if tokens.is_word(i, "PRIMARY") && tokens.is_word(i + 1, "KEY") {
            i += 2;
            let descending = tokens.is_word(i, "DESC");
            if descending || tokens.is_word(i, "ASC") {
                i += 1;
            }
            i = tokens.skip_conflict(i);
            if tokens.is_word(i, "AUTOINCREMENT") {
                i += 1;
            }
            ColumnConstraintKind::PrimaryKey { descending }
        } else if tokens.is_word(i, "NOT") && tokens.is_word(i + 1, "NULL") {
            i = tokens.skip_conflict(i + 2);
            ColumnConstraintKind::NotNull
        } else if tokens.is_word(i, "NULL") {
            i = tokens.skip_conflict(i + 1);
            ColumnConstraintKind::Null
        } else if tokens.is_word(i, "UNIQUE") {
            i = tokens.skip_conflict(i + 1);
            ColumnConstraintKind::Unique
        } else if tokens.is_word(i, "CHECK") {
            i = tokens.skip_group(i + 1)?;
            ColumnConstraintKind::Check
        } else if tokens.is_word(i, "DEFAULT") {
            i += 1;
            if tokens.is_punct(i, '(') {
                i = tokens.skip_group(i)?;
            } else if tokens.is_punct(i, '+') || tokens.is_punct(i, '-') {
                i += 2;
            } else {
                i += 1;
            }
            ColumnConstraintKind::Default
        } else if tokens.is_word(i, "COLLATE") {
            i += 2;
            ColumnConstraintKind::Collate
        } else if tokens.is_word(i, "REFERENCES") {
            let table = tokens
                .ident(i + 1)
                .ok_or_else(|| format!("expected a table at {:?}", tokens.snippet(i + 1)))?;
            i += 2;
            let mut columns = Vec::new();
            if tokens.is_punct(i, '(') {
                (columns, i) = tokens.column_list(i)?;
            }
            i = tokens.skip_reference_clauses(i)?;
            ColumnConstraintKind::References { table, columns }
        } else if tokens.is_word(i, "GENERATED") || tokens.is_word(i, "AS") {
            if tokens.is_word(i, "GENERATED") {
                i += 2; // GENERATED ALWAYS
            }
            i = tokens.skip_group(i + 1)?; // AS ( … )
            if tokens.is_word(i, "STORED") || tokens.is_word(i, "VIRTUAL") {
                i += 1;
            }
            ColumnConstraintKind::Generated
        } else {
            return Err(format!(
                "cannot read the definition of column {name:?} at {:?}",
                tokens.snippet(i)
            ));
        };
        if i > to {
            return Err(format!("column {name:?}: its definition ends too early"));
        }
        constraints.push(ColumnConstraint {
            name,
            kind,
            text: tokens.slice(start, i).to_string(),
            idents: tokens.idents(body, i),
        });
    }
    Ok(Column {
        name,
        name_text: tokens.text(from).to_string(),
        type_text,
        constraints,
        original: Some(tokens.slice(from, to).to_string()),
    })
}

/// What a table constraint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConstraintKind {
    /// `PRIMARY KEY (…)`.
    PrimaryKey,
    /// `UNIQUE (…)`.
    Unique,
    /// `CHECK (…)`.
    Check,
    /// `FOREIGN KEY (…) REFERENCES …`.
    ForeignKey,
}

impl ConstraintKind {
    /// The words used in messages.
    pub(crate) fn words(self) -> &'static str {
        match self {
            ConstraintKind::PrimaryKey => "primary key",
            ConstraintKind::Unique => "unique constraint",
            ConstraintKind::Check => "check constraint",
            ConstraintKind::ForeignKey => "foreign key",
        }
    }
}

/// A table constraint.
#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    /// Its `CONSTRAINT name`, if any.
    pub name: Option<String>,
    pub kind: ConstraintKind,
    /// The local columns (PRIMARY KEY, UNIQUE, FOREIGN KEY).
    pub columns: Vec<String>,
    /// Its text, `CONSTRAINT name` included.
    pub text: String,
    /// The identifiers in it (lowercase), its name excluded.
    pub idents: Vec<String>,
}

impl Constraint {
    /// Parses one table constraint.
    pub(crate) fn parse(text: &str) -> Result<Constraint, String> {
        let tokens = Tokens::new(text)?;
        parse_constraint(&tokens, 0, tokens.tokens.len())
    }
}

fn parse_constraint(tokens: &Tokens<'_>, from: usize, to: usize) -> Result<Constraint, String> {
    let mut i = from;
    let mut name = None;
    if tokens.is_word(i, "CONSTRAINT") {
        name = tokens.ident(i + 1);
        i += 2;
    }
    let body = i;
    let mut columns = Vec::new();
    let kind = if tokens.is_word(i, "PRIMARY") && tokens.is_word(i + 1, "KEY") {
        (columns, i) = tokens.column_list(i + 2)?;
        ConstraintKind::PrimaryKey
    } else if tokens.is_word(i, "UNIQUE") {
        (columns, i) = tokens.column_list(i + 1)?;
        ConstraintKind::Unique
    } else if tokens.is_word(i, "CHECK") {
        i = tokens.skip_group(i + 1)?;
        ConstraintKind::Check
    } else if tokens.is_word(i, "FOREIGN") && tokens.is_word(i + 1, "KEY") {
        (columns, i) = tokens.column_list(i + 2)?;
        ConstraintKind::ForeignKey
    } else {
        return Err(format!(
            "cannot read the table constraint at {:?}",
            tokens.snippet(i)
        ));
    };
    let _ = i;
    Ok(Constraint {
        name,
        kind,
        columns,
        text: tokens.slice(from, to).to_string(),
        idents: tokens.idents(body, to),
    })
}

/// One element of the table's definition.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Column(Column),
    Constraint(Constraint),
}

/// A table's `CREATE TABLE` statement, split into its elements.
#[derive(Debug, Clone)]
pub(crate) struct TableSql {
    pub items: Vec<Item>,
    /// What follows the closing parenthesis (`WITHOUT ROWID`, `STRICT`).
    pub options: String,
}

impl TableSql {
    /// Reads `CREATE TABLE name (…) options`.
    pub(crate) fn parse(sql: &str) -> Result<TableSql, String> {
        let tokens = Tokens::new(sql)?;
        let open = (0..tokens.tokens.len())
            .find(|&i| tokens.is_punct(i, '('))
            .ok_or("the CREATE TABLE has no column list (is it CREATE TABLE … AS SELECT?)")?;
        if !(0..open).any(|i| tokens.is_word(i, "TABLE"))
            || (0..open).any(|i| tokens.is_word(i, "VIRTUAL"))
        {
            return Err("it is not an ordinary table".to_string());
        }
        let close = tokens.skip_group(open)? - 1;
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut start = open + 1;
        for i in open + 1..=close {
            match tokens.tokens[i].kind {
                Kind::Punct('(') => depth += 1,
                Kind::Punct(')') if i < close => depth -= 1,
                Kind::Punct(',') if depth == 0 => {
                    items.push(parse_item(&tokens, start, i)?);
                    start = i + 1;
                }
                _ if i == close => items.push(parse_item(&tokens, start, i)?),
                _ => {}
            }
        }
        let options = sql[tokens.tokens[close].end..].trim().to_string();
        Ok(TableSql { items, options })
    }

    /// The `CREATE TABLE` statement for a table named `name`.
    pub(crate) fn create_sql(&self, name: &str) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|item| match item {
                Item::Column(column) => column.text(),
                Item::Constraint(constraint) => constraint.text.clone(),
            })
            .collect();
        let mut sql = format!("CREATE TABLE {} ( {} )", quote(name), items.join(", "));
        if !self.options.is_empty() {
            sql.push(' ');
            sql.push_str(&self.options);
        }
        sql
    }

    pub(crate) fn columns(&self) -> impl Iterator<Item = &Column> {
        self.items.iter().filter_map(|item| match item {
            Item::Column(column) => Some(column),
            Item::Constraint(_) => None,
        })
    }

    pub(crate) fn columns_mut(&mut self) -> impl Iterator<Item = &mut Column> {
        self.items.iter_mut().filter_map(|item| match item {
            Item::Column(column) => Some(column),
            Item::Constraint(_) => None,
        })
    }

    pub(crate) fn constraints(&self) -> impl Iterator<Item = &Constraint> {
        self.items.iter().filter_map(|item| match item {
            Item::Constraint(constraint) => Some(constraint),
            Item::Column(_) => None,
        })
    }

    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub(crate) fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns_mut()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Adds a column after the last one.
    pub(crate) fn add_column(&mut self, column: Column) {
        let at = self
            .items
            .iter()
            .rposition(|item| matches!(item, Item::Column(_)))
            .map_or(0, |i| i + 1);
        self.items.insert(at, Item::Column(column));
    }

    pub(crate) fn without_rowid(&self) -> bool {
        let options = self.options.to_ascii_uppercase();
        let words: Vec<&str> = options
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        words.windows(2).any(|w| w == ["WITHOUT", "ROWID"])
    }

    /// The column that aliases the rowid (`INTEGER PRIMARY KEY`), if any.
    pub(crate) fn rowid_alias(&self) -> Option<&Column> {
        if self.without_rowid() {
            return None;
        }
        let integer = |column: &Column| column.type_text.eq_ignore_ascii_case("INTEGER");
        if let Some(column) = self.columns().find(|c| {
            c.has(|k| matches!(k, ColumnConstraintKind::PrimaryKey { descending: false }))
        }) {
            return integer(column).then_some(column);
        }
        let key = self
            .constraints()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)?;
        match key.columns.as_slice() {
            [only] => self.column(only).filter(|c| integer(c)),
            _ => None,
        }
    }

    /// Whether the primary key is `AUTOINCREMENT`.
    pub(crate) fn autoincrement(&self) -> bool {
        self.columns().any(|column| {
            column.constraints.iter().any(|c| {
                matches!(c.kind, ColumnConstraintKind::PrimaryKey { .. })
                    && c.text.to_ascii_uppercase().contains("AUTOINCREMENT")
            })
        })
    }

    /// The primary key's columns.
    pub(crate) fn primary_key(&self) -> Vec<String> {
        if let Some(column) = self
            .columns()
            .find(|c| c.has(|k| matches!(k, ColumnConstraintKind::PrimaryKey { .. })))
        {
            return vec![column.name.clone()];
        }
        self.constraints()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)
            .map(|c| c.columns.clone())
            .unwrap_or_default()
    }
}

fn parse_item(tokens: &Tokens<'_>, from: usize, to: usize) -> Result<Item, String> {
    if from >= to {
        return Err("an empty element in the column list".to_string());
    }
    let constraint = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
        .iter()
        .any(|w| tokens.is_word(from, w));
    if constraint {
        parse_constraint(tokens, from, to).map(Item::Constraint)
    } else {
        parse_column(tokens, from, to).map(Item::Column)
    }
}

/// A declared type's affinity (<https://www.sqlite.org/datatype3.html>,
/// "Determination Of Column Affinity").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

impl Affinity {
    pub(crate) fn of(type_text: &str) -> Affinity {
        let t = type_text.to_ascii_uppercase();
        if t.contains("INT") {
            Affinity::Integer
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Affinity::Text
        } else if t.contains("BLOB") || t.trim().is_empty() {
            Affinity::Blob
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOMS: &str = r#"CREATE TABLE "rooms" ( "id" varchar(64) NOT NULL PRIMARY KEY, "name" varchar(255), "geom" text CHECK (geom IS NULL OR (json_valid(geom) AND json_extract(geom, '$.type') IS 'Polygon')), "category" varchar(100) NOT NULL DEFAULT '', "created_by" integer, CONSTRAINT "fk_rooms_created_by" FOREIGN KEY ("created_by") REFERENCES "users" ("id") ON DELETE NO ACTION )"#;

    #[test]
    fn an_untouched_table_is_written_back_as_it_was() {
        let table = TableSql::parse(ROOMS).unwrap();
        assert_eq!(table.create_sql("rooms"), ROOMS);
        assert_eq!(table.columns().count(), 5);
        assert_eq!(table.constraints().count(), 1);
        let fk = table.constraints().next().unwrap();
        assert_eq!(fk.name.as_deref(), Some("fk_rooms_created_by"));
        assert_eq!(fk.columns, ["created_by"]);
        assert_eq!(table.primary_key(), ["id"]);
        assert!(table.rowid_alias().is_none());
    }

    #[test]
    fn columns_are_split_into_type_and_constraints() {
        let table = TableSql::parse(ROOMS).unwrap();
        let category = table.column("CATEGORY").unwrap();
        assert_eq!(category.type_text, "varchar(100)");
        assert!(category.not_null());
        assert_eq!(category.default_text(), Some("DEFAULT ''"));
        let geom = table.column("geom").unwrap();
        assert_eq!(geom.constraints.len(), 1);
        assert!(geom.constraints[0]
            .idents
            .contains(&"json_valid".to_string()));
    }

    #[test]
    fn edited_columns_keep_the_rest_of_their_text() {
        let mut table = TableSql::parse(ROOMS).unwrap();
        let name = table.column_mut("name").unwrap();
        name.set_type("text");
        name.set_not_null(true);
        name.set_default(Some("'x'"));
        assert_eq!(
            table.column("name").unwrap().text(),
            r#""name" text NOT NULL DEFAULT 'x'"#
        );
        let category = table.column_mut("category").unwrap();
        category.set_default(None);
        category.set_not_null(false);
        assert_eq!(
            table.column("category").unwrap().text(),
            r#""category" varchar(100)"#
        );
    }

    #[test]
    fn sqlite_forms_a_general_parser_would_respell_are_read() {
        let sql = "create table t(\n  id INTEGER primary key autoincrement, -- the key\n  a [weird name] unique on conflict replace collate nocase,\n  b decimal(10, 2) default -1.5e3 not null,\n  c text generated always as (upper(a)) stored,\n  d int references u on delete set null deferrable initially deferred,\n  primary key (a), unique(b, c), check (b > 0), foreign key (d) references u(id)\n) without rowid, strict";
        let table = TableSql::parse(sql).unwrap();
        assert_eq!(table.columns().count(), 5);
        assert_eq!(table.constraints().count(), 4);
        assert_eq!(table.column("a").unwrap().type_text, "[weird name]");
        assert_eq!(table.column("b").unwrap().type_text, "decimal(10, 2)");
        assert!(table.column("b").unwrap().not_null());
        assert!(table.column("c").unwrap().generated());
        assert!(matches!(
            &table.column("d").unwrap().constraints[0].kind,
            ColumnConstraintKind::References { table, .. } if table == "u"
        ));
        assert!(table.without_rowid());
        assert_eq!(table.options, "without rowid, strict");
        let again = TableSql::parse(&table.create_sql("t")).unwrap();
        assert_eq!(again.create_sql("t"), table.create_sql("t"));
    }

    #[test]
    fn the_rowid_alias_is_found_as_sqlite_defines_it() {
        let alias = |sql: &str| {
            TableSql::parse(sql)
                .unwrap()
                .rowid_alias()
                .map(|c| c.name.clone())
        };
        assert_eq!(
            alias("CREATE TABLE t (id INTEGER PRIMARY KEY, a)").as_deref(),
            Some("id")
        );
        assert_eq!(
            alias("CREATE TABLE t (id integer, a, PRIMARY KEY (id))").as_deref(),
            Some("id")
        );
        assert_eq!(
            alias("CREATE TABLE t (id INTEGER PRIMARY KEY DESC, a)"),
            None
        );
        assert_eq!(alias("CREATE TABLE t (id INT PRIMARY KEY, a)"), None);
        assert_eq!(
            alias("CREATE TABLE t (id INTEGER PRIMARY KEY, a) WITHOUT ROWID"),
            None
        );
    }

    #[test]
    fn affinities_follow_sqlites_rules() {
        assert_eq!(Affinity::of("varchar(255)"), Affinity::Text);
        assert_eq!(Affinity::of("BIGINT"), Affinity::Integer);
        assert_eq!(Affinity::of("double precision"), Affinity::Real);
        assert_eq!(Affinity::of("timestamp"), Affinity::Numeric);
        assert_eq!(Affinity::of("boolean"), Affinity::Numeric);
        assert_eq!(Affinity::of(""), Affinity::Blob);
        assert_eq!(Affinity::of("point"), Affinity::Integer); // "poINT"
    }
}
