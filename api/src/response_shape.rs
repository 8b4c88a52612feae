//! Gives responses the shape the GraphQL specification prescribes, where async-graphql 7 does not
//! (its executor collects a selection's fields as they finish, answers an object with no selected
//! field as `null`, and leaves a failed field out):
//! - every object's keys follow the selection order (CollectFields: fragments expanded in place,
//!   `@skip`/`@include` applied), so the order no longer changes from run to run;
//! - an object whose selection comes out empty is `{}`, not `null` (`null` means "does not exist"
//!   to Relay clients): an abstract type (interface or union) whose fragments all miss, or any
//!   object whose selected fields are all skipped by `@skip`/`@include`. For those selections
//!   the extension asks for `__typename` under a private alias, which it removes again; a
//!   selection that surely answers something is left alone (the alias costs a complexity point);
//! - a failed field is `null` in place, and a failed non-null field makes its parent `null`, up to
//!   the nearest nullable field (null propagation).
//!
//! The type facts (field types, possible types) come from the schema's own SDL, read once.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextSubscribe,
};
use async_graphql::parser::types::{
    BaseType, Directive, DocumentOperations, ExecutableDocument, Field, FragmentDefinition,
    OperationType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Positioned, Response, ServerResult, Value, Variables};
use futures_util::stream::{BoxStream, StreamExt};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// The alias under which the concrete type of an abstract-typed object is asked for.
const TYPENAME: &str = "pv__concreteType";

/// What the reshaping needs to know about the schema.
pub struct Shape {
    /// Each object or interface type's fields, with their types.
    fields: HashMap<String, HashMap<String, Type>>,
    /// Each interface or union, with the object types it may be.
    possible: HashMap<String, HashSet<String>>,
    roots: [String; 3],
}

impl Shape {
    /// Reads the type facts from an SDL (the schema's own `schema::sdl()`).
    pub fn from_sdl(sdl: &str) -> Option<Shape> {
        // async-graphql's parser does not know schema descriptions: parse from the first type on.
        let document = async_graphql::parser::parse_schema(strip_schema_description(sdl)).ok()?;
        let mut shape = Shape {
            fields: HashMap::new(),
            possible: HashMap::new(),
            roots: ["Query".into(), "Mutation".into(), "Subscription".into()],
        };
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let s = &schema.node;
                    let name = |n: &Option<Positioned<Name>>, d: &str| {
                        n.as_ref().map_or(d.to_string(), |n| n.node.to_string())
                    };
                    shape.roots = [
                        name(&s.query, "Query"),
                        name(&s.mutation, "Mutation"),
                        name(&s.subscription, "Subscription"),
                    ];
                }
                TypeSystemDefinition::Type(t) => {
                    let t = &t.node;
                    let name = t.name.node.to_string();
                    let (fields, implements) = match &t.kind {
                        TypeKind::Object(o) => (&o.fields, &o.implements),
                        TypeKind::Interface(i) => (&i.fields, &i.implements),
                        TypeKind::Union(u) => {
                            let members = u.members.iter().map(|m| m.node.to_string()).collect();
                            shape.possible.insert(name, members);
                            continue;
                        }
                        _ => continue,
                    };
                    if matches!(t.kind, TypeKind::Object(_)) {
                        for interface in implements {
                            shape
                                .possible
                                .entry(interface.node.to_string())
                                .or_default()
                                .insert(name.clone());
                        }
                    } else {
                        shape.possible.entry(name.clone()).or_default();
                    }
                    let fields = fields
                        .iter()
                        .map(|f| (f.node.name.node.to_string(), f.node.ty.node.clone()))
                        .collect();
                    shape.fields.insert(name, fields);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        Some(shape)
    }

    fn is_abstract(&self, name: &str) -> bool {
        self.possible.contains_key(name)
    }

    fn field_type(&self, parent: &str, field: &str) -> Option<&Type> {
        self.fields.get(parent)?.get(field)
    }

    fn applies(&self, condition: &str, concrete: &str) -> bool {
        condition == concrete
            || self
                .possible
                .get(condition)
                .is_some_and(|types| types.contains(concrete))
    }
}

fn strip_schema_description(sdl: &str) -> String {
    match sdl.find("\nschema {") {
        Some(at) => {
            let before = sdl[..at].trim_end();
            match before
                .strip_suffix("\"\"\"")
                .and_then(|b| b.rfind("\"\"\""))
            {
                Some(start) => format!("{}{}", &sdl[..start], &sdl[at..]),
                None => sdl.to_string(),
            }
        }
        None => sdl.to_string(),
    }
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// The extension that reshapes every response (HTTP, and WebSocket subscription events).
pub struct ResponseShape(pub Arc<Shape>);

impl ExtensionFactory for ResponseShape {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Instance {
            shape: self.0.clone(),
            request: Arc::new(Mutex::new(None)),
        })
    }
}

/// A request's (rewritten) document and its variables, once parsed.
type Parsed = Arc<Mutex<Option<(Arc<ExecutableDocument>, Variables)>>>;

