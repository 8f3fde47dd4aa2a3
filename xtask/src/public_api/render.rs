//! A crate's public API as sorted lines of text, from its rustdoc JSON
//! (`rustdoc_types::Crate`): one line per public item reachable from the
//! crate root under each path a consumer can name it by (modules,
//! re-exports), with its signature. Fields, variants, inherent methods and
//! trait impls are listed under their type; blanket impls (`From<T>`,
//! `Into<U>`... that every type gets) are left out.

use std::collections::{BTreeSet, HashMap, HashSet};

use rustdoc_types::{
    Attribute, Crate, Id, Item, ItemEnum, StructKind, Type, VariantKind, Visibility,
};

use super::signature::{
    Names, bounds, function, generic_args, params, path_text, ty, where_clause,
};

/// Every public item of `krate`, one line each, sorted.
pub fn lines(krate: &Crate) -> Vec<String> {
    // Twice: the first walk finds the public path of every item, by which
    // the second names the types in signatures.
    let first = walk(krate, HashMap::new());
    let second = walk(krate, first.names.public);
    second.lines.into_iter().collect()
}

fn walk(krate: &Crate, public: HashMap<Id, String>) -> Walk<'_> {
    let mut walk = Walk {
        krate,
        names: Names { public },
        lines: BTreeSet::new(),
        modules: HashSet::new(),
    };
    if let Some(root) = krate.index.get(&krate.root) {
        let name = root.name.clone().unwrap_or_default();
        walk.item(root, &name);
    }
    walk
}

fn get<'a>(krate: &'a Crate, id: &Id) -> Option<&'a Item> {
    krate.index.get(id)
}

struct Walk<'a> {
    krate: &'a Crate,
    names: Names,
    lines: BTreeSet<String>,
    /// Modules entered, by id and path: a re-export cycle ends here.
    modules: HashSet<(u32, String)>,
}

impl<'a> Walk<'a> {
    fn push(&mut self, item: &Item, line: String) {
        let non_exhaustive = item
            .attrs
            .iter()
            .any(|a| matches!(a, Attribute::NonExhaustive));
        self.lines.insert(if non_exhaustive {
            format!("#[non_exhaustive] {line}")
        } else {
            line
        });
    }

    /// Lists `item`, reachable as `path`.
    fn item(&mut self, item: &Item, path: &str) {
        let krate = self.krate;
        let known = self
            .names
            .public
            .entry(item.id)
            .or_insert_with(|| path.to_owned());
        let shorter =
            (path.matches("::").count(), path) < (known.matches("::").count(), known.as_str());
        if shorter {
            *known = path.to_owned();
        }
        match &item.inner {
            ItemEnum::Module(module) => {
                if !self.modules.insert((item.id.0, path.to_owned())) {
                    return;
                }
                self.push(item, format!("pub mod {path}"));
                for id in &module.items {
                    self.member(id, path);
                }
            }
            ItemEnum::Struct(s) => {
                let generics = params(&self.names, &s.generics.params);
                self.push(item, format!("pub struct {path}{generics}"));
                match &s.kind {
                    StructKind::Unit => {}
                    StructKind::Tuple(fields) => {
                        for (i, id) in fields.iter().enumerate() {
                            if let Some(field) = id.as_ref().and_then(|id| get(krate, id)) {
                                self.field(field, &format!("{path}::{i}"));
                            }
                        }
                    }
                    StructKind::Plain { fields, .. } => {
                        for field in fields.iter().filter_map(|id| get(krate, id)) {
                            let name = field.name.clone().unwrap_or_default();
                            self.field(field, &format!("{path}::{name}"));
                        }
                    }
                }
                self.impls(&s.impls, path);
            }
            ItemEnum::Enum(e) => {
                let generics = params(&self.names, &e.generics.params);
                self.push(item, format!("pub enum {path}{generics}"));
                for variant in e.variants.iter().filter_map(|id| get(krate, id)) {
                    let name = variant.name.clone().unwrap_or_default();
                    self.variant(variant, &format!("{path}::{name}"));
                }
                self.impls(&e.impls, path);
            }
            ItemEnum::Union(u) => {
                self.push(
                    item,
                    format!(
                        "pub union {path}{}",
                        params(&self.names, &u.generics.params)
                    ),
                );
                self.impls(&u.impls, path);
            }
            ItemEnum::Function(f) => {
                let line = function(&self.names, path, f);
                self.push(item, line);
            }
            ItemEnum::Trait(t) => {
                let unsafety = if t.is_unsafe { "unsafe " } else { "" };
                let mut line = format!(
                    "pub {unsafety}trait {path}{}",
                    params(&self.names, &t.generics.params)
                );
                if !t.bounds.is_empty() {
                    line.push_str(&format!(": {}", bounds(&self.names, &t.bounds)));
                }
                self.push(item, line);
                for member in t.items.iter().filter_map(|id| get(krate, id)) {
                    let name = member.name.clone().unwrap_or_default();
                    self.assoc(member, &format!("{path}::{name}"));
                }
            }
            ItemEnum::TypeAlias(t) => {
                let line = format!(
                    "pub type {path}{} = {}",
                    params(&self.names, &t.generics.params),
                    ty(&self.names, &t.type_)
                );
                self.push(item, line);
            }
            ItemEnum::Constant { type_, .. } => {
                self.push(
                    item,
                    format!("pub const {path}: {}", ty(&self.names, type_)),
                );
            }
            ItemEnum::Static(s) => {
                let mutability = if s.is_mutable { "mut " } else { "" };
                self.push(
                    item,
                    format!(
                        "pub static {mutability}{path}: {}",
                        ty(&self.names, &s.type_)
                    ),
                );
            }
            ItemEnum::Macro(_) | ItemEnum::ProcMacro(_) => {
                self.push(item, format!("macro {path}!"));
            }
            ItemEnum::TraitAlias(_) => self.push(item, format!("pub trait {path} = ..")),
            ItemEnum::ExternType => self.push(item, format!("pub type {path}")),
            _ => {}
        }
    }

