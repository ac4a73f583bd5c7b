//! The Confluent wire format, in one place: magic byte 0, a 4-byte big-endian schema id, then (Protobuf only)
//! the message indexes, then the payload in the schema's format. Avro through the apache-avro crate, Protobuf
//! through protox (parsing, imports and references) and prost-reflect (reflection, the JSON mapping), JSON
//! Schema as JSON checked by the jsonschema crate. No hand-written Avro or Protobuf codec: this file frames,
//! and maps decoded values to JSON an agent reads (logical types as dates and times, decimals as strings).

use apache_avro::schema::{Name, ResolvedSchema, Schema as AvroSchema};
use apache_avro::types::Value as AvroValue;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Confluent framing: the magic byte and the schema id.
pub const HEADER: usize = 5;

/// The schema formats a Confluent-compatible registry stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    Avro,
    Protobuf,
    Json,
}

impl SchemaType {
    /// From the registry's `schemaType` (absent means AVRO).
    pub fn from_registry(s: Option<&str>) -> Result<SchemaType, String> {
        match s.unwrap_or("AVRO").to_ascii_uppercase().as_str() {
            "AVRO" => Ok(SchemaType::Avro),
            "PROTOBUF" => Ok(SchemaType::Protobuf),
            "JSON" => Ok(SchemaType::Json),
            other => Err(format!("schema type `{other}` (known: AVRO, PROTOBUF, JSON)")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }
}

/// A schema parsed once, ready to decode and encode many payloads.
pub enum Parsed {
    Avro {
        schema: AvroSchema,
        /// Named types of referenced schemas (Confluent `references`).
        referenced: Vec<AvroSchema>,
        /// Every named type, for following `Ref`s when mapping values to JSON.
        names: HashMap<Name, AvroSchema>,
    },
    Protobuf {
        pool: DescriptorPool,
        /// The file the schema text was compiled as.
        file: String,
    },
    Json {
        schema: Value,
        validator: Box<jsonschema::Validator>,
    },
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Parsed::Avro { .. } => "Parsed::Avro",
            Parsed::Protobuf { .. } => "Parsed::Protobuf",
            Parsed::Json { .. } => "Parsed::Json",
        })
    }
}

/// The file name a registry's Protobuf schema text is compiled as (its references keep their own names).
pub const PROTO_MAIN: &str = "__registry_schema__.proto";

impl Parsed {
    /// Parses schema text with its references' texts (reference name -> text).
    pub fn parse(kind: SchemaType, text: &str, references: &[(String, String)]) -> Result<Parsed, String> {
        match kind {
            SchemaType::Avro => {
                let (schema, referenced) = if references.is_empty() {
                    (AvroSchema::parse_str(text).map_err(|e| format!("an Avro schema: {e}"))?, vec![])
                } else {
                    AvroSchema::parse_str_with_list(text, references.iter().map(|(_, t)| t.as_str()))
                        .map_err(|e| format!("an Avro schema with its references: {e}"))?
                };
                let mut all = vec![&schema];
                all.extend(referenced.iter());
                let names = ResolvedSchema::new_with_schemata(all)
                    .map_err(|e| format!("an Avro schema whose names resolve: {e}"))?
                    .get_names()
                    .iter()
                    .map(|(n, s)| (n.clone(), (*s).clone()))
                    .collect();
                Ok(Parsed::Avro { schema, referenced, names })
            }
            SchemaType::Protobuf => {
                let mut files: HashMap<String, String> = references.iter().cloned().collect();
                files.insert(PROTO_MAIN.to_string(), text.to_string());
                let mut resolver = protox::file::ChainFileResolver::new();
                resolver.add(MemoryFiles(files));
                resolver.add(protox::file::GoogleFileResolver::new());
                let mut compiler = protox::Compiler::with_file_resolver(resolver);
                compiler.include_imports(true);
                compiler.open_file(PROTO_MAIN).map_err(|e| format!("a Protobuf schema: {e}"))?;
                Ok(Parsed::Protobuf { pool: compiler.descriptor_pool(), file: PROTO_MAIN.to_string() })
            }
            SchemaType::Json => {
                let schema: Value = serde_json::from_str(text).map_err(|e| format!("a JSON Schema document: {e}"))?;
                let validator = jsonschema::validator_for(&schema).map_err(|e| format!("a valid JSON Schema: {e}"))?;
                Ok(Parsed::Json { schema, validator: Box::new(validator) })
            }
        }
    }

