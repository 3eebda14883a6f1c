//! `#[derive(DatabaseRules)]`: reads the `validator` crate's field attributes on a SeaORM model
//! and implements `entity_rules::DeclaredRules`, so that the migration generator sees the very
//! rules the application validates with, as data, and can turn them into CHECK constraints.
//!
//! It understands `length(min, max, equal)`, `range(min, max, exclusive_min, exclusive_max)` and
//! `required`; every other validator rule is recorded by name as application-only. It also asks
//! every field's type whether it is a `DeriveActiveEnum` (its values become the allowed ones).
//! Parameters are kept as the expressions written, so constants work as in `validator`.

use heck::ToUpperCamelCase;
use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{
    Data, DeriveInput, Expr, Fields, GenericArgument, LitStr, PathArguments, Type,
    parse_macro_input, spanned::Spanned,
};

/// Implements `entity_rules::DeclaredRules` for a SeaORM `Model` from its `#[validate(…)]`
/// field attributes and its fields' types. Put it next to `Validate` in the derive list.
#[proc_macro_derive(DatabaseRules)]
pub fn derive_database_rules(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "DatabaseRules applies to a SeaORM model struct",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new(
            input.span(),
            "DatabaseRules needs named fields",
        ));
    };
    let mut entries = Vec::new();
    for field in &fields.named {
        let ident = field.ident.as_ref().expect("named field");
        let name = ident.to_string().trim_start_matches("r#").to_owned();
        let Some(variant) = column_variant(field, &name)? else {
            continue;
        };
        let rules = field
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("validate"))
            .map(read_validate)
            .collect::<syn::Result<Vec<_>>>()?
            .into_iter()
            .flatten();
        let column = match variant {
            Some(variant) => {
                quote!(::core::option::Option::Some(::entity_rules::column_name(Column::#variant)))
            }
            None => quote!(::core::option::Option::None),
        };
        let probed = unwrap_option(&field.ty);
        entries.push(quote! {
            ::entity_rules::FieldRules {
                field: #name,
                column: #column,
                allowed_values: {
                    #[allow(unused_imports)]
                    use ::entity_rules::probe::{ActiveEnumValues as _, NoValues as _};
                    (&&::entity_rules::probe::Probe::<#probed>::new()).allowed_values()
                },
                rules: ::std::vec![#(#rules),*],
            }
        });
    }
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::entity_rules::DeclaredRules for #name #type_generics #where_clause {
            fn declared_rules() -> ::std::vec::Vec<::entity_rules::FieldRules> {
                ::std::vec![#(#entries),*]
            }
        }
    })
}

/// The `Column` variant SeaORM derives for `field` (`Some(None)` when it has none: ignored);
/// `None` for relation fields of the dense format, which are not columns and carry no rules.
fn column_variant(field: &syn::Field, name: &str) -> syn::Result<Option<Option<syn::Ident>>> {
    let mut variant = name.to_upper_camel_case();
    let mut ignored = false;
    let mut relation = false;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("sea_orm")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("enum_name") {
                variant = meta.value()?.parse::<LitStr>()?.value();
            } else if meta.path.is_ident("ignore") {
                ignored = true;
            } else if [
                "has_one",
                "has_many",
                "belongs_to",
                "self_ref",
                "has_many_via",
            ]
            .iter()
            .any(|key| meta.path.is_ident(key))
            {
                relation = true;
            }
            skip_meta_value(&meta)
        })?;
    }
    Ok(match (relation, ignored) {
        (true, _) => None,
        (false, true) => Some(None),
        (false, false) => Some(Some(syn::Ident::new(&variant, field.span()))),
    })
}

/// Consumes whatever follows a meta item's path (`= value` or `(…)`), which this derive ignores.
fn skip_meta_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<Tokens>()?;
    }
    Ok(())
}

/// Whether this `custom(…)` rule is `function = …::name` called plainly (no `use_context`);
/// consumes the rule's arguments when it is, and none when it is not.
fn custom_function_is(meta: &syn::meta::ParseNestedMeta, name: &str) -> syn::Result<bool> {
    let fork = meta.input.fork();
    let content;
    syn::parenthesized!(content in fork);
    let items =
        content.parse_terminated(<syn::Meta as syn::parse::Parse>::parse, syn::Token![,])?;
    let mut named = false;
    for item in &items {
        match item {
            syn::Meta::NameValue(pair) if pair.path.is_ident("function") => {
                let last = match &pair.value {
                    Expr::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }) => text.value().rsplit("::").next().map(str::to_owned),
                    _ => None,
                };
                named = last.as_deref() == Some(name);
            }
            // `use_context` changes how the function is called: not the plain rule.
            other if other.path().is_ident("use_context") => return Ok(false),
            _ => {}
        }
    }
    if named {
        skip_meta_value(meta)?;
    }
    Ok(named)
}

/// `T` for `Option<T>`, else the type itself: a rule on an optional field applies when set.
fn unwrap_option(ty: &Type) -> &Type {
    if let Type::Path(path) = ty
        && let Some(last) = path.path.segments.last()
        && last.ident == "Option"
        && let PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(GenericArgument::Type(inner)) = args.args.first()
    {
        return inner;
    }
    ty
}

/// The rules of one `#[validate(…)]` attribute, as `entity_rules::Rule` expressions.
fn read_validate(attr: &syn::Attribute) -> syn::Result<Vec<Tokens>> {
    let mut rules = Vec::new();
    attr.parse_nested_meta(|meta| {
        let Some(rule) = meta.path.get_ident().map(ToString::to_string) else {
            return Err(meta.error("expected a validator rule name"));
        };
        match rule.as_str() {
            "length" | "range" => {
                let keys: &[&str] = if rule == "length" {
                    &["min", "max", "equal"]
                } else {
                    &["min", "max", "exclusive_min", "exclusive_max"]
                };
                let mut values: Vec<Option<Expr>> = vec![None; keys.len()];
                meta.parse_nested_meta(|inner| {
                    match keys.iter().position(|key| inner.path.is_ident(key)) {
                        Some(at) => values[at] = Some(inner.value()?.parse()?),
                        // `message`, `code`: for the application's error, not the database.
                        None => skip_meta_value(&inner)?,
                    }
                    Ok(())
                })?;
                let values = values.iter().map(|value| match value {
                    Some(expr) => {
                        quote!(::core::option::Option::Some(::entity_rules::bound(#expr)))
                    }
                    None => quote!(::core::option::Option::None),
                });
                let fields = keys
                    .iter()
                    .map(|key| syn::Ident::new(key, meta.path.span()));
                rules.push(if rule == "length" {
                    quote!(::entity_rules::Rule::Length { #(#fields: #values),* })
                } else {
                    quote!(::entity_rules::Rule::Range { #(#fields: #values),* })
                });
            }
            "required" => {
                skip_meta_value(&meta)?;
                rules.push(quote!(::entity_rules::Rule::Required));
            }
            "custom" if custom_function_is(&meta, "no_nul")? => {
                rules.push(quote!(::entity_rules::Rule::NoNul));
            }
            other => {
                skip_meta_value(&meta)?;
                rules.push(quote!(::entity_rules::Rule::ApplicationOnly(#other)));
            }
        }
        Ok(())
    })?;
    Ok(rules)
}
