//! The canonical encoding of v1 data, which migration checksums hash: one byte string per
//! value, written field by field by this module (never through `Debug` or a derive, whose
//! output no Rust release promises to keep), so that a checksum recorded today verifies after
//! any toolchain upgrade.
//!
//! The grammar, in full:
//!
//! - a string: `s`, its length in bytes in decimal, `:`, then its bytes (UTF-8), so that no
//!   byte inside it can be read as structure;
//! - a number: `n` and its decimal digits;
//! - `true`: `t` (a `false` field is left out, see below);
//! - a list: `[`, its items each followed by `,`, `]`;
//! - a pair (a decimal's precision and scale): `(`, both values each followed by `,`, `)`;
//! - a record (a struct, or an enum variant with fields): its Rust name, `{`, then each field
//!   that does not hold its default as `name=value;`, in declaration order, then `}`. Struct
//!   fields go by their Rust names; the one field of a tuple variant by the name this module
//!   gives it (`CreateEnum{enum=…}`, `AlterTable{alter=…}`, `Char{length=…}`,
//!   `Decimal{precision=…}`, `N{n=…}`, `String{text=…}`, `Expr{sql=…}`, …: see the impls);
//! - an enum variant without fields: its Rust name alone;
//! - one exception: a default value `DefaultValue::Bool(b)` is `Bool{value=t;}` or
//!   `Bool{value=f;}`, since `false` there is a value, not a field to leave out.
//!
//! A field's default is `None`, `false` or the empty list. Leaving defaults out is what lets v1
//! grow the documented way: a field added to a v1 type with a default that keeps the old
//! meaning leaves the encoding, and so the checksum, of every existing migration unchanged.
//! An `Option`'s `Some(x)` is written as `x`. A migration's checksum is SHA-256 over
//! `migration{up=…;down=…;}` (see [`super::checksum`]).

use crate::schema::{self, Action, Change, CheckRule, ColumnType, DefaultValue, Len, Op, Store};

/// Appends the canonical encoding of a v1 value.
pub(crate) trait Canonical {
    fn encode(&self, out: &mut Vec<u8>);
    /// Whether the value is its field's default, which a record leaves out.
    fn is_default(&self) -> bool {
        false
    }
}

/// The encoding of `value`, as bytes.
pub(crate) fn encode(value: &impl Canonical) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out);
    out
}

impl Canonical for str {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(b's');
        out.extend_from_slice(self.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(self.as_bytes());
    }
}

impl Canonical for &str {
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out)
    }
}

impl Canonical for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(b't');
    }
    fn is_default(&self) -> bool {
        !*self
    }
}

macro_rules! number {
    ($($ty:ty),*) => {$(
        impl Canonical for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                out.push(b'n');
                out.extend_from_slice(self.to_string().as_bytes());
            }
        }
    )*};
}
number!(u32, u64);

impl<T: Canonical> Canonical for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        if let Some(value) = self {
            value.encode(out);
        }
    }
    fn is_default(&self) -> bool {
        self.is_none()
    }
}

impl<T: Canonical> Canonical for [T] {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for item in self {
            item.encode(out);
            out.push(b',');
        }
        out.push(b']');
    }
    fn is_default(&self) -> bool {
        self.is_empty()
    }
}

impl<T: Canonical> Canonical for &[T] {
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out)
    }
    fn is_default(&self) -> bool {
        self.is_empty()
    }
}

impl<A: Canonical, B: Canonical> Canonical for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(b'(');
        self.0.encode(out);
        out.push(b',');
        self.1.encode(out);
        out.push(b',');
        out.push(b')');
    }
}

/// A list of the store's strings, encoded as a list of `str`.
struct Strs<'a, T>(&'a [T]);

impl<T: std::ops::Deref<Target = str>> Canonical for Strs<'_, T> {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for item in self.0 {
            (**item).encode(out);
            out.push(b',');
        }
        out.push(b']');
    }
    fn is_default(&self) -> bool {
        self.0.is_empty()
    }
}

