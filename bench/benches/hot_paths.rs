//! Criterion micro-benchmarks of stepfn's hot paths.
//!
//! ```text
//! cargo bench -p stepfn-bench --bench hot_paths                  # everything
//! cargo bench -p stepfn-bench --bench hot_paths -- choice         # one group (a filter)
//! cargo bench -p stepfn-bench --bench hot_paths -- --warm-up-time 0.5 --measurement-time 1
//! ```
//!
//! Groups:
//! * `path`: a definite path (`$.order.customer.address.city`) read by reference and by value,
//!   an indefinite one (`$.order.items[*].id`) over 20 items, and `ResultPath` placement.
//! * `template`: a `Parameters` payload template with six `.$` fields (one of them `$$`, one
//!   an intrinsic call) and two literal ones.
//! * `intrinsic`: `States.Format`, `States.MathAdd`, `States.JsonToString`, `States.Array`,
//!   `States.ArrayContains`, `States.ArrayLength` and a nested call, path arguments included.
//! * `choice`: a Choice state's rules (`And`/`Or`/`Not`, numeric and string comparisons,
//!   `StringMatches`, a `…Path` comparison) scanned in order as the interpreter does, and some of
//!   its conditions alone.
//! * `compiled`: whole executions of 100-transition workflows reported per transition
//!   (`Throughput::Elements(100)`: criterion's `thrpt` is transitions per second):
//!   `PassChain100` compiled (its `workflow!`-generated Rust) and interpreted (the same ASL),
//!   `TypedChain100` compiled from a typed input, from JSON, and interpreted.
//! * `floor`: what an execution of three workloads costs before any engine work, the bound on
//!   how much faster than the interpreter the compiled form can be there: making and freeing
//!   `c_map_10k`'s output (10,000 objects), `t_trivial_3`'s input and output, and
//!   `e_retry_catch`'s two retry waits on a paused tokio clock.
//!
//! Everything is parsed once, outside the timed closure: only evaluation is timed. Where an
//! evaluation consumes its input (ResultPath placement, executions), the input is cloned in
//! criterion's untimed setup (`iter_batched`), and outputs are dropped after the timer stops.
//! The global allocator is mimalloc, as in the `stepfn-bench` binary. Executions run
//! Express-like (`keep_history: false`), awaited one after another inside one `block_on` of a
//! current-thread tokio runtime (criterion's `to_async`: no `block_on` per execution).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mimalloc::MiMalloc;
use serde_json::{json, Value};
use stepfn::__private::internals::choice;
use stepfn::__private::internals::ExecutionInfo;
use stepfn::__private::internals::{intrinsics, paths, template, Context, Env, Variables};
use stepfn::asl::{IntrinsicCall, Path, ResultPath, StateKind, StateMachine, Template};
use stepfn::{ExecutionOptions, ExecutionStatus, StatesError, Workflow};
use stepfn_examples::typed::{Counter, TypedChain100};
use stepfn_examples::workloads::PassChain100;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// A realistic state input: an order with a customer and 20 line items.
fn document() -> Value {
    let items: Vec<Value> = (0..20)
        .map(|i| {
            json!({
                "id": format!("item-{i:03}"),
                "sku": format!("SKU-{:05}", 1000 + i * 7),
                "qty": 1 + i % 4,
                "price": 9.99 + f64::from(i),
                "tags": ["standard", if i % 3 == 0 { "fragile" } else { "boxed" }],
            })
        })
        .collect();
    json!({
        "order": {
            "id": "ord-7f3a9c",
            "status": "open",
            "total": 1234.5,
            "count": 20,
            "express": true,
            "placed": "2024-05-01T12:30:00Z",
            "tags": ["web", "promo", "priority"],
            "customer": {
                "id": "cus-42",
                "name": "Alice Example",
                "email": "alice@example.com",
                "tier": "silver",
                "address": {
                    "street": "1 Main St",
                    "city": "Springfield",
                    "zip": "12345",
                    "country": "US"
                }
            },
            "items": items,
        },
        "limits": { "min": 1000, "max": 5000 },
        "counter": { "n": 41 },
    })
}