    pub fn schema_type(&self) -> SchemaType {
        match self {
            Parsed::Avro { .. } => SchemaType::Avro,
            Parsed::Protobuf { .. } => SchemaType::Protobuf,
            Parsed::Json { .. } => SchemaType::Json,
        }
    }

    /// A Protobuf schema's message by full name (default: the first of its own file); None for other formats.
    pub fn proto_message(&self, name: Option<&str>) -> Option<MessageDescriptor> {
        let Parsed::Protobuf { pool, file } = self else { return None };
        let top = Self::proto_messages(pool, file);
        match name {
            None => top.first().cloned(),
            Some(n) => find_message(&top, n).map(|(m, _)| m),
        }
    }

    /// The message indexes of a Protobuf message by full name (what the wire format's header carries).
    pub fn proto_indexes(&self, name: &str) -> Option<Vec<usize>> {
        let Parsed::Protobuf { pool, file } = self else { return None };
        find_message(&Self::proto_messages(pool, file), name).map(|(_, i)| i)
    }

    /// The top-level messages of the schema's own file, in declaration order (message index 0, 1, ...).
    fn proto_messages(pool: &DescriptorPool, file: &str) -> Vec<MessageDescriptor> {
        pool.get_file_by_name(file).map(|f| f.messages().collect()).unwrap_or_default()
    }

    /// Decodes a payload (after the 5-byte header) into JSON; for Protobuf also returns the message name.
    pub fn decode(&self, payload: &[u8]) -> Result<(Value, Option<String>), String> {
        match self {
            Parsed::Avro { schema, referenced, names } => {
                let mut rest = payload;
                let fast = super::avro_fast::read(schema, names, &mut rest);
                if fast.is_ok() && rest.is_empty() {
                    return fast.map(|v| (v, None)).map_err(|_| String::new());
                }
                // apache-avro's reader says what does not fit (or reads what the fast path does not).
                let mut reader = payload;
                let mut all = vec![schema];
                all.extend(referenced.iter());
                let value = apache_avro::reader::datum::GenericDatumReader::builder(schema)
                    .writer_schemata(all)
                    .and_then(|b| b.build())
                    .and_then(|r| r.read_value(&mut reader))
                    .map_err(|e| format!("Avro data that fits the writer schema: {e}"))?;
                if !reader.is_empty() {
                    return Err(format!("Avro data that fits the writer schema ({} bytes left over)", reader.len()));
                }
                if fast.is_ok() || fast == Err(super::avro_fast::GaveUp::Bad) {
                    return Err(
                        "Avro data that fits the writer schema (it ends early or holds an invalid value)".into()
                    );
                }
                Ok((avro_to_json(value, schema, names), None))
            }
            Parsed::Protobuf { pool, file } => {
                let (indexes, used) = read_message_indexes(payload)?;
                let desc = message_at(&Self::proto_messages(pool, file), &indexes)
                    .ok_or_else(|| format!("message indexes {indexes:?} that name a message of the schema"))?;
                let msg = DynamicMessage::decode(desc.clone(), &payload[used..])
                    .map_err(|e| format!("Protobuf data of {}: {e}", desc.full_name()))?;
                let options = SerializeOptions::new()
                    .stringify_64_bit_integers(false)
                    .use_proto_field_name(true)
                    .skip_default_fields(false);
                let value = msg
                    .serialize_with_options(serde_json::value::Serializer, &options)
                    .map_err(|e| format!("a Protobuf message JSON can show: {e}"))?;
                Ok((value, Some(desc.full_name().to_string())))
            }
            Parsed::Json { .. } => serde_json::from_slice(payload)
                .map(|v| (v, None))
                .map_err(|e| format!("a JSON document after the schema id: {e}")),
        }
    }

