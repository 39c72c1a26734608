//! `chatbots_runtime::JsonFields` for every struct progenitor generates in
//! `types`: setting a field by its JSON name, so that the facade can put a
//! shared field into a vendor's typed body without turning the whole body
//! into JSON and back.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// What the generator needs to know about one generated struct.
struct Shape {
    has_default: bool,
}

/// The `JsonFields` impls for the structs of the file's `types` module,
/// to be placed inside it (field types name their neighbours unqualified).
pub(crate) fn impls(file: &syn::File) -> TokenStream {
    let Some(types) = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    }) else {
        return TokenStream::new();
    };
    let structs: Vec<&syn::ItemStruct> = types
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => Some(s),
            _ => None,
        })
        .collect();
    let shapes: BTreeMap<String, Shape> = structs
        .iter()
        .map(|s| {
            let shape = Shape {
                has_default: derives(&s.attrs, "Default"),
            };
            (s.ident.to_string(), shape)
        })
        .collect();
    let impls = structs.iter().map(|s| one_impl(s, &shapes));
    quote!(#(#impls)*)
}

fn one_impl(s: &syn::ItemStruct, shapes: &BTreeMap<String, Shape>) -> TokenStream {
    let name = &s.ident;
    let mut set_arms = Vec::new();
    let mut set_text_arms = Vec::new();
    let mut text_arms = Vec::new();
    for field in &s.fields {
        let Some(ident) = &field.ident else { continue };
        let key = json_name(field);
        let (optional, inner) = match option_inner(&field.ty) {
            Some(inner) => (true, inner),
            None => (false, &field.ty),
        };
        let previous = if optional {
            quote!(if self.#ident.is_some() {
                chatbots_runtime::Previous::Set
            } else {
                chatbots_runtime::Previous::Unset
            })
        } else {
            quote!(chatbots_runtime::Previous::Set)
        };
        set_arms.push(quote! {
            [#key] => {
                let previous = #previous;
                self.#ident = serde_json::from_value(value)
                    .map_err(chatbots_runtime::FieldError::Decode)?;
                Ok(previous)
            }
        });
        let read_text = if is_named(inner, "String") {
            quote!(text.to_owned())
        } else {
            quote!(<#inner as serde::Deserialize>::deserialize(
                serde::de::value::BorrowedStrDeserializer::<serde::de::value::Error>::new(text),
            )
            .map_err(|e| {
                chatbots_runtime::FieldError::Decode(<serde_json::Error as serde::de::Error>::custom(e))
            })?)
        };
        let assign_text = if optional {
            quote!(self.#ident = Some(#read_text);)
        } else {
            quote!(self.#ident = #read_text;)
        };
        set_text_arms.push(quote! {
            [#key] => {
                let previous = #previous;
                #assign_text
                Ok(previous)
            }
        });
        if is_named(inner, "String") {
            let text = if optional {
                quote!(self.#ident.as_deref())
            } else {
                quote!(Some(self.#ident.as_str()))
            };
            text_arms.push(quote!([#key] => #text,));
        }
        let nested = last_ident(inner).and_then(|i| shapes.get(&i.to_string()));
        if let Some(shape) = nested {
            let child = format_ident!("child");
            let reach = match (optional, shape.has_default) {
                (false, _) => quote!(Some(&mut self.#ident)),
                (true, true) => quote!(Some(self.#ident.get_or_insert_with(Default::default))),
                (true, false) => quote!(self.#ident.as_mut()),
            };
            set_arms.push(quote! {
                [#key, rest @ ..] => match #reach {
                    Some(#child) => chatbots_runtime::JsonFields::set_field(#child, rest, value),
                    None => Err(chatbots_runtime::FieldError::Unknown),
                }
            });
            set_text_arms.push(quote! {
                [#key, rest @ ..] => match #reach {
                    Some(#child) => chatbots_runtime::JsonFields::set_text(#child, rest, text),
                    None => Err(chatbots_runtime::FieldError::Unknown),
                }
            });
            let read = if optional {
                quote!(self.#ident.as_ref())
            } else {
                quote!(Some(&self.#ident))
            };
            text_arms.push(quote! {
                [#key, rest @ ..] => #read.and_then(|child| chatbots_runtime::JsonFields::field_text(child, rest)),
            });
        }
    }
    let unknown = quote!(Err(chatbots_runtime::FieldError::Unknown));
    let field_text = match_path(&text_arms, quote!(None), quote!(path));
    let set_field = match_path(&set_arms, unknown.clone(), quote!((path, value)));
    let set_text = match_path(&set_text_arms, unknown, quote!((path, text)));
    quote! {
        impl chatbots_runtime::JsonFields for #name {
            fn set_field(
                &mut self,
                path: &[&str],
                value: serde_json::Value,
            ) -> std::result::Result<chatbots_runtime::Previous, chatbots_runtime::FieldError> {
                #set_field
            }

            fn set_text(
                &mut self,
                path: &[&str],
                text: &str,
            ) -> std::result::Result<chatbots_runtime::Previous, chatbots_runtime::FieldError> {
                #set_text
            }

            fn field_text(&self, path: &[&str]) -> Option<&str> {
                #field_text
            }
        }
    }
}

/// `match path { arms.., _ => fallback }`; without arms, the fallback
/// alone (clippy objects to a match with one arm), `unused` marking the
/// parameters as used.
fn match_path(arms: &[TokenStream], fallback: TokenStream, unused: TokenStream) -> TokenStream {
    if arms.is_empty() {
        quote!({
            let _ = #unused;
            #fallback
        })
    } else {
        quote!(match path {
            #(#arms)*
            _ => #fallback,
        })
    }
}

/// The field's name in JSON: its `#[serde(rename = "..")]`, else its
/// identifier.
fn json_name(field: &syn::Field) -> String {
    let mut name = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                name = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                // Skip `key = value` entries we do not need.
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    name.unwrap_or_else(|| {
        field
            .ident
            .as_ref()
            .map(|i| i.to_string().trim_start_matches("r#").to_string())
            .unwrap_or_default()
    })
}

fn derives(attrs: &[syn::Attribute], wanted: &str) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            let mut found = false;
            let _ = a.parse_nested_meta(|meta| {
                found |= meta.path.segments.last().is_some_and(|s| s.ident == wanted);
                Ok(())
            });
            found
        })
}

fn last_ident(ty: &syn::Type) -> Option<&syn::Ident> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| &s.ident),
        _ => None,
    }
}

fn is_named(ty: &syn::Type, name: &str) -> bool {
    last_ident(ty).is_some_and(|i| i == name)
}

/// `T` of an `Option<T>`.
fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}
