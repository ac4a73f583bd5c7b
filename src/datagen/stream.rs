//! One generation job as an endless, seeded stream of records: from a schema or a built-in entity, in a
//! mode (valid, edge, defect, like_history). Constant memory: each record is made, handed out, dropped.

use super::defects::{self, Checker, Defect};
use super::entities::{Entity, EntityGen, References};
use super::generate::Generator;
use super::history::Profile;
use super::plan::{self, Node};
use super::relations::{self, Relation};
use super::values::Window;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Every record validates.
    #[default]
    Valid,
    /// Boundary values, unicode, empty and maximal strings, extreme numbers; every record still validates.
    Edge,
    /// A stated share of records each break one named constraint; the rest are valid.
    Defect,
    /// Records resembling a topic's history: its categories and their frequencies, ranges, presence.
    LikeHistory,
}

pub enum Target {
    Schema(Value),
    Entity(Entity, References),
}

pub struct Spec {
    pub target: Target,
    pub seed: u64,
    pub mode: Mode,
    pub window: Window,
    /// Share of defect records in defect mode (0..=1).
    pub defect_rate: f64,
    /// Constraints defects may break (JSON Schema keywords); empty: any.
    pub defect_constraints: Vec<String>,
    /// The history to resemble in like_history mode.
    pub profile: Option<Arc<Profile>>,
}

pub struct Stream {
    generator: Generator,
    entity: Option<EntityGen>,
    node: Arc<Node>,
    schema: Value,
    checker: Option<Checker>,
    mode: Mode,
    defect_rate: f64,
    defect_constraints: Vec<String>,
    index: u64,
    /// Schema records are checked before they are handed out (the schema uses keywords that generation
    /// meets by drawing again, or relations are declared).
    check_valid: bool,
    relations: Vec<Relation>,
    /// Defect records the schema could not supply (no such constraint): emitted valid and counted.
    pub defects_unavailable: u64,
    /// Records that still broke the schema or a relation after `MAX_DRAWS` draws (emitted as drawn).
    pub unmet: u64,
}

/// How many times a schema record is drawn again when it breaks the schema or a relation.
const MAX_DRAWS: usize = 50;

/// Keywords whose generation is not exact by construction: records of schemas using them are checked.
const DRAWN_AGAIN: &[&str] = &[
    "oneOf",
    "anyOf",
    "if",
    "not",
    "dependentSchemas",
    "dependentRequired",
    "patternProperties",
    "propertyNames",
    "uniqueItems",
    "contains",
    "minProperties",
    "maxProperties",
    "prefixItems",
    "unevaluatedProperties",
    "unevaluatedItems",
];

fn needs_check(schema: &Value) -> bool {
    match schema {
        Value::Object(m) => m.iter().any(|(k, v)| DRAWN_AGAIN.contains(&k.as_str()) || needs_check(v)),
        Value::Array(a) => a.iter().any(needs_check),
        _ => false,
    }
}

impl Stream {
    /// Errors name what is wrong with the schema or the spec.
    pub fn new(spec: Spec) -> Result<Stream, String> {
        let (schema, entity) = match spec.target {
            Target::Schema(s) => (s, None),
            Target::Entity(e, refs) => (
                e.schema(),
                Some(EntityGen {
                    entity: e,
                    seed: spec.seed,
                    refs,
                    window: spec.window,
                    edge: spec.mode == Mode::Edge,
                }),
            ),
        };
        let node = Arc::new(plan::compile(&schema)?);
        if let Some(bad) = spec.defect_constraints.iter().find(|c| !defects::CONSTRAINTS.contains(&c.as_str())) {
            return Err(format!("defect constraint `{bad}` is not one of {}", defects::CONSTRAINTS.join(", ")));
        }
        let check_valid = entity.is_none() && needs_check(&schema);
        let checker = if spec.mode == Mode::Defect || check_valid {
            Some(Checker::new(&schema).map_err(|e| format!("the schema does not compile for validation: {e}"))?)
        } else {
            None
        };
        let mut generator = Generator::new(node.clone(), spec.seed, spec.window, spec.mode == Mode::Edge);
        if spec.mode == Mode::LikeHistory {
            let profile = spec.profile.ok_or("like_history needs a topic to learn from")?;
            generator = generator.like(profile);
        }
        Ok(Stream {
            generator,
            entity,
            node,
            schema,
            checker,
            mode: spec.mode,
            defect_rate: spec.defect_rate.clamp(0.0, 1.0),
            defect_constraints: spec.defect_constraints,
            index: 0,
            check_valid,
            relations: vec![],
            defects_unavailable: 0,
            unmet: 0,
        })
    }

    /// Relations every record keeps (`total = sum(items[].qty * items[].unit_price)`); schema targets only.
    /// Errors name the relation and what is wrong with it.
    pub fn with_relations(mut self, sources: &[String]) -> Result<Stream, String> {
        if sources.is_empty() {
            return Ok(self);
        }
        if self.entity.is_some() {
            return Err("relations apply to records from `schema` or `topic`; entities keep their own".into());
        }
        let mut node = (*self.node).clone();
        self.relations = relations::parse_all(sources, &mut node)?;
        self.node = Arc::new(node);
        self.generator.set_node(self.node.clone());
        if self.checker.is_none() {
            self.checker = Some(
                Checker::new(&self.schema).map_err(|e| format!("the schema does not compile for validation: {e}"))?,
            );
        }
        self.check_valid = true;
        Ok(self)
    }

    /// A schema record that keeps the relations and, when checked, validates: drawn again until it does.
    fn schema_record(&mut self) -> Value {
        let mut last = Value::Null;
        for _ in 0..MAX_DRAWS {
            let mut r = self.generator.next_record();
            let kept = relations::apply(&self.relations, &mut r);
            let valid = !self.check_valid || self.checker.as_ref().is_none_or(|c| c.is_valid(&r));
            if kept && valid {
                return r;
            }
            last = r;
        }
        self.unmet += 1;
        last
    }

    /// The schema the records are generated from (and, but for defects, validate against).
    /// The compiled plan the records come from.
    pub fn node(&self) -> &Node {
        &self.node
    }

    pub fn schema(&self) -> &Value {
        &self.schema
    }

    pub fn entity(&self) -> Option<Entity> {
        self.entity.as_ref().map(|e| e.entity)
    }

    /// The next record, with its defect tag in defect mode.
    pub fn next_record(&mut self) -> (Value, Option<Defect>) {
        let i = self.index;
        self.index += 1;
        let record = match &self.entity {
            Some(e) => e.record(i, self.generator.rng()),
            None => self.schema_record(),
        };
        // Exactly the stated share: record i is a defect when the running quota steps up.
        let defect_due = self.mode == Mode::Defect
            && ((i + 1) as f64 * self.defect_rate).floor() > (i as f64 * self.defect_rate).floor();
        if let (true, Some(checker)) = (defect_due, &self.checker) {
            let node = self.node.clone();
            match defects::inject(&node, &record, &self.defect_constraints, checker, self.generator.rng()) {
                Some((broken, defect)) => return (broken, Some(defect)),
                None => self.defects_unavailable += 1,
            }
        }
        (record, None)
    }
}