    /// Encodes a JSON value with this schema: the payload after the 5-byte header (Protobuf: message indexes
    /// first). `message` picks a Protobuf message by full name (default: the first of the file). An error names
    /// the field that does not fit.
    pub fn encode(&self, value: &Value, message: Option<&str>) -> Result<Vec<u8>, String> {
        match self {
            Parsed::Avro { schema, referenced, names } => {
                let avro = json_to_avro(value, schema, names, "")?;
                let mut all = vec![schema];
                all.extend(referenced.iter());
                apache_avro::writer::datum::GenericDatumWriter::builder(schema)
                    .schemata(all)
                    .and_then(|b| b.build())
                    .and_then(|w| w.write_value_to_vec(avro))
                    .map_err(|e| format!("a value the Avro schema accepts: {e}"))
            }
            Parsed::Protobuf { pool, file } => {
                let top = Self::proto_messages(pool, file);
                let (desc, indexes) = match message {
                    None => (top.first().cloned().ok_or("a schema with at least one message")?, vec![0]),
                    Some(name) => find_message(&top, name)
                        .ok_or_else(|| format!("`{name}`, a message of the schema's own file"))?,
                };
                let msg = DynamicMessage::deserialize(desc.clone(), value)
                    .map_err(|e| format!("a value that fits Protobuf message {}: {e}", desc.full_name()))?;
                let mut out = write_message_indexes(&indexes);
                out.extend(msg.encode_to_vec());
                Ok(out)
            }
            Parsed::Json { validator, .. } => {
                if let Some(err) = validator.iter_errors(value).next() {
                    let at = err.instance_path().to_string();
                    return Err(format!(
                        "a value valid against the JSON Schema: at `{}` {err}",
                        if at.is_empty() { "/" } else { &at }
                    ));
                }
                serde_json::to_vec(value).map_err(|e| e.to_string())
            }
        }
    }
}

/// Reference texts kept in memory for protox.
struct MemoryFiles(HashMap<String, String>);

