//! Avro binary straight to JSON, walking the writer schema over the bytes without building apache-avro's
//! `Value` tree first: the read path's hot loop (infer_schema, peek_messages, run_test_cases' watchers and
//! export_parquet decode every framed message). It gives exactly what [`super::codec::avro_to_json`] gives
//! for the same bytes (logical types go through it); on anything it does not handle (big-decimal) or bytes
//! that do not fit, the caller falls back to apache-avro's reader, whose error messages it keeps.

use super::codec::avro_to_json;
use apache_avro::schema::{Name, Schema as AvroSchema, UuidSchema};
use apache_avro::types::Value as AvroValue;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Why the fast path gave up: the bytes do not fit the schema (`Bad`: the caller asks apache-avro for its
/// error message), or a type it does not read (`Unsupported`: the caller decodes with apache-avro).
#[derive(Debug, PartialEq)]
pub enum GaveUp {
    Bad,
    Unsupported,
}

type R<T> = Result<T, GaveUp>;

/// Nesting deeper than this gives up (recursive schemas with hostile data).
const MAX_DEPTH: usize = 128;

/// Decodes one datum of `schema` from the front of `buf`, advancing it.
pub fn read(schema: &AvroSchema, names: &HashMap<Name, AvroSchema>, buf: &mut &[u8]) -> R<Value> {
    value(schema, names, buf, 0)
}

fn varint(buf: &mut &[u8]) -> R<u64> {
    let mut n: u64 = 0;
    for (i, &b) in buf.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *buf = &buf[i + 1..];
            return Ok(n);
        }
    }
    Err(GaveUp::Bad)
}

fn long(buf: &mut &[u8]) -> R<i64> {
    let n = varint(buf)?;
    Ok((n >> 1) as i64 ^ -((n & 1) as i64))
}

fn int(buf: &mut &[u8]) -> R<i32> {
    i32::try_from(long(buf)?).map_err(|_| GaveUp::Bad)
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> R<&'a [u8]> {
    if buf.len() < n {
        return Err(GaveUp::Bad);
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

fn bytes<'a>(buf: &mut &'a [u8]) -> R<&'a [u8]> {
    let n = usize::try_from(long(buf)?).map_err(|_| GaveUp::Bad)?;
    take(buf, n)
}

fn string(buf: &mut &[u8]) -> R<String> {
    std::str::from_utf8(bytes(buf)?).map(str::to_string).map_err(|_| GaveUp::Bad)
}

/// The item count of the next array or map block (0: the end).
fn block(buf: &mut &[u8]) -> R<usize> {
    let n = long(buf)?;
    if n < 0 {
        long(buf)?; // the block's size in bytes
    }
    usize::try_from(n.unsigned_abs()).map_err(|_| GaveUp::Bad)
}