struct Instance {
    shape: Arc<Shape>,
    /// The (rewritten) document and variables of this request, set once parsed.
    request: Parsed,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Instance {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let mut document = next.run(ctx, query, variables).await?;
        ask_concrete_types(&self.shape, &mut document, variables);
        *self.request.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Arc::new(document.clone()), variables.clone()));
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        reshape(
            &self.shape,
            &self.request,
            operation_name,
            &mut response,
            false,
        );
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let shape = self.shape.clone();
        let request = self.request.clone();
        next.run(ctx, stream)
            .map(move |mut response| {
                // Queries and mutations sent over the socket were reshaped by `execute` already.
                reshape(&shape, &request, None, &mut response, true);
                response
            })
            .boxed()
    }
}

/// Adds `pv__concreteType: __typename` to every selection on an abstract type, and to every
/// selection whose fields may all be skipped.
fn ask_concrete_types(shape: &Shape, document: &mut ExecutableDocument, variables: &Variables) {
    let roots = shape.roots.clone();
    // Read while the document's own fragments are being rewritten.
    let fragments = document.fragments.clone();
    let walker = Walker {
        shape,
        fragments: &fragments,
        variables,
    };
    let visit = |set: &mut Positioned<SelectionSet>, ty: &str| walker.walk_set(set, ty, false);
    match &mut document.operations {
        DocumentOperations::Single(op) => {
            let root = root_of(&roots, op.node.ty);
            visit(&mut op.node.selection_set, root);
        }
        DocumentOperations::Multiple(ops) => {
            for op in ops.values_mut() {
                let root = root_of(&roots, op.node.ty);
                visit(&mut op.node.selection_set, root);
            }
        }
    }
    for fragment in document.fragments.values_mut() {
        let on = fragment.node.type_condition.node.on.node.to_string();
        walker.walk_set(&mut fragment.node.selection_set, &on, false);
    }
}

fn root_of(roots: &[String; 3], ty: OperationType) -> &str {
    match ty {
        OperationType::Query => &roots[0],
        OperationType::Mutation => &roots[1],
        OperationType::Subscription => &roots[2],
    }
}

struct Walker<'a> {
    shape: &'a Shape,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    variables: &'a Variables,
}

impl Walker<'_> {
    fn walk_set(&self, set: &mut Positioned<SelectionSet>, parent: &str, inject: bool) {
        for selection in &mut set.node.items {
            match &mut selection.node {
                Selection::Field(field) => {
                    let Some(ty) = self.shape.field_type(parent, field.node.name.node.as_str())
                    else {
                        continue;
                    };
                    if field.node.selection_set.node.items.is_empty() {
                        continue;
                    }
                    let child = named(ty).to_string();
                    let inject = self.shape.is_abstract(&child)
                        || !self.answers_something(
                            &field.node.selection_set.node,
                            &child,
                            &mut HashSet::new(),
                        );
                    self.walk_set(&mut field.node.selection_set, &child, inject);
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent.to_string(), |c| c.node.on.node.to_string());
                    self.walk_set(&mut fragment.node.selection_set, &on, false);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
        if inject {
            let pos = set.pos;
            set.node.items.push(Positioned::new(
                Selection::Field(Positioned::new(
                    Field {
                        alias: Some(Positioned::new(Name::new(TYPENAME), pos)),
                        name: Positioned::new(Name::new("__typename"), pos),
                        arguments: Vec::new(),
                        directives: Vec::new(),
                        selection_set: Positioned::new(SelectionSet::default(), pos),
                    },
                    pos,
                )),
                pos,
            ));
        }
    }

    /// Whether a selection on the object type `concrete` surely collects at least one field, so
    /// the engine answers an object rather than `null` (`@skip`/`@include` are decided by this
    /// request's variables, as the engine will decide them).
    fn answers_something<'d>(
        &'d self,
        set: &'d SelectionSet,
        concrete: &str,
        seen: &mut HashSet<&'d str>,
    ) -> bool {
        for selection in &set.items {
            let answers = match &selection.node {
                Selection::Field(field) => included(&field.node.directives, self.variables),
                Selection::InlineFragment(fragment) => {
                    included(&fragment.node.directives, self.variables)
                        && fragment
                            .node
                            .type_condition
                            .as_ref()
                            .is_none_or(|c| self.shape.applies(c.node.on.node.as_str(), concrete))
                        && self.answers_something(&fragment.node.selection_set.node, concrete, seen)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    // A cycle is refused by validation later; here it only must not loop.
                    included(&spread.node.directives, self.variables)
                        && seen.insert(name)
                        && self.fragments.get(name).is_some_and(|fragment| {
                            let on = fragment.node.type_condition.node.on.node.as_str();
                            self.shape.applies(on, concrete)
                                && self.answers_something(
                                    &fragment.node.selection_set.node,
                                    concrete,
                                    seen,
                                )
                        })
                }
            };
            if answers {
                return true;
            }
        }
        false
    }
}