/// Writes `Name{field=value;…}`, leaving out fields at their default.
fn record(out: &mut Vec<u8>, name: &str, fields: &[(&str, &dyn Canonical)]) {
    out.extend_from_slice(name.as_bytes());
    out.push(b'{');
    for (field, value) in fields {
        if value.is_default() {
            continue;
        }
        out.extend_from_slice(field.as_bytes());
        out.push(b'=');
        value.encode(out);
        out.push(b';');
    }
    out.push(b'}');
}

/// `Canonical` for a struct: `canonical_struct!(Type { field, … })`, each field held as the
/// store's string or list marked `str`, `opt` (an optional string) or `list`, so that
/// `Static` and `Owned` data encode alike.
macro_rules! canonical_struct {
    ($ty:ident { $($field:ident $(: $view:ident)?),* $(,)? }) => {
        impl<S: Store> Canonical for schema::$ty<S> {
            fn encode(&self, out: &mut Vec<u8>) {
                record(out, stringify!($ty), &[$((stringify!($field), &canonical_struct!(@ self.$field $(, $view)?))),*]);
            }
        }
    };
    (@ $value:expr) => { $value };
    (@ $value:expr, str) => { &*$value };
    (@ $value:expr, opt) => { $value.as_deref() };
    (@ $value:expr, list) => { &*$value };
    (@ $value:expr, strs) => { Strs(&$value) };
}

canonical_struct!(Table {
    name: str,
    comment: opt,
    columns: list,
    primary_key: strs,
    indexes: list,
    foreign_keys: list,
    checks: list,
});
canonical_struct!(Column {
    name: str,
    ty,
    null,
    default,
    unique,
    auto_increment,
    comment: opt,
    extra: opt,
});
canonical_struct!(Index {
    name: str,
    columns: strs,
    unique
});
canonical_struct!(ForeignKey {
    name: str,
    columns: strs,
    ref_table: str,
    ref_columns: strs,
    on_delete,
    on_update,
});
canonical_struct!(Check {
    name: str,
    column: str,
    rule
});
canonical_struct!(Limit {
    value: str,
    inclusive
});
canonical_struct!(Enum {
    name: str,
    values: strs
});
canonical_struct!(EnumColumn {
    table: str,
    column: str,
    default
});
canonical_struct!(AlterTable {
    table,
    changes: list
});

/// Writes a variant: its name alone without fields, `Name{…}` with them.
fn variant(out: &mut Vec<u8>, name: &str, fields: &[(&str, &dyn Canonical)]) {
    if fields.is_empty() {
        out.extend_from_slice(name.as_bytes());
    } else {
        record(out, name, fields);
    }
}

impl<S: Store> Canonical for Op<S> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Op::CreateEnum(e) => variant(out, "CreateEnum", &[("enum", e)]),
            Op::DropEnum(name) => variant(out, "DropEnum", &[("name", &&**name)]),
            Op::CreateTable(table) => variant(out, "CreateTable", &[("table", table)]),
            Op::DropTable(name) => variant(out, "DropTable", &[("name", &&**name)]),
            Op::RenameTable { from, to } => {
                variant(out, "RenameTable", &[("from", &&**from), ("to", &&**to)])
            }
            Op::AddEnumValue {
                name,
                value,
                before,
            } => variant(
                out,
                "AddEnumValue",
                &[
                    ("name", &&**name),
                    ("value", &&**value),
                    ("before", &before.as_deref()),
                ],
            ),
            Op::AlterTable(alter) => variant(out, "AlterTable", &[("alter", alter)]),
            Op::RecreateEnum {
                name,
                values,
                columns,
            } => variant(
                out,
                "RecreateEnum",
                &[
                    ("name", &&**name),
                    ("values", &Strs(values)),
                    ("columns", &&**columns),
                ],
            ),
        }
    }
}

