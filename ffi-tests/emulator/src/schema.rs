//! Validation of request bodies and query parameters against Google's own
//! Calendar v3 discovery document, so the emulator and Google agree on field
//! names and types without us re-typing the schema.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::clock;

/// Compiled in: the emulator must never depend on the working directory.
const DISCOVERY: &str = include_str!("../calendar.v3.json");

pub fn discovery() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    // The document is a fixed, checked-in file: failing here is a build defect, not client input.
    DOC.get_or_init(|| {
        serde_json::from_str(DISCOVERY).expect("bundled calendar.v3.json is valid JSON")
    })
}

/// A 400-level validation failure, rendered by the caller in Google's API error shape.
#[derive(Debug)]
pub struct Invalid {
    pub reason: &'static str,
    pub message: String,
    /// (locationType, location), e.g. ("parameter", "sendUpdates").
    pub location: Option<(&'static str, String)>,
}

pub fn invalid(message: impl Into<String>) -> Invalid {
    Invalid {
        reason: "invalid",
        message: message.into(),
        location: None,
    }
}

pub fn required(message: impl Into<String>) -> Invalid {
    Invalid {
        reason: "required",
        message: message.into(),
        location: None,
    }
}

/// Validates `value` against the named schema (e.g. "Event").
///
/// Deliberately stricter than Google: Google silently drops unknown fields,
/// we reject them so a misspelt field in the library fails a test instead of
/// vanishing. Read-only fields are accepted and ignored, as Google does.
pub fn validate_resource(value: &Value, schema: &str) -> Result<(), Invalid> {
    check(value, &serde_json::json!({"$ref": schema}), "resource")
}

fn resolve(node: &Value) -> &Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => discovery()
            .pointer(&format!("/schemas/{r}"))
            .unwrap_or(&Value::Null),
        None => node,
    }
}

fn type_name(node: &Value) -> &'static str {
    match node.get("type").and_then(Value::as_str) {
        Some("string") if node.get("format").and_then(Value::as_str) == Some("int64") => {
            "TYPE_INT64"
        }
        Some("string") => "TYPE_STRING",
        Some("integer") => "TYPE_INT32",
        Some("boolean") => "TYPE_BOOL",
        Some("number") => "TYPE_DOUBLE",
        Some("array") => "TYPE_LIST",
        _ => "TYPE_MESSAGE",
    }
}

fn bad_value(at: &str, node: &Value, v: &Value) -> Invalid {
    invalid(format!(
        "Invalid value at '{at}' ({}), {v}",
        type_name(node)
    ))
}

/// The discovery document lists most Event enums only in prose
/// ("Possible values are: - \"email\" ..."); recover them from there.
fn allowed_values(node: &Value) -> Option<Vec<String>> {
    if let Some(list) = node.get("enum").and_then(Value::as_array) {
        return Some(
            list.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
        );
    }
    let desc = node.get("description").and_then(Value::as_str)?;
    let rest = &desc[desc.find("Possible values are:")?..];
    let values: Vec<String> = rest
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- \""))
        .filter_map(|l| l.split('"').next())
        .map(String::from)
        .collect();
    (!values.is_empty()).then_some(values)
}

