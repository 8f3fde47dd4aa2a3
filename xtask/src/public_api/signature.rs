//! Signatures and types as Rust text, for the listing (`render.rs`):
//! functions, generics, bounds, paths and every kind of type rustdoc JSON
//! describes.

use std::collections::HashMap;

use rustdoc_types::{
    GenericArg, GenericArgs, GenericBound, GenericParamDef, GenericParamDefKind, Generics, Id,
    Path, Term, Type, WherePredicate,
};

/// How types are named in signatures: the crate's own items by their
/// public path (the shortest), others as the source wrote them.
pub(super) struct Names {
    pub(super) public: HashMap<Id, String>,
}

pub(super) fn function(k: &Names, path: &str, f: &rustdoc_types::Function) -> String {
    let mut qualifiers = String::new();
    for (on, word) in [
        (f.header.is_const, "const "),
        (f.header.is_async, "async "),
        (f.header.is_unsafe, "unsafe "),
    ] {
        if on {
            qualifiers.push_str(word);
        }
    }
    let inputs: Vec<String> = f
        .sig
        .inputs
        .iter()
        .map(|(name, t)| match (name.as_str(), t) {
            ("self", Type::Generic(s)) if s == "Self" => "self".to_owned(),
            (
                "self",
                Type::BorrowedRef {
                    is_mutable, type_, ..
                },
            ) if matches!(type_.as_ref(), Type::Generic(s) if s == "Self") => {
                if *is_mutable { "&mut self" } else { "&self" }.to_owned()
            }
            _ => format!("{name}: {}", ty(k, t)),
        })
        .collect();
    let output = f
        .sig
        .output
        .as_ref()
        .map_or_else(String::new, |t| format!(" -> {}", ty(k, t)));
    format!(
        "pub {qualifiers}fn {path}{}({}){output}{}",
        params(k, &f.generics.params),
        inputs.join(", "),
        where_clause(k, &f.generics)
    )
}

/// `<'a, T: Bound>`, without the `impl Trait` arguments' synthetic ones.
pub(super) fn params(k: &Names, params: &[GenericParamDef]) -> String {
    let shown: Vec<String> = params
        .iter()
        .filter_map(|p| match &p.kind {
            GenericParamDefKind::Lifetime { outlives } if outlives.is_empty() => {
                Some(p.name.clone())
            }
            GenericParamDefKind::Lifetime { outlives } => {
                Some(format!("{}: {}", p.name, outlives.join(" + ")))
            }
            GenericParamDefKind::Type {
                is_synthetic: true, ..
            } => None,
            GenericParamDefKind::Type {
                bounds: b, default, ..
            } => {
                let mut text = p.name.clone();
                if !b.is_empty() {
                    text.push_str(&format!(": {}", bounds(k, b)));
                }
                if let Some(default) = default {
                    text.push_str(&format!(" = {}", ty(k, default)));
                }
                Some(text)
            }
            GenericParamDefKind::Const { type_, .. } => {
                Some(format!("const {}: {}", p.name, ty(k, type_)))
            }
        })
        .collect();
    if shown.is_empty() {
        String::new()
    } else {
        format!("<{}>", shown.join(", "))
    }
}

pub(super) fn where_clause(k: &Names, generics: &Generics) -> String {
    let predicates: Vec<String> = generics
        .where_predicates
        .iter()
        .map(|p| match p {
            WherePredicate::BoundPredicate {
                type_, bounds: b, ..
            } => {
                format!("{}: {}", ty(k, type_), bounds(k, b))
            }
            WherePredicate::LifetimePredicate { lifetime, outlives } => {
                format!("{lifetime}: {}", outlives.join(" + "))
            }
            WherePredicate::EqPredicate { lhs, rhs } => {
                format!("{} = {}", ty(k, lhs), term(k, rhs))
            }
        })
        .collect();
    if predicates.is_empty() {
        String::new()
    } else {
        format!(" where {}", predicates.join(", "))
    }
}

pub(super) fn bounds(k: &Names, bounds: &[GenericBound]) -> String {
    let texts: Vec<String> = bounds
        .iter()
        .map(|b| match b {
            GenericBound::TraitBound {
                trait_, modifier, ..
            } => {
                let maybe = match modifier {
                    rustdoc_types::TraitBoundModifier::Maybe => "?",
                    _ => "",
                };
                format!("{maybe}{}", path_text(k, trait_))
            }
            GenericBound::Outlives(lifetime) => lifetime.clone(),
            GenericBound::Use(args) => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| match a {
                        rustdoc_types::PreciseCapturingArg::Lifetime(l)
                        | rustdoc_types::PreciseCapturingArg::Param(l) => l.clone(),
                    })
                    .collect();
                format!("use<{}>", args.join(", "))
            }
        })
        .collect();
    texts.join(" + ")
}