fn value(schema: &AvroSchema, names: &HashMap<Name, AvroSchema>, buf: &mut &[u8], depth: usize) -> R<Value> {
    if depth > MAX_DEPTH {
        return Err(GaveUp::Bad);
    }
    let logical = |v: AvroValue| Ok(avro_to_json(v, schema, names));
    Ok(match schema {
        AvroSchema::Ref { name } => return value(names.get(name).ok_or(GaveUp::Bad)?, names, buf, depth + 1),
        AvroSchema::Null => Value::Null,
        AvroSchema::Boolean => match take(buf, 1)?[0] {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            _ => return Err(GaveUp::Bad),
        },
        AvroSchema::Int => Value::from(int(buf)?),
        AvroSchema::Long => Value::from(long(buf)?),
        AvroSchema::Float => {
            let f = f32::from_le_bytes(take(buf, 4)?.try_into().map_err(|_| GaveUp::Bad)?);
            serde_json::Number::from_f64(f64::from(f)).map_or(Value::Null, Value::Number)
        }
        AvroSchema::Double => {
            let f = f64::from_le_bytes(take(buf, 8)?.try_into().map_err(|_| GaveUp::Bad)?);
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        AvroSchema::String => Value::String(string(buf)?),
        AvroSchema::Bytes => Value::String(bytes(buf)?.iter().map(|&c| c as char).collect()),
        AvroSchema::Fixed(f) => Value::String(take(buf, f.size)?.iter().map(|&c| c as char).collect()),
        AvroSchema::Enum(e) => {
            let i = usize::try_from(int(buf)?).map_err(|_| GaveUp::Bad)?;
            Value::String(e.symbols.get(i).ok_or(GaveUp::Bad)?.clone())
        }
        AvroSchema::Uuid(kind) => {
            let u = match kind {
                UuidSchema::String => {
                    let s = string(buf)?;
                    // Already in the form uuid prints (lowercase, hyphenated): kept as is.
                    if canonical_uuid(&s) {
                        return Ok(Value::String(s));
                    }
                    s.parse::<uuid::Uuid>().map_err(|_| GaveUp::Bad)?
                }
                UuidSchema::Bytes => uuid::Uuid::from_slice(bytes(buf)?).map_err(|_| GaveUp::Bad)?,
                UuidSchema::Fixed(f) => uuid::Uuid::from_slice(take(buf, f.size)?).map_err(|_| GaveUp::Bad)?,
            };
            Value::String(u.to_string())
        }
        AvroSchema::Date => {
            let d = int(buf)?;
            return match civil(i64::from(d)) {
                Some((y, m, day)) => Ok(Value::String(format!("{y:04}-{m:02}-{day:02}"))),
                None => logical(AvroValue::Date(d)),
            };
        }
        AvroSchema::TimeMillis => return logical(AvroValue::TimeMillis(int(buf)?)),
        AvroSchema::TimeMicros => return logical(AvroValue::TimeMicros(long(buf)?)),
        AvroSchema::TimestampMillis => {
            let t = long(buf)?;
            return match timestamp_millis(t) {
                Some(text) => Ok(Value::String(text)),
                None => logical(AvroValue::TimestampMillis(t)),
            };
        }
        AvroSchema::TimestampMicros => return logical(AvroValue::TimestampMicros(long(buf)?)),
        AvroSchema::TimestampNanos => return logical(AvroValue::TimestampNanos(long(buf)?)),
        AvroSchema::LocalTimestampMillis => return logical(AvroValue::LocalTimestampMillis(long(buf)?)),
        AvroSchema::LocalTimestampMicros => return logical(AvroValue::LocalTimestampMicros(long(buf)?)),
        AvroSchema::LocalTimestampNanos => return logical(AvroValue::LocalTimestampNanos(long(buf)?)),
        AvroSchema::Decimal(d) => {
            let raw = match &d.inner {
                apache_avro::schema::InnerDecimalSchema::Fixed(f) => take(buf, f.size)?,
                _ => bytes(buf)?,
            };
            // The unscaled two's-complement integer as exact text (an empty one is 0, as apache-avro reads it).
            let raw = if raw.is_empty() { &[0u8][..] } else { raw };
            match super::codec::decimal_text(raw, d.scale) {
                Some(text) => Value::String(text),
                None => return logical(AvroValue::Decimal(apache_avro::Decimal::from(raw))),
            }
        }
        AvroSchema::Duration(_) => {
            let raw = take(buf, 12)?;
            let word = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
            serde_json::json!({"months": word(0), "days": word(4), "millis": word(8)})
        }
        AvroSchema::BigDecimal => return Err(GaveUp::Unsupported),
        AvroSchema::Union(u) => {
            let i = usize::try_from(long(buf)?).map_err(|_| GaveUp::Bad)?;
            return value(u.variants().get(i).ok_or(GaveUp::Bad)?, names, buf, depth + 1);
        }
        AvroSchema::Array(a) => {
            let mut items = vec![];
            loop {
                let n = block(buf)?;
                if n == 0 {
                    break;
                }
                items.reserve(n.min(buf.len()));
                for _ in 0..n {
                    items.push(value(&a.items, names, buf, depth + 1)?);
                }
            }
            Value::Array(items)
        }
        AvroSchema::Map(m) => {
            let mut entries: Vec<(String, Value)> = vec![];
            loop {
                let n = block(buf)?;
                if n == 0 {
                    break;
                }
                for _ in 0..n {
                    let k = string(buf)?;
                    entries.push((k, value(&m.types, names, buf, depth + 1)?));
                }
            }
            // Keys sorted, as avro_to_json gives them; a repeated key keeps its last value.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        AvroSchema::Record(r) => {
            let mut out = Map::with_capacity(r.fields.len());
            for f in &r.fields {
                out.insert(f.name.clone(), value(&f.schema, names, buf, depth + 1)?);
            }
            Value::Object(out)
        }
    })
}

/// Lowercase hyphenated 8-4-4-4-12 hex: what `uuid::Uuid`'s Display gives.
fn canonical_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// Days since 1970-01-01 as (year, month, day) for years 0..=9999 (Howard Hinnant's civil_from_days); None
/// outside, where chrono's wider forms apply.
fn civil(days: i64) -> Option<(i64, u32, u32)> {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (0..=9999).contains(&y).then_some((y, m, d))
}

/// Milliseconds since the epoch as chrono's RFC 3339 with `AutoSi` and `Z` (no fraction when whole seconds).
fn timestamp_millis(t: i64) -> Option<String> {
    let (secs, ms) = (t.div_euclid(1000), t.rem_euclid(1000));
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days)?;
    let (h, mi, s) = (sod / 3600, sod % 3600 / 60, sod % 60);
    Some(if ms == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Parsed, SchemaType};
    use serde_json::json;

    const SCHEMA: &str = r#"{"type":"record","name":"T","namespace":"x","fields":[
        {"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},
        {"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"s","type":"string"},
        {"name":"by","type":"bytes"},{"name":"fx","type":{"type":"fixed","name":"F","size":3}},
        {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B","C"]}},
        {"name":"u","type":{"type":"string","logicalType":"uuid"}},
        {"name":"dt","type":{"type":"int","logicalType":"date"}},
        {"name":"tm","type":{"type":"int","logicalType":"time-millis"}},
        {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"tu","type":{"type":"long","logicalType":"timestamp-micros"}},
        {"name":"lt","type":{"type":"long","logicalType":"local-timestamp-millis"}},
        {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":3}},
        {"name":"decf","type":{"type":"fixed","name":"DF","size":6,"logicalType":"decimal","precision":10,"scale":2}},
        {"name":"n","type":["null","string","long"]},
        {"name":"arr","type":{"type":"array","items":{"type":"record","name":"I","fields":[{"name":"k","type":"string"},{"name":"e2","type":"E"}]}}},
        {"name":"m","type":{"type":"map","values":["null","double"]}},
        {"name":"next","type":["null","T"]}]}"#;

    fn slow(parsed: &Parsed, payload: &[u8]) -> Value {
        let Parsed::Avro { schema, names, .. } = parsed else { unreachable!() };
        let mut reader = payload;
        let v = apache_avro::reader::datum::GenericDatumReader::builder(schema)
            .build()
            .and_then(|r| r.read_value(&mut reader))
            .unwrap();
        avro_to_json(v, schema, names)
    }

    #[test]
    fn gives_what_apache_avro_and_avro_to_json_give() {
        let parsed = Parsed::parse(SchemaType::Avro, SCHEMA, &[]).unwrap();
        let Parsed::Avro { schema, names, .. } = &parsed else { unreachable!() };
        let inner = json!({"b": false, "i": -1, "l": 0, "f": 0.0, "d": -0.5, "s": "", "by": "", "fx": "\u{0}\u{ff}a",
            "e": "A", "u": "00000000-0000-0000-0000-000000000000", "dt": "1969-12-31", "tm": "00:00:00.001",
            "ts": "1960-01-01T00:00:00Z", "tu": "2024-01-15T03:00:00.123456Z", "lt": "2024-01-15T03:00:00",
            "dec": "-0.001", "decf": "-12345678.90", "n": null, "arr": [], "m": {}, "next": null});
        let mut outer = json!({"b": true, "i": 2147483647, "l": -9007199254740993i64, "f": 1.5, "d": 1e300,
            "s": "héllo ✓", "by": "a\u{1}", "fx": "xyz", "e": "C", "u": "B0E1F0A2-3C4D-4E5F-8A9B-0C1D2E3F4A5B",
            "dt": "2024-02-29", "tm": "23:59:59.999", "ts": "2024-01-15T03:00:00.250Z", "tu": 0, "lt": 0,
            "dec": "123456.789", "decf": "0.05", "n": 42, "arr": [{"k": "a", "e2": "B"}, {"k": "", "e2": "A"}],
            "m": {"z": 1.25, "a": null}, "next": inner});
        for v in [outer.clone(), {
            outer["n"] = json!("text");
            outer.clone()
        }] {
            let payload = parsed.encode(&v, None).unwrap();
            let mut rest = &payload[..];
            let fast = read(schema, names, &mut rest).unwrap();
            assert!(rest.is_empty());
            assert_eq!(fast, slow(&parsed, &payload));
            assert_eq!(parsed.decode(&payload).unwrap().0, fast);
        }
        // Cut bytes give up (the codec then reports apache-avro's error); nothing panics on any prefix.
        let payload = parsed.encode(&outer, None).unwrap();
        for cut in 0..payload.len() {
            let mut rest = &payload[..cut];
            assert!(read(schema, names, &mut rest).is_err(), "cut at {cut}");
        }
        assert!(parsed.decode(&payload[..payload.len() - 1]).is_err());
    }

    #[test]
    fn fast_dates_timestamps_uuids_and_decimals_match_the_general_path() {
        let names = HashMap::new();
        for t in [
            0i64,
            1,
            -1,
            999,
            1000,
            -86_400_000,
            1_705_287_600_250,
            951_782_400_000,
            -62_135_596_800_000,
            253_402_300_799_999,
        ] {
            let want = avro_to_json(AvroValue::TimestampMillis(t), &AvroSchema::TimestampMillis, &names);
            assert_eq!(timestamp_millis(t).map(Value::String), Some(want), "{t}");
        }
        for d in [0i64, -1, 59, 60, 11_016, 19_723, -719_162, -719_163, 2_932_896, -25_567] {
            let want = avro_to_json(AvroValue::Date(d as i32), &AvroSchema::Date, &names);
            let (y, m, day) = civil(d).unwrap();
            assert_eq!(Value::String(format!("{y:04}-{m:02}-{day:02}")), want, "{d}");
        }
        assert_eq!(civil(-800_000), None, "years before 0 go to chrono");
        assert!(canonical_uuid("b0e1f0a2-3c4d-4e5f-8a9b-0c1d2e3f4a5b"));
        assert!(!canonical_uuid("B0E1F0A2-3C4D-4E5F-8A9B-0C1D2E3F4A5B"));
        assert!(!canonical_uuid("b0e1f0a23c4d4e5f8a9b0c1d2e3f4a5b"));
    }
}