fn bound(node: &Value, key: &str) -> Option<i64> {
    node.get(key)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

fn check(v: &Value, node: &Value, at: &str) -> Result<(), Invalid> {
    let node = resolve(node);
    if v.is_null() {
        return Ok(()); // JSON null means "unset" to Google.
    }
    match node.get("type").and_then(Value::as_str) {
        Some("object") => {
            let Value::Object(obj) = v else {
                return Err(bad_value(at, node, v));
            };
            check_object(obj, node, at)
        }
        Some("array") => {
            let Value::Array(items) = v else {
                return Err(bad_value(at, node, v));
            };
            let item_schema = node.get("items").unwrap_or(&Value::Null);
            for (i, item) in items.iter().enumerate() {
                check(item, item_schema, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        Some("string") => {
            let Value::String(s) = v else {
                return Err(bad_value(at, node, v));
            };
            let ok = match node.get("format").and_then(Value::as_str) {
                // The offset may be absent when a timeZone accompanies it; calendar.rs enforces that.
                Some("date-time") => clock::parse_date_time(s).is_some(),
                Some("date") => clock::parse_date(s).is_some(),
                Some("int64") => s.strip_prefix('-').unwrap_or(s).parse::<u64>().is_ok(),
                _ => true,
            };
            if !ok {
                return Err(bad_value(at, node, v));
            }
            if let Some(values) = allowed_values(node) {
                if !values.iter().any(|a| a == s) {
                    return Err(invalid(format!("Invalid value at '{at}' (TYPE_ENUM), {v}")));
                }
            }
            Ok(())
        }
        Some("integer") => {
            let n = v.as_i64().ok_or_else(|| bad_value(at, node, v))?;
            let int32 = node.get("format").and_then(Value::as_str) == Some("int32");
            let too_small =
                bound(node, "minimum").is_some_and(|m| n < m) || (int32 && n < i32::MIN as i64);
            let too_big =
                bound(node, "maximum").is_some_and(|m| n > m) || (int32 && n > i32::MAX as i64);
            if too_small || too_big {
                return Err(bad_value(at, node, v));
            }
            Ok(())
        }
        Some("boolean") if !v.is_boolean() => Err(bad_value(at, node, v)),
        Some("number") if !v.is_number() => Err(bad_value(at, node, v)),
        _ => Ok(()), // "any" and anything the document leaves untyped
    }
}

fn check_object(obj: &Map<String, Value>, node: &Value, at: &str) -> Result<(), Invalid> {
    let props = node.get("properties").and_then(Value::as_object);
    let extra = node.get("additionalProperties");
    for (k, val) in obj {
        let child_at = format!("{at}.{k}");
        if let Some(p) = props.and_then(|p| p.get(k)) {
            check(val, p, &child_at)?;
        } else if let Some(extra) = extra {
            check(val, extra, &child_at)?;
        } else if props.is_some() {
            let msg = if at == "resource" {
                format!("Invalid JSON payload received. Unknown name \"{k}\": Cannot find field.")
            } else {
                format!("Invalid JSON payload received. Unknown name \"{k}\" at '{at}': Cannot find field.")
            };
            return Err(invalid(msg));
        }
    }
    Ok(())
}

/// Validates the query string of `events.<method>` against the discovery
/// document's query parameters plus its global ones (alt, fields, ...).
pub fn validate_query(method: &str, query: &str) -> Result<(), Invalid> {
    validate_query_of("events", method, query)
}

/// The same for `<resource>.<method>`, e.g. calendarList.list.
pub fn validate_query_of(resource: &str, method: &str, query: &str) -> Result<(), Invalid> {
    let doc = discovery();
    let method_params = doc.pointer(&format!(
        "/resources/{resource}/methods/{method}/parameters"
    ));
    let global = doc.get("parameters");
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let spec = method_params
            .and_then(|m| m.get(name.as_ref()))
            .filter(|p| p.get("location").and_then(Value::as_str) == Some("query"))
            .or_else(|| global.and_then(|g| g.get(name.as_ref())));
        let loc = || Some(("parameter", name.to_string()));
        let Some(spec) = spec else {
            return Err(Invalid {
                reason: "invalid",
                message: format!(
                    "Invalid JSON payload received. Unknown name \"{name}\": Cannot bind query parameter. \
                     Field '{name}' could not be found in request message."
                ),
                location: loc(),
            });
        };
        let repeated = spec
            .get("repeated")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !repeated && seen.iter().any(|s| *s == name) {
            return Err(Invalid {
                location: loc(),
                ..invalid(format!("Parameter {name} is repeated."))
            });
        }
        seen.push(name.to_string());
        let ok = match spec.get("type").and_then(Value::as_str) {
            Some("integer") => value.parse::<i64>().is_ok_and(|n| {
                bound(spec, "minimum").is_none_or(|m| n >= m)
                    && bound(spec, "maximum").is_none_or(|m| n <= m)
            }),
            Some("boolean") => value == "true" || value == "false",
            _ => allowed_values(spec).is_none_or(|vals| vals.iter().any(|a| *a == value)),
        };
        if !ok {
            return Err(Invalid {
                location: loc(),
                ..invalid(format!("Invalid value '{value}' for parameter {name}."))
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_schema() {
        let ok = json!({"summary":"x","start":{"dateTime":"2026-01-01T10:00:00Z"},
            "reminders":{"useDefault":false,"overrides":[{"method":"popup","minutes":10}]},
            "extendedProperties":{"private":{"ucm_meeting_id":"42"}}});
        assert!(validate_resource(&ok, "Event").is_ok());
        let e = validate_resource(&json!({"sumary":"x"}), "Event").unwrap_err();
        assert!(
            e.message.contains("Unknown name \"sumary\""),
            "{}",
            e.message
        );
        assert!(validate_resource(
            &json!({"reminders":{"overrides":[{"method":"sms"}]}}),
            "Event"
        )
        .is_err());
        assert!(validate_resource(&json!({"summary":5}), "Event").is_err());
        assert!(
            validate_resource(&json!({"extendedProperties":{"private":{"a":1}}}), "Event").is_err()
        );
        assert!(validate_resource(&json!({"start":{"date":"2026-13-01"}}), "Event").is_err());
        assert!(validate_resource(&json!({"visibility":"secret"}), "Event").is_err());
    }

    #[test]
    fn query() {
        assert!(validate_query("insert", "sendUpdates=none&conferenceDataVersion=1").is_ok());
        assert!(validate_query("insert", "sendUpdates=some").is_err());
        assert!(validate_query("insert", "conferenceDataVersion=2").is_err());
        assert!(validate_query("insert", "bogus=1").is_err());
        assert!(validate_query("get", "alt=json&fields=id").is_ok());
    }
}