impl<S: Store> Canonical for Change<S> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Change::AddColumn { column, backfill } => variant(
                out,
                "AddColumn",
                &[("column", column), ("backfill", backfill)],
            ),
            Change::DropColumn(name) => variant(out, "DropColumn", &[("name", &&**name)]),
            Change::RenameColumn { from, to } => {
                variant(out, "RenameColumn", &[("from", &&**from), ("to", &&**to)])
            }
            Change::AlterColumn { from, to, backfill } => variant(
                out,
                "AlterColumn",
                &[("from", from), ("to", to), ("backfill", backfill)],
            ),
            Change::CreateIndex(index) => variant(out, "CreateIndex", &[("index", index)]),
            Change::DropIndex(index) => variant(out, "DropIndex", &[("index", index)]),
            Change::AddForeignKey(key) => variant(out, "AddForeignKey", &[("key", key)]),
            Change::DropForeignKey(name) => variant(out, "DropForeignKey", &[("name", &&**name)]),
            Change::AddCheck(check) => variant(out, "AddCheck", &[("check", check)]),
            Change::DropCheck(name) => variant(out, "DropCheck", &[("name", &&**name)]),
            Change::TableComment(comment) => {
                variant(out, "TableComment", &[("comment", &comment.as_deref())])
            }
            Change::PrimaryKey {
                from,
                to,
                add,
                drop,
            } => variant(
                out,
                "PrimaryKey",
                &[
                    ("from", &Strs(from)),
                    ("to", &Strs(to)),
                    ("add", add),
                    ("drop", &drop.as_deref()),
                ],
            ),
        }
    }
}

impl<S: Store> Canonical for CheckRule<S> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            CheckRule::Length { min, max } => variant(out, "Length", &[("min", min), ("max", max)]),
            CheckRule::Range { min, max } => variant(out, "Range", &[("min", min), ("max", max)]),
            CheckRule::OneOf(values) => variant(out, "OneOf", &[("values", &&**values)]),
            CheckRule::NotNull => variant(out, "NotNull", &[]),
            CheckRule::NoNul => variant(out, "NoNul", &[]),
        }
    }
}

impl<S: Store> Canonical for ColumnType<S> {
    fn encode(&self, out: &mut Vec<u8>) {
        use ColumnType as T;
        let (name, fields): (&str, &[(&str, &dyn Canonical)]) = match self {
            T::Char(length) => ("Char", &[("length", length)]),
            T::String(len) => ("String", &[("len", len)]),
            T::Text => ("Text", &[]),
            T::Blob => ("Blob", &[]),
            T::TinyInteger => ("TinyInteger", &[]),
            T::SmallInteger => ("SmallInteger", &[]),
            T::Integer => ("Integer", &[]),
            T::BigInteger => ("BigInteger", &[]),
            T::TinyUnsigned => ("TinyUnsigned", &[]),
            T::SmallUnsigned => ("SmallUnsigned", &[]),
            T::Unsigned => ("Unsigned", &[]),
            T::BigUnsigned => ("BigUnsigned", &[]),
            T::Float => ("Float", &[]),
            T::Double => ("Double", &[]),
            T::Decimal(precision) => ("Decimal", &[("precision", precision)]),
            T::DateTime => ("DateTime", &[]),
            T::Timestamp => ("Timestamp", &[]),
            T::TimestampWithTimeZone => ("TimestampWithTimeZone", &[]),
            T::Time => ("Time", &[]),
            T::Date => ("Date", &[]),
            T::Year => ("Year", &[]),
            T::Binary(length) => ("Binary", &[("length", length)]),
            T::VarBinary(len) => ("VarBinary", &[("len", len)]),
            T::Bit(length) => ("Bit", &[("length", length)]),
            T::VarBit(length) => ("VarBit", &[("length", length)]),
            T::Boolean => ("Boolean", &[]),
            T::Money(precision) => ("Money", &[("precision", precision)]),
            T::Json => ("Json", &[]),
            T::JsonBinary => ("JsonBinary", &[]),
            T::Uuid => ("Uuid", &[]),
            T::Custom(name) => ("Custom", &[("name", &&**name)]),
            T::Enum { name, variants } => {
                ("Enum", &[("name", &&**name), ("variants", &Strs(variants))])
            }
            T::Vector(length) => ("Vector", &[("length", length)]),
            T::Cidr => ("Cidr", &[]),
            T::Inet => ("Inet", &[]),
            T::MacAddr => ("MacAddr", &[]),
            T::LTree => ("LTree", &[]),
        };
        variant(out, name, fields);
    }
}