impl protox::file::FileResolver for MemoryFiles {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        match self.0.get(name) {
            Some(text) => protox::file::File::from_source(name, text),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Frames a payload: magic byte, schema id, payload.
pub fn frame(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.push(0);
    out.extend(id.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// The schema id of a framed payload, or None when it is not framed.
pub fn schema_id(bytes: &[u8]) -> Option<u32> {
    (bytes.len() >= HEADER && bytes[0] == 0).then(|| u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]))
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// Confluent's message indexes: a zigzag varint count, then that many zigzag varints; a single 0 means [0].
pub fn read_message_indexes(bytes: &[u8]) -> Result<(Vec<usize>, usize), String> {
    let mut buf = bytes;
    let bad = |what: &str| format!("Protobuf message indexes after the schema id ({what})");
    let count = unzigzag(prost::encoding::decode_varint(&mut buf).map_err(|_| bad("no varint count"))?);
    if count == 0 {
        return Ok((vec![0], bytes.len() - buf.len()));
    }
    if !(1..=100).contains(&count) {
        return Err(bad(&format!("count {count}")));
    }
    let mut out = vec![];
    for _ in 0..count {
        let i = unzigzag(prost::encoding::decode_varint(&mut buf).map_err(|_| bad("truncated"))?);
        out.push(usize::try_from(i).map_err(|_| bad(&format!("negative index {i}")))?);
    }
    Ok((out, bytes.len() - buf.len()))
}

pub fn write_message_indexes(indexes: &[usize]) -> Vec<u8> {
    let mut out = vec![];
    if indexes == [0] {
        out.push(0);
        return out;
    }
    prost::encoding::encode_varint(zigzag(indexes.len() as i64), &mut out);
    for i in indexes {
        prost::encoding::encode_varint(zigzag(*i as i64), &mut out);
    }
    out
}

fn message_at(top: &[MessageDescriptor], indexes: &[usize]) -> Option<MessageDescriptor> {
    let (first, rest) = indexes.split_first()?;
    let mut desc = top.get(*first)?.clone();
    for i in rest {
        let next = desc.child_messages().nth(*i)?;
        desc = next;
    }
    Some(desc)
}

/// A message by full name (or simple name) and its index path.
fn find_message(top: &[MessageDescriptor], name: &str) -> Option<(MessageDescriptor, Vec<usize>)> {
    fn walk(list: Vec<MessageDescriptor>, name: &str, path: &mut Vec<usize>) -> Option<MessageDescriptor> {
        for (i, m) in list.into_iter().enumerate() {
            path.push(i);
            if m.full_name() == name || m.name() == name {
                return Some(m);
            }
            if let Some(found) = walk(m.child_messages().collect(), name, path) {
                return Some(found);
            }
            path.pop();
        }
        None
    }
    let mut path = vec![];
    walk(top.to_vec(), name.trim_start_matches('.'), &mut path).map(|m| (m, path))
}

fn lookup<'a>(schema: &'a AvroSchema, names: &'a HashMap<Name, AvroSchema>) -> &'a AvroSchema {
    match schema {
        AvroSchema::Ref { name } => names.get(name).unwrap_or(schema),
        s => s,
    }
}

/// An Avro value as JSON: records as objects, unions as their branch's value, enums as symbols, bytes and
/// fixed in Avro's JSON encoding (one char per byte), dates and times as ISO-8601 text, decimals as exact
/// decimal strings, durations as {months, days, millis}.
pub fn avro_to_json(value: AvroValue, schema: &AvroSchema, names: &HashMap<Name, AvroSchema>) -> Value {
    use chrono::{DateTime, NaiveDate, NaiveTime};
    let schema = lookup(schema, names);
    let ts = |t: i64, per_sec: i64| {
        DateTime::from_timestamp(t.div_euclid(per_sec), (t.rem_euclid(per_sec) * (1_000_000_000 / per_sec)) as u32)
            .map(|d| Value::String(d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
            .unwrap_or(json!(t))
    };
    let local = |t: i64, per_sec: i64| match ts(t, per_sec) {
        Value::String(s) => Value::String(s.trim_end_matches('Z').to_string()),
        v => v,
    };
    let time = |t: i64, per_sec: i64| {
        NaiveTime::from_num_seconds_from_midnight_opt(
            t.div_euclid(per_sec) as u32,
            (t.rem_euclid(per_sec) * (1_000_000_000 / per_sec)) as u32,
        )
        .map(|d| Value::String(d.to_string()))
        .unwrap_or(json!(t))
    };
    let bytes_text = |b: &[u8]| Value::String(b.iter().map(|&c| c as char).collect());
    match value {
        AvroValue::Null => Value::Null,
        AvroValue::Boolean(b) => Value::Bool(b),
        AvroValue::Int(i) => json!(i),
        AvroValue::Long(l) => json!(l),
        AvroValue::Float(f) => serde_json::Number::from_f64(f64::from(f)).map_or(Value::Null, Value::Number),
        AvroValue::Double(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        AvroValue::Bytes(b) | AvroValue::Fixed(_, b) => bytes_text(&b),
        AvroValue::String(s) | AvroValue::Enum(_, s) => Value::String(s),
        AvroValue::Uuid(u) => Value::String(u.to_string()),
        AvroValue::Date(d) => {
            NaiveDate::from_num_days_from_ce_opt(d + 719_163).map(|d| Value::String(d.to_string())).unwrap_or(json!(d))
        }
        AvroValue::TimeMillis(t) => time(i64::from(t), 1_000),
        AvroValue::TimeMicros(t) => time(t, 1_000_000),
        AvroValue::TimestampMillis(t) => ts(t, 1_000),
        AvroValue::TimestampMicros(t) => ts(t, 1_000_000),
        AvroValue::TimestampNanos(t) => ts(t, 1_000_000_000),
        AvroValue::LocalTimestampMillis(t) => local(t, 1_000),
        AvroValue::LocalTimestampMicros(t) => local(t, 1_000_000),
        AvroValue::LocalTimestampNanos(t) => local(t, 1_000_000_000),
        AvroValue::Decimal(d) => {
            let scale = match schema {
                AvroSchema::Decimal(ds) => ds.scale,
                _ => 0,
            };
            let raw = <Vec<u8>>::try_from(&d).unwrap_or_default();
            decimal_text(&raw, scale).map_or_else(|| bytes_text(&raw), Value::String)
        }
        AvroValue::BigDecimal(b) => Value::String(b.to_string()),
        AvroValue::Duration(d) => json!({
            "months": u32::from(d.months()), "days": u32::from(d.days()), "millis": u32::from(d.millis())
        }),
        AvroValue::Union(i, inner) => {
            let branch = match schema {
                AvroSchema::Union(u) => u.variants().get(i as usize).cloned(),
                _ => None,
            };
            match branch {
                Some(b) => avro_to_json(*inner, &b, names),
                None => avro_to_json(*inner, &AvroSchema::Null, names),
            }
        }
        AvroValue::Array(items) => {
            let item = match schema {
                AvroSchema::Array(a) => (*a.items).clone(),
                _ => AvroSchema::Null,
            };
            Value::Array(items.into_iter().map(|v| avro_to_json(v, &item, names)).collect())
        }
        AvroValue::Map(entries) => {
            let item = match schema {
                AvroSchema::Map(m) => (*m.types).clone(),
                _ => AvroSchema::Null,
            };
            let mut keys: Vec<_> = entries.into_iter().collect();
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(keys.into_iter().map(|(k, v)| (k, avro_to_json(v, &item, names))).collect())
        }
        AvroValue::Record(fields) => {
            let schemas: Vec<AvroSchema> = match schema {
                AvroSchema::Record(r) => r.fields.iter().map(|f| f.schema.clone()).collect(),
                _ => vec![],
            };
            let mut out = Map::new();
            for (i, (k, v)) in fields.into_iter().enumerate() {
                let s = schemas.get(i).cloned().unwrap_or(AvroSchema::Null);
                out.insert(k, avro_to_json(v, &s, names));
            }
            Value::Object(out)
        }
    }
}

/// A two's-complement big-endian unscaled integer with a scale, as exact decimal text (up to 16 bytes).
pub(crate) fn decimal_text(raw: &[u8], scale: usize) -> Option<String> {
    if raw.is_empty() || raw.len() > 16 {
        return None;
    }
    let mut n: i128 = if raw[0] & 0x80 != 0 { -1 } else { 0 };
    for b in raw {
        n = (n << 8) | i128::from(*b);
    }
    let neg = n < 0;
    let digits = n.unsigned_abs().to_string();
    let digits =
        if digits.len() <= scale { format!("{}{digits}", "0".repeat(scale + 1 - digits.len())) } else { digits };
    let (int, frac) = digits.split_at(digits.len() - scale);
    Some(format!("{}{int}{}{frac}", if neg { "-" } else { "" }, if scale > 0 { "." } else { "" }))
}

/// A JSON value as an Avro value of `schema`, field by field, so a value that does not fit names its field
/// (`/customer/email: expected string, got 42`). Accepts what a person writes: a union's value bare (or as
/// Avro's `{"type": value}`), enum symbols, dates and timestamps as ISO text or numbers, decimals as text or
/// numbers, bytes as text.
pub fn json_to_avro(
    value: &Value,
    schema: &AvroSchema,
    names: &HashMap<Name, AvroSchema>,
    path: &str,
) -> Result<AvroValue, String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
    let schema = lookup(schema, names);
    let at = if path.is_empty() { "/" } else { path };
    let wrong = |want: &str| format!("`{at}`: expected {want}, got {}", short(value));
    let int = || value.as_i64().ok_or_else(|| wrong("an integer"));
    let instant = |per_sec: i64| -> Result<i64, String> {
        if let Some(n) = value.as_i64() {
            return Ok(n);
        }
        let s = value.as_str().ok_or_else(|| wrong("a timestamp (ISO-8601 text or a number)"))?;
        let t = DateTime::parse_from_rfc3339(s)
            .map(|d| d.naive_utc())
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
            .map_err(|_| wrong("a timestamp (ISO-8601 text or a number)"))?;
        let t = t.and_utc();
        Ok(t.timestamp() * per_sec + i64::from(t.timestamp_subsec_nanos()) / (1_000_000_000 / per_sec))
    };
    let time_of_day = |per_sec: i64| -> Result<i64, String> {
        if let Some(n) = value.as_i64() {
            return Ok(n);
        }
        let s = value.as_str().ok_or_else(|| wrong("a time of day (HH:MM:SS or a number)"))?;
        let t = NaiveTime::parse_from_str(s, "%H:%M:%S%.f").map_err(|_| wrong("a time of day (HH:MM:SS)"))?;
        Ok(i64::from(t.num_seconds_from_midnight()) * per_sec + i64::from(t.nanosecond()) / (1_000_000_000 / per_sec))
    };
    Ok(match schema {
        AvroSchema::Null => match value {
            Value::Null => AvroValue::Null,
            _ => return Err(wrong("null")),
        },
        AvroSchema::Boolean => AvroValue::Boolean(value.as_bool().ok_or_else(|| wrong("a boolean"))?),
        AvroSchema::Int => AvroValue::Int(i32::try_from(int()?).map_err(|_| wrong("a 32-bit integer"))?),
        AvroSchema::Long => AvroValue::Long(int()?),
        AvroSchema::Float => AvroValue::Float(value.as_f64().ok_or_else(|| wrong("a number"))? as f32),
        AvroSchema::Double => AvroValue::Double(value.as_f64().ok_or_else(|| wrong("a number"))?),
        AvroSchema::String => AvroValue::String(value.as_str().ok_or_else(|| wrong("a string"))?.to_string()),
        AvroSchema::Bytes => AvroValue::Bytes(text_bytes(value).ok_or_else(|| wrong("bytes as a string"))?),
        AvroSchema::Fixed(f) => {
            let b = text_bytes(value).ok_or_else(|| wrong("bytes as a string"))?;
            if b.len() != f.size {
                return Err(wrong(&format!("{} bytes", f.size)));
            }
            AvroValue::Fixed(f.size, b)
        }
        AvroSchema::Uuid(_) => {
            let s = value.as_str().ok_or_else(|| wrong("a UUID string"))?;
            AvroValue::Uuid(s.parse().map_err(|_| wrong("a UUID string"))?)
        }
        AvroSchema::Date => match value {
            Value::String(s) => {
                let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| wrong("a date (YYYY-MM-DD)"))?;
                AvroValue::Date(d.signed_duration_since(NaiveDate::default()).num_days() as i32)
            }
            _ => AvroValue::Date(i32::try_from(int()?).map_err(|_| wrong("a date"))?),
        },
        AvroSchema::TimeMillis => AvroValue::TimeMillis(time_of_day(1_000)? as i32),
        AvroSchema::TimeMicros => AvroValue::TimeMicros(time_of_day(1_000_000)?),
        AvroSchema::TimestampMillis => AvroValue::TimestampMillis(instant(1_000)?),
        AvroSchema::TimestampMicros => AvroValue::TimestampMicros(instant(1_000_000)?),
        AvroSchema::TimestampNanos => AvroValue::TimestampNanos(instant(1_000_000_000)?),
        AvroSchema::LocalTimestampMillis => AvroValue::LocalTimestampMillis(instant(1_000)?),
        AvroSchema::LocalTimestampMicros => AvroValue::LocalTimestampMicros(instant(1_000_000)?),
        AvroSchema::LocalTimestampNanos => AvroValue::LocalTimestampNanos(instant(1_000_000_000)?),
        AvroSchema::Decimal(d) => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(wrong("a decimal (text or a number)")),
            };
            let unscaled = scaled_integer(&text, d.scale)
                .ok_or_else(|| wrong(&format!("a decimal with at most {} decimals", d.scale)))?;
            let bytes = unscaled.to_be_bytes();
            // The shortest two's-complement form.
            let mut start = 0;
            while start < 15
                && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
                    || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0))
            {
                start += 1;
            }
            let mut raw = bytes[start..].to_vec();
            if let apache_avro::schema::InnerDecimalSchema::Fixed(f) = &d.inner {
                let fill = if unscaled < 0 { 0xff } else { 0 };
                while raw.len() < f.size {
                    raw.insert(0, fill);
                }
            }
            AvroValue::Decimal(apache_avro::Decimal::from(raw))
        }
        AvroSchema::BigDecimal => return Err(wrong("a big-decimal (not supported for writing)")),
        AvroSchema::Duration(_) => return Err(wrong("a duration (not supported for writing)")),
        AvroSchema::Enum(e) => {
            let s = value.as_str().ok_or_else(|| wrong(&format!("one of {}", e.symbols.join(", "))))?;
            let i = e
                .symbols
                .iter()
                .position(|x| x == s)
                .ok_or_else(|| wrong(&format!("one of {}", e.symbols.join(", "))))?;
            AvroValue::Enum(i as u32, s.to_string())
        }
        AvroSchema::Array(a) => {
            let items = value.as_array().ok_or_else(|| wrong("an array"))?;
            AvroValue::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| json_to_avro(v, &a.items, names, &format!("{path}/{i}")))
                    .collect::<Result<_, _>>()?,
            )
        }
        AvroSchema::Map(m) => {
            let obj = value.as_object().ok_or_else(|| wrong("an object (map)"))?;
            AvroValue::Map(
                obj.iter()
                    .map(|(k, v)| Ok((k.clone(), json_to_avro(v, &m.types, names, &format!("{path}/{k}"))?)))
                    .collect::<Result<_, String>>()?,
            )
        }
        AvroSchema::Record(r) => {
            let obj = value.as_object().ok_or_else(|| wrong(&format!("an object (record {})", r.name)))?;
            if let Some(extra) = obj.keys().find(|k| !r.fields.iter().any(|f| &f.name == *k)) {
                return Err(format!("`{path}/{extra}`: not a field of record {}", r.name));
            }
            let mut fields = vec![];
            for f in &r.fields {
                let p = format!("{path}/{}", f.name);
                let v = match (obj.get(&f.name), &f.default) {
                    (Some(v), _) => json_to_avro(v, &f.schema, names, &p)?,
                    (None, Some(d)) => {
                        json_to_avro(d, &f.schema, names, &p).or_else(|_| default_of_union(d, &f.schema, names, &p))?
                    }
                    (None, None) => return Err(format!("`{p}`: missing (the field has no default)")),
                };
                fields.push((f.name.clone(), v));
            }
            AvroValue::Record(fields)
        }
        AvroSchema::Union(u) => {
            // Avro's JSON encoding: {"branch type": value}.
            if let Some((k, inner)) = value.as_object().filter(|o| o.len() == 1).and_then(|o| o.iter().next()) {
                for (i, b) in u.variants().iter().enumerate() {
                    if branch_name(b) == *k || branch_name(b).rsplit('.').next() == Some(k) {
                        if let Ok(v) = json_to_avro(inner, b, names, path) {
                            return Ok(AvroValue::Union(i as u32, Box::new(v)));
                        }
                    }
                }
            }
            let mut last = None;
            for (i, b) in u.variants().iter().enumerate() {
                match json_to_avro(value, b, names, path) {
                    Ok(v) => return Ok(AvroValue::Union(i as u32, Box::new(v))),
                    Err(e) => last = Some(e),
                }
            }
            let kinds: Vec<String> = u.variants().iter().map(branch_name).collect();
            return Err(match (u.variants().len(), last) {
                // null + one type: the other branch's error says more.
                (2, Some(e)) if matches!(u.variants()[0], AvroSchema::Null) => e,
                _ => wrong(&format!("one of the union's types ({})", kinds.join(", "))),
            });
        }
        AvroSchema::Ref { name } => return Err(format!("`{at}`: the type `{name}` is not defined")),
    })
}