/// The facts of one execution, as the interpreter builds them (leaked: a context borrows them,
/// and fixtures live as long as the benchmark process).
fn execution_info(input: &Value) -> &'static ExecutionInfo {
    Box::leak(Box::new(ExecutionInfo {
        id: "arn:aws:states:us-east-1:123456789012:execution:Bench:exec-1".into(),
        name: "exec-1".into(),
        start_time: "2024-05-01T12:30:00.000Z".into(),
        input: input.clone(),
        role_arn: "arn:aws:iam::123456789012:role/StepFunctions-Bench".into(),
        redrive_count: 0,
        state_machine_id: "arn:aws:states:us-east-1:123456789012:stateMachine:Bench".into(),
        state_machine_name: "Bench".into(),
    }))
}

fn path(text: &str) -> Path {
    Path::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn intrinsic(text: &str) -> IntrinsicCall {
    IntrinsicCall::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A path argument of an intrinsic call, read as the template evaluator reads it.
/// Resolves intrinsic path arguments as templates do: a definite path's value is borrowed.
fn resolver<'a>(
    input: &'a Value,
    env: &'a Env<'a>,
) -> impl FnMut(&Path) -> Result<std::borrow::Cow<'a, Value>, StatesError> + 'a {
    move |p| {
        let found = if p.is_definite() {
            paths::select_ref(p, input, env)?.map(std::borrow::Cow::Borrowed)
        } else {
            paths::select(p, input, env)?.map(std::borrow::Cow::Owned)
        };
        found.ok_or_else(|| paths::path_not_found(p, "bench.$", input))
    }
}

/// What the evaluation benchmarks read: the document, and a context and variables for `$$`
/// and `$name`.
struct Fixture {
    doc: Value,
    ctx: Context<'static>,
    vars: Variables,
}

impl Fixture {
    fn new() -> Self {
        let doc = document();
        let ctx = Context::new(
            execution_info(&doc),
            "Bench",
            jiff::Timestamp::UNIX_EPOCH,
            Some(0),
        );
        Fixture {
            doc,
            ctx,
            vars: Variables::new(),
        }
    }

    fn env(&self) -> Env<'_> {
        Env {
            context: &self.ctx,
            vars: &self.vars,
        }
    }
}