impl Canonical for Len {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Len::None => variant(out, "None", &[]),
            Len::N(n) => variant(out, "N", &[("n", n)]),
            Len::Max => variant(out, "Max", &[]),
        }
    }
}

impl<S: Store> Canonical for DefaultValue<S> {
    fn encode(&self, out: &mut Vec<u8>) {
        use DefaultValue as D;
        match self {
            D::Null => variant(out, "Null", &[]),
            // `Bool(false)` is a value, not a default to leave out: written as `f`.
            D::Bool(value) => {
                out.extend_from_slice(b"Bool{value=");
                out.push(if *value { b't' } else { b'f' });
                out.extend_from_slice(b";}");
            }
            D::Number(text) => variant(out, "Number", &[("text", &&**text)]),
            D::String(text) => variant(out, "String", &[("text", &&**text)]),
            D::CurrentTimestamp => variant(out, "CurrentTimestamp", &[]),
            D::CurrentDate => variant(out, "CurrentDate", &[]),
            D::CurrentTime => variant(out, "CurrentTime", &[]),
            D::Expr(sql) => variant(out, "Expr", &[("sql", &&**sql)]),
        }
    }
}

impl Canonical for Action {
    fn encode(&self, out: &mut Vec<u8>) {
        let name = match self {
            Action::Restrict => "Restrict",
            Action::Cascade => "Cascade",
            Action::SetNull => "SetNull",
            Action::NoAction => "NoAction",
            Action::SetDefault => "SetDefault",
        };
        variant(out, name, &[]);
    }
}

/// A migration: `migration{up=[…];down=[…];}`, `down` left out for one that cannot be undone.
pub(crate) struct Migration<'a, S: Store> {
    pub up: &'a [Op<S>],
    pub down: Option<&'a [Op<S>]>,
}

