//! Every tool of the real registry, every top-level argument: a value of the wrong type is refused before
//! the tool runs, with an error naming that argument, and an unknown argument is named too, before any missing required one. No server is
//! needed: validation happens in dispatch, before any backend is reached.

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::Registry;
use kafka_qa_mcp::Error;
use serde_json::{json, Map, Value};

fn configured() -> Config {
    let mut c = Config::default();
    c.kafka.bootstrap_servers = "127.0.0.1:9".into();
    c.loki.url = Some("http://127.0.0.1:9".into());
    c.prometheus.url = Some("http://127.0.0.1:9".into());
    c.schema_registry.url = Some("http://127.0.0.1:9".into());
    c
}

/// A value no schema of this type accepts.
fn wrong_value(schema: &Value) -> Option<Value> {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    [json!({"not": "expected"}), json!("text"), json!(true), json!(12.5), json!([1])].into_iter().find(|v| {
        let kind = match v {
            Value::Object(_) => "object",
            Value::String(_) => "string",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            _ => "array",
        };
        !types.contains(&kind)
    })
}

#[tokio::test]
async fn wrong_types_and_unknown_arguments_are_named_for_every_tool() {
    let registry = Registry::new();
    let cx = CallContext::new(AppState::new(configured()).unwrap());
    let mut checked = 0;
    for (info, input, _) in registry.infos() {
        let props = input.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        for (name, schema) in &props {
            let Some(bad) = wrong_value(schema) else { continue };
            let mut args = Map::new();
            args.insert(name.clone(), bad.clone());
            match registry.call(&cx, info.name, Some(args)).await {
                Err(Error::BadInput { argument, .. }) => {
                    assert!(
                        argument.starts_with(name.as_str()),
                        "{}: sent {name}={bad}, error named `{argument}`",
                        info.name
                    )
                }
                other => panic!("{}: sent {name}={bad}, got {other:?}", info.name),
            }
            checked += 1;
        }
        let mut args = Map::new();
        args.insert("no_such_argument".into(), json!(1));
        match registry.call(&cx, info.name, Some(args)).await {
            Err(Error::BadInput { argument, .. }) => assert_eq!(argument, "no_such_argument", "{}", info.name),
            other => panic!("{}: an unknown argument gave {other:?}", info.name),
        }
    }
    assert!(checked >= 40, "only {checked} arguments checked");
}