fn bench_path(c: &mut Criterion) {
    let fixture = Fixture::new();
    let (doc, env) = (fixture.doc.clone(), fixture.env());
    let definite = path("$.order.customer.address.city");
    let indefinite = path("$.order.items[*].id");
    let result_path = ResultPath::Path(path("$.result.summary"));
    let result = json!({ "ok": true, "count": 20, "city": "Springfield" });
    // Sanity: the paths find what the benchmark claims to read.
    assert_eq!(
        paths::select(&definite, &doc, &env).unwrap(),
        Some(json!("Springfield"))
    );
    assert_eq!(
        paths::select(&indefinite, &doc, &env)
            .unwrap()
            .and_then(|v| v.as_array().map(Vec::len)),
        Some(20)
    );

    let mut g = c.benchmark_group("path");
    g.bench_function("definite_ref", |b| {
        b.iter(|| {
            black_box(paths::select_ref(black_box(&definite), black_box(&doc), &env).unwrap())
                .is_some()
        })
    });
    g.bench_function("definite_value", |b| {
        b.iter(|| paths::select(black_box(&definite), black_box(&doc), &env).unwrap())
    });
    g.bench_function("indefinite_items_id", |b| {
        b.iter(|| paths::select(black_box(&indefinite), black_box(&doc), &env).unwrap())
    });
    g.bench_function("result_path_place", |b| {
        b.iter_batched(
            || (doc.clone(), result.clone()),
            |(input, result)| {
                paths::apply_result_path(Some(black_box(&result_path)), input, result).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn bench_template(c: &mut Criterion) {
    let doc = document();
    let info = execution_info(&doc);
    let ctx = Context::new(info, "Bench", jiff::Timestamp::UNIX_EPOCH, Some(0));
    // The context object is built lazily, once per state attempt: build it before timing.
    let _ = ctx.value();
    let vars = Variables::new();
    let env = Env {
        context: &ctx,
        vars: &vars,
    };
    let source = json!({
        "orderId.$": "$.order.id",
        "customer.$": "$.order.customer.name",
        "city.$": "$.order.customer.address.city",
        "itemIds.$": "$.order.items[*].id",
        "executionId.$": "$$.Execution.Id",
        "greeting.$": "States.Format('Hello {}, order {} is {}', $.order.customer.name, $.order.id, $.order.status)",
        "source": "bench",
        "options": { "notify": true, "channel": "email" }
    });
    let mut errors = Vec::new();
    let parameters = Template::parse_payload(&source, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    let out = template::evaluate(&parameters, &doc, &env).unwrap();
    assert_eq!(
        out["greeting"],
        json!("Hello Alice Example, order ord-7f3a9c is open")
    );

    let mut g = c.benchmark_group("template");
    g.bench_function("parameters", |b| {
        b.iter(|| template::evaluate(black_box(&parameters), black_box(&doc), &env).unwrap())
    });
    g.finish();
}

fn bench_intrinsic(c: &mut Criterion) {
    let fixture = Fixture::new();
    let (doc, env) = (fixture.doc.clone(), fixture.env());
    let calls = [
        (
            "format",
            "States.Format('Order {} for {} ({} items, total {})', $.order.id, $.order.customer.name, $.order.count, $.order.total)",
        ),
        ("math_add", "States.MathAdd($.counter.n, 1)"),
        ("json_to_string", "States.JsonToString($.order.customer)"),
        (
            "array",
            "States.Array($.order.id, 'literal', 42, $.order.customer.name, $.order.express)",
        ),
        (
            "array_contains",
            "States.ArrayContains($.order.tags, 'priority')",
        ),
        ("array_length", "States.ArrayLength($.order.items)"),
        (
            "nested",
            "States.Format('{} has {} tags', $.order.id, States.ArrayLength($.order.tags))",
        ),
    ];

    let mut g = c.benchmark_group("intrinsic");
    for (name, text) in calls {
        let call = intrinsic(text);
        // Sanity: every call succeeds on the document.
        intrinsics::evaluate(&call, &mut resolver(&doc, &env))
            .unwrap_or_else(|e| panic!("{text}: {e:?}"));
        g.bench_function(name, |b| {
            let mut resolve = resolver(&doc, &env);
            b.iter(|| intrinsics::evaluate(black_box(&call), &mut resolve).unwrap())
        });
    }
    g.finish();
}

/// A Choice state as the interpreter runs one: the first rule whose condition holds, else the
/// default.
const CHOICE_MACHINE: &str = r#"{
  "StartAt": "Route",
  "States": {
    "Route": {
      "Type": "Choice",
      "Choices": [
        {
          "And": [
            { "Variable": "$.order.total", "NumericGreaterThan": 1000 },
            { "Variable": "$.order.express", "BooleanEquals": true },
            { "Variable": "$.order.customer.tier", "StringEquals": "gold" }
          ],
          "Next": "Vip"
        },
        {
          "Or": [
            { "Variable": "$.order.status", "StringEquals": "cancelled" },
            { "Variable": "$.order.count", "NumericLessThanEquals": 0 },
            { "Variable": "$.order.customer.email", "StringMatches": "*@blocked.example" }
          ],
          "Next": "Reject"
        },
        {
          "Not": { "Variable": "$.order.status", "StringEquals": "open" },
          "Next": "Closed"
        },
        {
          "And": [
            { "Variable": "$.order.customer.email", "StringMatches": "*@example.com" },
            { "Variable": "$.order.total", "NumericGreaterThanEqualsPath": "$.limits.min" },
            { "Variable": "$.order.total", "NumericLessThan": 5000 },
            { "Variable": "$.order.customer.address.country", "StringGreaterThanEquals": "UA" },
            {
              "Not": {
                "Or": [
                  { "Variable": "$.order.coupon", "IsPresent": true },
                  { "Variable": "$.order.placed", "TimestampLessThan": "2024-01-01T00:00:00Z" }
                ]
              }
            }
          ],
          "Next": "Review"
        }
      ],
      "Default": "Standard"
    },
    "Vip": { "Type": "Succeed" },
    "Reject": { "Type": "Succeed" },
    "Closed": { "Type": "Succeed" },
    "Review": { "Type": "Succeed" },
    "Standard": { "Type": "Succeed" }
  }
}"#;

fn bench_choice(c: &mut Criterion) {
    let machine = StateMachine::from_json_str(CHOICE_MACHINE)
        .unwrap_or_else(|d| panic!("the Choice machine is invalid: {d:?}"));
    let StateKind::Choice(route) = &machine.states["Route"].kind else {
        panic!("Route is not a Choice state");
    };
    let doc = document();
    let info = execution_info(&doc);
    let ctx = Context::new(info, "Route", jiff::Timestamp::UNIX_EPOCH, Some(0));
    let vars = Variables::new();
    let env = Env {
        context: &ctx,
        vars: &vars,
    };
    // The interpreter's scan: rules in order, the first match wins.
    let pick = |input: &Value| -> Option<&str> {
        for rule in &route.choices {
            if choice::evaluate(&rule.condition, input, &env).unwrap() {
                return rule.next.as_deref();
            }
        }
        route.default.as_deref()
    };
    // Every rule is evaluated: the last one matches.
    assert_eq!(pick(&doc), Some("Review"));

    let mut g = c.benchmark_group("choice");
    g.bench_function("state_4_rules", |b| {
        b.iter(|| pick(black_box(&doc)).map(str::len))
    });
    let conditions = [
        ("and_numeric_bool_string", 0),
        ("or_with_string_matches", 1),
        ("not_string_equals", 2),
        ("and_matches_path_not_or", 3),
    ];
    for (name, i) in conditions {
        let cond = &route.choices[i].condition;
        g.bench_function(name, |b| {
            b.iter(|| choice::evaluate(black_box(cond), black_box(&doc), &env).unwrap())
        });
    }
    g.bench_function("string_matches", |b| {
        b.iter(|| {
            choice::string_matches(black_box("alice@example.com"), black_box("*@example.com"))
        })
    });
    g.finish();
}

/// The options `stepfn-bench` runs executions with (Express-like).
fn options() -> ExecutionOptions {
    ExecutionOptions {
        name: None,
        keep_history: false,
        payload_limit: ExecutionOptions::default().payload_limit,
    }
}

fn succeeded(r: &stepfn::ExecutionResult) -> &Value {
    assert_eq!(r.status, ExecutionStatus::Succeeded, "{r:?}");
    r.output
        .as_ref()
        .expect("a succeeded execution has an output")
}

fn bench_compiled(c: &mut Criterion) {
    const TRANSITIONS: u64 = 100;
    // Else `execute` would fall back to the interpreter: checked when the bench is built.
    const {
        assert!(PassChain100::COMPILED, "PassChain100 is not compiled");
        assert!(TypedChain100::COMPILED, "TypedChain100 is not compiled");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let options = options();

    // `a_pass_chain_100`: 100 Pass states, each `Parameters` with States.MathAdd + ResultPath.
    let pass_input = json!({
        "counter": { "n": 0 },
        "payload": { "user": "alice", "tags": ["a", "b", "c"], "score": 3.5 }
    });
    let pass_interpreter = PassChain100::interpreter();
    for r in [
        rt.block_on(PassChain100::execute(pass_input.clone(), options.clone())),
        rt.block_on(pass_interpreter.execute(pass_input.clone(), options.clone())),
    ] {
        assert_eq!(succeeded(&r)["counter"], json!({ "n": 100, "last": "P99" }));
    }

    // `typed_chain_100`: 100 typed Task handlers.
    let typed_json = json!({ "n": 0, "label": "x", "tags": ["a", "b"] });
    let typed: Counter = serde_json::from_value(typed_json.clone()).unwrap();
    let typed_interpreter = TypedChain100::interpreter();
    let typed_expected = json!({ "n": 100, "label": "x", "tags": ["a", "b"] });
    for r in [
        rt.block_on(TypedChain100::execute_typed(typed.clone(), options.clone())),
        rt.block_on(TypedChain100::execute(typed_json.clone(), options.clone())),
        rt.block_on(typed_interpreter.execute(typed_json.clone(), options.clone())),
    ] {
        assert_eq!(succeeded(&r), &typed_expected);
    }

    let mut g = c.benchmark_group("compiled");
    g.throughput(Throughput::Elements(TRANSITIONS));
    runs(&mut g, "pass_chain_100/compiled", &rt, &pass_input, |i| {
        PassChain100::execute(i, options.clone())
    });
    runs(
        &mut g,
        "pass_chain_100/interpreter",
        &rt,
        &pass_input,
        |i| pass_interpreter.execute(i, options.clone()),
    );
    runs(&mut g, "typed_chain_100/compiled_typed", &rt, &typed, |i| {
        TypedChain100::execute_typed(i, options.clone())
    });
    runs(
        &mut g,
        "typed_chain_100/compiled_json",
        &rt,
        &typed_json,
        |i| TypedChain100::execute(i, options.clone()),
    );
    runs(
        &mut g,
        "typed_chain_100/interpreter",
        &rt,
        &typed_json,
        |i| typed_interpreter.execute(i, options.clone()),
    );
    g.finish();
}

fn bench_floor(c: &mut Criterion) {
    // `c_map_10k`'s output, as its expected output file has it.
    let map_output = Value::Array(
        (0..10_000)
            .map(|i| {
                json!({
                    "key": i,
                    "label": format!("#{i}:item-{i}"),
                    "cost": i,
                    "dims": {"qty": i % 7}
                })
            })
            .collect(),
    );
    let (trivial_input, trivial_output) = (json!({"in": true}), json!({"a": 1, "b": 2}));
    let mut g = c.benchmark_group("floor");
    g.bench_function("c_map_10k/output_made_and_freed", |b| {
        b.iter(|| drop(black_box(map_output.clone())))
    });
    g.bench_function("t_trivial_3/input_and_output_made_and_freed", |b| {
        b.iter(|| {
            drop(black_box(trivial_input.clone()));
            drop(black_box(trivial_output.clone()));
        })
    });
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime");
    g.bench_function("e_retry_catch/two_retry_waits_paused_clock", |b| {
        b.to_async(&paused).iter(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        })
    });
    g.finish();
}

/// Benchmark `name`: whole executions, `run` on a fresh copy of `input` each (copied untimed).
fn runs<I: Clone, F: std::future::Future<Output = stepfn::ExecutionResult>>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    rt: &tokio::runtime::Runtime,
    input: &I,
    run: impl Fn(I) -> F,
) {
    g.bench_function(name, |b| {
        b.to_async(rt)
            .iter_batched(|| input.clone(), &run, BatchSize::SmallInput)
    });
}

criterion_group!(
    benches,
    bench_path,
    bench_template,
    bench_intrinsic,
    bench_choice,
    bench_compiled,
    bench_floor
);
criterion_main!(benches);
