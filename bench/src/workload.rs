//! Workloads: loading the shared ones, the typed chain, and checking outputs.

use super::*;

/// One loaded workload, ready to time.
pub(crate) struct Workload {
    pub(crate) source: Source,
    pub(crate) input: JsonText,
    /// What every execution must output.
    pub(crate) check: Check,
    pub(crate) transitions: u64,
    pub(crate) payload_limit: bool,
    pub(crate) paused_clock: bool,
    /// Keep the history (only the `history:N` scaling runs; Express-like otherwise).
    pub(crate) keep_history: bool,
}

/// Where a workload's state machine comes from.
pub(crate) enum Source {
    /// An ASL definition (a shared workload or a scaling size).
    Asl(Value),
    /// `stepfn_examples::typed::TypedChain100` (`typed_chain_100`).
    TypedChain,
}

/// A JSON value kept as its compact text. The harness holds workload inputs and expected
/// outputs this way, so the peak RSS it reports is the engine's, not that of the harness's own
/// copies of large values (c_map_10k's input and output are about 10 MiB each as `Value`s).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JsonText(String);

impl JsonText {
    pub(crate) fn new(v: &Value) -> Self {
        JsonText(v.to_string())
    }

    /// The JSON file at `path`, checked and made compact without building its value (a
    /// large file's value would raise the peak RSS the harness reports).
    pub(crate) fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str::<serde::de::IgnoredAny>(&text)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        Ok(JsonText(compact(&text)))
    }

    /// The value (parsed from text checked to be JSON, so it parses).
    pub(crate) fn value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

/// `text` (valid JSON) without the whitespace between its tokens.
pub(crate) fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

pub(crate) enum Check {
    /// Exactly this JSON value.
    Exact(JsonText),
    /// A generated Map's output: item `i` is `map_output_item(i)`; `n` items.
    MapItems(u64),
}

impl Check {
    /// `None` when `output` is right, else where it first differs.
    pub(crate) fn difference(&self, output: &Value) -> Option<String> {
        match self {
            Check::Exact(want) => {
                // Equal text is an equal value; otherwise compare values (key order aside).
                if serde_json::to_string(output).is_ok_and(|got| got == want.0) {
                    None
                } else {
                    first_difference(output, &want.value(), "$")
                }
            }
            Check::MapItems(n) => {
                let Some(items) = output.as_array() else {
                    return Some(format!("$: got {}, want an array", kind(output)));
                };
                if items.len() as u64 != *n {
                    return Some(format!("$: got {} items, want {n}", items.len()));
                }
                items.iter().enumerate().find_map(|(i, got)| {
                    first_difference(got, &map_output_item(i as u64), &format!("$[{i}]"))
                })
            }
        }
    }
}

pub(crate) fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

/// `NAME` from `dir` (`typed_chain_100` is generated and needs no `dir`).
pub(crate) fn load_workload(dir: Option<&Path>, name: &str) -> Result<Workload, String> {
    if name == TYPED_CHAIN {
        return Ok(typed_chain_workload());
    }
    let dir = dir.ok_or("--workloads DIR is required")?;
    let manifest = read_json(&dir.join("manifest.json"))?;
    let transitions = manifest
        .get(name)
        .and_then(|m| m.get("transitions"))
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("{name} has no transitions in manifest.json"))?;
    let mut definition = read_json(&dir.join(format!("{name}.asl.json")))?;
    let input = JsonText::read(&dir.join(format!("{name}.input.json")))?;
    let expected = JsonText::read(&dir.join(format!("{name}.expected.json")))?;
    let paused_clock = PAUSED_CLOCK.contains(&name);
    if paused_clock {
        set_retry_intervals(&mut definition, 1);
    }
    Ok(Workload {
        source: Source::Asl(definition),
        input,
        check: Check::Exact(expected),
        transitions,
        payload_limit: !NO_PAYLOAD_LIMIT.contains(&name),
        paused_clock,
        keep_history: false,
    })
}

