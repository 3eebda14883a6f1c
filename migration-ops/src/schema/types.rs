//! The one mapping between SeaORM's column types (sea-query's `ColumnType`) and the
//! vocabulary's, both ways, from one list: reading an entity's column goes through
//! [`ColumnType::from_sea_query`], writing a column's SQL through [`ColumnType::to_sea_query`].

use sea_orm_migration::sea_query::{self, Alias, ForeignKeyAction, StringLen};

use super::{Action, ColumnType, Len, Store};

/// Both directions of the mapping, from one list of the variants that map one to one:
/// `$same` without an argument, `$copied` with one copied as is.
macro_rules! column_type_mapping {
    ($($same:ident),* ; $($copied:ident),*) => {
        impl<S: Store> ColumnType<S> {
            /// The same type as sea-query's `ColumnType`, with no backend-specific mapping.
            pub fn to_sea_query(&self) -> sea_query::ColumnType {
                use sea_query::ColumnType as Q;
                match self {
                    $(ColumnType::$same => Q::$same,)*
                    $(ColumnType::$copied(argument) => Q::$copied(*argument),)*
                    ColumnType::String(len) => Q::String((*len).into()),
                    ColumnType::VarBinary(len) => Q::VarBinary((*len).into()),
                    ColumnType::Custom(name) => Q::custom(name.to_string()),
                    ColumnType::Enum { name, variants } => Q::Enum {
                        name: Alias::new(&**name).into(),
                        variants: variants.iter().map(|v| Alias::new(&**v).into()).collect(),
                    },
                }
            }

            /// The vocabulary's type for sea-query's `ty`; an error naming a type it lacks
            /// (intervals, arrays).
            pub fn from_sea_query(ty: &sea_query::ColumnType) -> Result<Self, String> {
                use sea_query::ColumnType as Q;
                Ok(match ty {
                    $(Q::$same => ColumnType::$same,)*
                    $(Q::$copied(argument) => ColumnType::$copied(*argument),)*
                    Q::String(len) => ColumnType::String(Len::from(len)),
                    Q::VarBinary(len) => ColumnType::VarBinary(Len::from(len)),
                    Q::Custom(name) => ColumnType::Custom(S::str(&name.to_string())),
                    Q::Enum { name, variants } => ColumnType::Enum {
                        name: S::str(&name.to_string()),
                        variants: S::list(
                            variants.iter().map(|v| S::str(&v.to_string())).collect(),
                        ),
                    },
                    other => return Err(format!("column type {other:?} is not supported yet")),
                })
            }
        }
    };
}

column_type_mapping!(
    Text, Blob, TinyInteger, SmallInteger, Integer, BigInteger, TinyUnsigned, SmallUnsigned,
    Unsigned, BigUnsigned, Float, Double, DateTime, Timestamp, TimestampWithTimeZone, Time, Date,
    Year, Boolean, Json, JsonBinary, Uuid, Cidr, Inet, MacAddr, LTree;
    Char, Decimal, Binary, Bit, VarBit, Money, Vector
);

/// Both directions of the referential actions, from one list.
macro_rules! action_mapping {
    ($($variant:ident),*) => {
        impl From<Action> for ForeignKeyAction {
            fn from(action: Action) -> Self {
                match action {
                    $(Action::$variant => ForeignKeyAction::$variant,)*
                }
            }
        }

        impl Action {
            /// The vocabulary's action for sea-query's; an error for one it lacks.
            pub fn from_sea_query(action: ForeignKeyAction) -> Result<Self, String> {
                Ok(match action {
                    $(ForeignKeyAction::$variant => Action::$variant,)*
                    other => return Err(format!("referential action {other:?} is not supported yet")),
                })
            }
        }
    };
}

action_mapping!(Restrict, Cascade, SetNull, NoAction, SetDefault);

impl From<Len> for StringLen {
    fn from(len: Len) -> Self {
        match len {
            Len::None => StringLen::None,
            Len::N(n) => StringLen::N(n),
            Len::Max => StringLen::Max,
        }
    }
}

impl From<&StringLen> for Len {
    fn from(len: &StringLen) -> Self {
        match len {
            StringLen::None => Len::None,
            StringLen::N(n) => Len::N(*n),
            StringLen::Max => Len::Max,
        }
    }
}