impl<S: Store> Canonical for Migration<'_, S> {
    fn encode(&self, out: &mut Vec<u8>) {
        // `up` is written even when empty: a migration always has one.
        out.extend_from_slice(b"migration{up=");
        self.up.encode(out);
        out.push(b';');
        if let Some(down) = self.down {
            out.extend_from_slice(b"down=");
            down.encode(out);
            out.push(b';');
        }
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::{Canonical, Migration, encode};
    use crate::v1::*;

    fn leak<T>(items: Vec<T>) -> &'static [T] {
        Box::leak(items.into_boxed_slice())
    }

    fn text(value: &impl Canonical) -> String {
        String::from_utf8(encode(value)).unwrap()
    }

    #[test]
    fn a_column_is_written_field_by_field_with_defaults_left_out() {
        assert_eq!(
            text(&column("id", ColumnType::Integer)),
            "Column{name=s2:id;ty=Integer;}"
        );
        assert_eq!(
            text(
                &column("title", ColumnType::String(Len::N(200)))
                    .null()
                    .default(DefaultValue::String("a;b}"))
            ),
            "Column{name=s5:title;ty=String{len=N{n=n200;};};null=t;default=String{text=s4:a;b};};}"
        );
    }

    #[test]
    fn a_migration_without_down_differs_from_one_with_an_empty_down() {
        let up = [Op::DropTable("t")];
        let none = text(&Migration {
            up: &up,
            down: None,
        });
        let empty = text(&Migration {
            up: &up,
            down: Some(&[]),
        });
        assert_eq!(none, "migration{up=[DropTable{name=s1:t;},];}");
        assert_eq!(empty, "migration{up=[DropTable{name=s1:t;},];down=[];}");
    }

    #[test]
    fn every_column_setting_and_type_changes_the_encoding() {
        let base = column("c", ColumnType::Integer);
        let variants = [
            base,
            base.null(),
            base.unique(),
            base.auto_increment(),
            base.default(DefaultValue::Bool(false)),
            base.default(DefaultValue::Bool(true)),
            base.default(DefaultValue::Null),
            base.default(DefaultValue::Number("1")),
            base.default(DefaultValue::String("1")),
            base.default(DefaultValue::Expr("1")),
            base.default(DefaultValue::CurrentTimestamp),
            base.default(DefaultValue::CurrentDate),
            base.default(DefaultValue::CurrentTime),
            base.comment("1"),
            base.extra("1"),
            column("d", ColumnType::Integer),
        ];
        let types = [
            ColumnType::Char(None),
            ColumnType::Char(Some(1)),
            ColumnType::String(Len::None),
            ColumnType::String(Len::N(1)),
            ColumnType::String(Len::Max),
            ColumnType::Text,
            ColumnType::Blob,
            ColumnType::TinyInteger,
            ColumnType::SmallInteger,
            ColumnType::BigInteger,
            ColumnType::TinyUnsigned,
            ColumnType::SmallUnsigned,
            ColumnType::Unsigned,
            ColumnType::BigUnsigned,
            ColumnType::Float,
            ColumnType::Double,
            ColumnType::Decimal(None),
            ColumnType::Decimal(Some((10, 2))),
            ColumnType::Decimal(Some((102, 0))),
            ColumnType::DateTime,
            ColumnType::Timestamp,
            ColumnType::TimestampWithTimeZone,
            ColumnType::Time,
            ColumnType::Date,
            ColumnType::Year,
            ColumnType::Binary(1),
            ColumnType::VarBinary(Len::N(1)),
            ColumnType::Bit(None),
            ColumnType::VarBit(1),
            ColumnType::Boolean,
            ColumnType::Money(None),
            ColumnType::Json,
            ColumnType::JsonBinary,
            ColumnType::Uuid,
            ColumnType::Custom("x"),
            ColumnType::Enum {
                name: "e",
                variants: &["a"],
            },
            ColumnType::Enum {
                name: "e",
                variants: &["a", "b"],
            },
            ColumnType::Vector(None),
            ColumnType::Cidr,
            ColumnType::Inet,
            ColumnType::MacAddr,
            ColumnType::LTree,
        ];
        let mut seen = std::collections::HashSet::new();
        for value in variants
            .iter()
            .copied()
            .chain(types.iter().map(|&ty| column("c", ty)))
        {
            assert!(seen.insert(text(&value)), "{value:?} encodes like another");
        }
    }

    #[test]
    fn every_table_setting_changes_the_encoding() {
        let base = table("t", leak(vec![column("a", ColumnType::Integer)]));
        let key = foreign_key("fk", &["a"], "u", &["id"]);
        let variants = [
            base,
            base.primary_key(&["a"]),
            base.comment("c"),
            base.indexes(leak(vec![index("i", &["a"])])),
            base.indexes(leak(vec![Index {
                unique: true,
                ..index("i", &["a"])
            }])),
            base.foreign_keys(leak(vec![key])),
            base.foreign_keys(leak(vec![key.on_delete(Action::Cascade)])),
            base.foreign_keys(leak(vec![key.on_update(Action::Cascade)])),
            base.foreign_keys(leak(vec![key.on_delete(Action::SetNull)])),
            base.checks(leak(vec![check("ck", "a", CheckRule::NotNull)])),
            base.checks(leak(vec![check(
                "ck",
                "a",
                CheckRule::Length {
                    min: Some(1),
                    max: None,
                },
            )])),
            base.checks(leak(vec![check(
                "ck",
                "a",
                CheckRule::Length {
                    min: None,
                    max: Some(1),
                },
            )])),
            base.checks(leak(vec![check(
                "ck",
                "a",
                CheckRule::Range {
                    min: Some(Limit::inclusive("1")),
                    max: None,
                },
            )])),
            base.checks(leak(vec![check(
                "ck",
                "a",
                CheckRule::Range {
                    min: Some(Limit::exclusive("1")),
                    max: None,
                },
            )])),
        ];
        let mut seen = std::collections::HashSet::new();
        for value in variants {
            assert!(seen.insert(text(&value)), "{value:?} encodes like another");
        }
    }

    #[test]
    fn strings_holding_structure_characters_cannot_be_confused() {
        // Length prefixes keep `a` + `,b` apart from `a,` + `b`.
        let one: &[&str] = &["a", ",b"];
        let two: &[&str] = &["a,", "b"];
        assert_ne!(text(&one), text(&two));
    }
}