/// `typed_chain_100`: `TypedChain100` counting `n` from 0 to 100.
pub(crate) fn typed_chain_workload() -> Workload {
    Workload {
        source: Source::TypedChain,
        input: JsonText::new(&json!({ "n": 0, "label": "x", "tags": ["a", "b"] })),
        check: Check::Exact(JsonText::new(
            &json!({ "n": 100, "label": "x", "tags": ["a", "b"] }),
        )),
        transitions: 100,
        payload_limit: true,
        paused_clock: false,
        keep_history: false,
    }
}

/// A compiled workflow's `Workflow::execute`.
pub(crate) type Execute =
    fn(Value, ExecutionOptions) -> Pin<Box<dyn Future<Output = ExecutionResult> + Send>>;

/// The `workflow!` type of shared workload `name` (or of `typed_chain_100`): its `execute`,
/// `COMPILED`, and its ASL as JSON.
pub(crate) fn compiled_workflow(name: &str) -> Result<(Execute, bool, Value), String> {
    pub(crate) fn of<W: Workflow>() -> Result<(Execute, bool, Value), String> {
        let asl = serde_json::from_str(W::ASL)
            .map_err(|e| format!("{}::ASL is not JSON: {e}", W::NAME))?;
        Ok((W::execute, W::COMPILED, asl))
    }
    match name {
        "t_trivial_3" => of::<TrivialThree>(),
        "a_pass_chain_100" => of::<PassChain100>(),
        "b_choice_loop_10k" => of::<ChoiceLoop10k>(),
        "c_map_10k" => of::<Map10k>(),
        "d_parallel_10x10" => of::<Parallel10x10>(),
        "e_retry_catch" => of::<RetryCatch>(),
        TYPED_CHAIN => of::<TypedChain100>(),
        _ => Err(format!("{name} has no workflow! type to compile")),
    }
}

/// Sets `IntervalSeconds` of every retrier anywhere in `definition` to `secs`.
pub(crate) fn set_retry_intervals(definition: &mut Value, secs: u64) {
    match definition {
        Value::Object(map) => {
            if let Some(Value::Array(retriers)) = map.get_mut("Retry") {
                for r in retriers.iter_mut().filter_map(Value::as_object_mut) {
                    r.insert("IntervalSeconds".into(), json!(secs));
                }
            }
            for v in map.values_mut() {
                set_retry_intervals(v, secs);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| set_retry_intervals(v, secs)),
        _ => {}
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where `got` first differs from `want` (a JSON path and both values), or `None` when
/// they are equal as JSON values.
pub(crate) fn first_difference(got: &Value, want: &Value, at: &str) -> Option<String> {
    if got == want {
        return None;
    }
    let show = |v: &Value| {
        let s = v.to_string();
        if s.chars().count() > 80 {
            format!("{}...", s.chars().take(77).collect::<String>())
        } else {
            s
        }
    };
    match (got, want) {
        (Value::Array(g), Value::Array(w)) => {
            if g.len() != w.len() {
                return Some(format!("{at}: got {} items, want {}", g.len(), w.len()));
            }
            g.iter()
                .zip(w)
                .enumerate()
                .find_map(|(i, (g, w))| first_difference(g, w, &format!("{at}[{i}]")))
        }
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                match g.get(k) {
                    None => return Some(format!("{at}.{k}: missing")),
                    Some(gv) => {
                        if let Some(d) = first_difference(gv, wv, &format!("{at}.{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            g.keys()
                .find(|k| !w.contains_key(*k))
                .map(|k| format!("{at}.{k}: unexpected field"))
        }
        _ if kind(got) != kind(want) => Some(format!(
            "{at}: got {} {}, want {} {}",
            kind(got),
            show(got),
            kind(want),
            show(want)
        )),
        _ => Some(format!("{at}: got {}, want {}", show(got), show(want))),
    }
}

// ------------------------------------------------------------------- scaling ---