/// A path: an item of the crate by its public path (`np6_client::Error`,
/// whatever the source wrote: `crate::Error`), another as written.
pub(super) fn path_text(k: &Names, path: &Path) -> String {
    let args = path
        .args
        .as_deref()
        .map_or_else(String::new, |a| generic_args(k, a));
    let name = k.public.get(&path.id).map_or_else(
        || path.path.trim_start_matches("::").to_owned(),
        Clone::clone,
    );
    format!("{name}{args}")
}

pub(super) fn generic_args(k: &Names, args: &GenericArgs) -> String {
    match args {
        GenericArgs::AngleBracketed { args, constraints } => {
            let mut texts: Vec<String> = args
                .iter()
                .map(|a| match a {
                    GenericArg::Lifetime(l) => l.clone(),
                    GenericArg::Type(t) => ty(k, t),
                    GenericArg::Const(c) => c.expr.clone(),
                    GenericArg::Infer => "_".to_owned(),
                })
                .collect();
            for c in constraints {
                texts.push(match &c.binding {
                    rustdoc_types::AssocItemConstraintKind::Equality(t) => {
                        format!("{} = {}", c.name, term(k, t))
                    }
                    rustdoc_types::AssocItemConstraintKind::Constraint(b) => {
                        format!("{}: {}", c.name, bounds(k, b))
                    }
                });
            }
            if texts.is_empty() {
                String::new()
            } else {
                format!("<{}>", texts.join(", "))
            }
        }
        GenericArgs::Parenthesized { inputs, output } => {
            let inputs: Vec<String> = inputs.iter().map(|t| ty(k, t)).collect();
            let output = output
                .as_ref()
                .map_or_else(String::new, |t| format!(" -> {}", ty(k, t)));
            format!("({}){output}", inputs.join(", "))
        }
        GenericArgs::ReturnTypeNotation => "(..)".to_owned(),
    }
}

pub(super) fn term(k: &Names, term: &Term) -> String {
    match term {
        Term::Type(t) => ty(k, t),
        Term::Constant(c) => c.expr.clone(),
    }
}

/// A type as written in Rust.
pub(super) fn ty(k: &Names, t: &Type) -> String {
    match t {
        Type::ResolvedPath(path) => path_text(k, path),
        Type::DynTrait(d) => {
            let traits: Vec<String> = d.traits.iter().map(|p| path_text(k, &p.trait_)).collect();
            let mut text = format!("dyn {}", traits.join(" + "));
            if let Some(lifetime) = &d.lifetime {
                text.push_str(&format!(" + {lifetime}"));
            }
            text
        }
        Type::Generic(name) | Type::Primitive(name) => name.clone(),
        Type::FunctionPointer(f) => {
            let inputs: Vec<String> = f.sig.inputs.iter().map(|(_, t)| ty(k, t)).collect();
            let output = f
                .sig
                .output
                .as_ref()
                .map_or_else(String::new, |t| format!(" -> {}", ty(k, t)));
            format!("fn({}){output}", inputs.join(", "))
        }
        Type::Tuple(types) => {
            let types: Vec<String> = types.iter().map(|t| ty(k, t)).collect();
            format!("({})", types.join(", "))
        }
        Type::Slice(t) => format!("[{}]", ty(k, t)),
        Type::Array { type_, len } => format!("[{}; {len}]", ty(k, type_)),
        Type::Pat { type_, .. } => ty(k, type_),
        Type::ImplTrait(b) => format!("impl {}", bounds(k, b)),
        Type::Infer => "_".to_owned(),
        Type::RawPointer { is_mutable, type_ } => {
            format!(
                "*{} {}",
                if *is_mutable { "mut" } else { "const" },
                ty(k, type_)
            )
        }
        Type::BorrowedRef {
            lifetime,
            is_mutable,
            type_,
        } => {
            let lifetime = lifetime
                .as_ref()
                .map_or_else(String::new, |l| format!("{l} "));
            let mutability = if *is_mutable { "mut " } else { "" };
            format!("&{lifetime}{mutability}{}", ty(k, type_))
        }
        Type::QualifiedPath {
            name,
            args,
            self_type,
            trait_,
        } => {
            let args = args
                .as_deref()
                .map_or_else(String::new, |a| generic_args(k, a));
            match trait_ {
                Some(trait_) => {
                    format!(
                        "<{} as {}>::{name}{args}",
                        ty(k, self_type),
                        path_text(k, trait_)
                    )
                }
                None => format!("{}::{name}{args}", ty(k, self_type)),
            }
        }
    }
}
