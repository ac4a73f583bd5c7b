//! One generation job as an endless, seeded stream of records: from a schema or a built-in entity, in a
//! mode (valid, edge, defect, like_history). Constant memory: each record is made, handed out, dropped.

use super::defects::{self, Checker, Defect};
use super::entities::{Entity, EntityGen, References};
use super::generate::Generator;
use super::history::Profile;
use super::plan::{self, Node};
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
    /// Defect records the schema could not supply (no such constraint): emitted valid and counted.
    pub defects_unavailable: u64,
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
        let checker = if spec.mode == Mode::Defect {
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
            defects_unavailable: 0,
        })
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
            None => self.generator.next_record(),
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
