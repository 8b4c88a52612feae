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
//!   the nearest nullable field (null propagation);
//! - `__schema { description }` is the schema's own description.
//!
//! The type facts (field types, possible types) come from the schema's own SDL, read once.

use async_graphql::parser::types::{
    BaseType, Directive, DocumentOperations, ExecutableDocument, Field, FragmentDefinition,
    OperationType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Positioned, Response, Value, Variables};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// The alias under which the concrete type of an abstract-typed object is asked for.
const TYPENAME: &str = "pv__concreteType";

/// What the reshaping needs to know about the schema.
pub struct Shape {
    /// Each object or interface type's fields, with their types.
    fields: HashMap<String, HashMap<String, Type>>,
    /// Each interface or union, with the object types it may be.
    possible: HashMap<String, HashSet<String>>,
    roots: [String; 3],
    /// The schema's description, which introspection answers with.
    description: String,
}

impl Shape {
    /// Reads the type facts from an SDL (the schema's own `schema::sdl()`) and the schema's
    /// description.
    pub fn from_sdl(sdl: &str, description: &str) -> Option<Shape> {
        // async-graphql's parser does not know schema descriptions: parse from the first type on.
        let document = async_graphql::parser::parse_schema(strip_schema_description(sdl)).ok()?;
        let mut shape = Shape {
            fields: HashMap::new(),
            possible: HashMap::new(),
            roots: ["Query".into(), "Mutation".into(), "Subscription".into()],
            description: description.to_string(),
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

/// A request's document, rewritten for the reshaping, with what its responses are reshaped by.
pub struct Prepared {
    document: ExecutableDocument,
    variables: Variables,
    operation_name: Option<String>,
}

impl Shape {
    /// Rewrites the request's parsed document (see [`ask_concrete_types`]) and keeps a copy to
    /// reshape its responses with. `None` when the document does not parse (the engine reports
    /// that). Each transport calls this right before executing, and [`Prepared::reshape`] on every
    /// response: this is not an engine extension, because any extension puts every field of every
    /// response through the engine's slower, boxed per-field path.
    pub fn prepare(&self, request: &mut async_graphql::Request) -> Option<Prepared> {
        let mut document = request.parsed_query().ok()?.clone();
        ask_concrete_types(self, &mut document, &request.variables);
        request.set_parsed_query(document.clone());
        Some(Prepared {
            document,
            variables: request.variables.clone(),
            operation_name: request.operation_name.clone(),
        })
    }
}

impl Prepared {
    /// Reshapes one response of the prepared request (a query's or mutation's only response, or
    /// each event of a subscription). Responses of a request that never ran are left alone.
    pub fn reshape(&self, shape: &Shape, response: &mut Response) {
        reshape(
            shape,
            &self.document,
            &self.variables,
            self.operation_name.as_deref(),
            response,
        );
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
    document: &ExecutableDocument,
    variables: &Variables,
    operation_name: Option<&str>,
    response: &mut Response,
) {
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
    // The engine answers `null` when no root field came back (all failed, or all skipped); that is
    // an empty object to reshape, unless nothing ran at all (errors without a path).
    let not_run = !response.errors.is_empty() && response.errors.iter().all(|e| e.path.is_empty());
    match response.data {
        Value::Object(_) => {}
        Value::Null if !not_run => response.data = Value::Object(Default::default()),
        _ => return,
    }
    let reshaper = Reshaper::new(shape, document, variables);
    let root = root_of(&shape.roots, operation.node.ty);
    let data = std::mem::take(&mut response.data);
    response.data = reshaper
        .object(data, root, 0, &[&operation.node.selection_set.node])
        .unwrap_or(Value::Null);
}

struct Reshaper<'a> {
    shape: &'a Shape,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Per group of selection sets (by id; the operation's is 0), the plans made for each
    /// concrete type met under it.
    plans: RefCell<Vec<PlansOf<'a>>>,
}

/// The plans made under one group of selection sets, by concrete type.
type PlansOf<'a> = Vec<(String, Rc<Plan<'a>>)>;

/// How to reshape every object of one concrete type selected by one group of selection sets,
/// worked out once per request: the items of a list share it.
struct Plan<'a> {
    entries: Vec<Entry<'a>>,
}