    /// A member of a module at `path`: a public item, or a re-export.
    fn member(&mut self, id: &Id, path: &str) {
        let krate = self.krate;
        let Some(item) = get(krate, id) else { return };
        if !matches!(item.visibility, Visibility::Public) {
            return;
        }
        if let ItemEnum::Use(import) = &item.inner {
            let target = import.id.as_ref().and_then(|id| get(krate, id));
            match (target, import.is_glob) {
                (Some(target), true) => {
                    if let ItemEnum::Module(module) = &target.inner {
                        for id in &module.items {
                            self.member(id, path);
                        }
                    }
                }
                (Some(target), false) => {
                    self.item(target, &format!("{path}::{}", import.name));
                }
                (None, _) => {
                    let glob = if import.is_glob { "::*" } else { "" };
                    self.lines.insert(format!(
                        "pub use {path}::{} = {}{glob}",
                        import.name, import.source
                    ));
                }
            }
            return;
        }
        let name = item.name.clone().unwrap_or_default();
        self.item(item, &format!("{path}::{name}"));
    }

    fn field(&mut self, field: &Item, path: &str) {
        if let (Visibility::Public, ItemEnum::StructField(t)) = (&field.visibility, &field.inner) {
            self.push(field, format!("pub {path}: {}", ty(&self.names, t)));
        }
    }

    fn variant(&mut self, variant: &Item, path: &str) {
        let krate = self.krate;
        let ItemEnum::Variant(v) = &variant.inner else {
            return;
        };
        let shape = match &v.kind {
            VariantKind::Plain => String::new(),
            VariantKind::Tuple(fields) => {
                let types: Vec<String> = fields
                    .iter()
                    .map(|id| match id.as_ref().and_then(|id| get(krate, id)) {
                        Some(Item {
                            inner: ItemEnum::StructField(t),
                            ..
                        }) => ty(&self.names, t),
                        _ => "_".to_owned(),
                    })
                    .collect();
                format!("({})", types.join(", "))
            }
            VariantKind::Struct { fields, .. } => {
                for field in fields.iter().filter_map(|id| get(krate, id)) {
                    if let ItemEnum::StructField(t) = &field.inner {
                        let name = field.name.clone().unwrap_or_default();
                        self.push(field, format!("pub {path}::{name}: {}", ty(&self.names, t)));
                    }
                }
                " { .. }".to_owned()
            }
        };
        self.push(variant, format!("pub {path}{shape}"));
    }

    /// The impls of the type at `path`: inherent items one by one, trait
    /// impls as one line each; blanket impls left out.
    fn impls(&mut self, ids: &[Id], path: &str) {
        let krate = self.krate;
        for item in ids.iter().filter_map(|id| get(krate, id)) {
            let ItemEnum::Impl(imp) = &item.inner else {
                continue;
            };
            if imp.blanket_impl.is_some() {
                continue;
            }
            match &imp.trait_ {
                Some(trait_) => {
                    let negative = if imp.is_negative { "!" } else { "" };
                    let generics = params(&self.names, &imp.generics.params);
                    // The type by the path it was reached by, with its
                    // arguments: `Bounce` alone could be any `Bounce`.
                    let for_ = match &imp.for_ {
                        Type::ResolvedPath(p) => {
                            let args = p
                                .args
                                .as_deref()
                                .map_or_else(String::new, |a| generic_args(&self.names, a));
                            format!("{path}{args}")
                        }
                        other => ty(&self.names, other),
                    };
                    self.lines.insert(format!(
                        "impl{generics} {negative}{} for {for_}{}",
                        path_text(&self.names, trait_),
                        where_clause(&self.names, &imp.generics)
                    ));
                }
                None => {
                    for member in imp.items.iter().filter_map(|id| get(krate, id)) {
                        if matches!(member.visibility, Visibility::Public) {
                            let name = member.name.clone().unwrap_or_default();
                            self.assoc(member, &format!("{path}::{name}"));
                        }
                    }
                }
            }
        }
    }

    /// An associated item (of an impl or a trait).
    fn assoc(&mut self, member: &Item, path: &str) {
        let line = match &member.inner {
            ItemEnum::Function(f) => function(&self.names, path, f),
            ItemEnum::AssocConst { type_, .. } => {
                format!("pub const {path}: {}", ty(&self.names, type_))
            }
            ItemEnum::AssocType {
                type_, bounds: b, ..
            } => match type_ {
                Some(t) => format!("pub type {path} = {}", ty(&self.names, t)),
                None if b.is_empty() => format!("pub type {path}"),
                None => format!("pub type {path}: {}", bounds(&self.names, b)),
            },
            _ => return,
        };
        self.push(member, line);
    }
}
