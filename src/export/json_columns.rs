//! Top-level fields of JSON message values as typed columns, planned from an inferred schema: integer ->
//! int64, number -> float64, boolean -> boolean, string -> utf8, anything else (objects, arrays, unions)
//! -> utf8 holding the JSON text. A message without the field, or with a value of another type, gets null.

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::ArrayRef;
use arrow_schema::{DataType, Field};
use serde_json::Value;
use std::sync::Arc;

/// Most JSON columns added to one file; further fields stay in `value` / `value_text`.
pub const MAX_JSON_COLUMNS: usize = 256;

enum Builder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Text(StringBuilder),
    /// Any JSON value, as its text.
    Json(StringBuilder),
}

struct JsonColumn {
    field: String,
    name: String,
    builder: Builder,
}

#[derive(Default)]
pub struct JsonColumns {
    cols: Vec<JsonColumn>,
}

impl JsonColumns {
    /// Columns for the top-level properties of `schema` (an inferred object schema). Names that collide with
    /// `reserved` (the fixed columns) get a `value_` prefix.
    pub fn plan(schema: &Value, reserved: &[&str]) -> JsonColumns {
        let Some(props) = schema.get("properties").and_then(Value::as_object) else { return JsonColumns::default() };
        let cols = props
            .iter()
            .take(MAX_JSON_COLUMNS)
            .map(|(field, s)| {
                let name = if reserved.contains(&field.as_str()) { format!("value_{field}") } else { field.clone() };
                JsonColumn { field: field.clone(), name, builder: builder_for(s) }
            })
            .collect();
        JsonColumns { cols }
    }

    pub fn is_empty(&self) -> bool {
        self.cols.is_empty()
    }

    pub fn fields(&self) -> Vec<Field> {
        self.cols
            .iter()
            .map(|c| {
                let t = match c.builder {
                    Builder::Int(_) => DataType::Int64,
                    Builder::Float(_) => DataType::Float64,
                    Builder::Bool(_) => DataType::Boolean,
                    Builder::Text(_) | Builder::Json(_) => DataType::Utf8,
                };
                Field::new(&c.name, t, true)
            })
            .collect()
    }

    /// Appends one row: the fields of `doc` when it is a JSON object, nulls otherwise.
    pub fn push(&mut self, doc: Option<&Value>) {
        let obj = doc.and_then(Value::as_object);
        for c in &mut self.cols {
            let v = obj.and_then(|o| o.get(&c.field));
            match &mut c.builder {
                Builder::Int(b) => b.append_option(v.and_then(Value::as_i64)),
                Builder::Float(b) => b.append_option(v.and_then(Value::as_f64)),
                Builder::Bool(b) => b.append_option(v.and_then(Value::as_bool)),
                Builder::Text(b) => b.append_option(v.and_then(Value::as_str)),
                Builder::Json(b) => match v {
                    None | Some(Value::Null) => b.append_null(),
                    Some(Value::String(s)) => b.append_value(s),
                    Some(other) => b.append_value(other.to_string()),
                },
            }
        }
    }

    pub fn finish(&mut self) -> Vec<ArrayRef> {
        self.cols
            .iter_mut()
            .map(|c| -> ArrayRef {
                match &mut c.builder {
                    Builder::Int(b) => Arc::new(b.finish()),
                    Builder::Float(b) => Arc::new(b.finish()),
                    Builder::Bool(b) => Arc::new(b.finish()),
                    Builder::Text(b) | Builder::Json(b) => Arc::new(b.finish()),
                }
            })
            .collect()
    }
}

fn builder_for(schema: &Value) -> Builder {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let non_null: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
    match non_null.as_slice() {
        ["integer"] => Builder::Int(Int64Builder::new()),
        ["number"] => Builder::Float(Float64Builder::new()),
        ["boolean"] => Builder::Bool(BooleanBuilder::new()),
        ["string"] => Builder::Text(StringBuilder::new()),
        _ => Builder::Json(StringBuilder::new()),
    }
}