fn reshape(
    shape: &Shape,
    request: &Parsed,
    operation_name: Option<&str>,
    response: &mut Response,
    subscriptions_only: bool,
) {
    let Some((document, variables)) = request.lock().unwrap_or_else(|e| e.into_inner()).clone()
    else {
        return;
    };
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return,
        },
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => match ops.values().next() {
            Some(op) => op,
            None => return,
        },
        _ => return,
    };
    if subscriptions_only && operation.node.ty != OperationType::Subscription {
        return;
    }
    // The engine answers `null` when no root field came back (all failed, or all skipped); that is
    // an empty object to reshape, unless nothing ran at all (errors without a path).
    let not_run = !response.errors.is_empty() && response.errors.iter().all(|e| e.path.is_empty());
    match response.data {
        Value::Object(_) => {}
        Value::Null if !not_run => response.data = Value::Object(Default::default()),
        _ => return,
    }
    let reshaper = Reshaper {
        shape,
        document: &document,
        variables: &variables,
    };
    let root = root_of(&shape.roots, operation.node.ty);
    let data = std::mem::take(&mut response.data);
    response.data = reshaper
        .object(data, root, &[&operation.node.selection_set.node])
        .unwrap_or(Value::Null);
}

struct Reshaper<'a> {
    shape: &'a Shape,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
}

impl<'a> Reshaper<'a> {
    /// The object reshaped, or `None` when a non-null field of it failed (it must become null).
    fn object(&self, value: Value, ty: &str, sets: &[&'a SelectionSet]) -> Option<Value> {
        let Value::Object(mut map) = value else {
            return Some(value);
        };
        let concrete = match map.get(TYPENAME) {
            Some(Value::String(name)) => name.clone(),
            _ => ty.to_string(),
        };
        let mut collected: Vec<(&'a str, Vec<&'a Field>)> = Vec::new();
        for set in sets {
            self.collect(set, &concrete, &mut collected, &mut HashSet::new());
        }
        let mut out = async_graphql::indexmap::IndexMap::with_capacity(collected.len());
        for (key, fields) in collected {
            if key == TYPENAME {
                continue;
            }
            let name = fields[0].name.node.as_str();
            let field_type = self.shape.field_type(&concrete, name);
            let non_null = field_type.is_some_and(|t| !t.nullable);
            let value = match map.shift_remove(key) {
                None => None,
                Some(value) => match field_type {
                    Some(t) if !fields[0].selection_set.node.items.is_empty() => {
                        let sets: Vec<&SelectionSet> =
                            fields.iter().map(|f| &f.selection_set.node).collect();
                        self.value(value, t, &sets)
                    }
                    _ => Some(value),
                },
            };
            match value {
                Some(value) => {
                    out.insert(Name::new(key), value);
                }
                None if non_null => return None,
                None => {
                    out.insert(Name::new(key), Value::Null);
                }
            }
        }
        // Anything the collection did not foresee stays, at the end, rather than being lost.
        for (key, value) in map {
            if key.as_str() != TYPENAME {
                out.insert(key, value);
            }
        }
        Some(Value::Object(out))
    }

    fn value(&self, value: Value, ty: &Type, sets: &[&'a SelectionSet]) -> Option<Value> {
        match (&ty.base, value) {
            (_, Value::Null) => Some(Value::Null),
            (BaseType::List(inner), Value::List(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match self.value(item, inner, sets) {
                        Some(v) => out.push(v),
                        None if !inner.nullable => return None,
                        None => out.push(Value::Null),
                    }
                }
                Some(Value::List(out))
            }
            (BaseType::Named(name), value @ Value::Object(_)) => self.object(value, name, sets),
            (_, value) => Some(value),
        }
    }

    fn collect(
        &self,
        set: &'a SelectionSet,
        concrete: &str,
        out: &mut Vec<(&'a str, Vec<&'a Field>)>,
        seen: &mut HashSet<&'a str>,
    ) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    if !included(&field.node.directives, self.variables) {
                        continue;
                    }
                    let key = field.node.response_key().node.as_str();
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, fields)) => fields.push(&field.node),
                        None => out.push((key, vec![&field.node])),
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let applies = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.shape.applies(c.node.on.node.as_str(), concrete));
                    if applies && included(&fragment.node.directives, self.variables) {
                        self.collect(&fragment.node.selection_set.node, concrete, out, seen);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if !included(&spread.node.directives, self.variables) || !seen.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name) {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        if self.shape.applies(on, concrete) {
                            self.collect(&fragment.node.selection_set.node, concrete, out, seen);
                        }
                    }
                }
            }
        }
    }
}

/// Whether `@skip`/`@include` let a selection through, with this request's variables.
fn included(directives: &[Positioned<Directive>], variables: &Variables) -> bool {
    directives.iter().all(|d| {
        let condition = d.node.get_argument("if").map(|v| {
            v.node
                .clone()
                .into_const_with(|name| {
                    Ok::<_, std::convert::Infallible>(
                        variables.get(&name).cloned().unwrap_or_default(),
                    )
                })
                .unwrap_or_default()
        });
        !matches!(
            (d.node.name.node.as_str(), condition),
            ("skip", Some(Value::Boolean(true))) | ("include", Some(Value::Boolean(false)))
        )
    })
}