/// A field default given for a union: the first branch's value.
fn default_of_union(
    d: &Value,
    schema: &AvroSchema,
    names: &HashMap<Name, AvroSchema>,
    path: &str,
) -> Result<AvroValue, String> {
    match lookup(schema, names) {
        AvroSchema::Union(u) if !u.variants().is_empty() => {
            Ok(AvroValue::Union(0, Box::new(json_to_avro(d, &u.variants()[0], names, path)?)))
        }
        _ => Err(format!("`{path}`: a default that fits the field")),
    }
}

fn branch_name(s: &AvroSchema) -> String {
    match s {
        AvroSchema::Record(r) => r.name.fullname(None),
        AvroSchema::Enum(e) => e.name.fullname(None),
        AvroSchema::Fixed(f) => f.name.fullname(None),
        AvroSchema::Ref { name } => name.fullname(None),
        AvroSchema::Array(_) => "array".into(),
        AvroSchema::Map(_) => "map".into(),
        other => {
            let c = other.canonical_form();
            c.trim_matches('"').to_string()
        }
    }
}

fn text_bytes(v: &Value) -> Option<Vec<u8>> {
    let s = v.as_str()?;
    // Avro's JSON encoding: one char per byte (code points up to 255); anything else as UTF-8.
    if s.chars().all(|c| (c as u32) < 256) {
        Some(s.chars().map(|c| c as u8).collect())
    } else {
        Some(s.as_bytes().to_vec())
    }
}