/// One response key of a plan.
struct Entry<'a> {
    key: &'a str,
    field_type: Option<&'a Type>,
    /// The group of selection sets below the field (with its id), when its value is reshaped too.
    below: Option<(usize, Vec<&'a SelectionSet>)>,
    /// Under `__schema`: the response keys of `description`, answered with the schema's own
    /// description (async-graphql answers it with the specification's text about `__Schema`).
    schema_descriptions: Vec<&'a str>,
}

impl<'a> Reshaper<'a> {
    fn new(shape: &'a Shape, document: &'a ExecutableDocument, variables: &'a Variables) -> Self {
        Reshaper {
            shape,
            document,
            variables,
            plans: RefCell::new(vec![Vec::new()]),
        }
    }

    /// The plan for objects of type `concrete` under the group of selection sets `id`.
    fn plan(&self, id: usize, sets: &[&'a SelectionSet], concrete: &str) -> Rc<Plan<'a>> {
        if let Some((_, plan)) = self.plans.borrow()[id].iter().find(|(c, _)| c == concrete) {
            return plan.clone();
        }
        let mut collected: Vec<(&'a str, Vec<&'a Field>)> = Vec::new();
        for set in sets {
            self.collect(set, concrete, &mut collected, &mut HashSet::new());
        }
        let mut entries = Vec::with_capacity(collected.len());
        for (key, fields) in collected {
            if key == TYPENAME {
                continue;
            }
            let name = fields[0].name.node.as_str();
            let field_type = self.shape.field_type(concrete, name);
            let below = match field_type {
                Some(_) if !fields[0].selection_set.node.items.is_empty() => {
                    let mut plans = self.plans.borrow_mut();
                    plans.push(Vec::new());
                    let sets = fields.iter().map(|f| &f.selection_set.node).collect();
                    Some((plans.len() - 1, sets))
                }
                _ => None,
            };
            let mut schema_descriptions = Vec::new();
            if name == "__schema" && concrete == self.shape.roots[0] {
                let mut inner = Vec::new();
                for field in &fields {
                    let set = &field.selection_set.node;
                    self.collect(set, "__Schema", &mut inner, &mut HashSet::new());
                }
                schema_descriptions = inner
                    .into_iter()
                    .filter(|(_, fields)| fields[0].name.node.as_str() == "description")
                    .map(|(key, _)| key)
                    .collect();
            }
            entries.push(Entry {
                key,
                field_type,
                below,
                schema_descriptions,
            });
        }
        let plan = Rc::new(Plan { entries });
        self.plans.borrow_mut()[id].push((concrete.to_string(), plan.clone()));
        plan
    }

    /// The object reshaped, or `None` when a non-null field of it failed (it must become null).
    fn object(
        &self,
        value: Value,
        ty: &str,
        id: usize,
        sets: &[&'a SelectionSet],
    ) -> Option<Value> {
        let Value::Object(mut map) = value else {
            return Some(value);
        };
        let plan = match map.get(TYPENAME) {
            Some(Value::String(concrete)) => self.plan(id, sets, concrete),
            _ => self.plan(id, sets, ty),
        };
        let mut out = async_graphql::indexmap::IndexMap::with_capacity(plan.entries.len());
        for entry in &plan.entries {
            let non_null = entry.field_type.is_some_and(|t| !t.nullable);
            let Some((key, value)) = map.shift_remove_entry(entry.key) else {
                if non_null {
                    return None;
                }
                out.insert(Name::new(entry.key), Value::Null);
                continue;
            };
            let value = match (entry.field_type, &entry.below) {
                (Some(t), Some((id, sets))) => self.value(value, t, *id, sets),
                _ => Some(value),
            };
            match value {
                Some(mut value) => {
                    if let Value::Object(schema) = &mut value {
                        for key in &entry.schema_descriptions {
                            if let Some(description) = schema.get_mut(*key) {
                                *description = Value::String(self.shape.description.clone());
                            }
                        }
                    }
                    out.insert(key, value);
                }
                None if non_null => return None,
                None => {
                    out.insert(key, Value::Null);
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

    fn value(
        &self,
        value: Value,
        ty: &'a Type,
        id: usize,
        sets: &[&'a SelectionSet],
    ) -> Option<Value> {
        match (&ty.base, value) {
            (_, Value::Null) => Some(Value::Null),
            (BaseType::List(inner), Value::List(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match self.value(item, inner, id, sets) {
                        Some(v) => out.push(v),
                        None if !inner.nullable => return None,
                        None => out.push(Value::Null),
                    }
                }
                Some(Value::List(out))
            }
            (BaseType::Named(name), value @ Value::Object(_)) => self.object(value, name, id, sets),
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