/// "12.34" with scale 2 -> 1234; None when it has more decimals than the scale or does not parse.
fn scaled_integer(text: &str, scale: usize) -> Option<i128> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let frac = frac.trim_end_matches('0');
    if frac.len() > scale || int.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = format!("{int}{frac}{}", "0".repeat(scale - frac.len()));
    let n: i128 = digits.parse().ok()?;
    Some(if neg { -n } else { n })
}

fn short(v: &Value) -> String {
    crate::text::cut_chars(&v.to_string(), 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
        {"name":"id","type":"long"},
        {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
        {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
        {"name":"placed_at","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"day","type":{"type":"int","logicalType":"date"}},
        {"name":"note","type":["null","string"],"default":null},
        {"name":"tags","type":{"type":"array","items":"string"}},
        {"name":"attrs","type":{"type":"map","values":"int"}},
        {"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"email","type":"string"}]}}
    ]}"#;

    #[test]
    fn avro_round_trip_with_logical_types_unions_nested_records_enums_arrays_maps() {
        let p = Parsed::parse(SchemaType::Avro, ORDER, &[]).unwrap();
        let v = json!({"id": 7, "status": "PAID", "amount": "-12.30", "placed_at": "2024-01-15T02:50:00.123Z",
            "day": "2024-01-15", "note": "gift", "tags": ["a"], "attrs": {"x": 1},
            "customer": {"email": "a@b.c"}});
        let bytes = p.encode(&v, None).unwrap();
        let (back, _) = p.decode(&bytes).unwrap();
        assert_eq!(
            back,
            json!({"id": 7, "status": "PAID", "amount": "-12.30",
            "placed_at": "2024-01-15T02:50:00.123Z", "day": "2024-01-15", "note": "gift", "tags": ["a"],
            "attrs": {"x": 1}, "customer": {"email": "a@b.c"}})
        );
        // The default fills a missing union field.
        let mut v2 = v.clone();
        v2.as_object_mut().unwrap().remove("note");
        assert_eq!(p.decode(&p.encode(&v2, None).unwrap()).unwrap().0["note"], Value::Null);
    }

    #[test]
    fn avro_errors_name_the_field() {
        let p = Parsed::parse(SchemaType::Avro, ORDER, &[]).unwrap();
        let v = json!({"id": 7, "status": "LOST", "amount": "1", "placed_at": 0, "day": 0, "tags": [],
            "attrs": {}, "customer": {"email": "x"}});
        let e = p.encode(&v, None).unwrap_err();
        assert!(e.contains("/status") && e.contains("NEW, PAID, SHIPPED"), "{e}");
        let mut v2 = v.clone();
        v2["status"] = json!("NEW");
        v2["customer"]["email"] = json!(42);
        let e = p.encode(&v2, None).unwrap_err();
        assert!(e.contains("/customer/email") && e.contains("string"), "{e}");
        v2["customer"]["email"] = json!("x");
        v2.as_object_mut().unwrap().remove("id");
        assert!(p.encode(&v2, None).unwrap_err().contains("`/id`: missing"));
        assert!(p.decode(&[0x02]).is_err());
    }

    const PROTO: &str = r#"syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "common.proto";
message Other { string x = 1; }
message Order {
  int64 id = 1;
  enum Status { NEW = 0; PAID = 1; }
  Status status = 2;
  repeated string tags = 3;
  map<string, int32> attrs = 4;
  google.protobuf.Timestamp placed_at = 5;
  common.Money amount = 6;
  message Line { string sku = 1; int32 qty = 2; }
  repeated Line lines = 7;
}"#;
    const COMMON: &str =
        "syntax = \"proto3\";\npackage common;\nmessage Money { string currency = 1; int64 units = 2; }\n";

    #[test]
    fn protobuf_round_trip_with_message_indexes_imports_and_references() {
        let p = Parsed::parse(SchemaType::Protobuf, PROTO, &[("common.proto".into(), COMMON.into())]).unwrap();
        let v = json!({"id": 9, "status": "PAID", "tags": ["a"], "attrs": {"k": 2},
            "placed_at": "2024-01-15T02:50:00Z", "amount": {"currency": "EUR", "units": 5},
            "lines": [{"sku": "s1", "qty": 3}]});
        let bytes = p.encode(&v, Some("shop.Order")).unwrap();
        assert_eq!(&bytes[..2], &[0x02, 0x02], "one index, 1 (zigzag)");
        let (back, name) = p.decode(&bytes).unwrap();
        assert_eq!(name.as_deref(), Some("shop.Order"));
        assert_eq!(back["amount"], json!({"currency": "EUR", "units": 5}));
        assert_eq!(back["placed_at"], json!("2024-01-15T02:50:00Z"));
        assert_eq!(back["lines"][0]["qty"], json!(3));
        // The first message is the single byte 0; nested messages have a path.
        assert_eq!(p.encode(&json!({"x": "y"}), None).unwrap()[0], 0);
        let nested = p.encode(&json!({"sku": "a"}), Some("shop.Order.Line")).unwrap();
        // The map field's synthetic AttrsEntry is nested message 0, as in protoc's descriptors.
        assert_eq!(read_message_indexes(&nested).unwrap().0, vec![1, 1]);
        assert_eq!(p.decode(&nested).unwrap().1.as_deref(), Some("shop.Order.Line"));
        let e = p.encode(&json!({"id": "not a number"}), Some("Order")).unwrap_err();
        assert!(e.contains("shop.Order"), "{e}");
        assert!(Parsed::parse(SchemaType::Protobuf, PROTO, &[]).unwrap_err().contains("common.proto"));
    }

    #[test]
    fn json_schema_checks_and_framing() {
        let p =
            Parsed::parse(SchemaType::Json, r#"{"type":"object","properties":{"n":{"type":"integer"}}}"#, &[]).unwrap();
        assert_eq!(p.encode(&json!({"n": 1}), None).unwrap(), br#"{"n":1}"#);
        assert!(p.encode(&json!({"n": "x"}), None).unwrap_err().contains("/n"));
        let framed = frame(258, b"xy");
        assert_eq!(schema_id(&framed), Some(258));
        assert_eq!(&framed[5..], b"xy");
        assert_eq!(schema_id(b"{}"), None);
        assert_eq!(decimal_text(&[0x04, 0xd2], 2).as_deref(), Some("12.34"));
        assert_eq!(decimal_text(&[0xff], 1).as_deref(), Some("-0.1"));
        assert_eq!(scaled_integer("1.5", 2), Some(150));
        assert_eq!(scaled_integer("1.555", 2), None);
    }
}
